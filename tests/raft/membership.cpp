// Membership changes (Raft thesis 4; ../shared/SCENARIOS.md section 2.4): configurations as log
// entries in effect once appended, joint consensus with the leader leaving the joint
// configuration by itself, single-server changes, learners that catch up before promotion,
// removing the leader, removed nodes that cannot disrupt, and the configuration restored on
// truncation, restart and snapshot installation.
#include <boost/test/unit_test.hpp>

#include "raft/membership_support.hpp"

using namespace synod;
using namespace synod::test;

namespace {
using cluster = raft_fixture<with_membership>;

void propose_n(cluster& c, std::uint32_t leader, int n, const std::string& prefix = "v") {
    for (int i = 0; i < n; ++i) BOOST_TEST_REQUIRE(c[leader].propose(prefix + std::to_string(i)).has_value());
    c.deliver();
}
}  // namespace

BOOST_AUTO_TEST_SUITE(raft_membership)

BOOST_AUTO_TEST_CASE(a_configuration_round_trips_through_its_encoding_and_bad_bytes_are_refused) {
    configuration c = conf({1, 2, 3}, {7});
    c.voters_outgoing = node_set{1u, 2u, 9u};
    std::string p;
    BOOST_TEST(configuration_codec<std::string>::encode(c, p));
    const auto back = configuration_codec<std::string>::decode(p);
    BOOST_TEST_REQUIRE(back.has_value());
    BOOST_TEST((*back == c));
    // Every truncation, a wrong version, an id out of order, and an empty voter set.
    for (std::size_t n = 0; n < p.size(); ++n)
        BOOST_TEST(!configuration_codec<std::string>::decode(p.substr(0, n)).has_value());
    std::string bad = p;
    bad[0] = 2;
    BOOST_TEST(!configuration_codec<std::string>::decode(bad).has_value());
    bad = p;
    std::swap(bad[4], bad[8]);  // voters 2, 1
    BOOST_TEST((configuration_codec<std::string>::decode(bad).error() == errc::malformed));
    std::string empty;
    BOOST_TEST(configuration_codec<std::string>::encode(conf({}, {3}), empty));
    BOOST_TEST((configuration_codec<std::string>::decode(empty).error() == errc::invalid_configuration));
}

BOOST_AUTO_TEST_CASE(m5_a_learner_catches_up_then_is_promoted_and_can_win_an_election) {
    cluster c{3};
    lead(c);
    propose_n(c, 1, 5);
    c.add_node(node_id{4});
    // Straight to voter: refused, it has not caught up (thesis 4.2.1).
    BOOST_TEST((c[1].propose_configuration(conf({1, 2, 3, 4})).error() == errc::not_caught_up));
    const auto added = c[1].propose_configuration(conf({1, 2, 3}, {4}));
    BOOST_TEST_REQUIRE(added.has_value());
    BOOST_TEST(c[1].config().learners.contains(node_id{4}));  // in effect once appended
    c.run(5);
    BOOST_TEST(c[4].config().learners.contains(node_id{4}));
    BOOST_TEST(c.applied_payloads(4) == c.applied_payloads(1), boost::test_tools::per_element());
    BOOST_TEST(c[4].role() == raft::role::follower);
    c.tick(4, 100);  // a learner never campaigns
    BOOST_TEST(c[4].role() == raft::role::follower);
    BOOST_TEST(c[1].is_leader());

    const auto promoted = c[1].propose_configuration(conf({1, 2, 3, 4}));
    BOOST_TEST_REQUIRE(promoted.has_value());
    c.run(3);
    BOOST_TEST(c[1].commit_index() >= *promoted);
    BOOST_TEST(c[4].config().voters.contains(node_id{4}));
    BOOST_TEST(c[4].config_index() == *promoted);
    // The promoted node can now be elected.
    BOOST_TEST_REQUIRE(c[1].transfer_leadership(node_id{4}).has_value());
    c.run(3);
    BOOST_TEST(c[4].is_leader());
}

