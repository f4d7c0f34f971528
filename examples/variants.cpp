// One cluster, many protocols: the same program compiled with different compile-time options.
// Raft plain, with pre-vote, check-quorum, leadership transfer, ReadIndex reads and lease reads;
// Multi-Paxos over majority quorums and over Flexible Paxos quorums (sizes fixed at compile time,
// or chosen at run time). Each variant runs briefly on the sync runtime, commits commands and
// proves its own feature (an isolated leader steps down only with check-quorum, a transfer hands
// over leadership, a read is served ...), and the program prints sizeof of each node type: a
// feature that is off costs no data member (and no code). Exits non-zero if any check fails.
//
// -DSYNOD_VARIANT=N builds variant N alone (0 builds none). What each feature costs in code
// size is measured by scripts/variant-cost (benchmarks/variants/cost.cpp).
#include <cstdio>
#include <memory>
#include <vector>

#include <synod/core/quorum.hpp>
#include <synod/paxos/multi_paxos.hpp>
#include <synod/raft/node.hpp>
#include <synod/runtime/sync/network.hpp>
#include <synod/storage/memory.hpp>
#include <synod/storage/paxos_memory.hpp>

#ifndef SYNOD_VARIANT
#define SYNOD_VARIANT (-1)  // every variant
#endif
#define SYNOD_BUILDS(n) (SYNOD_VARIANT < 0 || SYNOD_VARIANT == (n))

namespace {

int failures = 0;
[[maybe_unused]] void check(bool ok, const char* variant, const char* what) {
    if (ok) return;
    std::printf("FAILED: %s: %s\n", variant, what);
    ++failures;
}
[[maybe_unused]] void row(const char* variant, std::size_t size, const char* shown) {
    std::printf("| %-28s | %10zu | %-52s |\n", variant, size, shown);
}

// ---- Raft: one cluster template, the features as a parameter ---------------------------------

using raft_network = synod::runtime::sync::network<synod::raft::message<long>>;

/// Adds committed numbers; records reads served (needed only when reads are compiled in).
struct counter {
    long total = 0;
    std::vector<synod::raft::read_ready> reads;
    void apply(const synod::entry<long>& e) {
        if (e.kind == synod::entry_kind::normal) total += e.payload;
    }
    void on_read(const synod::raft::read_ready& r) { reads.push_back(r); }
};

template <synod::raft::features F>
struct raft_traits {
    using payload = long;
    using storage = synod::storage::memory_log<long>;
    using transport = raft_network::transport;
    using timer = raft_network::timer;
    using random = synod::xoshiro256;
    using state_machine = counter;
    static constexpr synod::raft::features features = F;
};

template <synod::raft::features F>
struct raft_cluster {
    using node = synod::raft::node<raft_traits<F>>;
    raft_network net;
    synod::configuration config{synod::node_set{1u, 2u, 3u}, {}, {}};
    std::vector<std::unique_ptr<node>> nodes;

