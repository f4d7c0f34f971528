// Membership changes under review (Raft thesis 4; etcd-io/raft confchange; ../shared/SCENARIOS.md
// sections 2.3 and 2.4): leadership transfer against changes, removed peers the leader forgets,
// the joint configuration left on fixed-capacity storage, snapshots that change a node's role,
// restarts inside a joint configuration, and the single-server change guard.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <stdexcept>

#include "raft/membership_support.hpp"
#include "synod/storage/static.hpp"

using namespace synod;
using namespace synod::test;

namespace {
using cluster = raft_fixture<with_membership>;

/// Adds the nodes `ids` (the next ids after the last one) as learners of a leader 1 whose
/// voters are `voters`, and lets them catch up.
template <class C>
void add_learners(C& c, std::initializer_list<std::uint32_t> voters,
                  std::initializer_list<std::uint32_t> ids) {
    configuration target;
    for (auto v : voters) target.voters.insert(node_id{v});
    for (auto n : ids) {
        c.add_node(node_id{n});
        target.learners.insert(node_id{n});
    }
    BOOST_TEST_REQUIRE(c[1].propose_configuration(target).has_value());
    c.run(5);
    for (auto n : ids) BOOST_TEST_REQUIRE(c[n].config().learners.contains(node_id{n}));
}

bool is_timeout_now_to(const runtime::sync::envelope<raft_message>& e, std::uint32_t to) {
    return e.to == node_id{to} && std::holds_alternative<raft::timeout_now>(e.message);
}
}  // namespace

BOOST_AUTO_TEST_SUITE(raft_membership_review)

// ---- bugs found in review -------------------------------------------------------------------

// SCENARIOS 2.3 TestLeaderTransferDemoteNode (etcd aborts the transfer when the target stops
// being a voter). Node 3 is an outgoing voter of C_old,new when the transfer starts; once the
// leader leaves the joint configuration it is a learner, and a learner must never be told to
// campaign.
BOOST_AUTO_TEST_CASE(a_transfer_to_a_node_demoted_by_the_joint_change_is_aborted) {
    cluster c{3};
    lead(c);
    add_learners(c, {1, 2, 3}, {4});
    int timeout_now_to_3 = 0;
    c.net().drop_if([&](const auto& e) {
        if (!is_timeout_now_to(e, 3)) return false;
        ++timeout_now_to_3;
        return true;
    });
    // Replace 3 by 4: two voters change, so through C_old,new; 3 stays as a learner.
    const auto joint_at = c[1].propose_configuration(conf({1, 2, 4}, {3}));
    BOOST_TEST_REQUIRE(joint_at.has_value());
    BOOST_TEST_REQUIRE(c[1].config().joint());
    BOOST_TEST_REQUIRE(c[1].transfer_leadership(node_id{3}).has_value());  // a voter still
    BOOST_TEST(c[1].transfer_target() == node_id{3});
    c.deliver();  // C_old,new commits, the leader appends C_new, C_new commits
    BOOST_TEST_REQUIRE(!c[1].config().joint());
    BOOST_TEST_REQUIRE(c[1].commit_index() >= c[1].config_index());
    BOOST_TEST(c[1].config().learners.contains(node_id{3}));
    BOOST_TEST(c[1].transfer_target() == no_node);  // aborted: 3 is no longer a voter
    BOOST_TEST(timeout_now_to_3 == 0);
    BOOST_TEST(c[1].propose("after").has_value());  // proposals are accepted again
    BOOST_TEST(c[1].is_leader());
}

// The receiving side of the same case: a node whose newest configuration makes it a learner
// ignores TimeoutNow, even while it may still campaign on its own (its demotion is not known
// committed, thesis 4.2.2). etcd-io/raft: a node that is not promotable ignores MsgTimeoutNow.
BOOST_AUTO_TEST_CASE(a_node_demoted_in_its_newest_configuration_ignores_timeout_now) {
    cluster c{3};
    // 3 holds C_old,new (committed) and C_new (not known committed), which makes it a learner.
    c.restore(3, hard_state{term_t{1}, node_id{1}, log_index{2}},
              {ent(1, 1), conf_entry(2, 1, conf({1, 2, 4}, {3}, {1, 2, 3})),
               conf_entry(3, 1, conf({1, 2, 4}, {3}))});
    BOOST_TEST_REQUIRE(c[3].config().learners.contains(node_id{3}));
    BOOST_TEST_REQUIRE(c[3].commit_index() == log_index{2});
    c[3].on(raft_message{raft::timeout_now{term_t{1}, node_id{1}}});
    BOOST_TEST(c[3].role() == raft::role::follower);
    BOOST_TEST(c[3].term() == term_t{1});
}

