#ifndef SYNOD_RUNTIME_SIM_RAFT_HPP
#define SYNOD_RUNTIME_SIM_RAFT_HPP

/// \file
/// Raft in the simulator: the unchanged raft::node with simulated policies (transport, timer,
/// storage whose writes complete after a simulated fsync and whose unsynced writes a crash
/// loses or tears) and the replicated key-value store; every write, commit and election feeds
/// the invariant checker.

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "synod/raft/node.hpp"
#include "synod/runtime/sim/world.hpp"
#include "synod/storage/deferred.hpp"

namespace synod::runtime::sim {

/// Raft with the given compile-time features. `CommitRule` and `LieAboutDurability` exist only
/// so that tests can plant bugs and prove the checkers catch them; the defaults are the
/// correct protocol.
template <raft::features Features = raft::features{.pre_vote = true, .check_quorum = true},
          class CommitRule = raft::current_term_commit_rule, bool LieAboutDurability = false,
          class MembershipRule = raft::one_voter_per_step_rule>
struct raft_protocol {
    using message_type = raft::message<std::string>;
    using entry_type = entry<std::string>;
    using borrowed_type = entry_type;
    static constexpr bool snapshots = true;
    static constexpr const char* name = "raft";
    static const char* term_word() noexcept { return "term"; }

    /// Durable state on a simulated disk: reads see every write at once; writes become durable
    /// when the world's simulated fsync completes.
    struct storage_type {
        storage::deferred_log<std::string> log;
        world<raft_protocol>* w = nullptr;
        node_id self{};
        std::vector<std::pair<write_id, synod::hard_state>> pending_hard_states;

        write_id durable() const noexcept {
            // The planted bug: claim durability at once, while a crash still loses the data.
            if constexpr (LieAboutDurability) return log.issued();
            return log.durable();
        }
        synod::hard_state hard_state() const noexcept { return log.hard_state(); }
        log_index first_index() const noexcept { return log.first_index(); }
        log_index last_index() const noexcept { return log.last_index(); }
        term_t term_at(log_index i) const noexcept { return log.term_at(i); }
        std::span<const entry_type> entries(log_index lo, log_index hi) const noexcept {
            return log.entries(lo, hi);
        }
        const entry_type& at(log_index i) const noexcept { return log.at(i); }
        write_id save_hard_state(const synod::hard_state& h) {
            const write_id id = log.save_hard_state(h);
            pending_hard_states.push_back({id, h});
            w->storage_write(self);
            return id;
        }
        log_index snapshot_index() const noexcept { return log.snapshot_index(); }
        term_t snapshot_term() const noexcept { return log.snapshot_term(); }
        std::span<const std::byte> snapshot_data() const noexcept { return log.snapshot_data(); }
        write_id save_snapshot(log_index i, term_t t, std::span<const std::byte> bytes) {
            const write_id id = log.save_snapshot(i, t, bytes);
            w->storage_write(self);
            return id;
        }
        std::uint64_t stage_snapshot_chunk(log_index i, term_t t, std::uint64_t offset,
                                           std::span<const std::byte> bytes) {
            return log.stage_snapshot_chunk(i, t, offset, bytes);
        }
        write_id save_staged_snapshot() {
            const write_id id = log.save_staged_snapshot();
            w->storage_write(self);
            return id;
        }
        write_id append(std::span<const entry_type> es) {
            for (const entry_type& e : es)
                w->report(w->observer().appended(self, e.index, e.term, world<raft_protocol>::hash_of(e)));
            const write_id id = log.append(es);
            w->storage_write(self);
            return id;
        }
    };

    struct traits {
        using payload = std::string;
        using storage = storage_type;
        using transport = sim::transport<raft_protocol>;
        using timer = sim::timer<raft_protocol>;
        using random = xoshiro256;
        using state_machine = kv_machine<raft_protocol>;
        using commit_rule = CommitRule;
        using membership_rule = MembershipRule;
        static constexpr raft::features features = Features;
    };
    using node_type = raft::node<traits>;

