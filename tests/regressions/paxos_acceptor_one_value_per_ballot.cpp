// Regression (found by tests/fuzz/paxos_acceptor): an acceptor that had accepted (b, v) accepted
// (b, w) too when a faulty proposer sent a second value under the same ballot, so the accepted
// reply it had already sent for v (or was about to release once durable) became a lie. A ballot
// has one value (Paxos Made Simple 2.2); the acceptor now keeps the first and ignores the other.
#include <boost/test/unit_test.hpp>

#include "regressions/paxos_support.hpp"

namespace synod::test::regression {
BOOST_AUTO_TEST_SUITE(regressions_paxos_acceptor_one_value_per_ballot)

BOOST_AUTO_TEST_CASE(a_second_value_under_an_accepted_ballot_is_ignored) {
    std::vector<paxos::message<int>> sent;
    paxos::acceptor<acceptor_traits> a{node_id{1}, {}, {}, {&sent}};
    const ballot b{3, node_id{2}};
    a.on(paxos::message<int>{paxos::accept<int>{node_id{2}, proposal<int>{b, 10}}});
    a.on(paxos::message<int>{paxos::accept<int>{node_id{2}, proposal<int>{b, 20}}});
    BOOST_TEST_REQUIRE(a.accepted_proposal().has_value());
    BOOST_TEST(a.accepted_proposal()->value == 10);
    BOOST_TEST(sent.size() == 1u);
    // The same value again is a retransmission: answered again. A higher ballot may change it.
    a.on(paxos::message<int>{paxos::accept<int>{node_id{2}, proposal<int>{b, 10}}});
    BOOST_TEST(sent.size() == 2u);
    a.on(paxos::message<int>{paxos::accept<int>{node_id{3}, proposal<int>{ballot{4, node_id{3}}, 20}}});
    BOOST_TEST(a.accepted_proposal()->value == 20);
}

BOOST_AUTO_TEST_SUITE_END()
}  // namespace synod::test::regression
