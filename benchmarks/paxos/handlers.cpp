// One benchmark per Paxos handler: the single-decree acceptor's prepare and accept, the learner's
// accepted, and a Multi-Paxos leader's phase-2 round. Same policies and counters as the Raft
// handlers (benchmarks/raft/handlers.cpp). Built only when the Paxos headers are present.
#if __has_include("synod/paxos/multi_paxos.hpp") && __has_include("synod/storage/paxos_memory.hpp")

#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>

#include "support/alloc_counter.hpp"
#include "support/policies.hpp"
#include "synod/core/quorum.hpp"
#include "synod/core/random.hpp"
#include "synod/paxos/acceptor.hpp"
#include "synod/paxos/learner.hpp"
#include "synod/paxos/multi_paxos.hpp"
#include "synod/storage/paxos_memory.hpp"

namespace {

using namespace synod;
using bench::payload;

void report_allocations(benchmark::State& state, std::uint64_t before) {
    state.counters["allocs_per_op"] = benchmark::Counter(
        static_cast<double>(bench::allocations() - before), benchmark::Counter::kAvgIterations);
}

// ---- single-decree --------------------------------------------------------------------------

struct acceptor_traits {
    using value_type = payload;
    using storage = storage::memory_acceptor<payload>;
    using transport = bench::counting_transport;
};
using acceptor_type = paxos::acceptor<acceptor_traits>;
using sd_message = paxos::message<payload>;

/// An acceptor promises a higher ballot (every iteration is a new round) and answers.
void BM_paxos_acceptor_prepare(benchmark::State& state) {
    std::uint64_t sent = 0;
    acceptor_type a{node_id{2}, node_set{}, {}, bench::counting_transport{&sent}};
    std::uint64_t round = 1;
    const std::uint64_t before = bench::allocations();
    for (auto _ : state) {
        a.on(sd_message{paxos::prepare{node_id{1}, ballot{round, node_id{1}}}});
        ++round;
    }
    report_allocations(state, before);
    if (sent != static_cast<std::uint64_t>(state.iterations())) state.SkipWithError("not every prepare was answered");
}
BENCHMARK(BM_paxos_acceptor_prepare);

/// An acceptor accepts a 128-byte value in a higher ballot and answers the proposer and one
/// learner.
void BM_paxos_acceptor_accept(benchmark::State& state) {
    std::uint64_t sent = 0;
    acceptor_type a{node_id{2}, node_set{3u}, {}, bench::counting_transport{&sent}};
    std::uint64_t round = 1;
    const payload v{};
    const std::uint64_t before = bench::allocations();
    for (auto _ : state) {
        a.on(sd_message{paxos::accept<payload>{node_id{1}, proposal<payload>{ballot{round, node_id{1}}, v}}});
        ++round;
    }
    report_allocations(state, before);
}
BENCHMARK(BM_paxos_acceptor_accept);

struct learner_traits {
    using value_type = payload;
    using quorum = majority;
};
using learner_type = paxos::learner<learner_traits>;

/// A learner of a three-acceptor cluster counts accepted messages; the second one chooses the
/// value. One iteration: a fresh learner and two accepted messages (items = messages).
void BM_paxos_learner_accepted(benchmark::State& state) {
    configuration config;
    config.voters = node_set{1u, 2u, 3u};
    const proposal<payload> voted{ballot{1, node_id{1}}, payload{}};
    const sd_message from2{paxos::accepted<payload>{node_id{2}, voted}};
    const sd_message from3{paxos::accepted<payload>{node_id{3}, voted}};
    const std::uint64_t before = bench::allocations();
    for (auto _ : state) {
        learner_type l{node_id{4}, config};
        l.on(from2);
        l.on(from3);
        benchmark::DoNotOptimize(l.chosen().has_value());
    }
    report_allocations(state, before);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * 2));
}
BENCHMARK(BM_paxos_learner_accepted);

// ---- Multi-Paxos ----------------------------------------------------------------------------

/// Counts applies; snapshots are the count, so the replica compiles in log compaction.
struct counting_snapshot_machine {
    std::uint64_t applied = 0;
    void apply(const entry<payload>&) noexcept { ++applied; }
    std::uint64_t snapshot() const noexcept { return applied; }
    void restore(std::uint64_t s) noexcept { applied = s; }
};

struct multi_traits {
    using payload_type = payload;
    using storage = storage::memory_paxos_log<payload, std::uint64_t>;
    using transport = bench::counting_transport;
    using timer = bench::manual_timer;
    using random = xoshiro256;
    using state_machine = counting_snapshot_machine;
    using quorum = majority;
};
using replica_type = multi_paxos::replica<multi_traits>;
using mp_message = multi_paxos::message<payload, std::uint64_t>;

/// A Multi-Paxos leader's whole share of one slot in phase 2: propose(p) (accept its own
/// proposal, send accept to both acceptors) and one acceptor's accepted (the slot is chosen and
/// applied). The log is compacted every 4096 slots (amortized into the timing).
void BM_multi_paxos_leader_round(benchmark::State& state) {
    std::uint64_t sent = 0;
    std::uint64_t clock = 0;
    configuration config;
    config.voters = node_set{1u, 2u, 3u};
    multi_traits::storage log;
    log.reserve(8192);
    auto r = std::make_unique<replica_type>(node_id{1}, config, multi_paxos::settings{},
                                            std::move(log), bench::counting_transport{&sent},
                                            bench::manual_timer{&clock}, xoshiro256{1},
                                            counting_snapshot_machine{});
    (void)r->campaign();
    const ballot b = r->current_ballot();
    r->on(mp_message{multi_paxos::promise<payload>{node_id{2}, b, log_index{1}, log_index{0},
                                                   log_index{0}, {}}});
    if (!r->is_leader()) {
        state.SkipWithError("replica did not become leader");
        return;
    }
    const payload p{};
    const std::uint64_t before = bench::allocations();
    for (auto _ : state) {
        const log_index slot = *r->propose(p);
        r->on(mp_message{multi_paxos::accepted{node_id{2}, b, slot, slot, r->commit_index()}});
        if (slot.value % 4096 == 0) (void)r->compact();
    }
    report_allocations(state, before);
    if (r->commit_index() != r->storage().last_index()) state.SkipWithError("slot not chosen");
}
BENCHMARK(BM_multi_paxos_leader_round);

}  // namespace

#endif
