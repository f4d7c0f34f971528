// Log replication beyond the paper suite: the follower's AppendEntries handler, the leader's
// handling of answers, flow control (probe, pipelined replicate, inflight windows by count and
// bytes, the uncommitted-bytes bound) and fast backtracking. Restated from
// ../shared/SCENARIOS.md sections 2.1 (E10, E12, E13, E19, E20), 2.7 (F1 to F6) and 2.8.
#include <boost/test/unit_test.hpp>

#include "raft/fixture.hpp"

using namespace synod;
using namespace synod::test;
using raft::role;

namespace {
using cluster = raft_fixture<>;

raft_message ack(std::uint64_t term, std::uint32_t from, std::uint64_t index, bool heartbeat = false) {
    return raft::append_response{term_t{term}, node_id{from}, true, log_index{index}, {}, {},
                                 log_index{index}, heartbeat};
}

std::vector<raft_entry> with_terms(const std::vector<std::uint64_t>& ts) {
    std::vector<raft_entry> log;
    for (std::size_t i = 0; i < ts.size(); ++i) log.push_back(ent(i + 1, ts[i]));
    return log;
}

// A leader at term 1 whose followers are all in replicate state with everything acknowledged.
void steady(cluster& c) {
    c.hup(1);
    c.deliver();
    BOOST_TEST_REQUIRE(c[1].is_leader());
    BOOST_TEST_REQUIRE(c[1].progress_of(node_id{2})->state == raft::progress_state::replicate);
}
}  // namespace

BOOST_AUTO_TEST_SUITE(raft_replication)

BOOST_AUTO_TEST_CASE(e10_the_leader_commits_the_quorum_index_of_its_own_term) {
    // Three voters; the leader always holds its whole log.
    struct case3 {
        std::uint64_t m2, m3;
        std::vector<std::uint64_t> log;  // leader log terms (term of the last entry = its term)
        std::uint64_t commit;
    };
    const case3 cases[] = {
        {1, 1, {1, 2}, 0},  // only the leader holds index 2; index 1 is from an older term
        {2, 1, {1, 2}, 2},  // 2 of 3 hold index 2, of the current term
        {1, 1, {2, 2}, 1},  // index 1 is of the current term and held by all
        {0, 0, {2, 2}, 0},
    };
    int r = 0;
    for (const case3& x : cases) {
        BOOST_TEST_CONTEXT("case " << r++) {
            cluster c{3};
            // Restore a log whose last term is T - 1, then win term T: append the entries of
            // term T through proposals so that the leader's own term matches.
            std::vector<raft_entry> log;
            const std::uint64_t t = x.log.back();
            for (std::size_t i = 0; i < x.log.size(); ++i)
                if (x.log[i] < t) log.push_back(ent(i + 1, x.log[i]));
            c.restore(1, hard_state{term_t{t - 1}, no_node, {}}, log);
            elect(c, 1);
            BOOST_TEST_REQUIRE(c[1].term() == term_t{t});
            // The no-op stands for the first entry of term t; propose the rest.
            while (c[1].last_index() < log_index{x.log.size()})
                BOOST_TEST_REQUIRE(c[1].propose(std::string{"x"}).has_value());
            c.drain();
            c[1].on(ack(t, 2, x.m2));
            c[1].on(ack(t, 3, x.m3));
            BOOST_TEST(c[1].commit_index() == log_index{x.commit});
        }
    }
}

