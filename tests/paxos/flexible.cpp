// Flexible Paxos (Howard, Malkhi, Spiegelman 2016, section 3): safety needs only that every
// phase-1 quorum meets every phase-2 quorum. SCENARIOS 4.3: the table of size-based systems, a
// grid, weighted voting, F1 (commits continue with |Q2| = 2 of 5; no election without 4), F2 (the
// validator accepts exactly the intersecting systems), and the negative control: forced to run, a
// non-intersecting system chooses two values for one slot.
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include "paxos/support.hpp"

using namespace synod;
namespace data = boost::unit_test::data;
using P = std::string;
using test::cluster;

namespace {

using flexible_traits = test::mp_traits<test::recording_sm,
                                        storage::memory_paxos_log<P>, flexible>;

struct size_case {
    std::uint32_t n, q1, q2;
    bool valid;
};
std::ostream& operator<<(std::ostream& os, const size_case& c) {
    return os << "N=" << c.n << " Q1=" << c.q1 << " Q2=" << c.q2 << (c.valid ? " valid" : " invalid");
}
const size_case size_cases[] = {
    {5, 3, 3, true}, {5, 4, 2, true}, {5, 5, 1, true}, {5, 3, 2, false},
    {6, 4, 3, true}, {10, 8, 3, true},
};

/// Phase-1 quorums are full columns of a 3x3 grid, phase-2 quorums full rows (nodes 1..9 row by
/// row): every column meets every row.
struct grid_3x3 {
    result<void> validate(const node_set& voters) const {
        return voters.size() == 9 ? result<void>{} : result<void>{errc::invalid_configuration};
    }
    bool phase1(const node_set&, const node_set& acks) const noexcept {
        for (std::uint32_t col = 0; col < 3; ++col) {
            bool full = true;
            for (std::uint32_t row = 0; row < 3; ++row)
                full = full && acks.contains(node_id{row * 3 + col + 1});
            if (full) return true;
        }
        return false;
    }
    bool phase2(const node_set&, const node_set& acks) const noexcept {
        for (std::uint32_t row = 0; row < 3; ++row) {
            bool full = true;
            for (std::uint32_t col = 0; col < 3; ++col)
                full = full && acks.contains(node_id{row * 3 + col + 1});
            if (full) return true;
        }
        return false;
    }
    template <class Match>
    log_index committed(const node_set& voters, Match&& match) const {
        return synod::detail::committed_by_search(
            voters, [&](const node_set& s) { return phase2(voters, s); }, match);
    }
};

/// Drives node `leader` to propose `value` for the next slot reaching only `reach` (besides
/// itself), and lets two heartbeats pass.
template <class Cluster>
void commit_with(Cluster& c, std::uint32_t leader, std::vector<std::uint32_t> reach, P value) {
    c.net.recover();
    for (std::uint32_t i = 1; i <= c.nodes.size(); ++i)
        if (i != leader && std::find(reach.begin(), reach.end(), i) == reach.end())
            c.net.cut(node_id{leader}, node_id{i});
    if (!c.at(leader).is_leader()) c.elect(leader);
    BOOST_TEST_REQUIRE(c.at(leader).is_leader());
    BOOST_TEST_REQUIRE(c.at(leader).propose(value).has_value());
    c.net.deliver_all();
    c.net.run_for(2);  // heartbeats repair what the cut links lost earlier
}

}  // namespace

BOOST_AUTO_TEST_SUITE(paxos_flexible)

