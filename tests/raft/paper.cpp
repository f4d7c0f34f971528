// The Raft-paper conformance suite (Ongaro & Ousterhout 2014, sections 5.1 to 5.4), restated
// from ../shared/SCENARIOS.md section 1 (P1 to P21) against synod's API.
#include <boost/test/unit_test.hpp>

#include <set>

#include "raft/fixture.hpp"

using namespace synod;
using namespace synod::test;
using raft::role;

namespace {

using cluster = raft_fixture<>;

// Leader at term 1 whose no-op (index 1) both followers acknowledged.
void leader_with_committed_noop(cluster& c) {
    c.hup(1);
    c.deliver();
    BOOST_TEST_REQUIRE(c[1].is_leader());
    BOOST_TEST_REQUIRE(c[1].commit_index() == log_index{1});
}

}  // namespace

BOOST_AUTO_TEST_SUITE(raft_paper)

// ---- 5.1 terms ------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(p1_every_role_adopts_a_higher_term_and_becomes_follower) {
    for (role start : {role::follower, role::candidate, role::leader}) {
        BOOST_TEST_CONTEXT("starting as " << start) {
            cluster c{3};
            if (start == role::follower) c[1].on(append(1, 2, 0, 0, 0));
            if (start == role::candidate) c.hup(1);
            if (start == role::leader) elect(c, 1);
            BOOST_TEST_REQUIRE(c[1].role() == start);
            BOOST_TEST(c[1].term() == term_t{1});
            c[1].on(append(2, 2, 0, 0, 0));
            BOOST_TEST(c[1].term() == term_t{2});
            BOOST_TEST(c[1].role() == role::follower);
            BOOST_TEST(c[1].leader() == node_id{2});
        }
    }
}

BOOST_AUTO_TEST_CASE(p2_a_stale_term_message_changes_nothing_and_tells_the_sender_our_term) {
    cluster c{3};
    c.restore(1, hard_state{term_t{2}, no_node, {}}, {});
    const std::vector<raft_entry> es{ent(1, 1, "stale")};
    c[1].on(append(1, 2, 0, 0, 1, es));
    BOOST_TEST(c[1].term() == term_t{2});
    BOOST_TEST(c[1].leader() == no_node);
    BOOST_TEST(c[1].last_index() == log_index{0});
    const auto out = of_type<raft::append_response>(c.drain());
    BOOST_TEST_REQUIRE(out.size() == 1u);
    BOOST_TEST(out[0].second.term == term_t{2});
    BOOST_TEST(!out[0].second.success);
}

// ---- 5.2 leader election --------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(p3_a_new_node_starts_as_follower) {
    cluster c{3};
    BOOST_TEST(c[1].role() == role::follower);
    BOOST_TEST(c[1].term() == term_t{0});
}

BOOST_AUTO_TEST_CASE(p4_a_leader_heartbeats_every_follower_with_an_empty_append) {
    cluster c{3};
    elect(c, 1);
    for (int i = 0; i < 10; ++i) BOOST_TEST_REQUIRE(c[1].propose(std::string{"x"}).has_value());
    c.drain();
    c.tick(1);  // HT = 1
    const auto out = c.drain();
    BOOST_TEST_REQUIRE(out.size() == 2u);
    std::set<std::uint32_t> to;
    for (const auto& [dst, m] : of_type<raft_append>(out)) {
        to.insert(dst.value);
        BOOST_TEST(m.term == term_t{1});
        BOOST_TEST(m.commit == log_index{0});
        BOOST_TEST(m.entries.empty());
    }
    BOOST_TEST((to == std::set<std::uint32_t>{2, 3}));
}

