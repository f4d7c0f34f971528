// Regression (found by tests/fuzz/raft_node): an AppendEntries rejection naming an index beyond
// the leader's log made the leader move the follower's next index there and read a term it does
// not have (SYNOD_ASSERT in the storage). A rejection, like a success, must name an index of the
// leader's log; anything else is bad input and is dropped.
#include <boost/test/unit_test.hpp>

#include "raft/fixture.hpp"

namespace synod::test {
BOOST_AUTO_TEST_SUITE(regressions_raft_rejection_beyond_log)

BOOST_AUTO_TEST_CASE(a_rejection_beyond_the_leaders_log_is_dropped) {
    raft_fixture<> c{3};
    c.hup(1);
    c.deliver();
    BOOST_TEST_REQUIRE(c[1].is_leader());
    c.drain();
    const log_index last = c[1].last_index();
    raft::append_response bad{c[1].term(), node_id{2}, false, log_index{1000}, log_index{1000},
                              term_t{0}};
    c[1].on(raft_message{bad});
    bad.hint_term = c[1].term();
    c[1].on(raft_message{bad});
    BOOST_TEST(c[1].is_leader());
    BOOST_TEST(c[1].last_index() == last);
    BOOST_TEST(c[1].progress_of(node_id{2})->next <= last.next());
    BOOST_TEST(c.drain().empty());
}

BOOST_AUTO_TEST_SUITE_END()
}  // namespace synod::test