BOOST_DATA_TEST_CASE(size_based_systems_are_validated_and_run, data::make(size_cases), c) {
    const flexible q{c.q1, c.q2};
    BOOST_TEST(q.validate(test::voters_1_to(c.n).voters).has_value() == c.valid);
    cluster<flexible_traits> cl{c.n, {}, q};
    if (!c.valid) {
        BOOST_TEST(cl.at(1).status() == errc::quorum_not_intersecting);
        BOOST_TEST(cl.at(1).campaign().error() == errc::quorum_not_intersecting);
        BOOST_TEST(cl.at(1).propose("x").error() == errc::quorum_not_intersecting);
        return;
    }
    // Elect with exactly Q1 acceptors reachable, commit with exactly Q2.
    std::vector<std::uint32_t> phase1_peers, phase2_peers;
    for (std::uint32_t i = 2; i <= c.q1; ++i) phase1_peers.push_back(i);
    for (std::uint32_t i = c.n; i > c.n - (c.q2 - 1); --i) phase2_peers.push_back(i);
    for (std::uint32_t i = 2; i <= c.n; ++i)
        if (std::find(phase1_peers.begin(), phase1_peers.end(), i) == phase1_peers.end())
            cl.net.cut(node_id{1}, node_id{i});
    cl.elect(1);
    BOOST_TEST_REQUIRE(cl.at(1).is_leader());
    commit_with(cl, 1, phase2_peers, "x");
    BOOST_TEST(cl.at(1).commit_index() == log_index{1});
    // One fewer than Q2 does not commit.
    if (c.q2 > 1) {
        phase2_peers.pop_back();
        commit_with(cl, 1, phase2_peers, "y");
        BOOST_TEST(cl.at(1).commit_index() == log_index{1});
    }
}

// F2: for every N up to 7 and every (Q1, Q2), the validator accepts exactly the systems in which
// every phase-1 quorum meets every phase-2 quorum (checked by brute force over subsets).
BOOST_AUTO_TEST_CASE(the_validator_accepts_exactly_the_intersecting_systems) {
    for (std::uint32_t n = 1; n <= 7; ++n) {
        const node_set voters = test::voters_1_to(n).voters;
        for (std::uint32_t q1 = 1; q1 <= n; ++q1)
            for (std::uint32_t q2 = 1; q2 <= n; ++q2) {
                bool intersect = true;
                for (std::uint32_t a = 0; a < (1u << n) && intersect; ++a) {
                    if (static_cast<std::uint32_t>(__builtin_popcount(a)) != q1) continue;
                    for (std::uint32_t b = 0; b < (1u << n); ++b)
                        if (static_cast<std::uint32_t>(__builtin_popcount(b)) == q2 && !(a & b)) {
                            intersect = false;
                            break;
                        }
                }
                BOOST_TEST_CONTEXT("N=" << n << " Q1=" << q1 << " Q2=" << q2) {
                    BOOST_TEST((flexible{q1, q2}.validate(voters).has_value() == intersect));
                }
            }
    }
}

// F1: |Q1| = 4, |Q2| = 2 of 5. With three non-leaders down, commits continue; with the leader
// down too, nobody can be elected: liveness is lost, safety is not.
BOOST_AUTO_TEST_CASE(small_phase_2_quorums_keep_committing_but_block_elections) {
    cluster<flexible_traits> c{5, {}, flexible{4, 2}};
    c.elect(1);
    BOOST_TEST_REQUIRE(c.at(1).is_leader());
    for (std::uint32_t i = 3; i <= 5; ++i) c.net.detach(node_id{i});
    for (int i = 0; i < 5; ++i) BOOST_TEST_REQUIRE(c.at(1).propose("c" + std::to_string(i)).has_value());
    c.net.deliver_all();
    BOOST_TEST(c.at(1).commit_index() == log_index{5});
    c.net.detach(node_id{1});
    c.net.run_for(200);
    BOOST_TEST(!c.at(2).is_leader());
    BOOST_TEST(c.at(2).current_role() == multi_paxos::role::candidate);
}

// F2 in action: a new leader with |Q1| = 4 finds the value a |Q2| = 2 quorum accepted, even when
// that quorum is the old leader and one other node.
BOOST_AUTO_TEST_CASE(a_phase_1_quorum_finds_what_a_small_phase_2_quorum_accepted) {
    cluster<flexible_traits> c{5, {}, flexible{4, 2}};
    commit_with(c, 1, {2, 3, 4}, "warm");
    commit_with(c, 1, {2}, "x");  // chosen by {1, 2}
    BOOST_TEST(c.at(1).commit_index() == log_index{2});
    c.net.recover();
    c.net.detach(node_id{1});
    c.elect(5);  // promises from 2, 3, 4 and itself
    BOOST_TEST_REQUIRE(c.at(5).is_leader());
    c.net.run_for(2);
    BOOST_TEST((c.applied_payloads(5) == std::vector<P>{"warm", "x"}));
    BOOST_TEST(c.consistent());
}

