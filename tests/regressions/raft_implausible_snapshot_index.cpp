// Regression (found by tests/fuzz/raft_node): an InstallSnapshot claiming last_index 2^64 - 1
// was installed; the log's first index (last_index + 1) wrapped around to 0, and with
// membership changes the configuration scan after the install (recover_configuration) asked the
// storage for entries from index 0 and failed its assertion. Such messages are now dropped as
// bad input (raft::node::plausible_index), like terms near 2^64.
#include <boost/test/unit_test.hpp>
#include <limits>

#include "raft/fixture.hpp"

namespace synod::test {
BOOST_AUTO_TEST_SUITE(regressions_raft_implausible_snapshot_index)

namespace {
constexpr raft::features with_membership{.check_quorum = true, .membership = true};

/// A snapshot image as a membership node stores it: u16 length, configuration, state bytes.
std::vector<std::byte> image_of(const configuration& c) {
    std::vector<std::byte> out(2 + configuration_bytes_max);
    const std::size_t n = encode_configuration(c, std::span{out}.subspan(2));
    out[0] = static_cast<std::byte>(n & 0xff);
    out[1] = static_cast<std::byte>(n >> 8);
    out.resize(2 + n);
    return out;
}

template <class Cluster>
void check_snapshot_at(Cluster& c, log_index at, bool installed) {
    configuration conf;
    conf.voters = node_set{1u, 2u, 3u};
    const std::vector<std::byte> image = image_of(conf);
    c[2].on(raft_message{raft::install_snapshot{term_t{1}, node_id{1}, at, term_t{1}, 0,
                                                image.size(), image}});
    BOOST_TEST(c[2].state_machine().restores == (installed ? 1u : 0u));
    BOOST_TEST(c[2].storage().snapshot_index() == (installed ? at : log_index{0}));
    BOOST_TEST(c[2].commit_index() == (installed ? at : log_index{0}));
    BOOST_TEST(c[2].config_index() <= c[2].last_index());
    BOOST_TEST(c[2].config().validate().has_value());
}
}  // namespace

BOOST_AUTO_TEST_CASE(a_snapshot_at_an_index_near_two_to_the_64_is_dropped) {
    const log_index huge{std::numeric_limits<std::uint64_t>::max()};
    raft_fixture<with_membership> c{3};
    check_snapshot_at(c, huge, false);
    BOOST_TEST(c[2].term() == term_t{0});  // dropped before it could count as leader contact
    raft_fixture<> plain{3};
    check_snapshot_at(plain, huge, false);
}

BOOST_AUTO_TEST_CASE(the_largest_plausible_snapshot_index_is_still_installed) {
    const log_index high{std::numeric_limits<std::uint64_t>::max() / 2};
    raft_fixture<with_membership> c{3};
    check_snapshot_at(c, high, true);
    BOOST_TEST(c[2].storage().first_index() == high.next());
    BOOST_TEST(c[2].last_index() == high);
    BOOST_TEST(c[2].config_index() == high);  // the snapshot's configuration is in effect
}

BOOST_AUTO_TEST_SUITE_END()
}  // namespace synod::test