BOOST_AUTO_TEST_CASE(m7_changing_two_voters_goes_through_the_joint_configuration_and_leaves_it) {
    cluster c{3};
    lead(c);
    c.add_node(node_id{4});
    c.add_node(node_id{5});
    BOOST_TEST_REQUIRE(c[1].propose_configuration(conf({1, 2, 3}, {4, 5})).has_value());
    c.run(5);
    // Replace 2 and 3 by 4 and 5: two voters change, so not in one step.
    BOOST_TEST((c[1].propose_configuration(conf({1, 4, 5}), raft::membership_change::single_server)
                    .error() == errc::invalid_configuration));
    // While the joint entry is uncommitted a phase-2 quorum needs both halves: with 4 and 5
    // cut off, nothing commits even though the old voters all acknowledge.
    c.net().isolate(node_id{4});
    c.net().isolate(node_id{5});
    const auto joint_at = c[1].propose_configuration(conf({1, 4, 5}));
    BOOST_TEST_REQUIRE(joint_at.has_value());
    BOOST_TEST(c[1].config().joint());
    BOOST_TEST((c[1].config().voters_outgoing == node_set{1u, 2u, 3u}));
    BOOST_TEST((c[1].propose_configuration(conf({1, 2, 3})).error() == errc::change_in_progress));
    c.run(5);
    BOOST_TEST(c[1].commit_index() < *joint_at);
    c.net().recover();
    c.run(5);
    // C_old,new committed, C_new appended by the leader itself and committed after it.
    BOOST_TEST(!c[1].config().joint());
    BOOST_TEST((c[1].config().voters == node_set{1u, 4u, 5u}));
    BOOST_TEST(*joint_at < c[1].config_index());
    BOOST_TEST(c[1].config_index() <= c[1].commit_index());
    for (std::uint32_t n : {4u, 5u}) BOOST_TEST((c[n].config() == c[1].config()));
    // The removed voters 2 and 3 hold C_new (the leader waited for them before forgetting
    // them), so they know not to campaign.
    for (std::uint32_t n : {2u, 3u}) BOOST_TEST(!c[n].config().contains(node_id{n}));
    c.run(2 * 10);
    BOOST_TEST(c[1].progress_of(node_id{2}) == nullptr);
    BOOST_TEST(c[1].progress_of(node_id{3}) == nullptr);
    BOOST_TEST_REQUIRE(c[1].propose("after").has_value());
    c.run(2);
    BOOST_TEST(c.applied_payloads(5).back() == "after");
}

BOOST_AUTO_TEST_CASE(m1_removing_a_voter_takes_effect_when_appended) {
    cluster c{2};
    lead(c);
    c.net().isolate(node_id{2});
    const auto removed = c[1].propose_configuration(conf({1}));
    BOOST_TEST_REQUIRE(removed.has_value());
    // C_new decides its own commitment: the leader alone is a quorum of {1}.
    BOOST_TEST(c[1].commit_index() == *removed);
    BOOST_TEST_REQUIRE(c[1].propose("hello").has_value());
    BOOST_TEST(c.applied_payloads(1).back() == "hello");
    // M4: the last voter cannot be removed.
    BOOST_TEST((c[1].propose_configuration(conf({})).error() == errc::invalid_configuration));
}

BOOST_AUTO_TEST_CASE(m2_a_new_leader_changes_nothing_before_an_entry_of_its_term_commits) {
    cluster c{3};
    lead(c);
    c.net().isolate(node_id{2});
    c.net().isolate(node_id{3});
    // A fresh leader elected by hand: its no-op is not committed yet.
    c.net().recover();
    elect(c, 2);
    BOOST_TEST_REQUIRE(c[2].is_leader());
    BOOST_TEST((c[2].propose_configuration(conf({1, 2})).error() == errc::change_in_progress));
    c.run(3);
    BOOST_TEST(c[2].propose_configuration(conf({1, 2})).has_value());
}

