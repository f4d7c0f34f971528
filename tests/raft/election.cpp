// Elections, terms and state transitions beyond the paper suite (Raft 5.2, 5.4.1; thesis 9.6
// pre-vote), restated from ../shared/SCENARIOS.md section 2.1 (E1 to E17).
#include <boost/test/unit_test.hpp>

#include "raft/fixture.hpp"

using namespace synod;
using namespace synod::test;
using raft::role;

namespace {
constexpr raft::features pre_vote{.pre_vote = true};
using plain = raft_fixture<>;
using with_pre_vote = raft_fixture<pre_vote>;

template <class Cluster>
void dead(Cluster& c, std::initializer_list<std::uint32_t> ids) {
    for (auto id : ids) c.net().isolate(node_id{id});
}
}  // namespace

BOOST_AUTO_TEST_SUITE(raft_election)

template <class Cluster>
void leader_election_table(bool pv) {
    struct row {
        std::size_t size;
        std::vector<std::uint32_t> dead;
        role expected;
        std::uint64_t term, pre_vote_term;
    };
    const row rows[] = {
        {3, {}, role::leader, 1, 1},
        {3, {3}, role::leader, 1, 1},
        {3, {2, 3}, role::candidate, 1, 0},
        {4, {2, 3}, role::candidate, 1, 0},
        {5, {2, 3}, role::leader, 1, 1},
    };
    int r = 0;
    for (const row& x : rows) {
        BOOST_TEST_CONTEXT("row " << r++) {
            Cluster c{x.size};
            for (auto d : x.dead) c.net().isolate(node_id{d});
            c.hup(1);
            c.deliver();
            const role expected =
                (pv && x.expected == role::candidate) ? role::pre_candidate : x.expected;
            BOOST_TEST(c[1].role() == expected);
            BOOST_TEST(c[1].term() == term_t{pv ? x.pre_vote_term : x.term});
        }
    }
    // Node 1's log is behind those of 2, 3 and 4: a majority rejects it.
    Cluster c{5};
    for (std::uint32_t i : {2u, 3u}) c.restore(i, hard_state{term_t{1}, no_node, {}}, terms({1}));
    c.restore(4, hard_state{term_t{1}, no_node, {}}, terms({1, 1}));
    c.hup(1);
    c.deliver();
    BOOST_TEST(c[1].role() == role::follower);
    BOOST_TEST(c[1].term() == term_t{1});
}

BOOST_AUTO_TEST_CASE(e1_leader_election_depends_on_live_voters_and_their_logs) {
    leader_election_table<plain>(false);
}
BOOST_AUTO_TEST_CASE(e1_leader_election_with_pre_vote) { leader_election_table<with_pre_vote>(true); }

template <class Cluster>
void leader_cycle() {
    Cluster c{3};
    for (std::uint32_t campaigner = 1; campaigner <= 3; ++campaigner) {
        c.hup(campaigner);
        c.deliver();
        for (std::uint32_t i = 1; i <= 3; ++i)
            BOOST_TEST(c[i].role() == (i == campaigner ? role::leader : role::follower),
                       "campaigner " << campaigner << " node " << i);
    }
}
BOOST_AUTO_TEST_CASE(e2_each_node_can_win_in_turn) { leader_cycle<plain>(); }
BOOST_AUTO_TEST_CASE(e2_each_node_can_win_in_turn_with_pre_vote) { leader_cycle<with_pre_vote>(); }

template <class Cluster>
void overwrite_newer_logs() {
    Cluster c{5};
    c.restore(1, hard_state{term_t{1}, no_node, {}}, terms({1}));
    c.restore(2, hard_state{term_t{1}, no_node, {}}, terms({1}));
    c.restore(3, hard_state{term_t{2}, node_id{3}, {}}, terms({2}));
    c.restore(4, hard_state{term_t{2}, node_id{3}, {}}, {});
    c.restore(5, hard_state{term_t{2}, node_id{3}, {}}, {});
    c.hup(1);
    c.deliver();
    BOOST_TEST(c[1].role() == role::follower);
    BOOST_TEST(c[1].term() == term_t{2});
    c.hup(1);
    c.deliver();
    BOOST_TEST_REQUIRE(c[1].role() == role::leader);
    BOOST_TEST(c[1].term() == term_t{3});
    for (std::uint32_t i = 1; i <= 5; ++i) {
        const auto log = c.log_of(i);
        BOOST_TEST_REQUIRE(log.size() == 2u, "node " << i);
        BOOST_TEST(log[0].term == term_t{1});
        BOOST_TEST(log[1].term == term_t{3});  // node 3's term-2 entry was overwritten
    }
}
BOOST_AUTO_TEST_CASE(e3_a_new_leader_overwrites_uncommitted_higher_term_entries) {
    overwrite_newer_logs<plain>();
}
BOOST_AUTO_TEST_CASE(e3_a_new_leader_overwrites_uncommitted_higher_term_entries_with_pre_vote) {
    overwrite_newer_logs<with_pre_vote>();
}

