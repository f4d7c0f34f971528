// A write-once register by single-decree Paxos: three processes each try to write their own
// value at the same moment; exactly one value is chosen, and every process reads the same one.
// One process then crashes and restarts from its acceptor storage, and still reads that value
// after asking again (a late write adopts the chosen value instead of its own).
//
// Shows single-decree Paxos: paxos::node composing proposer, acceptor and learner from one traits
// struct, dueling proposers separated by randomized back-off, and a restart from acceptor storage.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "synod/core/quorum.hpp"
#include "synod/paxos/node.hpp"
#include "synod/runtime/sync/network.hpp"
#include "synod/storage/paxos_memory.hpp"

namespace {

using value = std::string;
using network = synod::runtime::sync::network<synod::paxos::message<value>>;

struct traits {
    using value_type = value;
    using storage = synod::storage::memory_acceptor<value>;
    using transport = network::transport;
    using timer = network::timer;
    using random = synod::xoshiro256;
    using quorum = synod::majority;
};
using register_node = synod::paxos::node<traits>;

}  // namespace

int main() {
    network net;
    const synod::configuration cluster{synod::node_set{1u, 2u, 3u}, {}, {}};
    std::vector<std::unique_ptr<register_node>> nodes;
    const auto start = [&](std::uint32_t i, traits::storage disk) {
        const synod::node_id id{i};
        auto n = std::make_unique<register_node>(
            id, cluster, synod::paxos::proposer_settings{},
            register_node::policies{std::move(disk), net.transport_for(id), net.timer_for(id),
                                    synod::xoshiro256{i}, {}});
        net.attach(id, *n);
        return n;
    };
    for (std::uint32_t i = 1; i <= 3; ++i) nodes.push_back(start(i, {}));

    // Everyone writes at once: the proposers duel until back-off separates them.
    for (std::uint32_t i = 1; i <= 3; ++i) {
        if (!nodes[i - 1]->propose("written by " + std::to_string(i))) return 1;
    }
    for (int tick = 0; tick < 500; ++tick) net.run_for(1);

    std::string chosen;
    for (auto& n : nodes) {
        const auto v = n->chosen();
        if (!v) return 2;
        if (chosen.empty()) chosen = *v;
        if (*v != chosen) return 3;  // two values: Paxos would be broken
    }
    std::printf("register holds \"%s\"\n", chosen.c_str());

    // Node 2 restarts from its acceptor storage; a late write there adopts the chosen value.
    traits::storage disk = nodes[1]->as_acceptor().storage();
    net.detach(synod::node_id{2});
    nodes[1] = start(2, disk);
    if (!nodes[1]->propose("a late write")) return 4;
    net.run_for(100);
    const auto reread = nodes[1]->chosen();
    if (!reread || *reread != chosen) return 5;
    std::printf("after a restart node 2 reads \"%s\"\n", reread->c_str());
    return 0;
}
