// Regression (found by tests/fuzz/raft_node): a vote answer "from" node 0 (no node) made a
// candidate insert 0 into its vote set, which fails SYNOD_ASSERT; answers from strangers could
// fill the set; and an answer claiming to come from the candidate itself counted a vote it had
// not yet made durable. Answers from anyone the candidate did not ask are now ignored.
#include <boost/test/unit_test.hpp>

#include "raft/fixture.hpp"

namespace synod::test {
BOOST_AUTO_TEST_SUITE(regressions_raft_vote_from_non_voter)

BOOST_AUTO_TEST_CASE(vote_answers_from_no_node_strangers_or_self_do_not_count) {
    raft_fixture<raft::features{}, storage::deferred_log<text>> c{3};
    c.hup(1);
    const term_t t = c[1].term();
    BOOST_TEST_REQUIRE(c[1].role() == raft::role::candidate);
    for (std::uint32_t from : {0u, 1u, 4u, 99u, 4000000000u})
        c[1].on(raft_message{raft::vote_response{t, node_id{from}, true, false}});
    BOOST_TEST(c[1].role() == raft::role::candidate);  // its own vote is not durable yet
    c[1].on(raft_message{raft::vote_response{t, node_id{2}, true, false}});
    BOOST_TEST(c[1].role() == raft::role::candidate);  // one real vote of three
    c.sync(1);                                          // now its own counts too
    BOOST_TEST(c[1].is_leader());
}

BOOST_AUTO_TEST_SUITE_END()
}  // namespace synod::test
