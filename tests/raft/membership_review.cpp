// Membership changes under review (Raft thesis 4; etcd-io/raft confchange; ../shared/SCENARIOS.md
// sections 2.3 and 2.4): leadership transfer against changes, removed peers the leader forgets,
// the joint configuration left on fixed-capacity storage, snapshots that change a node's role,
// restarts inside a joint configuration, and the single-server change guard.
#include <boost/test/unit_test.hpp>

#include <stdexcept>

#include "raft/fixture.hpp"
#include "synod/storage/static.hpp"

using namespace synod;
using namespace synod::test;

namespace {
constexpr raft::features with_membership{.check_quorum = true, .leader_transfer = true,
                                         .membership = true};
using cluster = raft_fixture<with_membership>;

configuration conf(std::initializer_list<std::uint32_t> voters,
                   std::initializer_list<std::uint32_t> learners = {},
                   std::initializer_list<std::uint32_t> outgoing = {}) {
    configuration c;
    for (auto v : voters) c.voters.insert(node_id{v});
    for (auto l : learners) c.learners.insert(node_id{l});
    for (auto o : outgoing) c.voters_outgoing.insert(node_id{o});
    return c;
}

raft_entry conf_entry(std::uint64_t index, std::uint64_t term, const configuration& c) {
    raft_entry e{term_t{term}, log_index{index}, entry_kind::configuration, {}};
    BOOST_TEST_REQUIRE(configuration_codec<std::string>::encode(c, e.payload));
    return e;
}

template <class C>
void lead(C& c, std::uint32_t id = 1) {
    c.hup(id);
    c.deliver();
    BOOST_TEST_REQUIRE(c[id].is_leader());
}

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

BOOST_AUTO_TEST_SUITE_END()