BOOST_AUTO_TEST_CASE(e12_the_follower_handler_appends_truncates_commits_and_rejects) {
    struct row {
        std::uint64_t prev_term, prev_index, commit;
        std::vector<raft_entry> entries;
        std::uint64_t want_last, want_commit;
        bool reject;
    };
    const row rows[] = {
        {3, 2, 3, {}, 2, 0, true},                       // mismatch
        {3, 3, 3, {}, 2, 0, true},                       // non-existent
        {1, 1, 1, {}, 2, 1, false},
        {0, 0, 1, {ent(1, 2)}, 1, 1, false},             // conflict truncates to [2@1]
        {2, 2, 3, {ent(3, 2), ent(4, 2)}, 4, 3, false},
        {2, 2, 4, {ent(3, 2)}, 3, 3, false},
        {1, 1, 4, {ent(2, 2)}, 2, 2, false},
        {1, 1, 3, {}, 2, 1, false},                      // commit = min(leader, last new)
        {1, 1, 3, {ent(2, 2)}, 2, 2, false},
        {2, 2, 3, {}, 2, 2, false},
        {2, 2, 4, {}, 2, 2, false},
    };
    int r = 0;
    for (const row& x : rows) {
        BOOST_TEST_CONTEXT("row " << r++) {
            cluster c{3};
            c.restore(1, hard_state{term_t{2}, no_node, {}}, terms({1, 2}));
            c[1].on(append(2, 2, x.prev_index, x.prev_term, x.commit, x.entries));
            BOOST_TEST(c[1].last_index() == log_index{x.want_last});
            BOOST_TEST(c[1].commit_index() == log_index{x.want_commit});
            const auto out = of_type<raft::append_response>(c.drain());
            BOOST_TEST_REQUIRE(out.size() == 1u);
            BOOST_TEST(out[0].second.success == !x.reject);
        }
    }
}

BOOST_AUTO_TEST_CASE(e13_a_heartbeat_advances_the_commit_index_but_never_lowers_it) {
    cluster c{3};
    c.restore(1, hard_state{term_t{3}, no_node, log_index{2}}, terms({1, 2, 3}));
    BOOST_TEST_REQUIRE(c[1].commit_index() == log_index{2});
    c[1].on(raft_message{raft_append{term_t{3}, node_id{2}, log_index{3}, term_t{3}, log_index{3}, {}, true}});
    BOOST_TEST(c[1].commit_index() == log_index{3});
    c[1].on(raft_message{raft_append{term_t{3}, node_id{2}, log_index{3}, term_t{3}, log_index{1}, {}, true}});
    BOOST_TEST(c[1].commit_index() == log_index{3});
    BOOST_TEST(of_type<raft::append_response>(c.drain()).size() == 2u);  // always answered
}

BOOST_AUTO_TEST_CASE(e19_the_leader_backs_off_on_rejection_and_replicates_on_success) {
    struct row {
        std::uint64_t index;
        bool reject;
        std::uint64_t match, next;
        std::size_t messages;
        std::uint64_t sent_prev;
    };
    // Leader log terms(1,1) plus its no-op at 3 (term 2); follower 2 starts at match 0, next 3.
    const row rows[] = {
        {3, true, 0, 3, 0, 0},   // a stale rejection (not of the last probe): ignored
        {2, true, 0, 2, 1, 1},   // back off, probe at prev index 1
        {2, false, 2, 4, 1, 2},  // acknowledged: replicate the rest (index 3)
        {0, false, 0, 4, 1, 0},  // probe acknowledged at 0: replicate everything
    };
    int r = 0;
    for (const row& x : rows) {
        BOOST_TEST_CONTEXT("row " << r++) {
            cluster c{3};
            c.restore(1, hard_state{term_t{1}, no_node, {}}, terms({1, 1}));
            elect(c, 1);
            c.drain();
            const auto* pr = c[1].progress_of(node_id{2});
            BOOST_TEST_REQUIRE(pr->next == log_index{3});
            if (x.reject) {
                c[1].on(raft_message{raft::append_response{term_t{2}, node_id{2}, false,
                                                           log_index{x.index}, log_index{x.index},
                                                           term_t{0}, {}, false}});
            } else {
                c[1].on(ack(2, 2, x.index));
            }
            BOOST_TEST(pr->match == log_index{x.match});
            BOOST_TEST(pr->next == log_index{x.next});
            const auto out = of_type<raft_append>(c.drain());
            BOOST_TEST_REQUIRE(out.size() == x.messages);
            if (x.messages > 0) BOOST_TEST(out[0].second.prev_index == log_index{x.sent_prev});
        }
    }
}

