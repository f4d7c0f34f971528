// Pre-vote and check-quorum (Raft thesis 9.6 and 6.2), restated from ../shared/SCENARIOS.md
// section 2.2 (Q1 to Q9), including the etcd-io/etcd#8243 deadlock regression.
#include <boost/test/unit_test.hpp>

#include "raft/fixture.hpp"

using namespace synod;
using namespace synod::test;
using raft::role;

namespace {
constexpr raft::features cq{.check_quorum = true};
constexpr raft::features pv{.pre_vote = true};
constexpr raft::features pv_cq{.pre_vote = true, .check_quorum = true};

raft::settings with_election_timeout(ticks et) {
    raft::settings s = default_settings();
    s.election_timeout_ticks = et;
    return s;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(raft_check_quorum)

BOOST_AUTO_TEST_CASE(q1_a_leader_stays_while_a_quorum_answers) {
    raft_fixture<cq> c{3, with_election_timeout(5)};
    elect(c, 1);
    for (int i = 0; i < 5 + 1; ++i) {
        c[1].on(raft_message{raft::append_response{term_t{1}, node_id{2}, true, log_index{0}, {}, {}}});
        c.tick(1);
    }
    BOOST_TEST(c[1].role() == role::leader);
}

BOOST_AUTO_TEST_CASE(q1_a_leader_that_hears_from_no_quorum_steps_down) {
    raft_fixture<cq> c{3, with_election_timeout(5)};
    elect(c, 1);
    c.tick(1, 5 + 1);
    BOOST_TEST(c[1].role() == role::follower);
    BOOST_TEST(c[1].term() == term_t{1});
}

BOOST_AUTO_TEST_CASE(q2_followers_that_hear_from_a_leader_ignore_a_disruptive_candidate) {
    raft_fixture<cq> c{3};
    c.hup(1);
    c.deliver();
    BOOST_TEST_REQUIRE(c[1].is_leader());
    c.hup(3);
    c.deliver();
    BOOST_TEST(c[3].role() == role::candidate);  // nobody answered: 2 is sticky, 1 leads
    BOOST_TEST(c[1].is_leader());
    // Once 2 has not heard from the leader for an election timeout, it listens again.
    c.tick(2, 10);
    c.net().clear();
    c.hup(3);
    c.deliver();
    BOOST_TEST(c[3].is_leader());
}

BOOST_AUTO_TEST_CASE(q3_once_every_lease_lapsed_a_new_leader_wins) {
    raft_fixture<cq> c{3};
    c.hup(1);
    c.deliver();
    c.tick(1, 2 * 10);  // the leader hears from nobody for a whole check round: steps down
    c.tick(2, 10);
    c.net().clear();
    BOOST_TEST(c[1].role() == role::follower);
    c.hup(3);
    c.deliver();
    BOOST_TEST(c[3].is_leader());
    BOOST_TEST(c[1].role() == role::follower);
}

BOOST_AUTO_TEST_CASE(q4_a_stuck_candidate_with_a_higher_term_is_freed) {
    raft_fixture<cq> c{3};
    c.hup(1);
    c.deliver();
    c.net().isolate(node_id{1});
    c.hup(3);
    c.deliver();
    c.hup(3);
    c.deliver();
    BOOST_TEST(c[2].role() == role::follower);
    BOOST_TEST(c[3].role() == role::candidate);
    BOOST_TEST(c[3].term() == c[2].term() + 2);
    c.net().recover();
    c.tick(1);  // heartbeat at the old term; 3 answers with its higher term
    c.deliver();
    BOOST_TEST(c[1].role() == role::follower);
    BOOST_TEST(c[1].term() == c[3].term());
    c.hup(3);
    c.deliver();
    BOOST_TEST(c[3].is_leader());
}

BOOST_AUTO_TEST_CASE(q5_a_learner_never_campaigns_and_follows_the_leader) {
    configuration conf;
    conf.voters = node_set{1u, 2u};
    conf.learners = node_set{3u};
    raft_fixture<cq> c{conf, default_settings()};
    c.tick(3, 100);
    BOOST_TEST(c[3].role() == role::follower);
    BOOST_TEST(c.net().pending() == 0u);
    c[3].campaign();
    BOOST_TEST(c[3].role() == role::follower);
    c.hup(1);
    c.deliver();
    BOOST_TEST(c[1].is_leader());
    BOOST_TEST(c[3].leader() == node_id{1});
    BOOST_TEST(c[3].commit_index() == log_index{1});
}

BOOST_AUTO_TEST_CASE(q6_a_late_heartbeat_lets_a_disruptive_follower_depose_the_leader) {
    raft_fixture<cq> c{3};
    c.hup(1);
    c.deliver();
    c.tick(3, 2 * 10);  // 3 stops hearing heartbeats and campaigns
    c.net().clear();
    BOOST_TEST_REQUIRE(c[3].role() == role::candidate);
    c.tick(1);  // the leader's late heartbeat reaches 3, which answers with its higher term
    c.net().drop_if([](const auto& e) { return e.to == node_id{2}; });
    c.deliver();
    BOOST_TEST(c[1].role() == role::follower);
    BOOST_TEST(c[2].role() == role::follower);
    BOOST_TEST(c[3].role() == role::candidate);
    BOOST_TEST(c[1].term() == term_t{2});
    BOOST_TEST(c[2].term() == term_t{1});
    BOOST_TEST(c[3].term() == term_t{2});
}

BOOST_AUTO_TEST_CASE(q6_with_pre_vote_a_lagging_follower_does_not_depose_the_leader) {
    raft_fixture<pv_cq> c{3};
    c.hup(1);
    c.deliver();
    c.net().isolate(node_id{3});
    for (const char* p : {"a", "b", "c"}) BOOST_TEST_REQUIRE(c[1].propose(std::string{p}).has_value());
    c.deliver();
    c.net().recover();
    c.tick(3, 2 * 10);  // 3's pre-vote fails: its log is behind and the others are sticky
    c.deliver();
    BOOST_TEST(c[3].term() == term_t{1});
    c.tick(1);
    c.deliver();
    BOOST_TEST(c[1].is_leader());
    for (std::uint32_t i = 1; i <= 3; ++i) BOOST_TEST(c[i].term() == term_t{1});
}

BOOST_AUTO_TEST_CASE(q7_a_node_with_a_smaller_term_can_complete_an_election) {
    raft_fixture<pv> c{3};
    for (std::uint32_t i = 1; i <= 3; ++i) c.restore(i, hard_state{term_t{1}, no_node, {}}, {});
    c.net().isolate(node_id{3});
    c.hup(1);
    c.deliver();
    BOOST_TEST_REQUIRE(c[1].is_leader());
    BOOST_TEST(c[1].term() == term_t{2});
    c.hup(3);
    c.deliver();
    BOOST_TEST(c[3].role() == role::pre_candidate);
    BOOST_TEST(c[3].term() == term_t{1});
    c.hup(2);
    c.deliver();
    BOOST_TEST_REQUIRE(c[2].is_leader());
    BOOST_TEST(c[2].term() == term_t{3});
    BOOST_TEST(c[1].role() == role::follower);
    c.net().recover();
    c.net().isolate(node_id{2});
    c.hup(3);
    c.deliver();
    c.hup(1);
    c.deliver();
    BOOST_TEST((c[1].is_leader() || c[3].is_leader()));
}

BOOST_AUTO_TEST_CASE(q8_a_split_pre_vote_election_resolves_on_the_next_campaign) {
    raft_fixture<pv> c{3};
    c.hup(1);
    c.deliver();
    c.net().isolate(node_id{1});
    c.hup(2);
    c.hup(3);
    c.deliver();
    BOOST_TEST(c[2].role() == role::candidate);
    BOOST_TEST(c[3].role() == role::candidate);
    BOOST_TEST(c[2].term() == term_t{2});
    c.hup(2);
    c.deliver();
    BOOST_TEST(c[2].is_leader());
    BOOST_TEST(c[2].term() == term_t{3});
    BOOST_TEST(c[3].role() == role::follower);
}

BOOST_AUTO_TEST_CASE(q9_pre_vote_with_check_quorum_elects_a_new_leader_after_isolation) {
    raft_fixture<pv_cq> c{3};
    c.hup(1);
    c.deliver();
    c.net().isolate(node_id{1});
    c.hup(3);
    c.deliver();
    c.hup(2);
    c.deliver();
    BOOST_TEST((c[2].is_leader() || c[3].is_leader()));
}

BOOST_AUTO_TEST_CASE(pre_vote_and_check_quorum_never_deadlock_under_scripted_partitions) {
    // The etcd-io/etcd#8243 class: every partition pattern of 3 nodes, healed, must end with a
    // leader within a bounded time when every node ticks.
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        BOOST_TEST_CONTEXT("seed " << seed) {
            raft_fixture<pv_cq> c{3, default_settings(), seed};
            c.run(40);
            const std::uint32_t first = c.leader_id();
            BOOST_TEST_REQUIRE(first != 0u);
            const std::uint32_t cut = static_cast<std::uint32_t>(seed % 3 + 1);
            c.net().isolate(node_id{cut});
            c.run(60);
            c.net().recover();
            c.run(60);
            std::size_t leaders = 0;
            for (std::uint32_t i = 1; i <= 3; ++i) leaders += c[i].is_leader() ? 1 : 0;
            BOOST_TEST(leaders == 1u);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
