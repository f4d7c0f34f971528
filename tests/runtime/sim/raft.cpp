// The simulator running Raft under the fault model of ../shared/RELIABILITY.md: every seed
// keeps every invariant and a linearizable history; a seed replays bit for bit; and planted
// bugs (acknowledging before the write is durable; committing an earlier-term entry by counting
// replicas; several voters changed in one step) are caught within a bounded number of seeds.
#include <boost/test/unit_test.hpp>

#include "synod/runtime/sim/raft.hpp"

using namespace synod;
namespace sim = synod::runtime::sim;

namespace {
sim::options profile(const char* name, std::uint64_t seed, std::size_t nodes = 5) {
    sim::options o;
    o.seed = seed;
    o.nodes = nodes;
    o.ops = 150;
    BOOST_TEST_REQUIRE(sim::fault_profile::named(name, o.faults));
    return o;
}

template <class Protocol>
sim::result run(const sim::options& o) {
    sim::world<Protocol> w{o};
    return w.run();
}

using raft_sim = sim::raft_protocol<>;

struct any_term_commit {  // the Figure 8 bug: count replicas of any term's entry
    static constexpr bool may_commit(term_t, term_t) noexcept { return true; }
};
using raft_figure8_bug = sim::raft_protocol<synod::raft::features{}, any_term_commit>;
using raft_early_ack_bug = sim::raft_protocol<synod::raft::features{.pre_vote = true, .check_quorum = true},
                                              synod::raft::current_term_commit_rule, true>;
}  // namespace

BOOST_AUTO_TEST_SUITE(runtime_sim_raft)

BOOST_AUTO_TEST_CASE(every_seed_of_the_default_profile_keeps_every_invariant) {
    std::size_t ops = 0;
    for (std::uint64_t seed = 1; seed <= 40; ++seed) {
        const sim::result r = run<raft_sim>(profile("default", seed));
        BOOST_TEST(r.ok, "seed " << seed << ": " << r.failure << "\n" << r.last_events);
        ops += r.ops_completed;
    }
    BOOST_TEST(ops >= 40u * 150u);
}

BOOST_AUTO_TEST_CASE(a_seed_replays_bit_for_bit) {
    const sim::result a = run<raft_sim>(profile("brutal", 7));
    const sim::result b = run<raft_sim>(profile("brutal", 7));
    const sim::result c = run<raft_sim>(profile("brutal", 8));
    BOOST_TEST(a.trace_hash == b.trace_hash);
    BOOST_TEST(a.events == b.events);
    BOOST_TEST(a.trace_hash != c.trace_hash);
}

template <class Protocol>
std::uint64_t first_failing_seed(const char* profile_name, std::uint64_t seeds, sim::result& found) {
    for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
        sim::options o = profile(profile_name, seed, 3);
        o.entries_per_message = 1;  // widens the window between old- and new-term entries
        found = run<Protocol>(o);
        if (!found.ok) return seed;
    }
    return 0;
}

BOOST_AUTO_TEST_CASE(a_planted_early_acknowledgement_is_caught) {
    sim::result r;
    const std::uint64_t seed = first_failing_seed<raft_early_ack_bug>("crashes", 200, r);
    BOOST_TEST_MESSAGE("early acknowledgement caught at seed " << seed << ": " << r.failure);
    BOOST_TEST(seed != 0u);
    // The same seeds are clean with the honest storage.
    for (std::uint64_t s = 1; s <= seed; ++s) {
        sim::options o = profile("crashes", s, 3);
        o.entries_per_message = 1;
        BOOST_TEST(run<raft_sim>(o).ok, "seed " << s);
    }
}

BOOST_AUTO_TEST_CASE(a_planted_figure_8_commit_is_caught) {
    sim::result r;
    const std::uint64_t seed = first_failing_seed<raft_figure8_bug>("crashes", 300, r);
    BOOST_TEST_MESSAGE("figure 8 commit caught at seed " << seed << ": " << r.failure);
    BOOST_TEST(seed != 0u);
    for (std::uint64_t s = 1; s <= seed; ++s) {
        sim::options o = profile("crashes", s, 3);
        o.entries_per_message = 1;
        BOOST_TEST(run<sim::raft_protocol<synod::raft::features{}>>(o).ok, "seed " << s);
    }
}

constexpr synod::raft::features with_reads{
    .pre_vote = true, .check_quorum = true, .read_index = true, .lease_read = true};
using raft_reads = sim::raft_protocol<with_reads>;

sim::options reads_profile(const char* name, std::uint64_t seed, sim::options::reads path,
                           std::size_t nodes = 5) {
    sim::options o = profile(name, seed, nodes);
    o.read_path = path;
    o.spread_reads = true;
    return o;
}