BOOST_AUTO_TEST_CASE(e20_a_late_rejection_never_moves_next_below_the_match) {
    cluster c{3};
    steady(c);
    BOOST_TEST_REQUIRE(c[1].propose(std::string{"a"}).has_value());
    BOOST_TEST_REQUIRE(c[1].propose(std::string{"b"}).has_value());
    auto out = c.drain();
    const auto* pr = c[1].progress_of(node_id{2});
    BOOST_TEST_REQUIRE(pr->next == log_index{4});
    // Follower 2 sees the second AppendEntries first: it rejects it, then takes the first.
    c[1].on(ack(1, 2, 2));
    BOOST_TEST(pr->match == log_index{2});
    c[1].on(raft_message{raft::append_response{term_t{1}, node_id{2}, false, log_index{1},
                                               log_index{1}, term_t{1}, log_index{1}, false}});
    BOOST_TEST(pr->match == log_index{2});
    BOOST_TEST(pr->next == log_index{4});
    BOOST_TEST(pr->state == raft::progress_state::replicate);
}

BOOST_AUTO_TEST_CASE(f1_a_full_inflight_window_stops_sending) {
    raft::settings s = default_settings();
    s.inflight_messages_max = 8;
    cluster c{2, s};
    steady(c);
    c.drain();
    for (int i = 0; i < 8; ++i) {
        BOOST_TEST_REQUIRE(c[1].propose(std::string{"x"}).has_value());
        BOOST_TEST(of_type<raft_append>(c.drain()).size() == 1u);
    }
    for (int i = 0; i < 10; ++i) {
        BOOST_TEST_REQUIRE(c[1].propose(std::string{"y"}).has_value());
        BOOST_TEST(c.drain().empty());
    }
    BOOST_TEST(c[1].progress_of(node_id{2})->inflight.count() == 8u);
}

BOOST_AUTO_TEST_CASE(f2_an_acknowledgement_frees_the_window_up_to_its_index) {
    raft::settings s = default_settings();
    s.inflight_messages_max = 8;
    cluster c{2, s};
    steady(c);
    c.drain();
    for (int i = 0; i < 8; ++i) BOOST_TEST_REQUIRE(c[1].propose(std::string{"x"}).has_value());
    c.drain();
    const auto* pr = c[1].progress_of(node_id{2});
    // Frees messages up to index 3 (entries 2 and 3): two more messages may go.
    c[1].on(ack(1, 2, 3));
    BOOST_TEST(pr->inflight.count() == 6u);
    c.drain();
    for (int i = 0; i < 2; ++i) {
        BOOST_TEST_REQUIRE(c[1].propose(std::string{"z"}).has_value());
        BOOST_TEST(of_type<raft_append>(c.drain()).size() == 1u);
    }
    BOOST_TEST_REQUIRE(c[1].propose(std::string{"w"}).has_value());
    BOOST_TEST(c.drain().empty());
    // A stale acknowledgement frees nothing.
    c[1].on(ack(1, 2, 2));
    BOOST_TEST(pr->inflight.count() == 8u);
}

BOOST_AUTO_TEST_CASE(f3_a_heartbeat_answer_recovers_lost_appends) {
    raft::settings s = default_settings();
    s.inflight_messages_max = 4;
    cluster c{2, s};
    steady(c);
    for (int i = 0; i < 6; ++i) BOOST_TEST_REQUIRE(c[1].propose(std::string{"x"}).has_value());
    c.net().clear();  // every AppendEntries is lost; the window is full
    BOOST_TEST(c[1].progress_of(node_id{2})->inflight.count() == 4u);
    c.tick(1);  // heartbeat; its answer shows the follower never got them
    c.deliver();
    BOOST_TEST(c[2].last_index() == c[1].last_index());
    BOOST_TEST(c[2].commit_index() == c[1].commit_index());
    BOOST_TEST(c[1].commit_index() == c[1].last_index());
}

