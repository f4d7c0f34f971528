// Two whole clusters that run without a heap, an operating system, exceptions or RTTI: a 3-node
// Raft cluster and a 3-node Multi-Paxos cluster, each in one address space on the sync runtime's
// fixed-capacity network (runtime/sync/static_network.hpp), with fixed-capacity logs
// (storage/static.hpp). Each elects a leader, commits a few hundred commands while the logs are
// compacted behind them, survives a follower crash and a leader crash (restarting from what
// their storage kept), and checks that every replica applied the same commands in the same
// order. Shared by the Cortex-M image (main.cpp) and the host test that forbids the heap
// (tests/nothrow/no_heap.cpp). Output goes through a print function the caller supplies.
#ifndef SYNOD_EXAMPLES_EMBEDDED_CLUSTERS_HPP
#define SYNOD_EXAMPLES_EMBEDDED_CLUSTERS_HPP

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "synod/core/quorum.hpp"
#include "synod/core/random.hpp"
#include "synod/paxos/multi_paxos.hpp"
#include "synod/raft/node.hpp"
#include "synod/runtime/sync/static_network.hpp"
#include "synod/storage/static.hpp"

namespace demo {

using namespace synod;

constexpr std::uint32_t cluster_size = 3;
constexpr int commands = 300;  ///< commands committed by each cluster in all

/// Writes text somewhere (semihosting on the board, stdout on a host).
using print_fn = void (*)(const char*);

/// Counts failed checks and prints each, with a number.
class checker {
public:
    explicit checker(print_fn print) noexcept : print_{print} {}
    void check(bool ok, const char* what) {
        if (ok) return;
        ++failures_;
        say("FAILED: ", what);
    }
    void say(const char* a, const char* b = "") {
        print_(a);
        print_(b);
        print_("\n");
    }
    void say(const char* a, std::uint64_t n, const char* b = "") {
        char digits[24] = {};
        std::to_chars(digits, digits + sizeof digits - 1, n);
        print_(a);
        print_(digits);
        print_(b);
        print_("\n");
    }
    int failures() const noexcept { return failures_; }

private:
    print_fn print_;
    int failures_ = 0;
};

/// The replicated state machine: a running sum and a hash of the order commands came in, so
/// two replicas agree only if they applied the same commands in the same order.
struct sum_machine {
    struct state {
        std::uint64_t sum = 0;
        std::uint64_t order = 0;
        std::uint64_t count = 0;
        friend bool operator==(const state&, const state&) = default;
    };
    state s;
    void apply(const entry<std::uint32_t>& e) {
        if (e.kind != entry_kind::normal) return;
        s.sum += e.payload;
        s.order = s.order * 1099511628211u + e.payload + 1;
        ++s.count;
    }
    // Multi-Paxos compaction: the state is its own snapshot.
    state snapshot() const { return s; }
    void restore(const state& snap) { s = snap; }
};

/// A Raft machine that takes no snapshots (the Raft core compacts through the storage owner).
struct raft_machine {
    sum_machine::state s;
    void apply(const entry<std::uint32_t>& e) {
        sum_machine m{s};
        m.apply(e);
        s = m.s;
    }
};

// ---- Raft ---------------------------------------------------------------------------------------

namespace raft_demo {

using net_type = runtime::sync::static_network<raft::message<std::uint32_t>, 64, 8, cluster_size>;
using log_type = storage::static_log<std::uint32_t, 32>;

struct traits {
    using payload = std::uint32_t;
    using storage = storage::log_ref<log_type>;
    using transport = net_type::transport;
    using timer = net_type::timer;
    using random = xoshiro256;
    using state_machine = raft_machine;
    static constexpr raft::features features{.pre_vote = true, .check_quorum = true};
    static constexpr std::size_t inflight_capacity = 4;
    static constexpr std::size_t batch_capacity = 8;
    static constexpr std::size_t outbox_capacity = 8;
};
using node_type = raft::node<traits>;

/// Everything the cluster needs, in one object the caller places (a static on the board).
struct cluster {
    net_type net;
    log_type logs[cluster_size];
    std::optional<node_type> nodes[cluster_size];
    std::uint64_t expected_sum = 0;
    std::uint64_t expected_order = 0;
    int proposed = 0;

    static raft::settings tuning() {
        raft::settings s;
        s.election_timeout_ticks = 10;
        s.heartbeat_interval_ticks = 2;
        s.entries_per_message_max = 8;  // <= the network's EntriesMax
        s.inflight_messages_max = 4;
        return s;
    }