BOOST_AUTO_TEST_CASE(m8_a_leader_that_removes_itself_steps_down_once_c_new_commits) {
    cluster c{3};
    lead(c);
    propose_n(c, 1, 3);
    const auto at = c[1].propose_configuration(conf({2, 3}));
    BOOST_TEST_REQUIRE(at.has_value());
    // Until C_new commits the leader manages a cluster it is not part of: it keeps leading but
    // does not count itself.
    BOOST_TEST(c[1].is_leader());
    BOOST_TEST(c[1].commit_index() < *at);
    c.deliver();
    BOOST_TEST(!c[1].is_leader());
    c.run(3);
    // It handed over with TimeoutNow, so a new leader is there without an election timeout.
    const std::uint32_t l = c.leader_id();
    BOOST_TEST((l == 2 || l == 3));
    c.tick(1, 100);  // no longer a voter: never campaigns
    BOOST_TEST(c[1].role() == raft::role::follower);
    BOOST_TEST_REQUIRE(c[l].propose("x").has_value());
    c.run(2);
    BOOST_TEST(c.applied_payloads(l == 2 ? 3 : 2).back() == "x");
}

BOOST_AUTO_TEST_CASE(a_removed_node_that_missed_its_removal_cannot_disrupt_the_cluster) {
    cluster c{3};
    lead(c);
    c.net().isolate(node_id{3});
    const auto at = c[1].propose_configuration(conf({1, 2}));
    BOOST_TEST_REQUIRE(at.has_value());
    c.run(30);  // committed; the leader gives up on 3 after an election timeout of silence
    BOOST_TEST(c[1].commit_index() >= *at);
    BOOST_TEST(c[1].progress_of(node_id{3}) == nullptr);
    const term_t t = c[1].term();
    c.net().recover();
    // 3 still believes it is a voter: it campaigns again and again, with rising terms.
    for (int k = 0; k < 5; ++k) {
        c.tick(3, 25);
        c.tick(1);
        c.tick(2);
        c.deliver();
    }
    BOOST_TEST(c[3].term() > t);
    BOOST_TEST(c[1].is_leader());
    BOOST_TEST(c[1].term() == t);  // stickiness: the sitting leader's followers ignore it
}

BOOST_AUTO_TEST_CASE(a_truncated_configuration_entry_is_undone) {
    cluster c{3};
    c[2].on(append(1, 1, 0, 0, 0, {ent(1, 1)}));
    const std::vector<raft_entry> with_conf{conf_entry(2, 1, conf({1, 2, 3}, {4}))};
    c[2].on(append(1, 1, 1, 1, 1, with_conf));
    BOOST_TEST(c[2].config().learners.contains(node_id{4}));
    BOOST_TEST(c[2].config_index() == log_index{2});
    // A leader of term 2 replaces index 2: the configuration before it is back in effect.
    c[2].on(append(2, 3, 1, 1, 1, {ent(2, 2, "x")}));
    BOOST_TEST((c[2].config() == c.config()));
    BOOST_TEST(c[2].config_index() == log_index{0});
    // A malformed configuration entry is dropped with its message.
    raft_entry bad = conf_entry(3, 2, conf({1, 2, 3}));
    bad.payload.pop_back();
    const std::size_t last = c[2].last_index().value;
    c[2].on(append(2, 3, 2, 2, 1, {bad}));
    BOOST_TEST(c[2].last_index().value == last);
}

