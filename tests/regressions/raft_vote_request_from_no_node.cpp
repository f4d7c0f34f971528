// Regression (found by tests/fuzz/raft_node): with membership changes a node grants votes
// without consulting its configuration (thesis 4.1), and a RequestVote "from" node 0 (no_node)
// was granted: the vote was recorded as no_node, that is as no vote at all, so a second
// candidate got a vote in the same term as well. RequestVote from no_node or from the node
// itself is now dropped as bad input.
#include <boost/test/unit_test.hpp>

#include "raft/fixture.hpp"

namespace synod::test {
BOOST_AUTO_TEST_SUITE(regressions_raft_vote_request_from_no_node)

namespace {
constexpr raft::features with_membership{.membership = true};

template <class Cluster>
std::size_t grants_in(Cluster& c, term_t t) {
    std::size_t n = 0;
    for (const auto& [to, v] : of_type<raft::vote_response>(c.drain()))
        if (v.granted && !v.pre_vote && v.term == t) ++n;
    return n;
}

template <class Cluster>
void one_vote_per_term(Cluster& c) {
    const term_t t{1};
    for (std::uint32_t from : {0u, 2u}) {
        c[2].on(raft_message{raft::vote_request{t, node_id{from}, log_index{0}, term_t{0}}});
        BOOST_TEST(c[2].vote() == node_id{0});  // neither no_node nor itself gets a vote
    }
    BOOST_TEST(grants_in(c, t) == 0u);
    c[2].on(raft_message{raft::vote_request{t, node_id{3}, log_index{0}, term_t{0}}});
    c[2].on(raft_message{raft::vote_request{t, node_id{1}, log_index{0}, term_t{0}}});
    BOOST_TEST(c[2].vote() == node_id{3});
    BOOST_TEST(grants_in(c, t) == 1u);
}
}  // namespace

BOOST_AUTO_TEST_CASE(a_vote_request_from_no_node_or_from_itself_is_dropped) {
    raft_fixture<with_membership> c{3};
    one_vote_per_term(c);
    raft_fixture<> plain{3};
    one_vote_per_term(plain);
}

BOOST_AUTO_TEST_SUITE_END()
}  // namespace synod::test