// The grace period for a removed peer that does not answer is an election timeout's worth of
// heartbeats. It was counted in 8 bits: with election_timeout / heartbeat_interval >= 256
// (ticks of 1 ms, a 2 ms heartbeat and a 600 ms timeout) the count wrapped and the leader
// replicated to the removed peer for ever.
BOOST_AUTO_TEST_CASE(a_silent_removed_peer_is_forgotten_with_a_long_election_timeout) {
    raft::settings s = default_settings();
    s.election_timeout_ticks = 600;
    s.heartbeat_interval_ticks = 2;
    cluster c{3, s};
    lead(c);
    c.net().isolate(node_id{3});
    const auto at = c[1].propose_configuration(conf({1, 2}));
    BOOST_TEST_REQUIRE(at.has_value());
    c.deliver();
    BOOST_TEST_REQUIRE(c[1].commit_index() >= *at);
    BOOST_TEST(c[1].progress_of(node_id{3}) != nullptr);  // still within the grace period
    c.run(2 * 600 + 10);                                   // 600 heartbeats: twice the grace
    BOOST_TEST_REQUIRE(c[1].is_leader());
    BOOST_TEST(c[1].progress_of(node_id{3}) == nullptr);
}

// Leaving the joint configuration appends C_new, one more entry than the change asked room for.
// On fixed-capacity storage whose last slot C_old,new took, the leader failed SYNOD_ASSERT in
// static_log::append when C_old,new committed. It now waits, and leaves the joint configuration
// at a heartbeat once the owner has compacted.
BOOST_AUTO_TEST_CASE(a_leader_on_a_full_fixed_capacity_log_leaves_the_joint_configuration_later) {
    raft_fixture<with_membership, storage::static_log<text, 8>> c{3};
    lead(c);
    add_learners(c, {1, 2, 3}, {4});
    while (c[1].last_index() < log_index{7}) BOOST_TEST_REQUIRE(c[1].propose("x").has_value());
    c.deliver();
    const auto joint_at = c[1].propose_configuration(conf({1, 2, 4}, {3}));
    BOOST_TEST_REQUIRE(joint_at.has_value());
    BOOST_TEST_REQUIRE(*joint_at == log_index{8});  // the last slot
    const auto previous = set_assert_handler([](const char* expr, const char*, int) {
        throw std::logic_error(expr);
    });
    BOOST_CHECK_NO_THROW(c.deliver());
    set_assert_handler(previous);
    BOOST_TEST_REQUIRE(c[1].commit_index() == log_index{8});
    BOOST_TEST(c[1].config().joint());  // no room for C_new yet
    BOOST_TEST(c[1].is_leader());
    for (std::uint32_t n = 1; n <= 4; ++n) {
        auto& log = c[n].storage();
        log.compact_through(c[n].applied_index(), log.term_at(c[n].applied_index()));
    }
    c.run(5);
    BOOST_TEST(!c[1].config().joint());
    BOOST_TEST((c[1].config() == conf({1, 2, 4}, {3})));
    BOOST_TEST(c[1].commit_index() >= c[1].config_index());
    for (std::uint32_t n = 2; n <= 4; ++n) BOOST_TEST((c[n].config() == c[1].config()));
}

