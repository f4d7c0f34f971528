// Micro-benchmarking one message handler with Google Benchmark. Because a synod core does no
// I/O, one handler can be timed alone: build one node with policies that cost nothing (a
// transport that drops what it is given, a clock that never moves), hand it the same kind of
// message over and over, and check afterwards that it did the work.
//
//   BM_raft_follower_append_entries/entries:N   a Raft follower appends N entries, applies the
//                                               ones the leader committed, and acknowledges
//   BM_paxos_acceptor_accept                    a Paxos acceptor accepts a value in a higher
//                                               ballot and answers the proposer and a learner
//
// Run with Google Benchmark's flags, e.g. --benchmark_filter=raft --benchmark_min_time=0.5.
// The tests run it with a tiny --benchmark_min_time. Exits non-zero if a handler did not do its
// work. benchmarks/ holds the project's own, fuller set (with heap allocation counts).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <vector>

#include <synod/paxos/acceptor.hpp>
#include <synod/raft/node.hpp>
#include <synod/storage/memory.hpp>
#include <synod/storage/paxos_memory.hpp>

namespace {

int failures = 0;
void check(benchmark::State& state, bool ok, const char* what) {
    if (ok) return;
    state.SkipWithError(what);
    ++failures;
}

/// Drops every message, but only after making the compiler build it: building the message is
/// part of the handler's cost. Counts them in `*sent`, for the checks.
struct null_transport {
    std::uint64_t* sent;
    template <class Message>
    void send(synod::node_id, const Message& m) {
        benchmark::DoNotOptimize(&m);
        ++*sent;
    }
};

/// A clock that never moves: no timer fires during a benchmark.
struct still_clock {
    synod::time_point now() const noexcept { return synod::time_point{0}; }
    void arm(synod::time_point) noexcept {}
};

struct sum {
    long total = 0;
    void apply(const synod::entry<long>& e) { total += e.payload; }
};

// ---- a Raft follower's AppendEntries ---------------------------------------------------------

struct raft_traits {
    using payload = long;
    using storage = synod::storage::memory_log<long>;
    using transport = null_transport;
    using timer = still_clock;
    using random = synod::xoshiro256;
    using state_machine = sum;
};

void BM_raft_follower_append_entries(benchmark::State& state) {
    using namespace synod;
    using entry_type = entry<long>;
    const auto n = static_cast<std::size_t>(state.range(0));
    std::uint64_t sent = 0;
    // node(id, configuration, settings, storage, transport, timer, random, state machine)
    raft::node<raft_traits> follower{node_id{2}, configuration{node_set{1u, 2u, 3u}, {}, {}},
                                     raft::settings{}, {}, null_transport{&sent}, {},
                                     xoshiro256{2}, {}};
    std::vector<entry_type> batch(n);
    log_index last{0};
    for (auto _ : state) {
        for (std::size_t k = 0; k < n; ++k)
            batch[k] = entry_type{term_t{1}, last + (k + 1), entry_kind::normal, 1};
        // The leader's commit index is one message behind: each message also applies a batch.
        follower.on(raft::message<long>{raft::append_entries<long>{
            term_t{1}, node_id{1}, last, last == log_index{0} ? term_t{0} : term_t{1}, last,
            batch}});
        last = last + n;
        if (follower.storage().last_index() - follower.storage().first_index() > 4096) {
            // Keep the log short, as a real node compacts behind a snapshot; not timed.
            state.PauseTiming();
            const log_index applied = follower.applied_index();
            follower.storage().compact_through(applied, follower.storage().term_at(applied));
            state.ResumeTiming();
        }
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
    const auto messages = static_cast<std::uint64_t>(state.iterations());
    check(state, follower.last_index() == last, "the follower did not append every entry");
    check(state, sent == messages, "not every AppendEntries was answered");
    check(state, follower.state_machine().total == static_cast<long>((messages - 1) * n),
          "the follower did not apply what the leader committed");
}
BENCHMARK(BM_raft_follower_append_entries)->ArgName("entries")->Arg(1)->Arg(16)->Arg(64);

// ---- a Paxos acceptor's accept ---------------------------------------------------------------

struct acceptor_traits {
    using value_type = long;
    using storage = synod::storage::memory_acceptor<long>;
    using transport = null_transport;
};

void BM_paxos_acceptor_accept(benchmark::State& state) {
    using namespace synod;
    // Node 2 accepts for proposer 1 and tells learner 3 too.
    std::uint64_t sent = 0;
    paxos::acceptor<acceptor_traits> acceptor{node_id{2}, node_set{3u}, {}, null_transport{&sent}};
    std::uint64_t round = 1;
    for (auto _ : state) {
        acceptor.on(paxos::message<long>{
            paxos::accept<long>{node_id{1}, proposal<long>{ballot{round, node_id{1}}, 42}}});
        ++round;
    }
    const auto accepted = acceptor.storage().accepted();
    check(state, accepted && accepted->number == ballot{round - 1, node_id{1}},
          "the acceptor did not accept the last ballot");
    check(state, sent == 2 * static_cast<std::uint64_t>(state.iterations()),
          "not every accept was answered to the proposer and the learner");
}
BENCHMARK(BM_paxos_acceptor_accept);

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    if (failures != 0) std::fprintf(stderr, "bench_handler: %d checks FAILED\n", failures);
    return failures == 0 ? 0 : 1;
}
