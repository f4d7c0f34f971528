// One benchmark per Raft handler, on one node with the fixed-capacity log (storage/static.hpp),
// a transport that only counts sends and a clock moved by hand. Each reports ns per operation
// and `allocs_per_op`, the heap allocations per operation (benchmarks/support/alloc_counter.cpp).
// The logs are compacted as they fill (O(1) on a static_log), so every run is in steady state.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "support/alloc_counter.hpp"
#include "support/policies.hpp"
#include "synod/core/random.hpp"
#include "synod/raft/node.hpp"
#include "synod/storage/static.hpp"

namespace {

using namespace synod;
using bench::payload;

constexpr std::size_t log_capacity = 1 << 14;
using log_type = storage::static_log<payload, log_capacity>;

struct traits {
    using payload = bench::payload;
    using storage = storage::log_ref<log_type>;
    using transport = bench::counting_transport;
    using timer = bench::manual_timer;
    using random = xoshiro256;
    using state_machine = bench::counting_state_machine;
};
using node_type = raft::node<traits>;
using message_type = raft::message<payload>;
using entry_type = entry<payload>;

/// One node of a three-node cluster, its log allocated once.
struct one_node {
    std::unique_ptr<log_type> log = std::make_unique<log_type>();
    std::uint64_t sent = 0;
    std::uint64_t clock = 0;
    std::unique_ptr<node_type> node;

    explicit one_node(std::uint32_t self) {
        configuration config;
        config.voters = node_set{1u, 2u, 3u};
        node = std::make_unique<node_type>(node_id{self}, config, raft::settings{},
                                           storage::log_ref<log_type>{*log},
                                           bench::counting_transport{&sent}, bench::manual_timer{&clock},
                                           xoshiro256{self}, bench::counting_state_machine{});
    }
    /// Node 1 leading term 1, as after an election.
    static std::unique_ptr<one_node> leader() {
        auto n = std::make_unique<one_node>(1);
        n->node->campaign();
        n->node->on(message_type{raft::vote_response{term_t{1}, node_id{2}, true, false}});
        return n;
    }
    /// Drops applied entries when the log runs low on room (O(1) for a static_log).
    void compact_if_needed(std::size_t want) {
        if (log->room() >= want) return;
        const log_index a = node->applied_index();
        log->compact_through(a, log->term_at(a));
    }
};

void report_allocations(benchmark::State& state, std::uint64_t before) {
    state.counters["allocs_per_op"] = benchmark::Counter(
        static_cast<double>(bench::allocations() - before), benchmark::Counter::kAvgIterations);
}

// ---- follower -------------------------------------------------------------------------------

/// A follower handles AppendEntries carrying `entries` new entries (commit index one message
/// behind, so it also applies): appends, applies, acknowledges.
void BM_raft_follower_append(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    one_node f{2};
    std::vector<entry_type> batch(n);
    log_index last{0};
    const std::uint64_t before = bench::allocations();
    for (auto _ : state) {
        f.compact_if_needed(n);
        for (std::size_t k = 0; k < n; ++k) batch[k] = entry_type{term_t{1}, last + (k + 1), entry_kind::normal, {}};
        f.node->on(message_type{raft::append_entries<payload>{
            term_t{1}, node_id{1}, last, last == log_index{0} ? term_t{0} : term_t{1}, last,
            std::span<const entry_type>{batch}}});
        last = last + n;
    }
    report_allocations(state, before);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
    if (f.node->last_index() != last) state.SkipWithError("follower did not append");
}
BENCHMARK(BM_raft_follower_append)->ArgName("entries")->Arg(1)->Arg(64);

/// A follower handles a heartbeat (an empty AppendEntries at its match point) and answers it.
void BM_raft_follower_heartbeat(benchmark::State& state) {
    one_node f{2};
    const entry_type first{term_t{1}, log_index{1}, entry_kind::noop, {}};
    f.node->on(message_type{raft::append_entries<payload>{term_t{1}, node_id{1}, log_index{0},
                                                          term_t{0}, log_index{0},
                                                          std::span<const entry_type>{&first, 1}}});
    const message_type hb{raft::append_entries<payload>{term_t{1}, node_id{1}, log_index{1},
                                                        term_t{1}, log_index{1}, {}, true}};
    const std::uint64_t before = bench::allocations();
    for (auto _ : state) f.node->on(hb);
    report_allocations(state, before);
}
BENCHMARK(BM_raft_follower_heartbeat);

/// A follower grants a vote to a candidate of a newer term: steps down, saves term and vote,
/// answers (every iteration is a new term).
void BM_raft_vote_request(benchmark::State& state) {
    one_node f{2};
    std::uint64_t term = 1;
    const std::uint64_t before = bench::allocations();
    for (auto _ : state) {
        f.node->on(message_type{
            raft::vote_request{term_t{term}, node_id{1}, log_index{0}, term_t{0}, false, false}});
        ++term;
    }
    report_allocations(state, before);
    if (f.node->vote() != node_id{1}) state.SkipWithError("vote not granted");
}
BENCHMARK(BM_raft_vote_request);

// ---- leader ---------------------------------------------------------------------------------

/// The leader handles a follower's AppendEntries success that lets one more entry commit:
/// progress update, commit advance, apply, and the commit notification to that follower.
/// Entries are proposed 1024 at a time outside the timed region.
void BM_raft_leader_append_response(benchmark::State& state) {
    auto l = one_node::leader();
    std::vector<payload> chunk(1024);
    log_index acked = l->node->commit_index();
    log_index proposed = l->node->last_index();
    std::uint64_t before = bench::allocations();
    std::uint64_t paused_allocs = 0;
    for (auto _ : state) {
        if (acked == proposed) {
            state.PauseTiming();
            const std::uint64_t a = bench::allocations();
            l->compact_if_needed(chunk.size() + 1);
            proposed = *l->node->propose(std::span<const payload>{chunk});
            paused_allocs += bench::allocations() - a;
            state.ResumeTiming();
        }
        acked = acked.next();
        l->node->on(message_type{raft::append_response{term_t{1}, node_id{2}, true, acked, {}, {},
                                                        acked, false}});
    }
    before += paused_allocs;
    report_allocations(state, before);
    if (l->node->commit_index() != acked) state.SkipWithError("leader did not commit");
}
BENCHMARK(BM_raft_leader_append_response);

/// The leader's whole share of one replicated entry: propose(p) (append, AppendEntries to both
/// followers) and one follower's success (commit, apply, commit notification).
void BM_raft_leader_round(benchmark::State& state) {
    auto l = one_node::leader();
    payload p{};
    const std::uint64_t before = bench::allocations();
    for (auto _ : state) {
        l->compact_if_needed(2);
        const log_index i = *l->node->propose(p);
        l->node->on(message_type{
            raft::append_response{term_t{1}, node_id{2}, true, i, {}, {}, i, false}});
    }
    report_allocations(state, before);
}
BENCHMARK(BM_raft_leader_round);

/// The leader's heartbeat timer fires: an empty AppendEntries to each of two followers.
void BM_raft_leader_heartbeat(benchmark::State& state) {
    auto l = one_node::leader();
    const std::uint64_t before = bench::allocations();
    for (auto _ : state) {
        ++l->clock;
        l->node->on(timeout{});
    }
    report_allocations(state, before);
    if (!l->node->is_leader()) state.SkipWithError("leader stepped down");
}
BENCHMARK(BM_raft_leader_heartbeat);

}  // namespace