// A removed node that holds the entry removing it, but never learns that it is committed, may
// still campaign (thesis 4.2.2, may_campaign). The leader used to forget it as soon as it held
// the entry, so one lost commit notification left it campaigning for ever; with pre-vote alone
// and an idle cluster (its log as up to date as anyone's) it won the election and deposed the
// leader. The leader now heartbeats it for an election timeout after the removal commits.
BOOST_AUTO_TEST_CASE(a_removed_node_whose_commit_notification_was_lost_learns_it_and_stays_quiet) {
    raft_fixture<raft::features{.pre_vote = true, .membership = true}> c{3};
    lead(c);
    const log_index removal{2};
    int dropped = 0;
    c.net().drop_if([&](const auto& e) {
        const auto* m = std::get_if<raft_append>(&e.message);
        if (e.to != node_id{3} || !m || m->commit < removal || dropped > 0) return false;
        ++dropped;  // the first message telling 3 that its removal is committed
        return true;
    });
    const auto at = c[1].propose_configuration(conf({1, 2}));
    BOOST_TEST_REQUIRE(at.has_value());
    BOOST_TEST_REQUIRE(*at == removal);
    c.deliver();
    BOOST_TEST_REQUIRE(c[1].commit_index() >= removal);
    BOOST_TEST_REQUIRE(c[3].last_index() >= removal);  // 3 holds its removal
    BOOST_TEST_REQUIRE(dropped == 1);
    BOOST_TEST(c[3].commit_index() < removal);  // but does not know it committed
    const term_t t = c[1].term();
    c.run(60);
    BOOST_TEST(c[3].commit_index() >= removal);
    BOOST_TEST(c[1].progress_of(node_id{3}) == nullptr);  // forgotten after the grace period
    BOOST_TEST(c[1].is_leader());
    BOOST_TEST(c[1].term() == t);
    BOOST_TEST(c[3].term() == t);  // never campaigned
    BOOST_TEST(c[3].role() == raft::role::follower);
}

// The same node restarted: its commit index comes from the hard state, which was last written
// when it voted, before the removal. It took its removal for uncommitted again and campaigned
// (and with pre-vote alone, in an idle cluster, won). A node now saves its hard state when the
// newest configuration commits.
BOOST_AUTO_TEST_CASE(a_removed_node_restarted_after_its_removal_committed_does_not_campaign) {
    raft_fixture<raft::features{.pre_vote = true, .membership = true}> c{3};
    lead(c);
    const auto at = c[1].propose_configuration(conf({1, 2}));
    BOOST_TEST_REQUIRE(at.has_value());
    c.run(30);
    BOOST_TEST_REQUIRE(c[3].commit_index() >= *at);
    BOOST_TEST_REQUIRE(c[1].progress_of(node_id{3}) == nullptr);
    c.restart(3);
    BOOST_TEST(c[3].commit_index() >= *at);
    BOOST_TEST(!c[3].config().contains(node_id{3}));
    const term_t t = c[1].term();
    c.run(60);
    BOOST_TEST(c[1].is_leader());
    BOOST_TEST(c[1].term() == t);
    BOOST_TEST(c[3].term() == t);
    // With check-quorum as well, the restarted node stays quiet too (it used to raise its term
    // at every election timeout, ignored by the members).
    cluster d{3};
    lead(d);
    BOOST_TEST_REQUIRE(d[1].propose_configuration(conf({1, 2})).has_value());
    d.run(30);
    d.restart(3);
    d.run(60);
    BOOST_TEST(d[3].term() == d[1].term());
    BOOST_TEST(d[3].role() == raft::role::follower);
}

// ---- SCENARIOS 2.3: leadership transfer against membership ------------------------------------

// TestLeaderTransferToNonExistingNode, raft-rs test_leader_transfer_to_learner: only a voter of
// the configuration in effect can be handed leadership.
BOOST_AUTO_TEST_CASE(a_transfer_to_a_learner_or_a_stranger_is_refused) {
    cluster c{3};
    lead(c);
    add_learners(c, {1, 2, 3}, {4});
    for (std::uint32_t target : {4u, 9u}) {
        const auto r = c[1].transfer_leadership(node_id{target});
        BOOST_TEST_REQUIRE(!r);
        BOOST_TEST(r.error() == errc::not_member);
        BOOST_TEST(c[1].transfer_target() == no_node);
    }
    c.run(3);
    BOOST_TEST(c[1].is_leader());
    BOOST_TEST(c[1].propose("x").has_value());
    // The same once a change makes a voter a learner (in effect before it commits).
    c.net().isolate(node_id{2});
    c.net().isolate(node_id{3});
    BOOST_TEST_REQUIRE(c[1].propose_configuration(conf({1, 2}, {3, 4})).has_value());
    BOOST_TEST(c[1].transfer_leadership(node_id{3}).error() == errc::not_member);
}

