// Regression (found by tests/fuzz/multi_paxos_replica): a promise message claiming to come from
// the candidate itself was counted toward its phase-1 quorum, although its own promise was not
// durable yet; a candidate could lead on one real promise and a spoofed one. Its own promise
// now counts only through its own durable write.
#include <boost/test/unit_test.hpp>

#include "regressions/paxos_support.hpp"

namespace synod::test::regression {
BOOST_AUTO_TEST_SUITE(regressions_multi_paxos_promise_from_self)

BOOST_AUTO_TEST_CASE(a_promise_from_self_over_the_wire_does_not_count) {
    using log = storage::deferred_paxos_log<int>;
    one_replica<log> x;
    BOOST_TEST_REQUIRE(x.r.campaign().has_value());
    const ballot b = x.r.current_ballot();
    using message = multi_paxos::message<int>;
    x.r.on(message{multi_paxos::promise<int>{node_id{1}, b, log_index{1}, {}, {}, {}}});
    x.r.on(message{multi_paxos::promise<int>{node_id{2}, b, log_index{1}, {}, {}, {}}});
    BOOST_TEST(!x.r.is_leader());
    x.r.storage().complete_all();
    x.r.on(writes_durable{});
    BOOST_TEST(x.r.is_leader());
}

BOOST_AUTO_TEST_SUITE_END()
}  // namespace synod::test::regression