BOOST_AUTO_TEST_CASE(the_configuration_survives_restart_and_travels_in_snapshots) {
    cluster c{3};
    lead(c);
    c.add_node(node_id{4});
    BOOST_TEST_REQUIRE(c[1].propose_configuration(conf({1, 2, 3}, {4})).has_value());
    c.run(5);
    propose_n(c, 1, 5);
    // Restart from the log: the configuration entry is found again.
    c.restart(2);
    BOOST_TEST(c[2].config().learners.contains(node_id{4}));
    // Compact behind the change, restart from the snapshot alone.
    c.run(3);
    c[1].compact();
    c[3].compact();
    BOOST_TEST(c[3].storage().snapshot_index() >= c[3].config_index());
    c.restart(3);
    BOOST_TEST(c[3].config().learners.contains(node_id{4}));
    BOOST_TEST(c[3].config_index() == c[3].storage().snapshot_index());
    c.run(30);
    // A new learner added after compaction gets the configuration in the snapshot it installs.
    c.add_node(node_id{5});
    const std::uint32_t l = c.leader_id();
    BOOST_TEST_REQUIRE(l != 0u);
    c[l].compact();
    BOOST_TEST_REQUIRE(c[l].propose_configuration(conf({1, 2, 3}, {4, 5})).has_value());
    c[l].compact();  // the snapshot now covers the change that added 5
    c.run(10);
    BOOST_TEST(c[5].state_machine().restores >= 1u);
    BOOST_TEST(c[5].config().learners.contains(node_id{5}));
    BOOST_TEST(c.applied_payloads(5) == c.applied_payloads(l), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(m9a_a_new_leader_leaves_a_committed_joint_configuration) {
    cluster c{3};
    lead(c);
    c.add_node(node_id{4});
    BOOST_TEST_REQUIRE(c[1].propose_configuration(conf({1, 2, 3}, {4})).has_value());
    c.run(5);
    // The joint entry reaches every follower, but the leader never hears back and is gone.
    c.net().cut_one_way(node_id{2}, node_id{1});
    c.net().cut_one_way(node_id{3}, node_id{1});
    c.net().cut_one_way(node_id{4}, node_id{1});
    const auto joint_at = c[1].propose_configuration(conf({1, 2, 4}, {3}), raft::membership_change::joint);
    BOOST_TEST_REQUIRE(joint_at.has_value());
    c.deliver();
    c.net().isolate(node_id{1});
    BOOST_TEST(c[2].config().joint());
    // Node 3 is being demoted: a learner that still votes in the old half.
    BOOST_TEST(c[2].config().learners.contains(node_id{3}));
    BOOST_TEST(c[2].config().is_voter(node_id{3}));
    std::uint32_t l = 0;
    for (int k = 0; k < 100 && l == 0; ++k) {
        c.tick(2);
        c.tick(3);
        c.tick(4);
        c.deliver();
        for (std::uint32_t n : {2u, 3u, 4u})
            if (c[n].is_leader()) l = n;
    }
    BOOST_TEST_REQUIRE(l != 0u);
    for (int k = 0; k < 5; ++k) {
        c.tick(l);
        c.deliver();
    }
    // Its no-op committed the joint entry under both quorums; then it appended C_new.
    BOOST_TEST(!c[l].config().joint());
    BOOST_TEST((c[l].config().voters == node_set{1u, 2u, 4u}));
    BOOST_TEST((c[l].config().learners == node_set{3u}));
    BOOST_TEST(c[l].commit_index() >= c[l].config_index());
}

BOOST_AUTO_TEST_CASE(m3_a_promoted_voter_counts_for_check_quorum) {
    cluster c{1};
    lead(c);
    c.add_node(node_id{2});
    BOOST_TEST_REQUIRE(c[1].propose_configuration(conf({1}, {2})).has_value());
    c.run(3);
    BOOST_TEST_REQUIRE(c[1].propose_configuration(conf({1, 2})).has_value());
    c.run(3);
    BOOST_TEST(c[1].commit_index() == c[1].config_index());
    c.net().isolate(node_id{2});
    c.tick(1, 25);  // two check-quorum rounds without hearing from 2
    BOOST_TEST(!c[1].is_leader());
}

BOOST_AUTO_TEST_CASE(m7_demotion_in_one_step_and_idempotent_targets) {
    cluster c{3};
    lead(c);
    const auto same = c[1].propose_configuration(conf({1, 2, 3}));
    BOOST_TEST_REQUIRE(same.has_value());  // the same configuration again: a harmless entry
    c.run(2);
    const auto demoted = c[1].propose_configuration(conf({1, 2}, {3}));
    BOOST_TEST_REQUIRE(demoted.has_value());
    BOOST_TEST(!c[1].config().joint());  // one voter changes: a single-server change
    c.run(3);
    BOOST_TEST(c[3].config().learners.contains(node_id{3}));
    c.tick(3, 100);
    BOOST_TEST(c[3].role() == raft::role::follower);
    BOOST_TEST(c[1].is_leader());
}

BOOST_AUTO_TEST_SUITE_END()