// A transfer and a change exclude each other: no change while a transfer is pending, and a
// transfer during an uncommitted change goes to a voter of the newest configuration.
BOOST_AUTO_TEST_CASE(a_transfer_while_a_change_is_pending_goes_to_a_voter_of_the_new_configuration) {
    cluster c{3};
    lead(c);
    add_learners(c, {1, 2, 3}, {4});
    c.net().isolate(node_id{3});  // a transfer to 3 stays pending
    BOOST_TEST_REQUIRE(c[1].transfer_leadership(node_id{3}).has_value());
    BOOST_TEST(c[1].propose_configuration(conf({1, 2, 3, 4})).error() ==
               errc::transfer_in_progress);
    BOOST_TEST_REQUIRE(c[1].transfer_leadership(node_id{1}).has_value());  // cancelled
    c.net().recover();
    // Promote 4; before the promotion commits, hand leadership to it.
    c.net().cut_one_way(node_id{2}, node_id{1});
    c.net().cut_one_way(node_id{3}, node_id{1});
    const auto promoted = c[1].propose_configuration(conf({1, 2, 3, 4}));
    BOOST_TEST_REQUIRE(promoted.has_value());
    BOOST_TEST(c[1].transfer_leadership(node_id{4}).has_value());
    c.deliver();  // 4 holds the promotion: it is told to campaign and wins in the new voters
    BOOST_TEST(c[4].is_leader());
    c.net().recover();
    c.run(3);
    BOOST_TEST(c[4].is_leader());
    BOOST_TEST(c[4].commit_index() >= *promoted);
    BOOST_TEST(c[4].config().voters.contains(node_id{4}));
    BOOST_TEST(c[1].role() == raft::role::follower);
}

// confchange_v2_replace_leader: replace leader 1 by 4 through the joint configuration, hand
// leadership to 4 while joint; 4 leaves the joint configuration and 1 never campaigns again.
BOOST_AUTO_TEST_CASE(the_leader_is_replaced_through_a_joint_change_and_hands_over_while_joint) {
    cluster c{3};
    lead(c);
    add_learners(c, {1, 2, 3}, {4});
    c.net().cut_one_way(node_id{2}, node_id{1});
    c.net().cut_one_way(node_id{3}, node_id{1});
    c.net().cut_one_way(node_id{4}, node_id{1});
    const auto joint_at = c[1].propose_configuration(conf({2, 3, 4}), raft::membership_change::joint);
    BOOST_TEST_REQUIRE(joint_at.has_value());
    c.deliver();
    c.net().recover();
    c.run(2);  // C_old,new commits; the leader appends C_new and replicates it
    BOOST_TEST_REQUIRE(c[1].commit_index() >= *joint_at);
    // Still joint on 4 until C_new arrives; hand over as soon as 1 may.
    if (c[1].is_leader()) {
        const auto r = c[1].transfer_leadership(node_id{4});
        BOOST_TEST(r.has_value());
    }
    c.run(20);
    const std::uint32_t l = c.leader_id();
    BOOST_TEST_REQUIRE(l != 0u);
    BOOST_TEST(l != 1u);
    BOOST_TEST(!c[l].config().joint());
    BOOST_TEST((c[l].config().voters == node_set{2u, 3u, 4u}));
    BOOST_TEST(c[l].commit_index() >= c[l].config_index());
    const term_t t = c[l].term();
    c.tick(1, 100);  // 1 is out and knows it: never campaigns
    c.deliver();
    BOOST_TEST(c[1].role() == raft::role::follower);
    BOOST_TEST(c[l].is_leader());
    BOOST_TEST(c[l].term() == t);
}

// ---- SCENARIOS 2.4: learners, snapshots, restarts, the leader outside C_new -------------------

// TestLearnerCampaign with membership: a learner ignores Hup and TimeoutNow.
BOOST_AUTO_TEST_CASE(a_learner_ignores_campaign_and_timeout_now) {
    cluster c{3};
    lead(c);
    add_learners(c, {1, 2, 3}, {4});
    const term_t t = c[4].term();
    c.hup(4);
    c[4].on(raft_message{raft::timeout_now{t, node_id{1}}});
    BOOST_TEST(c[4].role() == raft::role::follower);
    BOOST_TEST(c[4].term() == t);
    // TestTransferNonMember: a node outside the configuration altogether, the same.
    c.add_node(node_id{5});
    c.hup(5);
    c[5].on(raft_message{raft::timeout_now{t, node_id{1}}});
    BOOST_TEST(c[5].role() == raft::role::follower);
}

