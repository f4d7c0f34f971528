// synod-bench-w1: workload W1 (shared/peers/README.md) on synod's Raft and Multi-Paxos.
//
// N nodes in one process and one thread, in-process FIFO delivery (no loss, no serialization;
// the entries an AppendEntries / accept borrows from the leader's log are copied once per
// receiver, as any queueing transport must). Node 1 is elected first (untimed). Then E entries
// of 128 bytes are proposed in rounds of B: each round is proposed to the leader, then messages
// are delivered until every entry of the round is applied on all N nodes. Timed from the first
// proposal to the last apply; one untimed warm-up repetition, then the median of R timed ones,
// each on a fresh cluster.
//
//   synod-bench-w1 --protocol raft|multipaxos --nodes N --batch B --entries E --reps R
//                  [--storage memory|static] [--propose each|batch] [--transport fifo|sync]
//                  [--inflight N]
//
// --nodes and --batch take comma lists; one line per configuration, in the peers' format:
//   peer=synod-raft n=3 b=64 ns_per_entry=... entries_per_s=... rss_kb=... allocs_per_entry=...
//   steady_allocs=...
// rss_kb is the process's peak RSS so far (getrusage). allocs_per_entry counts every heap
// allocation inside the timed regions (benchmarks/support/alloc_counter.cpp) per entry;
// steady_allocs is the number made in the second halves of the timed repetitions (steady state).
//
// Storage: `memory` is storage::memory_log (a std::vector per node that grows inside the timed
// region, like every peer's log); `static` is storage::static_log, allocated and zeroed once per
// node before the timer starts (like shared/peers/physical's arena).
// Proposals: `each` calls propose(p) once per entry (the canonical per-entry API, as the peers'
// W1 rows); `batch` proposes the round with one call (the peers' "batchprop"/"batchapply" rows).
// --inflight sets Raft's settings.inflight_messages_max (default 64: every per-entry proposal
// leaves at once in its own AppendEntries; with a small window later proposals wait and leave
// together); names get an -inflightN suffix.
// Transport: `sync` (default) is the library's runtime::sync::network; `fifo` is
// cluster/fifo_network.hpp, a leaner FIFO built for this harness (names get a -fifo suffix). The
// two measure the same within noise here: the network is not where W1's time goes
// (docs/benchmarks.md).
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/fifo_network.hpp"
#include "support/alloc_counter.hpp"
#include "synod/core/quorum.hpp"
#include "synod/core/random.hpp"
#include "synod/raft/node.hpp"
#include "synod/runtime/sync/network.hpp"
#include "synod/storage/memory.hpp"
#include "synod/storage/static.hpp"

#if __has_include("synod/paxos/multi_paxos.hpp") && __has_include("synod/storage/paxos_memory.hpp")
#include "synod/paxos/multi_paxos.hpp"
#include "synod/storage/paxos_memory.hpp"
#define SYNOD_BENCH_HAVE_MULTI_PAXOS 1
#else
#define SYNOD_BENCH_HAVE_MULTI_PAXOS 0
#endif

namespace {

using namespace synod;

constexpr std::size_t payload_size = 128;
/// A W1 payload: 128 bytes by value (no heap), so copying an entry never allocates.
using payload = std::array<std::byte, payload_size>;

/// Entries a static_log holds: E (200000) plus the leader's no-op, rounded up.
constexpr std::size_t static_capacity = 200'064;

/// The state machine: counts applied entries, as every peer's does.
struct counter {
    std::uint64_t applied = 0;
    void apply(const entry<payload>& e) noexcept {
        if (e.kind == entry_kind::normal) ++applied;
    }
};

enum class storage_kind { memory, fixed };
enum class transport_kind { fifo, sync };
enum class propose_mode { each, batch };

struct options {
    std::string protocol = "raft";
    std::vector<unsigned> nodes{3};
    std::vector<unsigned> batches{1};
    std::uint64_t entries = 200'000;
    unsigned reps = 5;
    storage_kind storage = storage_kind::memory;
    propose_mode propose = propose_mode::each;
    transport_kind transport = transport_kind::sync;
    std::size_t inflight = raft::settings{}.inflight_messages_max;
};

/// Raft's settings for the run: the library's defaults but for --inflight.
raft::settings raft_settings{};

struct rep_result {
    double ns = 0;
    std::uint64_t allocations = 0;         ///< in the whole timed region
    std::uint64_t second_half_allocations = 0;  ///< in its second half: steady state
};

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "synod-bench-w1: %s\n", what);
    std::exit(1);
}

/// Fills `p` with entry number `seq` (distinct payloads, as the peers build them).
void fill(payload& p, std::uint64_t seq) noexcept { std::memcpy(p.data(), &seq, sizeof seq); }

