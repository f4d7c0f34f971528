// Three Raft nodes in one thread, on synod's sync runtime, replicating a counter.
//
// Shows raft::node and the smallest complete embedding, in one screen: pick the policies in a
// traits struct, build the nodes, attach them to the in-process network, and drive it (run_for
// delivers messages and fires timers). Run it: each node ends with the same counter.
#include <cstdio>
#include <memory>
#include <vector>

#include <synod/raft/node.hpp>
#include <synod/runtime/sync/network.hpp>
#include <synod/storage/memory.hpp>

using network = synod::runtime::sync::network<synod::raft::message<long>>;

// The state machine: adds each committed number to a running total.
struct counter {
    long total = 0;
    void apply(const synod::entry<long>& e) {
        if (e.kind == synod::entry_kind::normal) total += e.payload;
    }
};

struct traits {
    using payload = long;
    using storage = synod::storage::memory_log<long>;
    using transport = network::transport;
    using timer = network::timer;
    using random = synod::xoshiro256;
    using state_machine = counter;
};

int main() {
    network net;
    synod::configuration config;
    config.voters = synod::node_set{1u, 2u, 3u};

    std::vector<std::unique_ptr<synod::raft::node<traits>>> nodes;
    for (std::uint32_t i = 1; i <= 3; ++i) {
        const synod::node_id id{i};
        nodes.push_back(std::make_unique<synod::raft::node<traits>>(
            id, config, synod::raft::settings{}, traits::storage{}, net.transport_for(id),
            net.timer_for(id), synod::xoshiro256{i}, counter{}));
        net.attach(id, *nodes.back());
    }

    net.run_for(30);  // election timeouts fire; a leader is elected
    synod::raft::node<traits>* leader = nullptr;
    for (auto& n : nodes)
        if (n->is_leader()) leader = n.get();
    if (!leader) return 1;
    std::printf("node %u leads term %llu\n", leader->id().value,
                static_cast<unsigned long long>(leader->term().value));

    for (long x = 1; x <= 10; ++x)
        if (!leader->propose(x)) return 1;
    net.run_for(3);

    bool same = true;
    for (auto& n : nodes) {
        std::printf("node %u: commit %llu, total %ld\n", n->id().value,
                    static_cast<unsigned long long>(n->commit_index().value),
                    n->state_machine().total);
        same = same && n->state_machine().total == 55;
    }
    return same ? 0 : 1;
}
