// Cluster invariants (Raft figure 3: election safety, log matching, leader completeness, state
// machine safety; Paxos Made Simple: one value chosen per slot, promises never go back) checked
// incrementally by cluster_observer: each violation from a crafted sequence of observations, and
// no false positive on valid ones (including legal truncation and a late election in a lower
// term).

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "support/print.hpp"
#include "synod/check/invariants.hpp"

using namespace synod;
using namespace synod::check;
namespace data = boost::unit_test::data;

namespace synod::check {
inline std::ostream& operator<<(std::ostream& os, invariant i) { return os << to_string(i); }
}  // namespace synod::check

namespace {

const node_id n1{1}, n2{2}, n3{3};
constexpr term_t t1{1}, t2{2}, t3{3};
log_index i(std::uint64_t v) { return log_index{v}; }

// Writes entries [1..hashes.size()] of term `t` to `n`.
void write_log(cluster_observer& o, node_id n, term_t t, std::initializer_list<std::uint64_t> hashes) {
    std::uint64_t index = 0;
    for (std::uint64_t h : hashes) o.appended(n, i(++index), t, h);
}

struct violation_case {
    const char* name;
    void (*events)(cluster_observer&);
    invariant expected;
    const char* text;  // a part of the description
};
std::ostream& operator<<(std::ostream& os, const violation_case& c) { return os << c.name; }

const violation_case violation_cases[] = {
    {"two leaders in one term",
     [](cluster_observer& o) {
         o.became_leader(n1, t1);
         o.became_leader(n2, t1);
     },
     invariant::election_safety, "two leaders in term 1: n1 and n2"},
    {"two logs with the same index and term but different payloads",
     [](cluster_observer& o) {
         write_log(o, n1, t1, {10, 20});
         write_log(o, n2, t1, {11, 20});
     },
     invariant::log_matching, "n2 and n1 both hold index 1 term 1 but their logs differ"},
    {"two logs that agree at an index and term but not before it",
     [](cluster_observer& o) {
         o.appended(n1, i(1), t1, 10);
         o.appended(n1, i(2), t2, 20);
         o.appended(n2, i(1), t2, 11);
         o.appended(n2, i(2), t2, 20);
     },
     invariant::log_matching, "first at index 1: term 2 vs 1"},
    {"an entry rewritten in place with another payload",
     [](cluster_observer& o) {
         o.appended(n1, i(1), t1, 10);
         o.appended(n1, i(1), t1, 11);
     },
     invariant::log_matching, "rewrote index 1 term 1"},
    {"a gap in a log",
     [](cluster_observer& o) { o.appended(n1, i(2), t1, 10); },
     invariant::log_matching, "(a gap)"},
    {"a leader elected without a committed entry",
     [](cluster_observer& o) {
         o.became_leader(n1, t1);
         write_log(o, n1, t1, {10, 20});
         write_log(o, n2, t1, {10, 20});
         o.committed(n1, i(2), t1);
         o.appended(n3, i(1), t1, 10);
         o.became_leader(n3, t2);
     },
     invariant::leader_completeness, "n3, leader of term 2, lacks committed index 2"},
    {"a commit reported after a later leader was elected without it",
     [](cluster_observer& o) {
         o.became_leader(n1, t1);
         write_log(o, n1, t1, {10, 20});
         write_log(o, n2, t1, {10});
         o.became_leader(n2, t3);
         o.committed(n1, i(2), t2);
     },
     invariant::leader_completeness, "n2, leader of term 3, lacks committed index 2"},
    {"two nodes apply different entries at one index",
     [](cluster_observer& o) {
         write_log(o, n1, t1, {10});
         write_log(o, n2, t1, {10});
         o.committed(n1, i(1), t1);
         o.committed(n2, i(1), t1);
         o.applied(n1, i(1), t1, 10);
         o.applied(n2, i(1), t1, 99);
     },
     invariant::state_machine_safety,
     "n2 applied (term 1, hash 0x63) at index 1 where n1 applied (term 1, hash 0xa)"},
    {"two nodes commit different entries at one index",
     [](cluster_observer& o) {
         o.appended(n1, i(1), t1, 10);
         o.appended(n2, i(1), t2, 11);
         o.committed(n1, i(1), t1);
         o.committed(n2, i(1), t2);
     },
     invariant::state_machine_safety, "n2 committed (term 2, hash 0xb) at index 1"},
    {"a commit index beyond the log",
     [](cluster_observer& o) {
         o.appended(n1, i(1), t1, 10);
         o.committed(n1, i(2), t1);
     },
     invariant::state_machine_safety, "committed through index 2 but its log has 1 entries"},
    {"an index applied twice",
     [](cluster_observer& o) {
         write_log(o, n1, t1, {10, 20});
         o.committed(n1, i(2), t1);
         o.applied(n1, i(1), t1, 10);
         o.applied(n1, i(1), t1, 10);
     },
     invariant::apply_order, "n1 applied index 1 after index 1"},
    {"an index skipped",
     [](cluster_observer& o) {
         write_log(o, n1, t1, {10, 20});
         o.committed(n1, i(2), t1);
         o.applied(n1, i(2), t1, 20);
     },
     invariant::apply_order, "n1 applied index 2 after index 0"},
    {"an uncommitted entry applied",
     [](cluster_observer& o) {
         write_log(o, n1, t1, {10, 20});
         o.committed(n1, i(1), t1);
         o.applied(n1, i(1), t1, 10);
         o.applied(n1, i(2), t1, 20);
     },
     invariant::apply_order, "beyond its commit index 1"},
    {"a commit index going back",
     [](cluster_observer& o) {
         write_log(o, n1, t1, {10, 20});
         o.committed(n1, i(2), t1);
         o.committed(n1, i(1), t1);
     },
     invariant::commit_monotonic, "moved its commit index back from 2 to 1"},
    {"a commit index going back across a restart",
     [](cluster_observer& o) {
         write_log(o, n1, t1, {10, 20});
         o.committed(n1, i(2), t1);
         o.restarted(n1, t1, n1, i(1));
     },
     invariant::commit_monotonic, "recovered commit index 1 after committing through 2"},
    {"a committed entry truncated",
     [](cluster_observer& o) {
         write_log(o, n1, t1, {10, 20});
         o.committed(n1, i(2), t1);
         o.truncated(n1, i(2));
     },
     invariant::committed_entry_lost, "removed entries from index 2 but has committed through 2"},
    {"a committed entry overwritten",
     [](cluster_observer& o) {
         write_log(o, n1, t1, {10, 20});
         o.committed(n1, i(2), t1);
         o.appended(n1, i(2), t2, 30);
     },
     invariant::committed_entry_lost, "removed entries from index 2"},
    {"a durable term going back",
     [](cluster_observer& o) {
         o.hard_state(n1, t2, no_node);
         o.hard_state(n1, t1, no_node);
     },
     invariant::durable_state, "n1 saved term 1 after term 2"},
    {"a durable vote changed within its term",
     [](cluster_observer& o) {
         o.hard_state(n1, t2, n2);
         o.hard_state(n1, t2, n3);
     },
     invariant::durable_state, "n1 saved vote for n3 in term 2 after voting for n2"},
    {"a vote forgotten across a restart",
     [](cluster_observer& o) {
         o.hard_state(n1, t2, n2);
         o.restarted(n1, t2, no_node);
     },
     invariant::durable_state, "n1 recovered vote for n0 in term 2 after voting for n2"},
    {"a term forgotten across a restart",
     [](cluster_observer& o) {
         o.hard_state(n1, t3, no_node);
         o.restarted(n1, t2, no_node);
     },
     invariant::durable_state, "n1 recovered term 2 after term 3"},
    {"two values chosen in one slot",
     [](cluster_observer& o) {
         o.chosen(4, 0xa);
         o.chosen(4, 0xb);
     },
     invariant::paxos_agreement, "slot 4: chose value 0xb after value 0xa"},
    {"a promise going back",
     [](cluster_observer& o) {
         o.promised(n1, ballot{2, n1});
         o.promised(n1, ballot{2, n2});
         o.promised(n1, ballot{1, n3});
     },
     invariant::promise_monotonic, "n1 promised ballot (1,3) after (2,2)"},
};

BOOST_AUTO_TEST_SUITE(check_invariants)

BOOST_DATA_TEST_CASE(each_violation_is_detected, data::make(violation_cases), c) {
    cluster_observer o;
    c.events(o);
    const std::optional<violation>& v = o.first_violation();
    BOOST_TEST_REQUIRE(v.has_value());
    BOOST_TEST(v->broken == c.expected);
    BOOST_TEST(v->description.find(c.text) != std::string::npos, v->description);
}

BOOST_AUTO_TEST_CASE(an_observation_returns_the_violation_it_reveals) {
    cluster_observer o;
    BOOST_TEST(!o.became_leader(n1, t1).has_value());
    const std::optional<violation> v = o.became_leader(n2, t1);
    BOOST_TEST_REQUIRE(v.has_value());
    BOOST_TEST(v->node == n2);
    BOOST_TEST(v->other == n1);
    BOOST_TEST(o.violations() == 1u);
    // A leader re-announcing its own term is fine.
    BOOST_TEST(!o.became_leader(n1, t1).has_value());
}

BOOST_AUTO_TEST_CASE(a_valid_raft_run_raises_nothing) {
    cluster_observer o;
    // Term 1: n1 leads, replicates two entries to everyone and a third only to n3.
    o.hard_state(n1, t1, n1);
    o.hard_state(n2, t1, n1);
    o.hard_state(n3, t1, n1);
    o.became_leader(n1, t1);
    for (node_id n : {n1, n2, n3}) write_log(o, n, t1, {10, 20});
    o.appended(n1, i(3), t1, 30);
    o.appended(n3, i(3), t1, 30);
    o.committed(n1, i(2), t1);
    o.committed(n2, i(2), t1);
    for (node_id n : {n1, n2}) {
        o.applied(n, i(1), t1, 10);
        o.applied(n, i(2), t1, 20);
    }
    // Term 2: n2 wins without entry 3 (not committed) and overwrites it on n3 and n1.
    o.hard_state(n2, t2, n2);
    o.hard_state(n1, t2, n2);
    o.became_leader(n2, t2);
    o.appended(n2, i(3), t2, 31);
    o.appended(n3, i(3), t2, 31);
    o.appended(n1, i(3), t2, 31);
    o.committed(n2, i(3), t2);
    o.committed(n3, i(3), t2);
    o.committed(n1, i(3), t2);
    for (node_id n : {n1, n2}) o.applied(n, i(3), t2, 31);
    for (std::uint64_t k = 1; k <= 2; ++k) o.applied(n3, i(k), t1, k * 10);
    o.applied(n3, i(3), t2, 31);
    // n3 restarts: durable term, vote and commit index, an unsynced tail would be truncated
    // (none here), and its state machine re-applies from the start.
    o.restarted(n3, t1, n1, i(3));
    o.truncated(n3, i(4));
    o.applied(n3, i(1), t1, 10);
    // Re-appending an entry it already holds is idempotent.
    o.appended(n3, i(2), t1, 20);
    o.log_snapshot(n3, std::vector<log_entry_info>{{i(1), t1, 10}, {i(2), t1, 20}, {i(3), t2, 31}});
    // Term 3: n1 leads with everything committed.
    o.hard_state(n1, t3, n1);
    o.became_leader(n1, t3);
    BOOST_TEST(!o.first_violation().has_value(), o.first_violation()->description);
    BOOST_TEST(o.committed_index() == i(3));
}

BOOST_AUTO_TEST_CASE(a_late_election_in_a_lower_term_is_not_a_completeness_violation) {
    // n3 collects its term-1 votes before n1's term-2 commit is seen, but learns of its win
    // afterwards: leader completeness only binds leaders of later terms.
    cluster_observer o;
    o.became_leader(n1, t2);
    write_log(o, n1, t2, {10});
    write_log(o, n2, t2, {10});
    o.committed(n1, i(1), t2);
    o.became_leader(n3, t1);
    BOOST_TEST(!o.first_violation().has_value());
}

BOOST_AUTO_TEST_CASE(a_volatile_commit_index_may_restart_from_zero) {
    observer_options options;
    options.commit_index_durable = false;
    cluster_observer o{options};
    write_log(o, n1, t1, {10, 20});
    o.committed(n1, i(2), t1);
    o.restarted(n1, t1, n1);
    o.committed(n1, i(2), t1);
    BOOST_TEST(!o.first_violation().has_value());
}

BOOST_AUTO_TEST_CASE(a_valid_paxos_run_raises_nothing) {
    cluster_observer o;
    o.promised(n1, ballot{1, n1});
    o.promised(n1, ballot{1, n1});
    o.promised(n1, ballot{3, n2});
    o.chosen(1, 0xa);
    o.chosen(1, 0xa);
    o.chosen(2, 0xb);
    BOOST_TEST(!o.first_violation().has_value());
}

BOOST_AUTO_TEST_CASE(long_runs_cost_constant_work_per_observation) {
    // 100,000 entries replicated to three nodes, committed and applied one at a time: this
    // finishes quickly only if each observation is O(1) (no per-step log scans).
    cluster_observer o;
    o.became_leader(n1, t1);
    for (std::uint64_t k = 1; k <= 100'000; ++k) {
        for (node_id n : {n1, n2, n3}) o.appended(n, i(k), t1, k);
        for (node_id n : {n1, n2, n3}) {
            o.committed(n, i(k), t1);
            o.applied(n, i(k), t1, k);
        }
    }
    o.became_leader(n2, t2);
    BOOST_TEST(!o.first_violation().has_value());
    BOOST_TEST(o.committed_index() == i(100'000));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
