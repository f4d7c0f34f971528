// Regression (found by tests/fuzz/raft_node): a peer's message carrying a term near 2^64 was
// taken; the node's next election then wrapped its term around to 0, below terms it had already
// voted in. Such messages are now dropped as bad input (raft::node::plausible_term).
#include <boost/test/unit_test.hpp>
#include <limits>

#include "raft/fixture.hpp"

namespace synod::test {
BOOST_AUTO_TEST_SUITE(regressions_raft_implausible_term)

BOOST_AUTO_TEST_CASE(a_term_near_two_to_the_64_is_dropped_and_elections_never_wrap) {
    raft_fixture<> c{3};
    const term_t huge{std::numeric_limits<std::uint64_t>::max()};
    c[1].on(raft_message{raft::timeout_now{huge, node_id{2}}});
    c[1].on(raft_message{raft::vote_request{huge, node_id{2}, log_index{0}, term_t{0}}});
    c[1].on(raft_message{raft::append_response{huge, node_id{2}, false, log_index{0}, {}, {}}});
    c[1].on(raft_message{raft_append{huge, node_id{2}, log_index{0}, term_t{0}, log_index{0}, {}}});
    c[1].on(raft_message{raft::vote_response{huge, node_id{2}, false, true}});
    BOOST_TEST(c[1].term() == term_t{0});
    // The largest plausible term is still taken, and the next election goes above it.
    const term_t high{std::numeric_limits<std::uint64_t>::max() / 2};
    c[1].on(raft_message{raft::timeout_now{high, node_id{2}}});
    BOOST_TEST(c[1].term() == high.next());
    BOOST_TEST(c[1].role() == raft::role::candidate);
}

BOOST_AUTO_TEST_SUITE_END()
}  // namespace synod::test