BOOST_AUTO_TEST_CASE(f4_messages_and_windows_respect_their_byte_limits) {
    raft::settings s = default_settings();
    s.inflight_messages_max = 3;
    s.bytes_per_message_max = 2048;
    s.inflight_bytes_max = 9000;
    cluster c{2, s};
    steady(c);
    c.drain();
    for (int i = 0; i < 22; ++i)
        BOOST_TEST_REQUIRE(
            c[1].propose(std::string(i >= 10 && i < 16 ? 5000 : 1000, 'a')).has_value());
    std::size_t rounds = 0;
    std::uint64_t delivered = 1;
    while (delivered < c[1].last_index().value && rounds < 100) {
        ++rounds;
        const auto out = of_type<raft_append>(c.drain());
        BOOST_TEST_REQUIRE(!out.empty());
        BOOST_TEST(out.size() <= 3u);
        std::size_t window = 0;
        for (const auto& [dst, m] : out) {
            std::size_t bytes = 0;
            for (const auto& e : m.entries) bytes += e.payload.size();
            BOOST_TEST((bytes <= 2048 || m.entries.size() == 1), "one message of " << bytes);
            window += bytes;
            BOOST_TEST(m.prev_index == log_index{delivered});  // in order, no gap
            delivered += m.entries.size();
        }
        BOOST_TEST(window <= 9000u + 5000u);  // the window may overshoot by one message
        c[1].on(ack(1, 2, delivered));
    }
    BOOST_TEST(delivered == c[1].last_index().value);
}

BOOST_AUTO_TEST_CASE(f5_the_uncommitted_bound_refuses_proposals_until_commits_catch_up) {
    raft::settings s = default_settings();
    s.uncommitted_bytes_max = 10 * 8;
    cluster c{3, s};
    steady(c);
    c.net().isolate(node_id{2});
    c.net().isolate(node_id{3});
    for (int i = 0; i < 10; ++i) BOOST_TEST_REQUIRE(c[1].propose(std::string{"testdata"}).has_value());
    const auto refused = c[1].propose(std::string{"testdata"});
    BOOST_TEST_REQUIRE(!refused);
    BOOST_TEST(refused.error() == errc::uncommitted_full);
    BOOST_TEST(c[1].propose(std::string{}).has_value());  // an empty entry always fits
    c.net().recover();
    c.tick(1);
    c.deliver();
    BOOST_TEST(c[1].commit_index() == c[1].last_index());
    BOOST_TEST(c[1].uncommitted_bytes() == 0u);
    // From zero, one batch may exceed the bound, but nothing after it.
    const std::vector<std::string> batch(20, "testdata");
    c.net().isolate(node_id{2});
    c.net().isolate(node_id{3});
    BOOST_TEST(c[1].propose(std::span<const std::string>{batch}).has_value());
    BOOST_TEST(!c[1].propose(std::string{"testdata"}));
}

BOOST_AUTO_TEST_CASE(f6_the_inflight_window_frees_in_order_across_wrap_around) {
    raft::inflight_window<4> w;
    for (std::uint64_t i = 1; i <= 3; ++i) w.add(log_index{i}, 10);
    BOOST_TEST(!w.full(10, 0));
    BOOST_TEST(w.full(3, 0));
    BOOST_TEST(!w.full(10, 100));
    BOOST_TEST(w.full(10, 30));
    w.add(log_index{4}, 10);
    BOOST_TEST(w.full(10, 0));  // at capacity whatever the settings say
    w.free_through(log_index{2});
    BOOST_TEST(w.count() == 2u);
    BOOST_TEST(w.bytes() == 20u);
    w.add(log_index{5}, 7);
    w.add(log_index{6}, 7);  // wraps around
    BOOST_TEST(w.count() == 4u);
    w.free_through(log_index{5});
    BOOST_TEST(w.count() == 1u);
    BOOST_TEST(w.bytes() == 7u);
    w.free_through(log_index{1});  // stale: frees nothing
    BOOST_TEST(w.count() == 1u);
    w.clear();
    BOOST_TEST(w.count() == 0u);
    BOOST_TEST(w.bytes() == 0u);
}

