// The compile-time benchmark (scripts/bench times it at -O2): one translation unit that
// instantiates a Raft node and, when the Paxos headers are present, a Multi-Paxos replica, on the
// sync runtime with memory storage, and drives each through an election and one proposal so
// that every handler is instantiated. With -DSYNOD_BENCH_WITH_RANGE_V3 it also includes all of
// range-v3 and uses one of its views: what the build would cost if synod's headers pulled it in.
#include <cstdint>
#include <memory>
#include <vector>

#include "synod/core/random.hpp"
#include "synod/raft/node.hpp"
#include "synod/runtime/sync/network.hpp"
#include "synod/storage/memory.hpp"
#if __has_include("synod/paxos/multi_paxos.hpp") && __has_include("synod/storage/paxos_memory.hpp")
#include "synod/paxos/multi_paxos.hpp"
#include "synod/storage/paxos_memory.hpp"
#define SYNOD_BENCH_HAVE_MULTI_PAXOS 1
#endif
#ifdef SYNOD_BENCH_WITH_RANGE_V3
#include <range/v3/all.hpp>
#endif

namespace {

struct counter {
    long total = 0;
    void apply(const synod::entry<long>& e) { total += e.payload; }
};

using raft_network = synod::runtime::sync::network<synod::raft::message<long>>;
struct raft_traits {
    using payload = long;
    using storage = synod::storage::memory_log<long>;
    using transport = raft_network::transport;
    using timer = raft_network::timer;
    using random = synod::xoshiro256;
    using state_machine = counter;
};

int run_raft() {
    raft_network net;
    synod::configuration config;
    config.voters = synod::node_set{1u, 2u, 3u};
    std::vector<std::unique_ptr<synod::raft::node<raft_traits>>> nodes;
    for (std::uint32_t i = 1; i <= 3; ++i) {
        const synod::node_id id{i};
        nodes.push_back(std::make_unique<synod::raft::node<raft_traits>>(
            id, config, synod::raft::settings{}, raft_traits::storage{}, net.transport_for(id),
            net.timer_for(id), synod::xoshiro256{i}, counter{}));
        net.attach(id, *nodes.back());
    }
    nodes.front()->campaign();
    net.deliver_all();
    if (!nodes.front()->propose(42L)) return 1;
    net.run_for(3);
    return nodes.back()->state_machine().total == 42 ? 0 : 1;
}

#ifdef SYNOD_BENCH_HAVE_MULTI_PAXOS
using paxos_network = synod::runtime::sync::network<synod::multi_paxos::message<long>>;
struct paxos_traits {
    using payload_type = long;
    using storage = synod::storage::memory_paxos_log<long>;
    using transport = paxos_network::transport;
    using timer = paxos_network::timer;
    using random = synod::xoshiro256;
    using state_machine = counter;
    using quorum = synod::majority;
};

int run_paxos() {
    paxos_network net;
    synod::configuration config;
    config.voters = synod::node_set{1u, 2u, 3u};
    std::vector<std::unique_ptr<synod::multi_paxos::replica<paxos_traits>>> nodes;
    for (std::uint32_t i = 1; i <= 3; ++i) {
        const synod::node_id id{i};
        nodes.push_back(std::make_unique<synod::multi_paxos::replica<paxos_traits>>(
            id, config, synod::multi_paxos::settings{}, paxos_traits::storage{},
            net.transport_for(id), net.timer_for(id), synod::xoshiro256{i}, counter{}));
        net.attach(id, *nodes.back());
    }
    if (!nodes.front()->campaign()) return 1;
    net.deliver_all();
    if (!nodes.front()->propose(42L)) return 1;
    net.run_for(3);
    return nodes.back()->state_machine().total == 42 ? 0 : 1;
}
#else
int run_paxos() { return 0; }
#endif

}  // namespace

int main() {
    int status = run_raft() + run_paxos();
#ifdef SYNOD_BENCH_WITH_RANGE_V3
    const std::vector<int> xs{1, 2, 3};
    status += ranges::accumulate(xs | ranges::views::transform([](int x) { return x * 0; }), 0);
#endif
    return status;
}