// TestRestoreVoterToLearner: a voter that missed its demotion accepts a snapshot that makes it
// a learner, and stops campaigning.
BOOST_AUTO_TEST_CASE(a_voter_accepts_a_snapshot_that_makes_it_a_learner) {
    cluster c{3};
    lead(c);
    c.net().isolate(node_id{3});
    const auto demoted = c[1].propose_configuration(conf({1, 2}, {3}));
    BOOST_TEST_REQUIRE(demoted.has_value());
    for (int i = 0; i < 5; ++i) BOOST_TEST_REQUIRE(c[1].propose("v" + std::to_string(i)).has_value());
    c.deliver();
    BOOST_TEST_REQUIRE(c[1].commit_index() == c[1].last_index());
    c[1].compact();
    BOOST_TEST_REQUIRE(c[1].storage().snapshot_index() > *demoted);
    BOOST_TEST(c[3].config().voters.contains(node_id{3}));  // still believes it votes
    c.net().recover();
    c.run(5);
    BOOST_TEST(c[3].state_machine().restores == 1u);
    BOOST_TEST(c[3].config().learners.contains(node_id{3}));
    BOOST_TEST(c[3].config_index() == c[3].storage().snapshot_index());
    BOOST_TEST(c.applied_payloads(3) == c.applied_payloads(1), boost::test_tools::per_element());
    const term_t t = c[1].term();
    c.tick(3, 100);
    BOOST_TEST(c[3].role() == raft::role::follower);
    BOOST_TEST(c[3].term() == t);
}

// TestRestoreLearnerPromotion: a learner that missed its promotion learns it from a snapshot
// and can then be elected.
BOOST_AUTO_TEST_CASE(a_learner_promoted_by_a_snapshot_can_lead) {
    cluster c{3};
    lead(c);
    add_learners(c, {1, 2, 3}, {4});
    c.net().isolate(node_id{4});
    const auto promoted = c[1].propose_configuration(conf({1, 2, 3, 4}));
    BOOST_TEST_REQUIRE(promoted.has_value());  // 4 had caught up before it was cut off
    for (int i = 0; i < 3; ++i) BOOST_TEST_REQUIRE(c[1].propose("p" + std::to_string(i)).has_value());
    c.deliver();
    BOOST_TEST_REQUIRE(c[1].commit_index() == c[1].last_index());  // 1, 2, 3 are 3 of 4
    c[1].compact();
    c.net().recover();
    c.run(5);
    BOOST_TEST(c[4].state_machine().restores == 1u);
    BOOST_TEST(c[4].config().voters.contains(node_id{4}));
    BOOST_TEST_REQUIRE(c[1].transfer_leadership(node_id{4}).has_value());
    c.run(3);
    BOOST_TEST(c[4].is_leader());
}

// TestRestoreWithVotersOutgoing: a snapshot taken inside the joint configuration carries it; a
// node restarted from that snapshot is joint, then learns C_new from the leader.
BOOST_AUTO_TEST_CASE(a_node_restarted_from_a_snapshot_taken_while_joint_is_joint) {
    cluster c{3};
    lead(c);
    add_learners(c, {1, 2, 3}, {4, 5});
    // 2 never receives C_new (the entries after C_old,new), only the commit index.
    log_index joint_at{};
    c.net().drop_if([&](const auto& e) {
        const auto* m = std::get_if<raft_append>(&e.message);
        return e.to == node_id{2} && m && joint_at != log_index{} && !m->entries.empty() &&
               joint_at < m->entries.back().index;
    });
    const auto r = c[1].propose_configuration(conf({1, 4, 5}));
    BOOST_TEST_REQUIRE(r.has_value());
    joint_at = *r;
    c.run(3);
    BOOST_TEST_REQUIRE(!c[1].config().joint());
    BOOST_TEST_REQUIRE(c[2].config().joint());
    BOOST_TEST_REQUIRE(c[2].applied_index() == joint_at);
    c[2].compact();
    c.restart(2);
    BOOST_TEST(c[2].state_machine().restores == 1u);
    BOOST_TEST(c[2].config().joint());
    BOOST_TEST((c[2].config().voters_outgoing == node_set{1u, 2u, 3u}));
    BOOST_TEST(c[2].config_index() == joint_at);
    c.net().recover();
    c.run(25);
    BOOST_TEST((c[2].config() == conf({1, 4, 5})));
    BOOST_TEST(c[2].commit_index() >= c[2].config_index());
}

