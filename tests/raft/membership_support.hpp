#ifndef SYNOD_TESTS_RAFT_MEMBERSHIP_SUPPORT_HPP
#define SYNOD_TESTS_RAFT_MEMBERSHIP_SUPPORT_HPP

// Helpers shared by the membership tests: a node built with membership changes, configurations
// written as id lists, configuration entries, and electing node `id`.

#include <boost/test/unit_test.hpp>

#include "raft/fixture.hpp"

namespace synod::test {

inline constexpr raft::features with_membership{.check_quorum = true, .leader_transfer = true,
                                                .membership = true};

inline configuration conf(std::initializer_list<std::uint32_t> voters,
                          std::initializer_list<std::uint32_t> learners = {},
                          std::initializer_list<std::uint32_t> outgoing = {}) {
    configuration c;
    for (auto v : voters) c.voters.insert(node_id{v});
    for (auto l : learners) c.learners.insert(node_id{l});
    for (auto o : outgoing) c.voters_outgoing.insert(node_id{o});
    return c;
}

inline raft_entry conf_entry(std::uint64_t index, std::uint64_t term, const configuration& c) {
    raft_entry e{term_t{term}, log_index{index}, entry_kind::configuration, {}};
    BOOST_TEST_REQUIRE(configuration_codec<std::string>::encode(c, e.payload));
    return e;
}

/// Node `id` campaigns and wins; its no-op is committed.
template <class C>
void lead(C& c, std::uint32_t id = 1) {
    c.hup(id);
    c.deliver();
    BOOST_TEST_REQUIRE(c[id].is_leader());
}

}  // namespace synod::test

#endif
