// A replicated log by Multi-Paxos: five replicas elect a leader by timeouts, commit a stream of
// commands at one phase-2 round trip each, lose the leader, elect another that recovers the slots
// in flight, and carry on. Every replica applies the same commands in the same order.
//
// Shows multi_paxos::replica on the sync runtime: one phase 1 per leader, pipelined phase 2,
// recovery of in-flight slots by a new leader, and redirecting clients with leader().
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "synod/core/quorum.hpp"
#include "synod/paxos/multi_paxos.hpp"
#include "synod/runtime/sync/network.hpp"
#include "synod/storage/paxos_memory.hpp"

namespace {

using command = std::string;
using message = synod::multi_paxos::message<command>;
using network = synod::runtime::sync::network<message>;

/// The application: a log of the commands applied, no-ops skipped.
struct journal {
    std::vector<command> lines;
    void apply(const synod::entry<command>& e) {
        if (e.kind == synod::entry_kind::normal) lines.push_back(e.payload);
    }
};

struct traits {
    using payload_type = command;
    using storage = synod::storage::memory_paxos_log<command>;
    using transport = network::transport;
    using timer = network::timer;
    using random = synod::xoshiro256;
    using state_machine = journal;
    using quorum = synod::majority;
};
using replica = synod::multi_paxos::replica<traits>;

int leader_of(const std::vector<std::unique_ptr<replica>>& rs, const network& net) {
    for (const auto& r : rs)
        if (net.attached(r->id()) && r->is_leader()) return static_cast<int>(r->id().value);
    return 0;
}

}  // namespace

int main() {
    network net;
    synod::configuration config;
    for (std::uint32_t i = 1; i <= 5; ++i) config.voters.insert(synod::node_id{i});
    std::vector<std::unique_ptr<replica>> rs;
    for (std::uint32_t i = 1; i <= 5; ++i) {
        const synod::node_id id{i};
        rs.push_back(std::make_unique<replica>(id, config, synod::multi_paxos::settings{},
                                               traits::storage{}, net.transport_for(id),
                                               net.timer_for(id), synod::xoshiro256{i}));
        net.attach(id, *rs.back());
    }

    net.run_for(50);  // election timeouts pick a leader
    const int first = leader_of(rs, net);
    if (!first) return 1;
    std::printf("leader: node %d\n", first);
    for (int i = 0; i < 20; ++i) {
        if (!rs[first - 1]->propose("set x " + std::to_string(i))) return 2;
        net.deliver_all();
    }

    // Proposals in flight when the leader crashes: some reached a quorum, some did not.
    net.drop_if([](const auto& env) { return env.to == synod::node_id{5}; });
    for (int i = 20; i < 25; ++i) {
        if (!rs[first - 1]->propose("set x " + std::to_string(i))) return 3;
    }
    net.deliver_one();
    net.deliver_one();
    net.detach(rs[first - 1]->id());
    net.recover();
    std::printf("leader %d crashed with slots in flight\n", first);

    net.run_for(60);
    const int second = leader_of(rs, net);
    if (!second || second == first) return 4;
    std::printf("new leader: node %d\n", second);
    // A follower redirects clients to the leader it knows.
    const int follower = second == 1 ? 2 : 1;
    if (follower != first) {
        const auto r = rs[follower - 1]->propose("misdirected");
        if (r || rs[follower - 1]->leader() != synod::node_id{static_cast<std::uint32_t>(second)})
            return 5;
    }
    for (int i = 0; i < 5; ++i) {
        if (!rs[second - 1]->propose("after " + std::to_string(i))) return 6;
    }
    net.run_for(5);

    const auto& reference = rs[second - 1]->state_machine().lines;
    for (const auto& r : rs) {
        if (static_cast<int>(r->id().value) == first) continue;
        if (r->state_machine().lines != reference) return 7;
    }
    if (reference.size() < 25 || reference.back() != "after 4") return 8;
    std::printf("%zu commands applied identically on every live replica; commit index %llu\n",
                reference.size(),
                static_cast<unsigned long long>(rs[second - 1]->commit_index().value));
    return 0;
}