// A cluster restarted inside an uncommitted joint configuration: every node recovers C_old,new
// from its log, the new leader commits it under both quorums with its no-op, then leaves it.
BOOST_AUTO_TEST_CASE(a_cluster_restarted_inside_a_joint_configuration_leaves_it) {
    cluster c{3};
    lead(c);
    add_learners(c, {1, 2, 3}, {4, 5});
    for (std::uint32_t n = 2; n <= 5; ++n) c.net().cut_one_way(node_id{n}, node_id{1});
    const auto joint_at = c[1].propose_configuration(conf({1, 4, 5}));
    BOOST_TEST_REQUIRE(joint_at.has_value());
    c.deliver();
    c.net().recover();
    for (std::uint32_t n = 1; n <= 5; ++n) {
        BOOST_TEST_REQUIRE(c[n].last_index() == *joint_at);
        BOOST_TEST_REQUIRE(c[n].commit_index() < *joint_at);
        c.restart(n);
        BOOST_TEST(c[n].config().joint(), "node " << n);
        BOOST_TEST(c[n].config_index() == *joint_at);
    }
    std::uint32_t l = 0;
    for (int k = 0; k < 200 && l == 0; ++k) {
        c.run(1);
        l = c.leader_id();
    }
    BOOST_TEST_REQUIRE(l != 0u);
    c.run(10);
    l = c.leader_id();
    BOOST_TEST_REQUIRE(l != 0u);
    BOOST_TEST((c[l].config() == conf({1, 4, 5})));
    BOOST_TEST(c[l].commit_index() >= c[l].config_index());
    // C_old,new and C_new each appear once: the joint configuration was left once.
    int configs = 0;
    for (const auto& e : c.log_of(l)) configs += e.kind == entry_kind::configuration;
    BOOST_TEST(configs == 3);  // the learners' entry, C_old,new, C_new
}

// confchange_v1_remove_leader: while C_new (without the leader) is uncommitted, the leader does
// not count itself: an entry needs both 2 and 3.
BOOST_AUTO_TEST_CASE(a_leader_outside_c_new_does_not_count_itself) {
    cluster c{3};
    lead(c);
    c.net().isolate(node_id{3});
    const auto at = c[1].propose_configuration(conf({2, 3}));
    BOOST_TEST_REQUIRE(at.has_value());
    BOOST_TEST_REQUIRE(c[1].propose("bar").has_value());
    c.deliver();
    BOOST_TEST(c[1].is_leader());
    BOOST_TEST(c[2].last_index() == c[1].last_index());  // 1 and 2 hold everything
    BOOST_TEST(c[1].commit_index() < *at);               // but {1, 2} is not a quorum of {2, 3}
    // Check-quorum judges with C_new too: only 2 of {2, 3} answers, so the leader steps down.
    c.tick(1, 2 * 10);
    BOOST_TEST(!c[1].is_leader());
}

// A ReadIndex on a leader outside C_new: its own acknowledgement does not count.
BOOST_AUTO_TEST_CASE(a_read_on_a_leader_outside_c_new_needs_a_quorum_of_c_new) {
    raft_fixture<raft::features{.check_quorum = true, .read_index = true, .membership = true}> c{3};
    lead(c);
    c.net().isolate(node_id{3});
    const auto at = c[1].propose_configuration(conf({2, 3}));
    BOOST_TEST_REQUIRE(at.has_value());
    c.deliver();
    BOOST_TEST_REQUIRE(c[1].read_index(7).has_value());
    c.deliver();
    c.tick(1);
    c.deliver();
    BOOST_TEST(c[1].state_machine().reads.empty());  // acknowledged by 1 and 2 only
    c.net().recover();
    c.run(3);
    // C_new commits and the leader steps down, or the read is confirmed by 2 and 3: either
    // way it is answered, and served only if confirmed.
    BOOST_TEST_REQUIRE(c[1].state_machine().reads.size() == 1u);
    const auto& [ready, applied] = c[1].state_machine().reads.front();
    BOOST_TEST(ready.context == 7u);
    if (ready.ok) BOOST_TEST(ready.index >= log_index{1});
}