BOOST_AUTO_TEST_CASE(messages_carry_at_most_the_configured_number_of_entries) {
    raft::settings s = default_settings();
    s.entries_per_message_max = 5;
    cluster c{2, s};
    steady(c);
    c.net().isolate(node_id{2});
    for (int i = 0; i < 23; ++i) BOOST_TEST_REQUIRE(c[1].propose(std::string{"e"}).has_value());
    c.net().recover();
    c.tick(1);
    std::size_t largest = 0;
    c.net().drop_if([&](const auto& e) {
        if (const auto* a = std::get_if<raft_append>(&e.message))
            largest = std::max(largest, a->entries.size());
        return false;
    });
    c.deliver();
    BOOST_TEST(largest == 5u);
    BOOST_TEST(c[2].last_index() == c[1].last_index());
}

BOOST_AUTO_TEST_CASE(fast_backtracking_skips_a_divergent_term_per_round_trip) {
    struct row {
        std::vector<std::uint64_t> leader, follower;
        std::uint64_t hint_term, hint_index;
        std::uint64_t next_term, next_index;
    };
    const row rows[] = {
        {{1, 2, 2, 4, 4, 4, 4}, {1, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3}, 3, 7, 2, 3},
        {{1, 2, 2, 3, 4, 4, 4, 5}, {1, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3}, 3, 8, 3, 4},
        {{1, 1, 1, 1}, {1, 2, 2, 4}, 1, 1, 1, 1},
        {{1, 1, 1, 1, 1, 1}, {1, 2, 2, 4}, 1, 1, 1, 1},
        {{1, 1, 1, 1}, {1, 2, 2, 4, 4, 4}, 1, 1, 1, 1},
        {{1, 1, 1, 4, 5}, {1, 1, 1, 4}, 4, 4, 4, 4},
        {{2, 5, 5, 5, 5, 5, 5, 5, 5}, {2, 4, 4, 4, 4, 4}, 4, 6, 2, 1},
        {{2, 2, 2, 2, 2}, {2, 4, 4, 4, 4, 4, 4, 4}, 2, 1, 2, 1},
    };
    int r = 0;
    for (const row& x : rows) {
        BOOST_TEST_CONTEXT("row " << r++) {
            cluster c{2};
            const std::uint64_t last_term = x.leader.back();
            c.restore(1, hard_state{term_t{last_term - 1}, no_node, log_index{x.leader.size()}},
                      with_terms(x.leader));
            c.restore(2, hard_state{term_t{last_term}, node_id{1}, {}}, with_terms(x.follower));
            elect(c, 1);
            BOOST_TEST_REQUIRE(c[1].term() == term_t{last_term});
            // The first probe goes at the leader's last index; the follower rejects it.
            auto probes = of_type<raft_append>(c.drain());
            BOOST_TEST_REQUIRE(probes.size() == 1u);
            BOOST_TEST(probes[0].second.prev_index == log_index{x.leader.size()});
            c[2].on(raft_message{probes[0].second});
            const auto rejects = of_type<raft::append_response>(c.drain());
            BOOST_TEST_REQUIRE(rejects.size() == 1u);
            BOOST_TEST(!rejects[0].second.success);
            BOOST_TEST(rejects[0].second.hint_term == term_t{x.hint_term});
            BOOST_TEST(rejects[0].second.hint_index == log_index{x.hint_index});
            c[1].on(raft_message{rejects[0].second});
            const auto next = of_type<raft_append>(c.drain());
            BOOST_TEST_REQUIRE(next.size() == 1u);
            BOOST_TEST(next[0].second.prev_term == term_t{x.next_term});
            BOOST_TEST(next[0].second.prev_index == log_index{x.next_index});
            // From there the logs converge, in at most one more rejection per divergent term.
            std::size_t rejections = 0;
            c.net().drop_if([&](const auto& e) {
                if (const auto* a = std::get_if<raft::append_response>(&e.message))
                    rejections += a->success ? 0 : 1;
                return false;
            });
            c[2].on(raft_message{next[0].second});
            c.deliver();
            BOOST_TEST(rejections <= 2u);
            BOOST_TEST(c.log_of(2) == c.log_of(1), boost::test_tools::per_element());
        }
    }
}