double now_ns() {
    return std::chrono::duration<double, std::nano>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// ---- Raft ----------------------------------------------------------------------------------

/// W1 needs no timer during the run: the harness elects node 1 with campaign().
struct idle_timer {
    time_point now() const noexcept { return time_point{0}; }
    void arm(time_point) noexcept {}
};

using raft_message = raft::message<payload>;
using raft_sync_network = runtime::sync::network<raft_message>;
using raft_fifo_network = bench::fifo_network<raft_message>;
using static_log_type = storage::static_log<payload, static_capacity>;

template <storage_kind Kind, transport_kind T>
struct raft_traits {
    using payload = ::payload;
    using storage = std::conditional_t<Kind == storage_kind::memory, storage::memory_log<payload>,
                                       storage::log_ref<static_log_type>>;
    using transport = std::conditional_t<T == transport_kind::fifo, raft_fifo_network::transport,
                                         raft_sync_network::transport>;
    using timer = std::conditional_t<T == transport_kind::fifo, idle_timer, raft_sync_network::timer>;
    using random = xoshiro256;
    using state_machine = counter;
};

template <storage_kind Kind, transport_kind T>
rep_result raft_once(unsigned n, unsigned b, std::uint64_t e, propose_mode mode) {
    using traits = raft_traits<Kind, T>;
    using node_type = raft::node<traits>;
    std::conditional_t<T == transport_kind::fifo, raft_fifo_network, raft_sync_network> net;
    configuration config;
    for (std::uint32_t i = 1; i <= n; ++i) config.voters.insert(node_id{i});

    std::vector<std::unique_ptr<static_log_type>> logs;  // static storage: one per node, up front
    std::vector<std::unique_ptr<node_type>> nodes;
    for (std::uint32_t i = 1; i <= n; ++i) {
        const node_id id{i};
        typename traits::storage s = [&] {
            if constexpr (Kind == storage_kind::memory) {
                return storage::memory_log<payload>{};
            } else {
                logs.push_back(std::make_unique<static_log_type>());  // zeroed: pages mapped now
                return storage::log_ref<static_log_type>{*logs.back()};
            }
        }();
        typename traits::timer timer = [&] {
            if constexpr (T == transport_kind::fifo) {
                return idle_timer{};
            } else {
                return net.timer_for(id);
            }
        }();
        nodes.push_back(std::make_unique<node_type>(id, config, raft_settings, std::move(s),
                                                    net.transport_for(id), timer, xoshiro256{i},
                                                    counter{}));
        if constexpr (T == transport_kind::sync) net.attach(id, *nodes.back());
    }
    const auto pump = [&] {
        if constexpr (T == transport_kind::fifo) {
            net.deliver_all([&](node_id to, const raft_message& m) { nodes[to.value - 1]->on(m); });
        } else {
            net.deliver_all();
        }
    };
    node_type& leader = *nodes.front();
    leader.campaign();
    pump();
    if (!leader.is_leader()) fail("node 1 did not become leader");
    if constexpr (Kind == storage_kind::fixed) {
        if (logs.front()->room() < e) fail("--entries exceeds the static log's capacity");
    }

    std::vector<payload> round(b);
    const std::uint64_t allocs_before = bench::allocations();
    std::uint64_t allocs_half = allocs_before;
    const double start = now_ns();
    std::uint64_t proposed = 0;
    while (proposed < e) {
        const auto k = static_cast<std::size_t>(std::min<std::uint64_t>(b, e - proposed));
        for (std::size_t j = 0; j < k; ++j) fill(round[j], proposed + j);
        if (mode == propose_mode::batch) {
            if (!leader.propose(std::span<const payload>{round.data(), k})) fail("propose failed");
        } else {
            for (std::size_t j = 0; j < k; ++j)
                if (!leader.propose(round[j])) fail("propose failed");
        }
        if (proposed < e / 2 && e / 2 <= proposed + k) allocs_half = bench::allocations();
        proposed += k;
        pump();
        for (const auto& node : nodes)
            if (node->state_machine().applied != proposed) fail("round not applied on every node");
    }
    const double stop = now_ns();
    const std::uint64_t allocs_end = bench::allocations();
    if (!leader.is_leader()) fail("leader changed");
    return {stop - start, allocs_end - allocs_before, allocs_end - allocs_half};
}

// ---- Multi-Paxos ---------------------------------------------------------------------------

#if SYNOD_BENCH_HAVE_MULTI_PAXOS
using paxos_message = multi_paxos::message<payload>;
using paxos_sync_network = runtime::sync::network<paxos_message>;
using paxos_fifo_network = bench::fifo_network<paxos_message>;

/// The fifo network's clock: the harness moves it and fires the leader's timer itself.
struct shared_clock_timer {
    const std::uint64_t* clock;
    time_point now() const noexcept { return time_point{*clock}; }
    void arm(time_point) noexcept {}
};

template <transport_kind T>
struct paxos_traits {
    using payload_type = ::payload;
    using storage = storage::memory_paxos_log<payload>;
    using transport = std::conditional_t<T == transport_kind::fifo, paxos_fifo_network::transport,
                                         paxos_sync_network::transport>;
    using timer = std::conditional_t<T == transport_kind::fifo, shared_clock_timer,
                                     paxos_sync_network::timer>;
    using random = xoshiro256;
    using state_machine = counter;
    using quorum = majority;
};

template <storage_kind Kind, transport_kind T>
rep_result paxos_once(unsigned n, unsigned b, std::uint64_t e, propose_mode mode) {
    static_assert(Kind == storage_kind::memory);
    using traits = paxos_traits<T>;
    using replica_type = multi_paxos::replica<traits>;
    std::conditional_t<T == transport_kind::fifo, paxos_fifo_network, paxos_sync_network> net;
    std::uint64_t clock = 0;
    configuration config;
    for (std::uint32_t i = 1; i <= n; ++i) config.voters.insert(node_id{i});
    multi_paxos::settings s;
    std::vector<std::unique_ptr<replica_type>> nodes;
    for (std::uint32_t i = 1; i <= n; ++i) {
        const node_id id{i};
        typename traits::timer timer = [&] {
            if constexpr (T == transport_kind::fifo) {
                return shared_clock_timer{&clock};
            } else {
                return net.timer_for(id);
            }
        }();
        nodes.push_back(std::make_unique<replica_type>(id, config, s, typename traits::storage{},
                                                       net.transport_for(id), timer,
                                                       xoshiro256{i}, counter{}));
        if constexpr (T == transport_kind::sync) net.attach(id, *nodes.back());
    }
    replica_type& leader = *nodes.front();
    const auto pump = [&] {
        if constexpr (T == transport_kind::fifo) {
            net.deliver_all([&](node_id to, const paxos_message& m) { nodes[to.value - 1]->on(m); });
        } else {
            net.deliver_all();
        }
    };
    // The leader's heartbeat (an empty accept carrying its commit index) after one interval.
    const auto heartbeat = [&] {
        if constexpr (T == transport_kind::fifo) {
            clock += s.heartbeat_ticks;
            leader.on(timeout{});
        } else {
            net.advance(s.heartbeat_ticks);
        }
        pump();
    };
    if (!leader.campaign()) fail("campaign failed");
    pump();
    if (!leader.is_leader()) fail("node 1 did not become leader");

    std::vector<payload> round(b);
    std::uint64_t heartbeats = 0;
    const std::uint64_t allocs_before = bench::allocations();
    std::uint64_t allocs_half = allocs_before;
    const double start = now_ns();
    std::uint64_t proposed = 0;
    while (proposed < e) {
        const auto k = static_cast<std::size_t>(std::min<std::uint64_t>(b, e - proposed));
        for (std::size_t j = 0; j < k; ++j) fill(round[j], proposed + j);
        if (mode == propose_mode::batch) {
            if (!leader.propose_batch(std::span<const payload>{round.data(), k}))
                fail("propose failed");
        } else {
            for (std::size_t j = 0; j < k; ++j)
                if (!leader.propose(round[j])) fail("propose failed");
        }
        if (proposed < e / 2 && e / 2 <= proposed + k) allocs_half = bench::allocations();
        proposed += k;
        pump();
        // Followers learn the commit index from the leader's next accept or heartbeat: move the
        // clock (simulated, free) until every node applied the round.
        for (;;) {
            bool all = true;
            for (const auto& node : nodes) all = all && node->state_machine().applied == proposed;
            if (all) break;
            heartbeat();
            if (++heartbeats > 4 * e + 100) fail("round not applied on every node");
        }
    }
    const double stop = now_ns();
    const std::uint64_t allocs_end = bench::allocations();
    if (!leader.is_leader()) fail("leader changed");
    return {stop - start, allocs_end - allocs_before, allocs_end - allocs_half};
}
#endif

// ---- driver --------------------------------------------------------------------------------

std::vector<unsigned> parse_list(const char* s) {
    std::vector<unsigned> out;
    const std::string text = s;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        const std::size_t comma = std::min(text.find(',', pos), text.size());
        out.push_back(static_cast<unsigned>(std::stoul(text.substr(pos, comma - pos))));
        pos = comma + 1;
    }
    return out;
}