    static storage_type fresh_storage(world<raft_protocol>& w, node_id id) {
        storage_type s;
        s.w = &w;
        s.self = id;
        return s;
    }

    static std::unique_ptr<node_type> make(world<raft_protocol>& w, node_id id, storage_type s) {
        raft::settings settings;
        settings.election_timeout_ticks = w.opts().election_timeout;
        settings.heartbeat_interval_ticks = w.opts().heartbeat;
        if (w.opts().entries_per_message) settings.entries_per_message_max = w.opts().entries_per_message;
        settings.clock_drift_bound_ppm = w.clock_drift_bound_ppm();
        s.w = &w;
        s.self = id;
        return std::make_unique<node_type>(id, w.config(), settings, std::move(s),
                                           transport<raft_protocol>{&w, id},
                                           timer<raft_protocol>{&w, id},
                                           xoshiro256{w.seed_for(id)},
                                           kv_machine<raft_protocol>{&w, id, {}});
    }

    static void crash(storage_type& s, std::size_t torn_entries) {
        if (torn_entries > 0) {
            s.log.crash_torn(torn_entries);
        } else {
            s.log.crash();
        }
        s.pending_hard_states.clear();
    }

    /// The simulated fsync finished: everything issued so far is durable.
    static void complete_writes(world<raft_protocol>& w, node_id id, storage_type& s) {
        s.log.complete_all();
        for (const auto& [write, h] : s.pending_hard_states)
            w.report(w.observer().hard_state(id, h.term, h.vote));
        s.pending_hard_states.clear();
    }

    static void restarted(world<raft_protocol>& w, node_id id, const storage_type& s) {
        const synod::hard_state h = s.log.hard_state();
        const log_index snap = s.log.snapshot_index();
        w.report(w.observer().restarted(id, h.term, h.vote, std::max(h.commit, snap), {}));
        if (snap.value > 0) {
            // The log recovered is the snapshot's committed prefix and the entries after it;
            // whatever the checker saw beyond them was not durable.
            w.report(w.observer().installed_snapshot(id, snap));
            for (const entry_type& e : s.log.all())
                w.report(w.observer().appended(id, e.index, e.term, world<raft_protocol>::hash_of(e)));
            w.report(w.observer().truncated(id, s.log.last_index().next()));
            return;
        }
        std::vector<check::log_entry_info> log;
        for (const entry_type& e : s.log.all())
            log.push_back({e.index, e.term, world<raft_protocol>::hash_of(e)});
        w.report(w.observer().log_snapshot(id, log));
    }

    static void maybe_compact(node_type& n, std::size_t every) {
        if (n.applied_index().value >= n.storage().snapshot_index().value + every) n.compact();
    }

    static void became_leader(world<raft_protocol>& w, node_id id, const node_type& n) {
        w.report(w.observer().became_leader(id, n.term()));
    }
    static void applied(world<raft_protocol>& w, node_id id, const entry_type& e) {
        w.report(w.observer().applied(id, e.index, e.term, world<raft_protocol>::hash_of(e)));
    }
    static void observe(world<raft_protocol>& w, node_id id, const node_type& n) {
        w.report(w.observer().committed(id, n.commit_index(), n.term()));
    }