// Ongaro's single-server change bug (raft-dev, July 2015; SCENARIOS M9c), driven step by step:
// a new leader that changed the configuration before committing an entry of its term could see
// that change overwritten. Here it must first commit its no-op, which makes the old leader's
// log out of date, so the committed change stays.
BOOST_AUTO_TEST_CASE(the_single_server_change_bug_interleaving_cannot_lose_a_committed_change) {
    // Pre-vote without check-quorum: votes are decided by logs alone, as in the report.
    raft_fixture<raft::features{.pre_vote = true, .membership = true}> c{4};
    lead(c);
    add_learners(c, {1, 2, 3, 4}, {5});
    // Term 1: leader 1 promotes 5, and only 5 receives it.
    for (std::uint32_t n : {2u, 3u, 4u}) c.net().isolate(node_id{n});
    const auto plus5 = c[1].propose_configuration(conf({1, 2, 3, 4, 5}));
    BOOST_TEST_REQUIRE(plus5.has_value());
    c.deliver();
    BOOST_TEST_REQUIRE(c[5].last_index() == *plus5);
    c.net().recover();
    c.net().isolate(node_id{1});
    c.net().isolate(node_id{5});
    // Term 2: 2 is elected by 2, 3, 4 and tries to remove 1 at once: refused until its no-op
    // commits.
    elect(c, 2);
    BOOST_TEST_REQUIRE(c[2].is_leader());
    BOOST_TEST(c[2].propose_configuration(conf({2, 3, 4}, {5})).error() == errc::change_in_progress);
    c.deliver();  // the no-op commits with 3 and 4 (a majority of the old voters 1..4)
    BOOST_TEST_REQUIRE(c[4].last_index() == *plus5);
    // C-1 commits with 2 and 3 alone, a majority of {2, 3, 4}; 4 never sees it. Without the
    // guard this is the report's state: C-1 committed, and 4 holding nothing of term 2.
    c.net().isolate(node_id{4});
    const auto minus1 = c[2].propose_configuration(conf({2, 3, 4}, {5}));
    BOOST_TEST_REQUIRE(minus1.has_value());
    BOOST_TEST_REQUIRE(*minus1 == *plus5 + 1);  // after the no-op, at C+5's index + 1
    c.deliver();
    BOOST_TEST_REQUIRE(c[2].commit_index() >= *minus1);
    BOOST_TEST_REQUIRE(c[4].last_index() < *minus1);
    // 1 restarts and comes back with 5; 1 campaigns with C+5 while 2 and 3 are away: it must
    // not win: 4 holds the term-2 no-op, so 1's log is not up to date, and only 5 grants.
    c.restart(1);
    BOOST_TEST_REQUIRE(c[1].config().voters.contains(node_id{5}));
    c.net().recover();
    c.net().isolate(node_id{2});
    c.net().isolate(node_id{3});
    for (int k = 0; k < 5; ++k) {
        c.hup(1);
        c.deliver();
        BOOST_TEST(!c[1].is_leader());
        BOOST_TEST(c[4].term() == term_t{2});  // not even a pre-election won
    }
    c.net().recover();
    c.run(40);
    // Whoever leads, the committed C-1 stays at its index, and every node ends up holding it.
    for (std::uint32_t n = 1; n <= 5; ++n) {
        const auto log = c.log_of(n);
        const auto it = std::find_if(log.begin(), log.end(),
                                     [&](const raft_entry& e) { return e.index == *minus1; });
        BOOST_TEST_REQUIRE((it != log.end()), "node " << n);
        BOOST_TEST((it->kind == entry_kind::configuration));
        BOOST_TEST(it->term == term_t{2});
    }
    BOOST_TEST(!c[1].is_leader());
    BOOST_TEST(!c[1].config().contains(node_id{1}));
}

BOOST_AUTO_TEST_SUITE_END()

// Storage without snapshots, compacted by its owner: a restarted node finds its configuration
// in the log, so the owner compacts only through compaction_limit(), which keeps the entry
// holding the latest applied configuration.
BOOST_AUTO_TEST_CASE(an_owner_compacting_through_the_compaction_limit_keeps_the_configuration) {
    raft_fixture<with_membership, storage::static_log<text, 16>> c{3};
    lead(c);
    add_learners(c, {1, 2, 3}, {4});
    BOOST_TEST_REQUIRE(c[1].propose("x").has_value());
    c.run(3);
    const log_index limit = c[2].compaction_limit();
    BOOST_TEST(limit < c[2].config_index());
    BOOST_TEST(limit < c[2].applied_index());
    auto& log = c[2].storage();
    log.compact_through(limit, log.term_at(limit));
    c.restart(2);
    BOOST_TEST(c[2].config().learners.contains(node_id{4}));
    // Without membership there is nothing to keep: the limit is the applied index.
    raft_fixture<raft::features{}, storage::static_log<text, 16>> plain{3};
    plain.hup(1);
    plain.deliver();
    BOOST_TEST(plain[2].compaction_limit() == plain[2].applied_index());
}