    void start(std::uint32_t i) {
        configuration c;
        for (std::uint32_t k = 1; k <= cluster_size; ++k) c.voters.insert(node_id{k});
        const node_id id{i + 1};
        // A restarted node has applied nothing yet: it replays from its log's first entry, on
        // top of the state the compacted prefix produced (kept by the owner, like a snapshot).
        raft::settings s = tuning();
        s.applied = logs[i].first_index().prev();
        raft_machine m{};
        if (nodes[i]) m = nodes[i]->state_machine();
        nodes[i].reset();
        nodes[i].emplace(id, c, s, traits::storage{logs[i]}, net.transport_for(id),
                         net.timer_for(id), xoshiro256{i + 11}, m);
        net.attach(id, *nodes[i]);
    }
    /// A crash: the node is gone (its queued messages with it); its log survives.
    void crash(std::uint32_t i) { net.detach(node_id{i + 1}); }

    node_type* leader() {
        for (auto& n : nodes)
            if (n && net.attached(n->id()) && n->is_leader()) return &*n;
        return nullptr;
    }
    node_type* elect(checker& c) {
        for (int t = 0; t < 200 && !leader(); ++t) net.run_for(1);
        c.check(leader() != nullptr, "raft: a leader is elected");
        return leader();
    }
    /// Frees log slots every node has applied (all keep what any may still need).
    void compact() {
        log_index upto = nodes[0]->applied_index();
        for (auto& n : nodes) upto = std::min(upto, n->applied_index());
        for (log_type& l : logs)
            if (l.first_index() <= upto) l.compact_through(upto, l.term_at(upto));
    }
    /// Proposes `n` commands through the current leader, one at a time, delivering as it goes.
    void propose(checker& c, int n) {
        for (int k = 0; k < n; ++k) {
            node_type* l = leader();
            if (!l) l = elect(c);
            if (!l) return;
            const auto value = static_cast<std::uint32_t>(proposed * 7 + 1);
            auto r = l->propose(value);
            if (!r && r.error() == errc::log_full) {
                net.run_for(3);  // let followers catch up, then make room
                compact();
                r = l->propose(value);
            }
            c.check(r.has_value(), "raft: the leader accepts a proposal");
            if (!r) return;
            ++proposed;
            expected_sum += value;
            expected_order = expected_order * 1099511628211u + value + 1;
            net.deliver_all();
            if (k % 8 == 7) net.run_for(1);
            if (k % 4 == 3) compact();
        }
    }
};

inline int run(cluster& cl, checker& c) {
    c.say("raft: 3 nodes, fixed-capacity logs of ", log_type::capacity(), " entries");
    for (std::uint32_t i = 0; i < cluster_size; ++i) cl.start(i);
    node_type* first = cl.elect(c);
    if (!first) return c.failures();
    c.say("raft: leader elected: node ", first->id().value);
    cl.propose(c, commands / 3);

    // A follower crashes; the other two keep committing (less than a log's worth, since the
    // crashed node will need those entries); it restarts from its log and catches up.
    const std::uint32_t follower = first->id().value % cluster_size;  // the next node
    cl.crash(follower);
    c.say("raft: follower crashed: node ", follower + 1);
    cl.propose(c, 20);
    cl.start(follower);
    c.say("raft: follower restarted: node ", follower + 1);
    cl.net.run_for(10);
    cl.propose(c, commands / 3 - 20);

    // The leader crashes; the others elect a new one and carry on; it comes back as a follower.
    const std::uint32_t old = cl.leader()->id().value - 1;
    cl.crash(old);
    c.say("raft: leader crashed: node ", old + 1);
    node_type* second = cl.elect(c);
    if (!second) return c.failures();
    c.say("raft: new leader: node ", second->id().value);
    cl.propose(c, 20);
    cl.start(old);
    cl.net.run_for(10);
    cl.propose(c, commands - cl.proposed);
    cl.net.run_for(20);

    node_type* l = cl.leader();
    c.check(l != nullptr, "raft: one leader at the end");
    for (auto& n : cl.nodes) {
        c.check(n->commit_index() == l->last_index(), "raft: every node committed everything");
        c.check(n->state_machine().s.sum == cl.expected_sum, "raft: every node has the same sum");
        c.check(n->state_machine().s.order == cl.expected_order,
                "raft: every node applied in the same order");
    }
    c.check(cl.net.overflowed() == 0, "raft: the network queue never overflowed");
    c.say("raft: commands committed on every node: ", cl.nodes[0]->state_machine().s.count);
    c.say("raft: commit index ", l->commit_index().value);
    return c.failures();
}

}  // namespace raft_demo

// ---- Multi-Paxos --------------------------------------------------------------------------------

namespace paxos_demo {

constexpr std::size_t log_slots = 24;
using message_type = multi_paxos::message<std::uint32_t, sum_machine::state>;
// Promises report every slot from the candidate's commit point: up to a whole log.
using net_type = runtime::sync::static_network<message_type, 32, log_slots, cluster_size>;
using log_type = storage::static_paxos_log<std::uint32_t, log_slots, sum_machine::state>;

struct traits {
    using payload_type = std::uint32_t;
    using storage = log_type;
    using transport = net_type::transport;
    using timer = net_type::timer;
    using random = xoshiro256;
    using state_machine = sum_machine;
    using quorum = majority;
};
using replica_type = multi_paxos::replica<traits>;

struct cluster {
    net_type net;
    std::optional<replica_type> replicas[cluster_size];
    std::uint64_t expected_sum = 0;
    std::uint64_t expected_order = 0;
    int proposed = 0;