int usage() {
    std::fprintf(stderr,
                 "usage: synod-bench-w1 --protocol raft|multipaxos --nodes N[,N...] "
                 "--batch B[,B...] --entries E --reps R [--storage memory|static] "
                 "[--propose each|batch] [--transport fifo|sync] [--inflight N]\n");
    return 2;
}

long peak_rss_kb() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

}  // namespace

int main(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view k = argv[i];
        if (i + 1 >= argc) return usage();
        const char* v = argv[++i];
        try {
            if (k == "--protocol") {
                o.protocol = v;
            } else if (k == "--nodes") {
                o.nodes = parse_list(v);
            } else if (k == "--batch") {
                o.batches = parse_list(v);
            } else if (k == "--entries") {
                o.entries = std::stoull(v);
            } else if (k == "--reps") {
                o.reps = static_cast<unsigned>(std::stoul(v));
            } else if (k == "--storage") {
                if (std::string_view{v} == "memory") o.storage = storage_kind::memory;
                else if (std::string_view{v} == "static") o.storage = storage_kind::fixed;
                else return usage();
            } else if (k == "--inflight") {
                o.inflight = std::stoul(v);
            } else if (k == "--transport") {
                if (std::string_view{v} == "fifo") o.transport = transport_kind::fifo;
                else if (std::string_view{v} == "sync") o.transport = transport_kind::sync;
                else return usage();
            } else if (k == "--propose") {
                if (std::string_view{v} == "each") o.propose = propose_mode::each;
                else if (std::string_view{v} == "batch") o.propose = propose_mode::batch;
                else return usage();
            } else {
                return usage();
            }
        } catch (const std::exception&) {
            return usage();
        }
    }
    for (unsigned n : o.nodes)
        if (n < 1 || n > max_nodes) return usage();
    for (unsigned b : o.batches)
        if (b < 1) return usage();
    if (o.reps < 1 || o.entries < 1) return usage();
    if (o.inflight < 1 || o.inflight > raft::capacities::inflight) return usage();
    raft_settings.inflight_messages_max = o.inflight;

    using runner = rep_result (*)(unsigned, unsigned, std::uint64_t, propose_mode);
    const bool fifo = o.transport == transport_kind::fifo;
    std::string name;
    runner once = nullptr;
    if (o.protocol == "raft") {
        if (o.storage == storage_kind::memory) {
            name = "synod-raft";
            once = fifo ? raft_once<storage_kind::memory, transport_kind::fifo>
                        : raft_once<storage_kind::memory, transport_kind::sync>;
        } else {
            if (o.entries + 1 > static_capacity) {
                std::fprintf(stderr, "synod-bench-w1: --storage static holds at most %zu entries\n",
                             static_capacity - 1);
                return 2;
            }
            name = "synod-raft-static";
            once = fifo ? raft_once<storage_kind::fixed, transport_kind::fifo>
                        : raft_once<storage_kind::fixed, transport_kind::sync>;
        }
    } else if (o.protocol == "multipaxos") {
#if SYNOD_BENCH_HAVE_MULTI_PAXOS
        if (o.storage != storage_kind::memory) {
            std::fprintf(stderr, "synod-bench-w1: Multi-Paxos runs on memory storage only\n");
            return 2;
        }
        name = "synod-multipaxos";
        once = fifo ? paxos_once<storage_kind::memory, transport_kind::fifo>
                    : paxos_once<storage_kind::memory, transport_kind::sync>;
#else
        std::fprintf(stderr,
                     "synod-bench-w1: not built: Multi-Paxos not available in this build\n");
        return 2;
#endif
    } else {
        return usage();
    }
    if (o.propose == propose_mode::batch) name += "-batchprop";
    if (fifo) name += "-fifo";
    if (o.protocol == "raft" && o.inflight != raft::settings{}.inflight_messages_max)
        name += "-inflight" + std::to_string(o.inflight);

    for (unsigned n : o.nodes) {
        for (unsigned b : o.batches) {
            const rep_result warm = once(n, b, o.entries, o.propose);  // untimed warm-up
            std::fprintf(stderr, "warm-up rep: %.1f ns/entry\n", warm.ns / double(o.entries));
            std::vector<double> ns;
            std::uint64_t allocs = 0;
            std::uint64_t steady_allocs = 0;
            std::fprintf(stderr, "all reps (ns/entry):");
            for (unsigned r = 0; r < o.reps; ++r) {
                const rep_result x = once(n, b, o.entries, o.propose);
                ns.push_back(x.ns);
                allocs += x.allocations;
                steady_allocs += x.second_half_allocations;
                std::fprintf(stderr, " %.1f", x.ns / double(o.entries));
            }
            std::fprintf(stderr, "\n");
            std::sort(ns.begin(), ns.end());
            const double per = ns[ns.size() / 2] / double(o.entries);
            std::printf("peer=%s n=%u b=%u ns_per_entry=%.1f entries_per_s=%.0f rss_kb=%ld "
                        "allocs_per_entry=%.4f steady_allocs=%llu\n",
                        name.c_str(), n, b, per, 1e9 / per, peak_rss_kb(),
                        double(allocs) / double(o.entries * o.reps),
                        static_cast<unsigned long long>(steady_allocs));
            std::fflush(stdout);
        }
    }
    return 0;
}