    raft_cluster() {
        for (std::uint32_t i = 1; i <= 3; ++i) {
            const synod::node_id id{i};
            nodes.push_back(std::make_unique<node>(id, config, synod::raft::settings{},
                                                   typename node::storage_type{},
                                                   net.transport_for(id), net.timer_for(id),
                                                   synod::xoshiro256{i}, counter{}));
            net.attach(id, *nodes.back());
        }
    }
    node* leader() {
        for (auto& n : nodes)
            if (n->is_leader() && net.attached(n->id())) return n.get();
        return nullptr;
    }
    /// Proposes 1..10 to the leader; true when every node's counter then reads `expected`.
    bool commit_ten(long expected) {
        node* l = leader();
        if (!l) return false;
        for (long x = 1; x <= 10; ++x)
            if (!l->propose(x)) return false;
        net.run_for(3);
        for (auto& n : nodes)
            if (n->state_machine().total != expected) return false;
        return true;
    }
};

/// Elects, commits, then exercises what `F` turns on. Returns sizeof the node type.
template <synod::raft::features F>
std::size_t run_raft(const char* name) {
    raft_cluster<F> c;
    c.net.run_for(30);
    check(c.leader() != nullptr, name, "no leader elected");
    check(c.commit_ten(55), name, "ten commands not applied on every node");
    auto* leader = c.leader();
    if (!leader) return sizeof(typename raft_cluster<F>::node);
    const synod::node_id other{leader->id().value % 3 + 1};

    if constexpr (F.pre_vote) {
        // A follower cut off for long rejoins without deposing the leader: its pre-votes failed,
        // so its term never rose.
        const synod::term_t term = leader->term();
        c.net.isolate(other);
        c.net.run_for(100);
        c.net.recover();
        c.net.run_for(20);
        check(leader->is_leader() && leader->term() == term, name,
              "a rejoining follower disrupted the leader");
    }
    if constexpr (F.check_quorum) {
        // A leader that cannot reach a quorum steps down; the others elect a new one.
        c.net.isolate(leader->id());
        c.net.run_for(60);
        check(!leader->is_leader(), name, "an isolated leader kept leading");
        check(c.leader() != nullptr && c.leader() != leader, name, "no new leader");
        c.net.recover();
        c.net.run_for(20);
        leader = c.leader();
        if (!leader) return sizeof(typename raft_cluster<F>::node);
    }
    if constexpr (F.leader_transfer) {
        const synod::node_id target{leader->id().value % 3 + 1};
        check(leader->transfer_leadership(target).has_value(), name, "transfer refused");
        c.net.run_for(5);
        check(c.leader() != nullptr && c.leader()->id() == target, name,
              "leadership did not move to the target");
        leader = c.leader();
        if (!leader) return sizeof(typename raft_cluster<F>::node);
    }
    if constexpr (F.read_index) {
        // A linearizable read through a follower: the leader confirms it still leads.
        auto& follower = *c.nodes[leader->id().value % 3];
        check(follower.read_index(7).has_value(), name, "read_index refused");
        c.net.run_for(3);
        const auto& reads = follower.state_machine().reads;
        check(!reads.empty() && reads.back().ok && reads.back().context == 7, name,
              "ReadIndex read not served");
    }
    if constexpr (F.lease_read) {
        // Within the lease the leader answers at once, without a round trip.
        c.net.run_for(2);
        check(leader->lease_read(8).has_value(), name, "lease read refused");
        const auto& reads = leader->state_machine().reads;
        check(!reads.empty() && reads.back().kind == synod::raft::read_kind::lease, name,
              "lease read not served at once");
    }
    check(c.commit_ten(110), name, "commands after the feature's test not applied everywhere");
    return sizeof(typename raft_cluster<F>::node);
}

// ---- Multi-Paxos: one cluster template, the quorum system as a parameter ---------------------

using command = long;
using paxos_network = synod::runtime::sync::network<synod::multi_paxos::message<command>>;

struct journal {
    std::vector<command> applied;
    void apply(const synod::entry<command>& e) {
        if (e.kind == synod::entry_kind::normal) applied.push_back(e.payload);
    }
};

template <class Quorum>
struct paxos_traits {
    using payload_type = command;
    using storage = synod::storage::memory_paxos_log<command>;
    using transport = paxos_network::transport;
    using timer = paxos_network::timer;
    using random = synod::xoshiro256;
    using state_machine = journal;
    using quorum = Quorum;
};

/// Five replicas elect, commit ten commands, then (for a phase-2 quorum of two) keep committing
/// with only the leader and one acceptor reachable. Returns sizeof the replica type.
template <class Quorum>
std::size_t run_paxos(const char* name, Quorum quorum, std::size_t phase2_size) {
    using replica = synod::multi_paxos::replica<paxos_traits<Quorum>>;
    paxos_network net;
    synod::configuration config{synod::node_set{1u, 2u, 3u, 4u, 5u}, {}, {}};
    std::vector<std::unique_ptr<replica>> rs;
    for (std::uint32_t i = 1; i <= 5; ++i) {
        const synod::node_id id{i};
        rs.push_back(std::make_unique<replica>(id, config, synod::multi_paxos::settings{},
                                               typename replica::storage_type{},
                                               net.transport_for(id), net.timer_for(id),
                                               synod::xoshiro256{i}, journal{}, quorum));
        net.attach(id, *rs.back());
    }
    net.run_for(50);
    replica* leader = nullptr;
    for (auto& r : rs)
        if (r->is_leader()) leader = r.get();
    check(leader != nullptr, name, "no leader elected");
    if (!leader) return sizeof(replica);
    for (command x = 0; x < 10; ++x) check(leader->propose(x).has_value(), name, "propose refused");
    net.run_for(5);
    for (auto& r : rs)
        check(r->state_machine().applied.size() == 10, name, "ten commands not applied everywhere");

    // Cut the leader off from all but one acceptor: only a phase-2 quorum of two still commits.
    std::uint32_t kept = 0;
    for (auto& r : rs) {
        if (r.get() == leader) continue;
        if (kept++ == 0) continue;
        net.isolate(r->id());
    }
    for (command x = 10; x < 15; ++x)
        check(leader->propose(x).has_value(), name, "propose refused");
    net.run_for(3);
    const bool committed = leader->state_machine().applied.size() == 15;
    check(committed == (phase2_size <= 2), name,
          committed ? "committed without a phase-2 quorum" : "a phase-2 quorum did not commit");
    return sizeof(replica);
}

}  // namespace

