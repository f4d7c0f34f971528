#ifndef SYNOD_TESTS_PAXOS_SUPPORT_HPP
#define SYNOD_TESTS_PAXOS_SUPPORT_HPP

// Shared by the tests of tests/paxos: printing of Paxos messages, traits for the single-decree
// roles and Multi-Paxos replicas over the sync runtime, a cluster fixture, a fault injector for
// loss, duplication and reordering, and a test-only quorum system that skips validation.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "support/print.hpp"
#include "synod/core/quorum.hpp"
#include "synod/core/random.hpp"
#include "synod/paxos/acceptor.hpp"
#include "synod/paxos/learner.hpp"
#include "synod/paxos/multi_paxos.hpp"
#include "synod/paxos/node.hpp"
#include "synod/paxos/proposer.hpp"
#include "synod/runtime/sync/network.hpp"
#include "synod/storage/paxos_memory.hpp"

namespace synod {

template <class V>
std::ostream& operator<<(std::ostream& os, const proposal<V>& p) {
    return os << p.number << ':' << p.value;
}
template <class P>
std::ostream& operator<<(std::ostream& os, const pvalue<P>& v) {
    return os << v.number << ' ' << v.value;
}

namespace paxos {
inline std::ostream& operator<<(std::ostream& os, proposer_phase p) {
    switch (p) {
        case proposer_phase::idle: return os << "idle";
        case proposer_phase::preparing: return os << "preparing";
        case proposer_phase::accepting: return os << "accepting";
        case proposer_phase::backing_off: return os << "backing_off";
        case proposer_phase::chosen: return os << "chosen";
    }
    return os;
}
template <class V>
std::ostream& operator<<(std::ostream& os, const message<V>& m) {
    std::visit(
        [&](const auto& x) {
            using T = std::remove_cvref_t<decltype(x)>;
            os << x.from << ' ';
            if constexpr (std::is_same_v<T, prepare>) {
                os << "prepare " << x.proposed;
            } else if constexpr (std::is_same_v<T, promise<V>>) {
                os << "promise " << x.promised;
                if (x.accepted) os << " accepted " << *x.accepted;
            } else if constexpr (std::is_same_v<T, accept<V>>) {
                os << "accept " << x.proposed;
            } else if constexpr (std::is_same_v<T, accepted<V>>) {
                os << "accepted " << x.voted;
            } else {
                os << "reject " << x.rejected << " promised " << x.promised;
            }
        },
        m);
    return os;
}
}  // namespace paxos

namespace multi_paxos {
inline std::ostream& operator<<(std::ostream& os, role r) {
    switch (r) {
        case role::follower: return os << "follower";
        case role::candidate: return os << "candidate";
        case role::leader: return os << "leader";
    }
    return os;
}
}  // namespace multi_paxos

}  // namespace synod

namespace synod::test {

// ---- single decree ----------------------------------------------------------------------------

using sd_value = std::string;
using sd_message = paxos::message<sd_value>;
using sd_network = runtime::sync::network<sd_message>;

/// Traits for single-decree roles in the sync runtime.
template <class Storage = storage::memory_acceptor<sd_value>, class Quorum = majority>
struct sd_traits {
    using value_type = sd_value;
    using storage = Storage;
    using transport = sd_network::transport;
    using timer = sd_network::timer;
    using random = xoshiro256;
    using quorum = Quorum;
};

/// A transport that records what a role sends, for tests of one role alone.
template <class Message>
struct recording_transport {
    std::vector<std::pair<node_id, Message>>* sent;
    void send(node_id to, const Message& m) { sent->push_back({to, m}); }
};

/// A flexible quorum system that skips the intersection check: only for the negative control
/// that shows what the check prevents.
struct unchecked_flexible {
    flexible inner;
    result<void> validate(const node_set& voters) const {
        if (voters.empty()) return errc::invalid_configuration;
        return {};
    }
    bool phase1(const node_set& voters, const node_set& acks) const noexcept {
        return inner.phase1(voters, acks);
    }
    bool phase2(const node_set& voters, const node_set& acks) const noexcept {
        return inner.phase2(voters, acks);
    }
    template <class Match>
    log_index committed(const node_set& voters, Match&& match) const {
        return inner.committed(voters, match);
    }
};

inline configuration voters_1_to(std::uint32_t n) {
    configuration c;
    for (std::uint32_t i = 1; i <= n; ++i) c.voters.insert(node_id{i});
    return c;
}

/// Loss, duplication and reordering: takes every queued message, drops each with probability
/// `drop_percent`, duplicates it with `duplicate_percent`, shuffles the rest back into the queue
/// and delivers them. Messages sent while delivering wait for the next round.
template <class Message>
void chaos_round(runtime::sync::network<Message>& net, xoshiro256& rng, unsigned drop_percent,
                 unsigned duplicate_percent) {
    auto batch = net.drain();
    std::vector<runtime::sync::envelope<Message>> out;
    for (auto& env : batch) {
        if (uniform(rng, 1, 100) <= drop_percent) continue;
        out.push_back(env);
        if (uniform(rng, 1, 100) <= duplicate_percent) out.push_back(env);
    }
    for (std::size_t i = out.size(); i > 1; --i)
        std::swap(out[i - 1], out[uniform(rng, 0, i - 1)]);
    for (const auto& env : out) net.transport_for(env.from).send(env.to, env.message);
    for (std::size_t i = 0; i < out.size(); ++i) net.deliver_one();
}

// ---- Multi-Paxos ------------------------------------------------------------------------------

using mp_payload = std::string;
using mp_entry = entry<mp_payload>;

/// A state machine that records every entry applied, in order.
struct recording_sm {
    std::vector<mp_entry> applied;
    void apply(const mp_entry& e) { applied.push_back(e); }
};

/// The same, able to snapshot (its snapshot is the whole history, so that a restored replica's
/// applied sequence can be compared with everyone's).
struct snapshotting_sm {
    std::vector<mp_entry> applied;
    void apply(const mp_entry& e) { applied.push_back(e); }
    std::vector<mp_entry> snapshot() const { return applied; }
    void restore(const std::vector<mp_entry>& s) { applied = s; }
};

template <class SM = recording_sm,
          class Storage = storage::memory_paxos_log<mp_payload, multi_paxos::snapshot_type_of<SM>>,
          class Quorum = majority>
struct mp_traits {
    using payload_type = mp_payload;
    using storage = Storage;
    using message_type = multi_paxos::message<mp_payload, multi_paxos::snapshot_type_of<SM>>;
    using network_type = runtime::sync::network<message_type>;
    using transport = typename network_type::transport;
    using timer = typename network_type::timer;
    using random = xoshiro256;
    using state_machine = SM;
    using quorum = Quorum;
};

/// N replicas (ids 1..N, plus `learners` non-voting ones after them) on one sync network.
template <class Traits = mp_traits<>>
struct cluster {
    using replica_type = multi_paxos::replica<Traits>;
    using network_type = typename Traits::network_type;
    using storage_type = typename Traits::storage;
    using quorum_type = typename Traits::quorum;