BOOST_AUTO_TEST_CASE(p5_followers_and_candidates_start_an_election_after_the_timeout) {
    for (bool from_candidate : {false, true}) {
        BOOST_TEST_CONTEXT((from_candidate ? "candidate" : "follower")) {
            cluster c{3};
            if (from_candidate) {
                c.hup(1);
            } else {
                c[1].on(append(1, 2, 0, 0, 0));
            }
            BOOST_TEST_REQUIRE(c[1].term() == term_t{1});
            c.drain();
            c.tick(1, 2 * 10 - 1);
            BOOST_TEST(c[1].term() == term_t{2});
            BOOST_TEST(c[1].role() == role::candidate);
            BOOST_TEST(c[1].vote() == node_id{1});
            const auto out = c.drain();
            const auto votes = of_type<raft::vote_request>(out);
            BOOST_TEST_REQUIRE(out.size() == 2u);
            BOOST_TEST_REQUIRE(votes.size() == 2u);
            BOOST_TEST(votes[0].first == node_id{2});
            BOOST_TEST(votes[1].first == node_id{3});
            for (const auto& [dst, m] : votes) {
                BOOST_TEST(m.term == term_t{2});
                BOOST_TEST(m.last_index == log_index{0});
                BOOST_TEST(m.last_term == term_t{0});
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(p6_one_round_of_votes_decides_the_election) {
    struct row {
        std::size_t size;
        std::vector<std::pair<std::uint32_t, bool>> votes;
        role expected;
    };
    const row rows[] = {
        {1, {}, role::leader},
        {3, {{2, true}, {3, true}}, role::leader},
        {3, {{2, true}}, role::leader},
        {5, {{2, true}, {3, true}, {4, true}, {5, true}}, role::leader},
        {5, {{2, true}, {3, true}, {4, true}}, role::leader},
        {5, {{2, true}, {3, true}}, role::leader},
        {3, {{2, false}, {3, false}}, role::follower},
        {5, {{2, false}, {3, false}, {4, false}, {5, false}}, role::follower},
        {5, {{2, true}, {3, false}, {4, false}, {5, false}}, role::follower},
        {3, {}, role::candidate},
        {5, {{2, true}}, role::candidate},
        {5, {{2, false}, {3, false}}, role::candidate},
        {5, {}, role::candidate},
    };
    int r = 0;
    for (const row& x : rows) {
        BOOST_TEST_CONTEXT("row " << r++) {
            cluster c{x.size};
            c.hup(1);
            for (auto [from, granted] : x.votes)
                c[1].on(raft_message{raft::vote_response{term_t{1}, node_id{from}, granted, false}});
            BOOST_TEST(c[1].role() == x.expected);
            BOOST_TEST(c[1].term() == term_t{1});
        }
    }
}

BOOST_AUTO_TEST_CASE(p7_a_follower_votes_first_come_first_served_within_a_term) {
    const std::pair<std::uint32_t, std::uint32_t> rows[] = {{0, 2}, {0, 3}, {2, 2},
                                                            {3, 3}, {2, 3}, {3, 2}};
    for (auto [voted, candidate] : rows) {
        BOOST_TEST_CONTEXT("voted " << voted << " candidate " << candidate) {
            cluster c{3};
            c.restore(1, hard_state{term_t{1}, node_id{voted}, {}}, {});
            c[1].on(raft_message{raft::vote_request{term_t{1}, node_id{candidate}, log_index{0},
                                                    term_t{0}, false, false}});
            const auto out = of_type<raft::vote_response>(c.drain());
            BOOST_TEST_REQUIRE(out.size() == 1u);
            BOOST_TEST(out[0].first == node_id{candidate});
            BOOST_TEST(out[0].second.term == term_t{1});
            BOOST_TEST(out[0].second.granted == !(voted != 0 && voted != candidate));
        }
    }
}

BOOST_AUTO_TEST_CASE(p8_a_candidate_falls_back_to_follower_for_a_legitimate_leader) {
    for (std::uint64_t t : {1u, 2u}) {
        BOOST_TEST_CONTEXT("leader term " << t) {
            cluster c{3};
            c.hup(1);
            c[1].on(append(t, 2, 0, 0, 0));
            BOOST_TEST(c[1].role() == role::follower);
            BOOST_TEST(c[1].term() == term_t{t});
            BOOST_TEST(c[1].leader() == node_id{2});
        }
    }
}

BOOST_AUTO_TEST_CASE(p9_election_timeouts_are_randomized_over_the_whole_range) {
    for (bool candidate : {false, true}) {
        BOOST_TEST_CONTEXT((candidate ? "candidate" : "follower")) {
            cluster c{3};
            std::set<std::size_t> seen;
            for (int round = 0; round < 50 * 10; ++round) {
                if (candidate) {
                    c.hup(1);
                } else {
                    // Re-enter follower at a higher term, with no leader.
                    c[1].on(raft_message{raft::append_response{c[1].term().next(), node_id{2},
                                                               false, {}, {}, {}}});
                }
                c.drain();
                std::size_t ticks = 0;
                while (c.net().pending() == 0 && ticks < 100) {
                    c.tick(1);
                    ++ticks;
                }
                seen.insert(ticks);
            }
            for (std::size_t d = 10; d <= 19; ++d) BOOST_TEST(seen.count(d) == 1u, "d=" << d);
            BOOST_TEST(*seen.begin() >= 10u);
            BOOST_TEST(*seen.rbegin() <= 19u);
        }
    }
}

BOOST_AUTO_TEST_CASE(p10_randomized_timeouts_rarely_fire_together) {
    for (bool candidate : {false, true}) {
        BOOST_TEST_CONTEXT((candidate ? "candidates" : "followers")) {
            cluster c{5};
            int conflicts = 0;
            for (int round = 0; round < 1000; ++round) {
                for (std::uint32_t i = 1; i <= 5; ++i) {
                    if (candidate) {
                        c.hup(i);
                    } else {
                        c[i].on(raft_message{raft::append_response{c[i].term().next(),
                                                                   node_id{i % 5 + 1}, false,
                                                                   {}, {}, {}}});
                    }
                }
                c.net().clear();
                for (int t = 0; t < 100; ++t) {
                    int fired = 0;
                    for (std::uint32_t i = 1; i <= 5; ++i) {
                        const std::size_t before = c.net().pending();
                        c.tick(i);
                        if (c.net().pending() > before) ++fired;
                    }
                    if (fired > 0) {
                        if (fired > 1) ++conflicts;
                        break;
                    }
                }
                c.net().clear();
            }
            BOOST_TEST(conflicts <= 300, "conflicts " << conflicts << " / 1000");
        }
    }
}

// ---- 5.3 log replication --------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(p11_a_proposal_is_sent_to_every_follower_and_not_yet_committed) {
    cluster c{3};
    leader_with_committed_noop(c);
    c.drain();
    BOOST_TEST_REQUIRE(c[1].propose(std::string{"some data"}).has_value());
    BOOST_TEST(c[1].last_index() == log_index{2});
    BOOST_TEST(c[1].commit_index() == log_index{1});
    const auto out = c.drain();
    const auto apps = of_type<raft_append>(out);
    BOOST_TEST_REQUIRE(out.size() == 2u);
    BOOST_TEST_REQUIRE(apps.size() == 2u);
    for (const auto& [dst, m] : apps) {
        BOOST_TEST(m.term == term_t{1});
        BOOST_TEST(m.prev_index == log_index{1});
        BOOST_TEST(m.prev_term == term_t{1});
        BOOST_TEST(m.commit == log_index{1});
        BOOST_TEST_REQUIRE(m.entries.size() == 1u);
        BOOST_TEST((m.entries[0] == ent(2, 1, "some data")));
    }
}

BOOST_AUTO_TEST_CASE(p12_a_replicated_entry_commits_and_the_commit_reaches_followers) {
    cluster c{3};
    leader_with_committed_noop(c);
    c.drain();
    BOOST_TEST_REQUIRE(c[1].propose(std::string{"some data"}).has_value());
    for (const auto& [dst, m] : of_type<raft_append>(c.drain()))
        c[1].on(raft_message{raft::append_response{term_t{1}, dst, true,
                                                   m.prev_index + m.entries.size(), {}, {}}});
    BOOST_TEST(c[1].commit_index() == log_index{2});
    BOOST_TEST((c.applied_payloads(1) == std::vector<std::string>{"some data"}));
    const auto apps = of_type<raft_append>(c.drain());
    BOOST_TEST_REQUIRE(apps.size() == 2u);
    for (const auto& [dst, m] : apps) BOOST_TEST(m.commit == log_index{2});
}

BOOST_AUTO_TEST_CASE(p13_an_entry_commits_once_a_majority_including_the_leader_holds_it) {
    struct row {
        std::size_t size;
        std::vector<std::uint32_t> acks;
        bool committed;
    };
    const row rows[] = {{1, {}, true},        {3, {}, false},          {3, {2}, true},
                        {3, {2, 3}, true},    {5, {}, false},          {5, {2}, false},
                        {5, {2, 3}, true},    {5, {2, 3, 4}, true},    {5, {2, 3, 4, 5}, true}};
    int r = 0;
    for (const row& x : rows) {
        BOOST_TEST_CONTEXT("row " << r++) {
            cluster c{x.size};
            c.hup(1);
            c.deliver();
            BOOST_TEST_REQUIRE(c[1].commit_index() == log_index{1});
            BOOST_TEST_REQUIRE(c[1].propose(std::string{"x"}).has_value());
            c.drain();
            for (std::uint32_t f : x.acks)
                c[1].on(raft_message{
                    raft::append_response{term_t{1}, node_id{f}, true, log_index{2}, {}, {}}});
            BOOST_TEST((c[1].commit_index() == log_index{2}) == x.committed);
        }
    }
}

BOOST_AUTO_TEST_CASE(p14_committing_a_current_term_entry_commits_every_earlier_one_in_order) {
    const std::vector<std::vector<std::uint64_t>> logs = {{}, {2}, {1, 2}, {1}};
    for (const auto& ts : logs) {
        BOOST_TEST_CONTEXT("pre-existing " << ts.size() << " entries") {
            cluster c{3};
            std::vector<raft_entry> log;
            for (std::size_t i = 0; i < ts.size(); ++i) log.push_back(ent(i + 1, ts[i]));
            c.restore(1, hard_state{term_t{2}, no_node, {}}, log);
            c.hup(1);
            c.deliver();
            BOOST_TEST_REQUIRE(c[1].is_leader());
            BOOST_TEST(c[1].term() == term_t{3});
            BOOST_TEST_REQUIRE(c[1].propose(std::string{"some data"}).has_value());
            c.deliver();
            std::vector<raft_entry> expected = log;
            const std::uint64_t li = log.size();
            expected.push_back(raft_entry{term_t{3}, log_index{li + 1}, entry_kind::noop, {}});
            expected.push_back(ent(li + 2, 3, "some data"));
            BOOST_TEST(c[1].state_machine().applied == expected, boost::test_tools::per_element());
        }
    }
}

BOOST_AUTO_TEST_CASE(p15_a_follower_commits_what_the_leader_committed_among_its_entries) {
    struct row {
        std::vector<raft_entry> entries;
        std::uint64_t commit;
    };
    const row rows[] = {
        {{ent(1, 1, "some data")}, 1},
        {{ent(1, 1, "some data"), ent(2, 1, "some data2")}, 2},
        {{ent(1, 1, "some data2"), ent(2, 1, "some data")}, 2},
        {{ent(1, 1, "some data"), ent(2, 1, "some data2")}, 1},
    };
    int r = 0;
    for (const row& x : rows) {
        BOOST_TEST_CONTEXT("row " << r++) {
            cluster c{3};
            c[1].on(append(1, 2, 0, 0, 0));
            c[1].on(append(1, 2, 0, 0, x.commit, x.entries));
            BOOST_TEST(c[1].commit_index() == log_index{x.commit});
            const std::vector<raft_entry> expected(x.entries.begin(),
                                                   x.entries.begin() + static_cast<long>(x.commit));
            BOOST_TEST(c[1].state_machine().applied == expected, boost::test_tools::per_element());
        }
    }
}

BOOST_AUTO_TEST_CASE(p16_the_consistency_check_rejects_with_a_backtracking_hint) {
    struct row {
        std::uint64_t prev_term, prev_index, index;
        bool reject;
        std::uint64_t hint_index, hint_term;
    };
    const row rows[] = {{0, 0, 1, false, 0, 0},
                        {1, 1, 1, false, 0, 0},
                        {2, 2, 2, false, 0, 0},
                        {1, 2, 2, true, 1, 1},
                        {3, 3, 3, true, 2, 2}};
    for (const row& x : rows) {
        BOOST_TEST_CONTEXT("prev " << x.prev_index << "@" << x.prev_term) {
            cluster c{3};
            c.restore(1, hard_state{term_t{2}, no_node, log_index{1}}, {ent(1, 1), ent(2, 2)});
            c[1].on(append(2, 2, x.prev_index, x.prev_term, 0));
            const auto out = of_type<raft::append_response>(c.drain());
            BOOST_TEST_REQUIRE(out.size() == 1u);
            const auto& m = out[0].second;
            BOOST_TEST(m.term == term_t{2});
            BOOST_TEST(m.index == log_index{x.index});
            BOOST_TEST(m.success == !x.reject);
            if (x.reject) {
                BOOST_TEST(m.hint_index == log_index{x.hint_index});
                BOOST_TEST(m.hint_term == term_t{x.hint_term});
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(p17_a_follower_truncates_only_a_conflicting_suffix) {
    struct row {
        std::uint64_t prev_index, prev_term;
        std::vector<raft_entry> entries;
        std::vector<raft_entry> final_log;
    };
    const row rows[] = {
        {2, 2, {ent(3, 3)}, {ent(1, 1), ent(2, 2), ent(3, 3)}},
        {1, 1, {ent(2, 3), ent(3, 4)}, {ent(1, 1), ent(2, 3), ent(3, 4)}},
        {0, 0, {ent(1, 1)}, {ent(1, 1), ent(2, 2)}},  // a matching prefix: nothing truncated
        {0, 0, {ent(1, 3)}, {ent(1, 3)}},
    };
    int r = 0;
    for (const row& x : rows) {
        BOOST_TEST_CONTEXT("row " << r++) {
            cluster c{3};
            c.restore(1, hard_state{term_t{2}, no_node, {}}, {ent(1, 1), ent(2, 2)});
            c[1].on(append(2, 2, 0, 0, 0));
            c[1].on(append(4, 2, x.prev_index, x.prev_term, 0, x.entries));
            BOOST_TEST(c.log_of(1) == x.final_log, boost::test_tools::per_element());
        }
    }
}

BOOST_AUTO_TEST_CASE(p18_figure_7_every_follower_log_converges_to_the_leaders) {
    const std::vector<std::uint64_t> leader_terms = {1, 1, 1, 4, 4, 5, 5, 6, 6, 6};
    const std::vector<std::vector<std::uint64_t>> follower_terms = {
        {1, 1, 1, 4, 4, 5, 5, 6, 6},             // a: missing one entry
        {1, 1, 1, 4},                            // b: missing many
        {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6},       // c: an extra uncommitted entry
        {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7},    // d: extra entries from a later term
        {1, 1, 1, 4, 4, 4, 4},                   // e: divergent, shorter
        {1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3},       // f: divergent since index 4, longer
    };
    auto make = [](const std::vector<std::uint64_t>& ts) {
        std::vector<raft_entry> log;
        for (std::size_t i = 0; i < ts.size(); ++i)
            log.push_back(ent(i + 1, ts[i], "e" + std::to_string(i + 1) + "t" + std::to_string(ts[i])));
        return log;
    };
    char name = 'a';
    for (const auto& ft : follower_terms) {
        BOOST_TEST_CONTEXT("case " << name++) {
            cluster c{3};
            c.restore(1, hard_state{term_t{8}, no_node, log_index{10}}, make(leader_terms));
            c.restore(2, hard_state{term_t{7}, no_node, {}}, make(ft));
            c.net().isolate(node_id{3});
            c.hup(1);
            c.deliver();
            c[1].on(raft_message{raft::vote_response{term_t{9}, node_id{3}, true, false}});
            BOOST_TEST_REQUIRE(c[1].is_leader());
            BOOST_TEST_REQUIRE(c[1].propose(std::string{}).has_value());
            c.deliver();
            BOOST_TEST(c.log_of(2) == c.log_of(1), boost::test_tools::per_element());
        }
    }
}

// ---- 5.4.1 election restriction -----------------------------------------------------------

BOOST_AUTO_TEST_CASE(p19_a_vote_request_carries_the_last_entry_of_the_log) {
    struct row {
        std::vector<raft_entry> entries;
        std::uint64_t wterm;
    };
    const row rows[] = {{{ent(1, 1)}, 2}, {{ent(1, 1), ent(2, 2)}, 3}};
    for (const row& x : rows) {
        BOOST_TEST_CONTEXT("wterm " << x.wterm) {
            cluster c{3};
            c[1].on(append(x.wterm - 1, 2, 0, 0, 0, x.entries));
            c.drain();
            c.tick(1, 2 * 10 - 1);
            const auto out = c.drain();
            const auto votes = of_type<raft::vote_request>(out);
            BOOST_TEST_REQUIRE(out.size() == 2u);
            BOOST_TEST_REQUIRE(votes.size() == 2u);
            for (const auto& [dst, m] : votes) {
                BOOST_TEST(m.term == term_t{x.wterm});
                BOOST_TEST(m.last_index == x.entries.back().index);
                BOOST_TEST(m.last_term == x.entries.back().term);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(p20_votes_go_only_to_candidates_at_least_as_up_to_date) {
    struct row {
        std::vector<raft_entry> log;
        std::uint64_t last_term, last_index;
        bool reject;
    };
    const row rows[] = {
        {{ent(1, 1)}, 1, 1, false},           {{ent(1, 1)}, 1, 2, false},
        {{ent(1, 1), ent(2, 1)}, 1, 1, true}, {{ent(1, 1)}, 2, 1, false},
        {{ent(1, 1)}, 2, 2, false},           {{ent(1, 1), ent(2, 1)}, 2, 1, false},
        {{ent(1, 2)}, 1, 1, true},            {{ent(1, 2)}, 1, 2, true},
        {{ent(1, 2), ent(2, 2)}, 1, 1, true}, {{ent(1, 1), ent(2, 1)}, 1, 1, true},
    };
    int r = 0;
    for (const row& x : rows) {
        BOOST_TEST_CONTEXT("row " << r++) {
            cluster c{2};
            c.restore(1, hard_state{}, x.log);
            c[1].on(raft_message{raft::vote_request{term_t{3}, node_id{2}, log_index{x.last_index},
                                                    term_t{x.last_term}, false, false}});
            const auto out = of_type<raft::vote_response>(c.drain());
            BOOST_TEST_REQUIRE(out.size() == 1u);
            BOOST_TEST(out[0].second.granted == !x.reject);
        }
    }
}

// ---- 5.4.2 committing entries from previous terms -------------------------------------------

BOOST_AUTO_TEST_CASE(p21_a_leader_commits_by_counting_only_entries_of_its_own_term) {
    const std::pair<std::uint64_t, std::uint64_t> rows[] = {{1, 0}, {2, 0}, {3, 3}};
    for (auto [acked, committed] : rows) {
        BOOST_TEST_CONTEXT("follower acknowledges " << acked) {
            cluster c{2};
            c.restore(1, hard_state{term_t{2}, no_node, {}}, {ent(1, 1), ent(2, 2)});
            elect(c, 1);
            BOOST_TEST_REQUIRE(c[1].term() == term_t{3});
            BOOST_TEST_REQUIRE(c[1].propose(std::string{"x"}).has_value());
            c.drain();
            c[1].on(raft_message{
                raft::append_response{term_t{3}, node_id{2}, true, log_index{acked}, {}, {}}});
            BOOST_TEST(c[1].commit_index() == log_index{committed});
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