template <class Cluster>
void vote_from_any_state(bool pre) {
    for (role start : {role::follower, role::pre_candidate, role::candidate, role::leader}) {
        if (start == role::pre_candidate && !Cluster::node_type::features.pre_vote) continue;
        BOOST_TEST_CONTEXT("from " << start << (pre ? " (pre-vote)" : "")) {
            Cluster c{3};
            c[1].on(append(1, 3, 0, 0, 0));  // term 1, following node 3
            if (start == role::pre_candidate || start == role::candidate) {
                c.hup(1);
                if (start == role::candidate && Cluster::node_type::features.pre_vote)
                    c[1].on(raft_message{raft::vote_response{c[1].term().next(), node_id{3}, true, true}});
            }
            if (start == role::leader) elect(c, 1);
            BOOST_TEST_REQUIRE(c[1].role() == start);
            const term_t t = c[1].term();
            c.drain();
            c[1].on(raft_message{raft::vote_request{t.next(), node_id{2}, log_index{42}, t.next(),
                                                    pre, false}});
            const auto out = of_type<raft::vote_response>(c.drain());
            BOOST_TEST_REQUIRE(out.size() == 1u);
            BOOST_TEST(out[0].second.granted);
            BOOST_TEST(out[0].second.pre_vote == pre);
            if (pre) {
                BOOST_TEST(c[1].role() == start);
                BOOST_TEST(c[1].term() == t);
            } else {
                BOOST_TEST(c[1].role() == role::follower);
                BOOST_TEST(c[1].term() == t.next());
                BOOST_TEST(c[1].vote() == node_id{2});
            }
        }
    }
}
BOOST_AUTO_TEST_CASE(e4_a_newer_candidate_gets_a_vote_from_any_state) {
    vote_from_any_state<plain>(false);
}
BOOST_AUTO_TEST_CASE(e4_a_newer_pre_candidate_gets_a_pre_vote_from_any_state) {
    vote_from_any_state<with_pre_vote>(true);
}

BOOST_AUTO_TEST_CASE(e5_duelling_candidates_disrupt_without_pre_vote) {
    plain c{3};
    c.net().cut(node_id{1}, node_id{3});
    c.hup(1);
    c.deliver();
    c.hup(3);
    c.deliver();
    BOOST_TEST(c[1].role() == role::leader);
    BOOST_TEST(c[3].role() == role::candidate);  // 2 already voted, and 3's log is shorter
    c.net().recover();
    c.hup(3);
    c.deliver();
    for (std::uint32_t i = 1; i <= 3; ++i) {
        BOOST_TEST(c[i].role() == role::follower, "node " << i);
        BOOST_TEST(c[i].term() == term_t{2}, "node " << i);
    }
    BOOST_TEST(c[1].last_index() == log_index{1});
    BOOST_TEST(c[2].last_index() == log_index{1});
    BOOST_TEST(c[3].last_index() == log_index{0});
}

BOOST_AUTO_TEST_CASE(e5_duelling_pre_candidates_do_not_disrupt_the_leader) {
    with_pre_vote c{3};
    c.net().cut(node_id{1}, node_id{3});
    c.hup(1);
    c.deliver();
    c.hup(3);
    c.deliver();
    BOOST_TEST(c[1].role() == role::leader);
    BOOST_TEST(c[3].role() == role::follower);  // its pre-vote failed
    c.net().recover();
    c.hup(3);
    c.deliver();
    BOOST_TEST(c[1].role() == role::leader);
    for (std::uint32_t i = 1; i <= 3; ++i) BOOST_TEST(c[i].term() == term_t{1}, "node " << i);
    BOOST_TEST(c[3].last_index() == log_index{0});
}

BOOST_AUTO_TEST_CASE(e6_an_isolated_candidate_concedes_to_the_new_leader) {
    plain c{3};
    c.net().isolate(node_id{1});
    c.hup(1);
    c.hup(3);
    c.deliver();
    BOOST_TEST_REQUIRE(c[3].is_leader());
    c.net().recover();
    c.tick(3);  // heartbeat
    c.deliver();
    BOOST_TEST_REQUIRE(c[3].propose(std::string{"force follower"}).has_value());
    c.deliver();
    c.tick(3);
    c.deliver();
    BOOST_TEST(c[1].role() == role::follower);
    BOOST_TEST(c[1].term() == term_t{1});
    for (std::uint32_t i = 1; i <= 3; ++i) {
        const auto log = c.log_of(i);
        BOOST_TEST_REQUIRE(log.size() == 2u, "node " << i);
        BOOST_TEST((log[0].kind == entry_kind::noop));
        BOOST_TEST(log[1].payload == "force follower");
    }
}