    network_type net;
    configuration config;
    multi_paxos::settings settings;
    quorum_type quorum;
    std::uint64_t seed;
    std::vector<std::unique_ptr<replica_type>> nodes;

    explicit cluster(std::uint32_t voters, multi_paxos::settings s = {}, quorum_type q = {},
                     std::uint32_t learners = 0, std::uint64_t seed_ = 1)
        : config{voters_1_to(voters)}, settings{s}, quorum{q}, seed{seed_} {
        for (std::uint32_t i = 1; i <= learners; ++i) config.learners.insert(node_id{voters + i});
        nodes.resize(voters + learners);
        for (std::uint32_t i = 1; i <= voters + learners; ++i) start(node_id{i}, storage_type{});
    }

    replica_type& at(std::uint32_t id) { return *nodes.at(id - 1); }
    replica_type& at(node_id id) { return at(id.value); }

    void start(node_id id, storage_type st) {
        auto& slot = nodes.at(id.value - 1);
        slot = std::make_unique<replica_type>(id, config, settings, std::move(st),
                                              net.transport_for(id), net.timer_for(id),
                                              xoshiro256{seed * 1000 + id.value},
                                              typename Traits::state_machine{}, quorum);
        net.attach(id, *slot);
    }
    /// Crashes node `id` (it stops receiving and its timer stops) and restarts it from its
    /// storage: durable state only when the storage models a crash (deferred storage).
    void restart(node_id id) {
        net.detach(id);
        storage_type st = std::move(at(id).storage());
        if constexpr (requires { st.crash(); }) st.crash();
        start(id, std::move(st));
    }
    /// Makes `id` leader: campaign and deliver until quiet.
    void elect(std::uint32_t id) {
        (void)at(id).campaign();
        net.deliver_all();
    }
    /// The leader, if exactly one replica leads in the highest ballot; 0 otherwise.
    std::uint32_t leader() {
        std::uint32_t found = 0;
        ballot best{};
        for (auto& n : nodes)
            if (net.attached(n->id()) && n->is_leader() && best < n->current_ballot()) {
                best = n->current_ballot();
                found = n->id().value;
            }
        return found;
    }
    /// Every two replicas applied the same entry at every slot both applied (the 6.824 applier
    /// check), and each applied sequence is gap-free from slot 1.
    bool consistent() const {
        for (const auto& a : nodes) {
            const auto& xs = a->state_machine().applied;
            for (std::size_t i = 0; i < xs.size(); ++i)
                if (xs[i].index != log_index{i + 1}) return false;
            for (const auto& b : nodes) {
                const auto& ys = b->state_machine().applied;
                const std::size_t n = std::min(xs.size(), ys.size());
                for (std::size_t i = 0; i < n; ++i)
                    if (!(xs[i].kind == ys[i].kind) || !(xs[i].payload == ys[i].payload))
                        return false;
            }
        }
        return true;
    }
    /// The normal (client) payloads node `id` applied, in order.
    std::vector<mp_payload> applied_payloads(std::uint32_t id) {
        std::vector<mp_payload> out;
        for (const auto& e : at(id).state_machine().applied)
            if (e.kind == entry_kind::normal) out.push_back(e.payload);
        return out;
    }
};

}  // namespace synod::test

#endif