    void start(std::uint32_t i, const log_type& log) {
        configuration c;
        for (std::uint32_t k = 1; k <= cluster_size; ++k) c.voters.insert(node_id{k});
        multi_paxos::settings s;
        s.election_timeout_ticks = 10;
        s.heartbeat_ticks = 2;
        s.window_slots = log_slots / 2;
        s.batch_entries_max = 8;
        s.inflight_batches_max = 2;
        const node_id id{i + 1};
        replicas[i].reset();
        replicas[i].emplace(id, c, s, log, net.transport_for(id), net.timer_for(id),
                            xoshiro256{i + 21});
        net.attach(id, *replicas[i]);
    }
    /// A crash, then a restart from what the storage kept (writes are durable at once).
    void restart(std::uint32_t i) {
        const log_type kept = replicas[i]->storage();
        start(i, kept);
    }
    void crash(std::uint32_t i) { net.detach(node_id{i + 1}); }

    replica_type* leader() {
        for (auto& r : replicas)
            if (r && net.attached(r->id()) && r->is_leader()) return &*r;
        return nullptr;
    }
    replica_type* elect(checker& c) {
        for (int t = 0; t < 200 && !leader(); ++t) net.run_for(1);
        c.check(leader() != nullptr, "multi-paxos: a leader is elected");
        return leader();
    }
    void compact() {
        for (auto& r : replicas)
            if (r && net.attached(r->id())) r->compact();
    }
    void propose(checker& c, int n) {
        for (int k = 0; k < n; ++k) {
            replica_type* l = leader();
            if (!l) l = elect(c);
            if (!l) return;
            const auto value = static_cast<std::uint32_t>(proposed * 5 + 3);
            auto r = l->propose(value);
            for (int tries = 0; !r && r.error() == errc::log_full && tries < 3; ++tries) {
                net.run_for(3);
                compact();
                r = l->propose(value);
            }
            c.check(r.has_value(), "multi-paxos: the leader accepts a proposal");
            if (!r) return;
            ++proposed;
            expected_sum += value;
            expected_order = expected_order * 1099511628211u + value + 1;
            net.deliver_all();
            if (k % 8 == 7) net.run_for(1);
            if (k % 4 == 3) compact();
        }
    }
};

inline int run(cluster& cl, checker& c) {
    c.say("multi-paxos: 3 replicas, fixed-capacity logs of ", log_slots, " slots");
    for (std::uint32_t i = 0; i < cluster_size; ++i) cl.start(i, log_type{});
    replica_type* first = cl.elect(c);
    if (!first) return c.failures();
    c.say("multi-paxos: leader elected: node ", first->id().value);
    cl.propose(c, commands / 3);

    const std::uint32_t follower = first->id().value % cluster_size;
    cl.crash(follower);
    c.say("multi-paxos: follower crashed: node ", follower + 1);
    cl.propose(c, commands / 6);
    cl.restart(follower);
    c.say("multi-paxos: follower restarted: node ", follower + 1);
    cl.net.run_for(10);
    cl.propose(c, commands / 6);

    const std::uint32_t old = cl.leader()->id().value - 1;
    cl.crash(old);
    c.say("multi-paxos: leader crashed: node ", old + 1);
    replica_type* second = cl.elect(c);
    if (!second) return c.failures();
    c.say("multi-paxos: new leader: node ", second->id().value);
    cl.propose(c, 20);
    cl.restart(old);
    cl.net.run_for(10);
    cl.propose(c, commands - cl.proposed);
    cl.net.run_for(20);

    replica_type* l = cl.leader();
    c.check(l != nullptr, "multi-paxos: one leader at the end");
    if (!l) return c.failures();
    // A new leader may fill gaps with no-ops and re-propose, so count commands, not slots.
    for (auto& r : cl.replicas) {
        c.check(r->commit_index() == l->commit_index(), "multi-paxos: every replica committed everything");
        c.check(r->state_machine().s.sum == cl.expected_sum, "multi-paxos: every replica has the same sum");
        c.check(r->state_machine().s.order == cl.expected_order,
                "multi-paxos: every replica applied in the same order");
    }
    c.check(cl.net.overflowed() == 0, "multi-paxos: the network queue never overflowed");
    c.say("multi-paxos: commands chosen on every replica: ", cl.replicas[0]->state_machine().s.count);
    c.say("multi-paxos: commit index ", l->commit_index().value);
    return c.failures();
}

}  // namespace paxos_demo

}  // namespace demo

#endif