BOOST_AUTO_TEST_CASE(e7_a_single_node_elects_itself_and_a_leader_ignores_campaign) {
    plain a{1};
    a.hup(1);
    BOOST_TEST(a[1].role() == role::leader);
    with_pre_vote b{1};
    b.hup(1);
    BOOST_TEST(b[1].role() == role::leader);
    BOOST_TEST(b[1].term() == term_t{1});
    b.hup(1);
    BOOST_TEST(b[1].role() == role::leader);
    BOOST_TEST(b[1].term() == term_t{1});
}

BOOST_AUTO_TEST_CASE(e8_an_old_leaders_append_is_ignored) {
    plain c{3};
    c.hup(1);
    c.deliver();
    c.hup(2);
    c.deliver();
    c.hup(1);
    c.deliver();
    BOOST_TEST_REQUIRE(c[1].is_leader());
    BOOST_TEST_REQUIRE(c[1].term() == term_t{3});
    const std::vector<raft_entry> stale{ent(3, 2, "stale")};
    c[1].on(append(2, 2, 2, 2, 0, stale));
    c.deliver();
    BOOST_TEST_REQUIRE(c[1].propose(std::string{"somedata"}).has_value());
    c.deliver();
    for (std::uint32_t i = 1; i <= 3; ++i) {
        const auto log = c.log_of(i);
        BOOST_TEST_REQUIRE(log.size() == 4u, "node " << i);
        BOOST_TEST(log[0].term == term_t{1});
        BOOST_TEST(log[1].term == term_t{2});
        BOOST_TEST(log[2].term == term_t{3});
        BOOST_TEST((log[3] == ent(4, 3, "somedata")));
    }
}