// The negative control: N = 5, Q2 = 2, and Q1 = 3 forced past validation. Leader 1 chooses "x"
// with {1, 2}; node 5 reaches only {3, 4, 5}, which never heard of it: a phase-1 quorum when
// Q1 = 3, so it chooses "y" with {4, 5} for the same slot. With the valid Q1 = 4 the same script
// cannot elect node 5 until it hears from node 2, and slot 1 keeps "x".
BOOST_DATA_TEST_CASE(a_non_intersecting_system_can_choose_two_values, data::make({3u, 4u}), q1) {
    using traits = test::mp_traits<test::recording_sm, storage::memory_paxos_log<P>,
                                   test::unchecked_flexible>;
    cluster<traits> c{5, {}, test::unchecked_flexible{flexible{q1, 2}}};
    c.elect(1);
    BOOST_TEST_REQUIRE(c.at(1).is_leader());
    for (std::uint32_t i = 3; i <= 5; ++i) c.net.cut(node_id{1}, node_id{i});
    BOOST_TEST_REQUIRE(c.at(1).propose("x").has_value());
    c.net.deliver_all();
    BOOST_TEST_REQUIRE(c.at(1).commit_index() == log_index{1});  // {1, 2}: a phase-2 quorum

    c.net.cut(node_id{5}, node_id{2});
    c.elect(5);
    if (q1 == 3) {
        BOOST_TEST_REQUIRE(c.at(5).is_leader());
        BOOST_TEST_REQUIRE(c.at(5).propose("y").has_value());
        c.net.deliver_all();
        BOOST_TEST(c.at(5).commit_index() == log_index{1});
        BOOST_TEST(c.at(1).state_machine().applied.at(0).payload == "x");
        BOOST_TEST(c.at(5).state_machine().applied.at(0).payload == "y");  // two values, one slot
        BOOST_TEST(!c.consistent());
    } else {
        BOOST_TEST(!c.at(5).is_leader());
        c.net.recover();
        c.net.detach(node_id{1});
        c.elect(5);
        BOOST_TEST_REQUIRE(c.at(5).is_leader());
        BOOST_TEST_REQUIRE(c.at(5).propose("y").has_value());
        c.net.deliver_all();
        c.net.run_for(1);
        BOOST_TEST((c.applied_payloads(5) == std::vector<P>{"x", "y"}));
        BOOST_TEST(c.consistent());
    }
}

BOOST_AUTO_TEST_CASE(a_grid_quorum_system_commits_with_a_row_and_elects_with_a_column) {
    using traits = test::mp_traits<test::recording_sm, storage::memory_paxos_log<P>, grid_3x3>;
    cluster<traits> c{9};
    // Node 1 reaches only its column {1, 4, 7} for phase 1 ...
    commit_with(c, 1, {4, 7}, "unused");
    BOOST_TEST(c.at(1).is_leader());
    BOOST_TEST(c.at(1).commit_index() == log_index{0});  // ... which is no row: nothing commits
    commit_with(c, 1, {2, 3}, "row");                    // its row {1, 2, 3} commits
    BOOST_TEST(c.at(1).commit_index() == log_index{2});
}

BOOST_AUTO_TEST_CASE(weighted_and_static_flexible_systems_run) {
    weighted w;
    w.weights.push_back({node_id{1}, 3});  // total 7: node 1 and any one other reach 4
    using weighted_traits = test::mp_traits<test::recording_sm, storage::memory_paxos_log<P>, weighted>;
    cluster<weighted_traits> c{5, {}, w};
    commit_with(c, 1, {2}, "w");
    BOOST_TEST(c.at(1).commit_index() == log_index{1});

    using static_traits = test::mp_traits<test::recording_sm, storage::memory_paxos_log<P>,
                                          flexible_static<4, 2, 5>>;
    cluster<static_traits> s{5};
    commit_with(s, 1, {2, 3, 4}, "a");
    commit_with(s, 1, {5}, "b");
    BOOST_TEST(s.at(1).commit_index() == log_index{2});
}

BOOST_AUTO_TEST_SUITE_END()
