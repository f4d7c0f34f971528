// Regression (found by tests/fuzz/multi_paxos_replica): a prepare with a ballot of round 2^64-1
// was promised; the replica's next phase 1 then computed a ballot above it, which wrapped around
// to round 0, and storage refused the lower promise (SYNOD_ASSERT). Ballots above 2^63 are now
// dropped as bad input by the acceptor, the proposer (on reject) and the Multi-Paxos replica
// (ballot::plausible).
#include <boost/test/unit_test.hpp>
#include <limits>

#include "regressions/paxos_support.hpp"

namespace synod::test::regression {
BOOST_AUTO_TEST_SUITE(regressions_paxos_implausible_ballot)

constexpr std::uint64_t huge = std::numeric_limits<std::uint64_t>::max();

BOOST_AUTO_TEST_CASE(a_replica_ignores_a_ballot_it_could_not_go_above) {
    one_replica<> x;
    x.r.on(multi_paxos::message<int>{multi_paxos::prepare{node_id{3}, ballot{huge, node_id{3}},
                                                          log_index{1}}});
    x.r.on(multi_paxos::message<int>{
        multi_paxos::accept<int>{node_id{3}, ballot{huge, node_id{3}}, log_index{0}, {}}});
    x.r.on(multi_paxos::message<int>{
        multi_paxos::reject{node_id{3}, ballot{}, ballot{huge, node_id{3}}}});
    BOOST_TEST(x.r.storage().promised().round == 0u);
    BOOST_TEST(x.sent.empty());
    BOOST_TEST_REQUIRE(x.r.campaign().has_value());
    BOOST_TEST(x.r.current_ballot().round == 1u);
}

BOOST_AUTO_TEST_CASE(an_acceptor_promises_no_ballot_a_proposer_could_not_go_above) {
    std::vector<paxos::message<int>> sent;
    paxos::acceptor<acceptor_traits> a{node_id{1}, {}, {}, {&sent}};
    a.on(paxos::message<int>{paxos::prepare{node_id{2}, ballot{huge, node_id{2}}}});
    a.on(paxos::message<int>{
        paxos::accept<int>{node_id{2}, proposal<int>{ballot{huge, node_id{2}}, 7}}});
    BOOST_TEST(a.promised().round == 0u);
    BOOST_TEST(!a.accepted_proposal().has_value());
    BOOST_TEST(sent.empty());
    const ballot highest{huge / 2, node_id{2}};
    const ballot above{huge / 2 + 1, node_id{2}};
    BOOST_TEST(highest.plausible());
    BOOST_TEST(!above.plausible());
}

BOOST_AUTO_TEST_SUITE_END()
}  // namespace synod::test::regression