int main() {
    using synod::raft::features;
    std::printf("| %-28s | %10s | %-52s |\n", "variant", "sizeof", "shown by the run");
    std::printf("|------------------------------|-----------:|------------------------------------"
                "------------------|\n");
#if SYNOD_BUILDS(1)
    row("raft, plain", run_raft<features{}>("raft plain"), "elects, commits");
#endif
#if SYNOD_BUILDS(2)
    row("raft + pre_vote", run_raft<features{.pre_vote = true}>("raft pre_vote"),
        "a follower cut off for long rejoins harmlessly");
#endif
#if SYNOD_BUILDS(3)
    row("raft + check_quorum", run_raft<features{.check_quorum = true}>("raft check_quorum"),
        "an isolated leader steps down");
#endif
#if SYNOD_BUILDS(4)
    row("raft + leader_transfer",
        run_raft<features{.leader_transfer = true}>("raft leader_transfer"),
        "leadership moves to the node asked for");
#endif
#if SYNOD_BUILDS(5)
    row("raft + read_index", run_raft<features{.read_index = true}>("raft read_index"),
        "a follower serves a linearizable read");
#endif
#if SYNOD_BUILDS(6)
    row("raft + lease_read (+cq, +ri)",
        run_raft<features{.check_quorum = true, .read_index = true, .lease_read = true}>(
            "raft lease_read"),
        "a read served with no round trip");
#endif
#if SYNOD_BUILDS(7)
    row("raft, all of them",
        run_raft<features{.pre_vote = true,
                          .check_quorum = true,
                          .leader_transfer = true,
                          .read_index = true,
                          .lease_read = true}>("raft all"),
        "every check above, in one cluster");
#endif
#if SYNOD_BUILDS(8)
    row("multi-paxos, majority", run_paxos("multi-paxos majority", synod::majority{}, 3),
        "5 replicas; 2 reachable do not commit");
#endif
#if SYNOD_BUILDS(9)
    row("multi-paxos, flexible<4,2,5>",
        run_paxos("multi-paxos flexible_static", synod::flexible_static<4, 2, 5>{}, 2),
        "Q1 = 4, Q2 = 2 fixed at compile time: 2 commit");
#endif
#if SYNOD_BUILDS(10)
    row("multi-paxos, flexible{4,2}", run_paxos("multi-paxos flexible", synod::flexible{4, 2}, 2),
        "the same, sizes chosen at run time");
#endif
    if (failures != 0) std::printf("%d checks FAILED\n", failures);
    return failures == 0 ? 0 : 1;
}
