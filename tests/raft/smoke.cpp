// A first whole-cluster check: three nodes elect a leader and replicate.
#include <boost/test/unit_test.hpp>

#include "raft/fixture.hpp"

using namespace synod;
using namespace synod::test;

BOOST_AUTO_TEST_SUITE(raft_smoke)

BOOST_AUTO_TEST_CASE(three_nodes_elect_and_replicate) {
    raft_fixture<> c{3};
    c.hup(1);
    c.deliver();
    BOOST_TEST(c[1].role() == raft::role::leader);
    BOOST_TEST(c[2].role() == raft::role::follower);
    BOOST_TEST_REQUIRE(c[1].propose(std::string{"x"}).has_value());
    c.deliver();
    for (std::uint32_t i = 1; i <= 3; ++i) {
        BOOST_TEST_CONTEXT("node " << i) BOOST_TEST(c[i].commit_index() == log_index{2});
        BOOST_TEST((c.applied_payloads(i) == std::vector<std::string>{"x"}));
    }
}

BOOST_AUTO_TEST_SUITE_END()