BOOST_AUTO_TEST_CASE(seven_nodes_with_figure_7_logs_converge_on_the_leaders_log) {
    // probe_and_replicate: the Figure 7 logs, each follower diverging differently.
    const std::vector<std::vector<std::uint64_t>> logs = {
        {1, 1, 1, 4, 4, 5, 5, 6, 6, 6},        // leader-to-be
        {1, 1, 1, 4, 4, 5, 5, 6, 6},           // a
        {1, 1, 1, 4},                          // b
        {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6},     // c
        {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7},  // d
        {1, 1, 1, 4, 4, 4, 4},                 // e
        {1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3},     // f
    };
    cluster c{7};
    for (std::uint32_t i = 1; i <= 7; ++i)
        c.restore(i, hard_state{term_t{7}, no_node, {}}, with_terms(logs[i - 1]));
    elect(c, 1);
    BOOST_TEST_REQUIRE(c[1].propose(std::string{"after"}).has_value());
    c.run(5);
    for (std::uint32_t i = 2; i <= 7; ++i)
        BOOST_TEST(c.log_of(i) == c.log_of(1), "node " << i);
    BOOST_TEST(c[1].commit_index() == c[1].last_index());
}

BOOST_AUTO_TEST_SUITE_END()

// Lost acknowledgements and nothing more to send: the follower holds every entry but the
// leader's record of it stays behind, and each heartbeat answer (at the recorded match point,
// reporting a last index equal to what was sent) looked like "nothing missing". The leader now
// asks for a confirmation at the last index sent, so the entries commit without a new proposal.
BOOST_AUTO_TEST_CASE(entries_commit_after_their_acknowledgements_are_lost) {
    raft_fixture<> c{3};
    c.hup(1);
    c.deliver();
    c.net().drop_if([](const runtime::sync::envelope<raft_message>& e) {
        const auto* r = std::get_if<raft::append_response>(&e.message);
        return r && !r->heartbeat;
    });
    const auto at = c[1].propose("x");
    BOOST_TEST_REQUIRE(at.has_value());
    c.deliver();
    BOOST_TEST(c[2].last_index() == *at);
    BOOST_TEST(c[1].commit_index() < *at);
    c.net().recover();
    c.run(3);
    BOOST_TEST(c[1].commit_index() == *at);
    BOOST_TEST(c[2].commit_index() == *at);
    BOOST_TEST(c[3].commit_index() == *at);
}

namespace {
/// A quorum system in which any one voter is a phase-2 quorum (so phase 1 needs all three).
struct self_quorum_traits : test_traits<raft::features{}, storage::memory_log<text>> {
    using quorum = flexible_static<3, 1, 3>;
};
}  // namespace

// A proposal commits at once only where the leader alone is a phase-2 quorum; elsewhere the
// acknowledgements commit it (propose() counts no quorum then).
BOOST_AUTO_TEST_CASE(a_leader_that_alone_is_a_phase2_quorum_commits_when_it_proposes) {
    raft_fixture<raft::features{}, storage::memory_log<text>, self_quorum_traits> alone(3);
    alone.hup(1);
    alone.deliver();
    BOOST_TEST_REQUIRE(alone[1].is_leader());
    const auto r = alone[1].propose(std::string{"x"});
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST(alone[1].commit_index() == r.value());  // nothing delivered yet
    BOOST_TEST(alone[1].state_machine().applied.back().payload == "x");

    cluster c(3);
    c.hup(1);
    c.deliver();
    const auto m = c[1].propose(std::string{"y"});
    BOOST_TEST_REQUIRE(m.has_value());
    BOOST_TEST(c[1].commit_index() < m.value());  // a majority: waits for an acknowledgement
    c.deliver();
    BOOST_TEST(c[1].commit_index() == m.value());
}