    static message_info describe(const message_type& m) {
        return std::visit(
            [](const auto& x) -> message_info {
                using T = std::decay_t<decltype(x)>;
                if constexpr (std::is_same_v<T, raft::vote_request>)
                    return {x.pre_vote ? "pre_vote_request" : "vote_request", x.term.value, 0};
                else if constexpr (std::is_same_v<T, raft::vote_response>)
                    return {x.pre_vote ? "pre_vote_response" : "vote_response", x.term.value, 0};
                else if constexpr (std::is_same_v<T, raft::append_entries<std::string>>)
                    return {x.heartbeat ? "heartbeat" : "append_entries", x.term.value,
                            x.entries.size()};
                else if constexpr (std::is_same_v<T, raft::append_response>)
                    return {"append_response", x.term.value, 0};
                else if constexpr (std::is_same_v<T, raft::timeout_now>)
                    return {"timeout_now", x.term.value, 0};
                else if constexpr (std::is_same_v<T, raft::read_index_request>)
                    return {"read_index_request", x.term.value, 0};
                else if constexpr (std::is_same_v<T, raft::read_index_response>)
                    return {"read_index_response", x.term.value, 0};
                else if constexpr (std::is_same_v<T, raft::install_snapshot>)
                    return {"install_snapshot", x.term.value, 0};
                else
                    return {"snapshot_response", x.term.value, 0};
            },
            m);
    }
    static std::span<const entry_type> borrowed(const message_type& m) {
        return raft::borrowed_entries(m);
    }
    static void rebind(message_type& m, std::span<const entry_type> es) {
        raft::rebind_entries(m, es);
    }
    static synod::result<void> propose(node_type& n, const std::string& command) {
        const auto r = n.propose(command);
        if (!r) return r.error();
        return {};
    }
    /// Starts a read for a client: under the lease if asked and held, else by ReadIndex.
    static synod::result<void> read(node_type& n, std::uint64_t context, bool lease) {
        if constexpr (Features.lease_read) {
            if (lease && n.lease_read(context)) return {};
        }
        if constexpr (Features.read_index) {
            return n.read_index(context);
        } else {
            (void)n, (void)context, (void)lease;
            return errc::unavailable;
        }
    }
    /// Asks leader `n` for a random membership change among nodes 1..`nodes`: add a learner,
    /// promote a learner, demote or remove a voter, or remove a learner; now and then two at
    /// once (joint consensus). Returns what was started, or "" if the leader refused.
    static std::string change_membership(node_type& n, std::size_t nodes, xoshiro256& r)
        requires(Features.membership)
    {
        configuration target = n.config();
        if (target.joint()) return {};
        std::string what;
        const int changes = uniform(r, 0, 3) == 0 ? 2 : 1;
        for (int k = 0; k < changes; ++k) {
            const node_id x{static_cast<std::uint32_t>(uniform(r, 1, nodes))};
            const std::string name = "n" + std::to_string(x.value);
            const bool drop = uniform(r, 0, 1) == 0;
            if (target.voters.contains(x)) {
                if (target.voters.size() == 1) continue;
                target.voters.erase(x);
                if (!drop) target.learners.insert(x);
                what += (drop ? " remove voter " : " demote ") + name;
            } else if (target.learners.contains(x)) {
                target.learners.erase(x);
                if (!drop) target.voters.insert(x);
                what += (drop ? " remove learner " : " promote ") + name;
            } else {
                target.learners.insert(x);
                what += " add learner " + name;
            }
        }
        if (what.empty()) return {};
        const auto how = uniform(r, 0, 2) == 0 ? raft::membership_change::joint
                                               : raft::membership_change::automatic;
        if (!n.propose_configuration(target, how)) return {};
        return what.substr(1) + (n.config().joint() ? " (joint)" : "");
    }
    /// One node's state for diagnostics: role, term, commit, last index, configuration.
    static std::string describe_node(const node_type& n) {
        auto set = [](const node_set& s) {
            std::string out;
            for (node_id x : s) out += (out.empty() ? "" : ",") + std::to_string(x.value);
            return "{" + out + "}";
        };
        const configuration& c = n.config();
        return std::string{raft::to_string(n.role())} + " term " + std::to_string(n.term().value) +
               " commit " + std::to_string(n.commit_index().value) + " last " +
               std::to_string(n.last_index().value) + " voters " + set(c.voters) +
               (c.joint() ? " outgoing " + set(c.voters_outgoing) : std::string{}) +
               (c.learners.empty() ? std::string{} : " learners " + set(c.learners)) + " @" +
               std::to_string(n.config_index().value);
    }
    static bool is_leader(const node_type& n) noexcept { return n.is_leader(); }
    static node_id leader_hint(const node_type& n) noexcept { return n.leader(); }
    static std::uint64_t term_of(const node_type& n) noexcept { return n.term().value; }
    static log_index commit_of(const node_type& n) noexcept { return n.commit_index(); }
};

}  // namespace synod::runtime::sim

#endif
