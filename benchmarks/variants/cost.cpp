// What a protocol variant costs: a 3-node cluster on the sync runtime (std::string payloads,
// storage::memory_log or memory_paxos_log) that elects, commits and uses the variant's
// commands, built once per variant by scripts/variant-cost, which reports the stripped .text
// size of each build and the sizeof(node) this program prints. Macros (set by the script):
//   PAXOS=1            Multi-Paxos with quorum system QUORUM (a type) built from QUORUM_VALUE
//   FEATURES=...       Raft: the designated initializers of raft::features
//   READS, LEASE, TRANSFER, SNAPSHOTS, MEMBERSHIP = 1   exercise those commands (Raft)
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "synod/core/quorum.hpp"
#include "synod/paxos/multi_paxos.hpp"
#include "synod/raft/node.hpp"
#include "synod/runtime/sync/network.hpp"
#include "synod/storage/memory.hpp"
#include "synod/storage/paxos_memory.hpp"

namespace {

using payload = std::string;

struct machine {
    std::size_t bytes = 0;
    std::size_t reads = 0;
    void apply(const synod::entry<payload>& e) {
        if (e.kind == synod::entry_kind::normal) bytes += e.payload.size();
    }
#if READS
    void on_read(const synod::raft::read_ready& r) { reads += r.ok ? 1 : 0; }
#endif
#if SNAPSHOTS
    std::vector<std::byte> snapshot() const { return std::vector<std::byte>(sizeof bytes); }
    void restore(std::span<const std::byte>) {}
#endif
};

#if PAXOS
using message = synod::multi_paxos::message<payload>;
#else
using message = synod::raft::message<payload>;
#endif
using network = synod::runtime::sync::network<message>;

#if PAXOS
struct traits {
    using payload_type = payload;
    using storage = synod::storage::memory_paxos_log<payload>;
    using transport = network::transport;
    using timer = network::timer;
    using random = synod::xoshiro256;
    using state_machine = machine;
    using quorum = QUORUM;
};
using node = synod::multi_paxos::replica<traits>;
node* make(network& net, const synod::configuration& c, synod::node_id id) {
    return new node{id, c, synod::multi_paxos::settings{}, traits::storage{}, net.transport_for(id),
                    net.timer_for(id), synod::xoshiro256{id.value}, machine{}, QUORUM_VALUE};
}
#else
struct traits {
    using payload = ::payload;
    using storage = synod::storage::memory_log<payload>;
    using transport = network::transport;
    using timer = network::timer;
    using random = synod::xoshiro256;
    using state_machine = machine;
    static constexpr synod::raft::features features{FEATURES};
};
using node = synod::raft::node<traits>;
node* make(network& net, const synod::configuration& c, synod::node_id id) {
    return new node{id, c, synod::raft::settings{}, traits::storage{}, net.transport_for(id),
                    net.timer_for(id), synod::xoshiro256{id.value}, machine{}};
}
#endif

}  // namespace

int main() {
    network net;
    synod::configuration config;
    config.voters = synod::node_set{1u, 2u, 3u};
    std::vector<std::unique_ptr<node>> nodes;
    for (std::uint32_t i = 1; i <= 3; ++i) {
        nodes.emplace_back(make(net, config, synod::node_id{i}));
        net.attach(synod::node_id{i}, *nodes.back());
    }
    net.run_for(50);
    node* leader = nullptr;
    for (auto& n : nodes)
        if (n->is_leader()) leader = n.get();
    if (!leader) return 1;
    for (int i = 0; i < 10; ++i)
        if (!leader->propose("command")) return 2;
    net.run_for(3);
#if READS
    if (!leader->read_index(1)) return 3;
#endif
#if LEASE
    (void)leader->lease_read(2);
#endif
#if TRANSFER
    (void)leader->transfer_leadership(leader->id() == synod::node_id{1} ? synod::node_id{2}
                                                                         : synod::node_id{1});
#endif
#if MEMBERSHIP
    // Demote a voter and promote it again (one single-server change after the other).
    synod::node_id other{leader->id() == synod::node_id{1} ? 2u : 1u};
    synod::configuration c = leader->config();
    c.voters.erase(other);
    c.learners.insert(other);
    if (!leader->propose_configuration(c)) return 5;
    net.run_for(5);
    c.learners.erase(other);
    c.voters.insert(other);
    if (!leader->propose_configuration(c)) return 6;
#endif
#if SNAPSHOTS
    leader->compact();
#endif
    net.run_for(30);
    for (auto& n : nodes)
        if (n->state_machine().bytes != 10 * payload{"command"}.size()) return 4;
    std::printf("%zu\n", sizeof(node));
    return 0;
}