BOOST_AUTO_TEST_CASE(e9_a_proposal_commits_only_with_a_live_majority) {
    struct row {
        std::size_t size;
        std::vector<std::uint32_t> dead;
        bool committed;
    };
    const row rows[] = {{3, {}, true}, {3, {3}, true}, {3, {2, 3}, false}, {4, {2, 3}, false},
                        {5, {2, 3}, true}};
    int r = 0;
    for (const row& x : rows) {
        BOOST_TEST_CONTEXT("row " << r++) {
            plain c{x.size};
            for (auto d : x.dead) c.net().isolate(node_id{d});
            c.hup(1);
            c.deliver();
            const auto res = c[1].propose(std::string{"somedata"});
            c.deliver();
            BOOST_TEST(res.has_value() == x.committed);
            if (!res) BOOST_TEST(res.error() == errc::not_leader);
            for (std::uint32_t i = 1; i <= x.size; ++i) {
                bool live = true;
                for (auto d : x.dead) live = live && d != i;
                if (!live) continue;
                const auto applied = c.applied_payloads(i);
                BOOST_TEST((applied == std::vector<std::string>{"somedata"}) == x.committed,
                           "node " << i);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(e9_a_follower_refuses_a_proposal_and_names_the_leader) {
    plain c{3};
    c.hup(1);
    c.deliver();
    const auto res = c[2].propose(std::string{"x"});
    BOOST_TEST_REQUIRE(!res);
    BOOST_TEST(res.error() == errc::not_leader);
    BOOST_TEST(c[2].leader() == node_id{1});
}

BOOST_AUTO_TEST_CASE(e11_a_new_leader_cannot_commit_old_entries_without_its_own) {
    for (bool ignore_appends : {true, false}) {
        BOOST_TEST_CONTEXT((ignore_appends ? "cannot" : "with")) {
            plain c{5};
            c.hup(1);
            c.deliver();
            for (std::uint32_t i : {3u, 4u, 5u}) c.net().cut(node_id{1}, node_id{i});
            BOOST_TEST_REQUIRE(c[1].propose(std::string{"a"}).has_value());
            BOOST_TEST_REQUIRE(c[1].propose(std::string{"b"}).has_value());
            c.deliver();
            BOOST_TEST(c[1].commit_index() == log_index{1});
            c.net().recover();
            if (ignore_appends)
                c.net().drop_if([](const auto& e) {
                    return std::holds_alternative<raft_append>(e.message);
                });
            c.hup(2);
            c.deliver();
            BOOST_TEST_REQUIRE(c[2].is_leader());
            if (ignore_appends) {
                BOOST_TEST(c[2].commit_index() == log_index{1});
                c.net().recover();
                c.tick(2);
                c.deliver();
                BOOST_TEST_REQUIRE(c[2].propose(std::string{"c"}).has_value());
                c.deliver();
                BOOST_TEST(c[2].commit_index() == log_index{5});
            } else {
                BOOST_TEST(c[2].commit_index() == log_index{4});
            }
        }
    }
}

template <class Cluster>
void receive_vote_table(bool pre) {
    struct row {
        role state;
        std::uint64_t index, log_term;
        std::uint32_t voted;
        bool reject;
    };
    std::vector<row> rows;
    for (std::uint64_t t : {0, 1, 2}) rows.push_back({role::follower, 0, t, 0, true});
    rows.push_back({role::follower, 0, 3, 0, false});
    for (std::uint64_t t : {0, 1, 2}) rows.push_back({role::follower, 1, t, 0, true});
    rows.push_back({role::follower, 1, 3, 0, false});
    for (std::uint64_t t : {0, 1}) rows.push_back({role::follower, 2, t, 0, true});
    for (std::uint64_t t : {2, 3}) rows.push_back({role::follower, 2, t, 0, false});
    for (std::uint64_t t : {0, 1}) rows.push_back({role::follower, 3, t, 0, true});
    for (std::uint64_t t : {2, 3}) rows.push_back({role::follower, 3, t, 0, false});
    rows.push_back({role::follower, 3, 2, 2, false});
    rows.push_back({role::follower, 3, 2, 1, true});
    rows.push_back({role::leader, 3, 3, 1, true});
    rows.push_back({role::candidate, 3, 3, 1, true});
    int r = 0;
    for (const row& x : rows) {
        BOOST_TEST_CONTEXT("row " << r++ << (pre ? " (pre-vote)" : "")) {
            Cluster c{3};
            const std::uint64_t term = std::max<std::uint64_t>(2, x.log_term);
            c.restore(1, hard_state{term_t{term}, node_id{x.voted}, {}}, terms({2, 2}));
            if (x.state == role::leader) {
                // Leading its current term: it voted for itself.
                elect(c, 1);
            } else if (x.state == role::candidate) {
                c.hup(1);
                if constexpr (Cluster::node_type::features.pre_vote)
                    c[1].on(raft_message{raft::vote_response{c[1].term().next(), node_id{3}, true, true}});
            }
            BOOST_TEST_REQUIRE(c[1].role() == x.state);
            c.drain();
            c[1].on(raft_message{raft::vote_request{c[1].term(), node_id{2}, log_index{x.index},
                                                    term_t{x.log_term}, pre, false}});
            const auto out = of_type<raft::vote_response>(c.drain());
            BOOST_TEST_REQUIRE(out.size() == 1u);
            BOOST_TEST(out[0].second.granted == !x.reject);
        }
    }
}
BOOST_AUTO_TEST_CASE(e14_votes_follow_the_up_to_date_rule_and_the_existing_vote) {
    receive_vote_table<plain>(false);
}

BOOST_AUTO_TEST_CASE(e16_every_role_steps_down_on_a_higher_term_vote_or_append) {
    for (role start : {role::follower, role::pre_candidate, role::candidate, role::leader}) {
        for (bool via_append : {false, true}) {
            BOOST_TEST_CONTEXT(start << (via_append ? " then append" : " then vote")) {
                with_pre_vote c{3};
                c[1].on(append(1, 2, 0, 0, 0));
                if (start == role::pre_candidate) c.hup(1);
                if (start == role::candidate) {
                    c.hup(1);
                    c[1].on(raft_message{raft::vote_response{term_t{2}, node_id{2}, true, true}});
                }
                if (start == role::leader) elect(c, 1);
                BOOST_TEST_REQUIRE(c[1].role() == start);
                const log_index last = c[1].last_index();
                c.drain();
                if (via_append) {
                    c[1].on(append(3, 2, 0, 0, 0));
                } else {
                    c[1].on(raft_message{raft::vote_request{term_t{3}, node_id{2}, log_index{5},
                                                            term_t{3}, false, false}});
                }
                BOOST_TEST(c[1].role() == role::follower);
                BOOST_TEST(c[1].term() == term_t{3});
                BOOST_TEST(c[1].last_index() == last);
                BOOST_TEST(c[1].leader() == (via_append ? node_id{2} : no_node));
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(e17_a_stale_candidate_rejoins_at_the_leaders_term) {
    plain c{3};
    c.hup(1);
    c.deliver();
    c.net().isolate(node_id{3});
    c.hup(2);
    c.deliver();
    c.hup(1);
    c.deliver();
    BOOST_TEST_REQUIRE(c[1].is_leader());
    const term_t leader_term = c[1].term();
    c.tick(3, 2 * 10);  // 3 times out and campaigns, alone
    BOOST_TEST_REQUIRE(c[3].role() == role::candidate);
    c.net().recover();
    c.net().clear();
    c.tick(1);  // heartbeat
    c.deliver();
    // 3's term is not above the leader's, so the heartbeat wins it back.
    BOOST_TEST(c[3].term() == leader_term);
    BOOST_TEST(c[3].role() == role::follower);
    BOOST_TEST(c[1].is_leader());
}

BOOST_AUTO_TEST_SUITE_END()
