#ifndef SYNOD_RUNTIME_SIM_MULTI_PAXOS_HPP
#define SYNOD_RUNTIME_SIM_MULTI_PAXOS_HPP

/// \file
/// Multi-Paxos in the simulator: the unchanged multi_paxos::replica with simulated policies and
/// the replicated key-value store. Promises feed the promise-monotonic check, every applied slot
/// the at-most-one-value-per-slot and state-machine-safety checks.

#include <memory>
#include <span>
#include <string>

#include "synod/core/quorum.hpp"
#include "synod/paxos/multi_paxos.hpp"
#include "synod/runtime/sim/world.hpp"
#include "synod/storage/paxos_memory.hpp"

namespace synod::runtime::sim {

struct multi_paxos_protocol {
    using message_type = multi_paxos::message<std::string>;
    using entry_type = entry<std::string>;
    using borrowed_type = pvalue<std::string>;
    static constexpr bool snapshots = false;
    static constexpr const char* name = "multipaxos";
    static const char* term_word() noexcept { return "ballot"; }

    /// The acceptor's durable state on a simulated disk (see sim/raft.hpp).
    struct storage_type {
        storage::deferred_paxos_log<std::string> log;
        world<multi_paxos_protocol>* w = nullptr;
        node_id self{};
        std::vector<ballot> pending_promises;

        write_id durable() const noexcept { return log.durable(); }
        ballot promised() const noexcept { return log.promised(); }
        log_index first_index() const noexcept { return log.first_index(); }
        log_index last_index() const noexcept { return log.last_index(); }
        std::span<const borrowed_type> entries(log_index lo, log_index hi) const noexcept {
            return log.entries(lo, hi);
        }
        log_index snapshot_index() const noexcept { return log.snapshot_index(); }
        const no_snapshot& snapshot() const noexcept { return log.snapshot(); }
        write_id save_promise(ballot b) {
            pending_promises.push_back(b);
            const write_id id = log.save_promise(b);
            w->storage_write(self);
            return id;
        }
        write_id save_accepted(ballot b, std::span<const borrowed_type> vs) {
            const write_id id = log.save_accepted(b, vs);
            w->storage_write(self);
            return id;
        }
        write_id save_snapshot(log_index i, const no_snapshot& snap) {
            const write_id id = log.save_snapshot(i, snap);
            w->storage_write(self);
            return id;
        }
    };

    struct traits {
        using payload_type = std::string;
        using storage = storage_type;
        using transport = sim::transport<multi_paxos_protocol>;
        using timer = sim::timer<multi_paxos_protocol>;
        using random = xoshiro256;
        using state_machine = kv_machine<multi_paxos_protocol>;
        using quorum = majority;
    };
    using node_type = multi_paxos::replica<traits>;

    static storage_type fresh_storage(world<multi_paxos_protocol>& w, node_id id) {
        storage_type s;
        s.w = &w;
        s.self = id;
        return s;
    }

    static std::unique_ptr<node_type> make(world<multi_paxos_protocol>& w, node_id id,
                                           storage_type s) {
        multi_paxos::settings settings;
        settings.election_timeout_ticks = w.opts().election_timeout;
        settings.heartbeat_ticks = w.opts().heartbeat;
        if (w.opts().entries_per_message) settings.batch_entries_max = w.opts().entries_per_message;
        s.w = &w;
        s.self = id;
        return std::make_unique<node_type>(id, w.config(), settings, std::move(s),
                                           transport<multi_paxos_protocol>{&w, id},
                                           timer<multi_paxos_protocol>{&w, id},
                                           xoshiro256{w.seed_for(id)},
                                           kv_machine<multi_paxos_protocol>{&w, id, {}});
    }

    static void crash(storage_type& s, std::size_t /*torn_entries*/) {
        s.log.crash();
        s.pending_promises.clear();
    }

    static void complete_writes(world<multi_paxos_protocol>& w, node_id id, storage_type& s) {
        s.log.complete_all();
        for (const ballot& b : s.pending_promises) w.report(w.observer().promised(id, b));
        s.pending_promises.clear();
    }

    static void restarted(world<multi_paxos_protocol>& w, node_id id, const storage_type& s) {
        // The recovered promise must not be below one made durable before the crash; the
        // state machine starts again from slot 1.
        w.report(w.observer().promised(id, s.log.promised()));
    }

    static void became_leader(world<multi_paxos_protocol>&, node_id, const node_type&) {}
    static void observe(world<multi_paxos_protocol>&, node_id, const node_type&) {}
    /// An applied slot is a chosen one: every replica must apply the same value there.
    static void applied(world<multi_paxos_protocol>& w, node_id, const entry_type& e) {
        w.report(w.observer().chosen(e.index.value, world<multi_paxos_protocol>::hash_of(e)));
    }

    static message_info describe(const message_type& m) {
        return std::visit(
            [](const auto& x) -> message_info {
                using T = std::decay_t<decltype(x)>;
                if constexpr (std::is_same_v<T, multi_paxos::prepare>)
                    return {"prepare", x.proposed.round, 0};
                else if constexpr (std::is_same_v<T, multi_paxos::promise<std::string>>)
                    return {"promise", x.promised.round, x.accepted.size()};
                else if constexpr (std::is_same_v<T, multi_paxos::accept<std::string>>)
                    return {x.entries.empty() ? "heartbeat" : "accept", x.number.round,
                            x.entries.size()};
                else if constexpr (std::is_same_v<T, multi_paxos::accepted>)
                    return {"accepted", x.number.round, 0};
                else if constexpr (std::is_same_v<T, multi_paxos::reject>)
                    return {"reject", x.promised.round, 0};
                else
                    return {"install_snapshot", x.number.round, 0};
            },
            m);
    }
    static std::span<const borrowed_type> borrowed(const message_type& m) {
        return multi_paxos::borrowed_entries(m);
    }
    static void rebind(message_type& m, std::span<const borrowed_type> es) {
        multi_paxos::rebind_entries(m, es);
    }
    static synod::result<void> propose(node_type& n, const std::string& command) {
        const auto r = n.propose(command);
        if (!r) return r.error();
        return {};
    }
    /// Multi-Paxos serves every read through the log.
    static synod::result<void> read(node_type&, std::uint64_t, bool) { return errc::unavailable; }
    static void maybe_compact(node_type&, std::size_t) {}
    static bool is_leader(const node_type& n) noexcept { return n.is_leader(); }
    static node_id leader_hint(const node_type& n) noexcept { return n.leader(); }
    static std::uint64_t term_of(const node_type& n) noexcept { return n.current_ballot().round; }
    static log_index commit_of(const node_type& n) noexcept { return n.commit_index(); }
};

}  // namespace synod::runtime::sim

#endif