BOOST_AUTO_TEST_CASE(reads_by_read_index_and_by_lease_are_linearizable_under_faults) {
    for (const char* name : {"default", "brutal"}) {
        for (auto path : {sim::options::reads::read_index, sim::options::reads::lease}) {
            for (std::uint64_t seed = 1; seed <= 20; ++seed) {
                const sim::result r = run<raft_reads>(reads_profile(name, seed, path));
                BOOST_TEST(r.ok, name << " seed " << seed << ": " << r.failure << "\n" << r.last_events);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(compaction_and_snapshot_transfer_keep_every_invariant_under_faults) {
    std::uint64_t restores = 0;
    for (const char* name : {"crashes", "partitions", "brutal"}) {
        for (std::uint64_t seed = 1; seed <= 15; ++seed) {
            sim::options o = reads_profile(name, seed, sim::options::reads::read_index);
            o.compact_every = 20;
            const sim::result r = run<raft_reads>(o);
            BOOST_TEST(r.ok, name << " seed " << seed << ": " << r.failure << "\n" << r.last_events);
            restores += r.snapshot_restores;
        }
    }
    BOOST_TEST(restores > 100u);  // followers and restarted nodes really came back by snapshot
}

// Long election timeouts and clocks 25-30% off (a new leader's clock slows down, the others speed
// up): a lease without the drift bound outlives the followers' stickiness, a new leader commits,
// and the old one serves a stale read.
sim::options clocks_profile(std::uint64_t seed, bool planted_bug) {
    sim::options o = reads_profile("clocks", seed, sim::options::reads::lease, 3);
    o.election_timeout = 1000;
    o.heartbeat = 100;
    o.client_timeout = 100;
    o.faults.fault_ticks = 40'000;
    o.think_ticks = 100;
    o.ops = 300;
    o.lease_without_drift_bound = planted_bug;
    return o;
}

BOOST_AUTO_TEST_CASE(a_planted_lease_without_the_drift_bound_is_caught) {
    std::uint64_t caught = 0;
    sim::result r;
    for (std::uint64_t seed = 1; seed <= 300 && !caught; ++seed) {
        r = run<raft_reads>(clocks_profile(seed, true));
        if (!r.ok) caught = seed;
    }
    BOOST_TEST_MESSAGE("lease without drift bound caught at seed " << caught << ": " << r.failure);
    BOOST_TEST(caught != 0u);
    for (std::uint64_t seed = 1; seed <= caught; ++seed)
        BOOST_TEST(run<raft_reads>(clocks_profile(seed, false)).ok, "seed " << seed);
}

BOOST_AUTO_TEST_SUITE_END()

// Membership: changing several voters in one step (no joint configuration) lets two disjoint
// majorities decide. Under the churn profile the checkers catch it, while the correct rule
// passes the same seeds.
namespace {
struct any_change_in_one_step {
    static constexpr bool single_step(std::size_t) noexcept { return true; }
};
constexpr synod::raft::features with_membership{.pre_vote = true, .check_quorum = true,
                                                .membership = true};
using raft_membership = sim::raft_protocol<with_membership>;
using raft_membership_bug = sim::raft_protocol<with_membership, synod::raft::current_term_commit_rule,
                                               false, any_change_in_one_step>;
}  // namespace

BOOST_AUTO_TEST_SUITE(runtime_sim_membership)

BOOST_AUTO_TEST_CASE(membership_churn_keeps_every_invariant) {
    std::uint64_t changes = 0;
    for (std::uint64_t seed = 1; seed <= 30; ++seed) {
        const sim::result r = run<raft_membership>(profile("churn", seed));
        BOOST_TEST(r.ok, "seed " << seed << ": " << r.failure << "\n" << r.last_events);
        changes += r.config_changes;
    }
    BOOST_TEST(changes >= 30u * 10u);  // the leader accepted changes all along
}

BOOST_AUTO_TEST_CASE(a_planted_multi_voter_change_in_one_step_is_caught) {
    std::uint64_t seed = 0;
    sim::result r;
    for (std::uint64_t s = 1; s <= 300 && seed == 0; ++s) {
        r = run<raft_membership_bug>(profile("churn", s));
        if (!r.ok) seed = s;
    }
    BOOST_TEST_MESSAGE("one-step change of several voters caught at seed " << seed << ": " << r.failure);
    BOOST_TEST(seed != 0u);
    for (std::uint64_t s = 1; s <= seed; ++s)
        BOOST_TEST(run<raft_membership>(profile("churn", s)).ok, "seed " << s);
}

BOOST_AUTO_TEST_SUITE_END()
