#ifndef SYNOD_PAXOS_MULTI_PAXOS_HPP
#define SYNOD_PAXOS_MULTI_PAXOS_HPP

/// \file
/// Multi-Paxos (Paxos Made Simple 3; Paxos Made Moderately Complex, "PMMC"): a replicated log of
/// slots. A replica plays proposer, acceptor and learner. A distinguished leader runs phase 1 once
/// for every slot from its commit index on, then pipelines phase 2, one round trip per batch of
/// slots, with the commit index riding on the next batch or heartbeat. A new leader's phase 1
/// recovers every slot a phase-2 quorum may have accepted, re-proposes the value of the highest
/// ballot in each, and fills the gaps with no-ops. Quorums come from the quorum-system policy,
/// phase 1 and phase 2 judged separately (Flexible Paxos).

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "synod/config.hpp"
#include "synod/core/assert.hpp"
#include "synod/core/ballot.hpp"
#include "synod/core/concepts/quorum_system.hpp"
#include "synod/core/concepts/random.hpp"
#include "synod/core/concepts/state_machine.hpp"
#include "synod/core/concepts/storage.hpp"
#include "synod/core/concepts/timer.hpp"
#include "synod/core/concepts/transport.hpp"
#include "synod/core/configuration.hpp"
#include "synod/core/entry.hpp"
#include "synod/core/error.hpp"
#include "synod/core/ids.hpp"
#include "synod/core/random.hpp"
#include "synod/core/static_vector.hpp"
#include "synod/paxos/multi_paxos_message.hpp"

namespace synod::multi_paxos {

/// A state machine that can also be captured and restored, enabling log compaction:
///   csm.snapshot()      -> S     the state after every entry applied so far (copyable)
///   sm.restore(snap)    -> void  replaces the state with `snap`
template <class S>
concept snapshotting_state_machine = requires(S& sm, const S& csm) {
    csm.snapshot();
    sm.restore(csm.snapshot());
};

namespace detail {
template <class S, bool = snapshotting_state_machine<S>>
struct snapshot_of {
    using type = no_snapshot;
};
template <class S>
struct snapshot_of<S, true> {
    using type = std::remove_cvref_t<decltype(std::declval<const S&>().snapshot())>;
};
}  // namespace detail

namespace detail {
/// A candidate's recovery table: in place, sized like the log, when the storage has a capacity
/// fixed at compile time (no heap); else a std::vector.
template <class S, class T>
struct recovery_buffer {
    using type = std::vector<T>;
};
template <class S, class T>
    requires requires { std::integral_constant<std::size_t, S::capacity()>{}; }
struct recovery_buffer<S, T> {
    using type = static_vector<T, S::capacity()>;
};
}  // namespace detail

/// The snapshot type of state machine `S` (no_snapshot when it takes none).
template <class S>
using snapshot_type_of = typename detail::snapshot_of<S>::type;

/// Tuning of a replica. Times are in timer ticks.
struct settings {
    /// The leader sends a heartbeat (an empty accept carrying its commit index) this often, and
    /// retransmits to an acceptor that acknowledged nothing since the previous heartbeat.
    ticks heartbeat_ticks = 1;
    /// A follower that hears no leader for a random time in [this, 2 * this) starts phase 1.
    ticks election_timeout_ticks = 10;
    /// Most slots in flight (sent, not acknowledged) to one acceptor: the phase-2 window.
    std::size_t window_slots = 4096;
    /// Most slots in one accept message.
    std::size_t batch_entries_max = 512;
    /// Most accept messages with entries in flight to one acceptor; later proposals wait and
    /// leave together in the next batch when an acknowledgement comes back.
    std::size_t inflight_batches_max = 4;
};

/// What a replica is doing.
enum class role : std::uint8_t {
    follower,   ///< accepting a leader's proposals (or waiting for one)
    candidate,  ///< running phase 1 with its own ballot
    leader,     ///< phase 1 done: proposing in phase 2
};

/// One Multi-Paxos replica: proposer, acceptor and learner in one process. `Traits` names:
///   payload_type   a log entry's payload (models synod::payload)
///   storage        models multi_acceptor_storage<payload_type> (storage/paxos_memory.hpp), and
///                  snapshot_storage when the state machine takes snapshots
///   transport      models transport<message<payload_type, snapshot_type_of<state_machine>>>
///   timer          models timer: election timeouts, heartbeats
///   random         models random_source: randomized election timeouts
///   state_machine  models state_machine<entry<payload_type>>; optionally snapshotting
///   quorum         models quorum_system
/// Voters of the configuration are acceptors; its learners receive the log but never vote or
/// lead. Applied entries reach `state_machine.apply` in slot order, each exactly once, no-ops
/// included (kind == noop).
template <class Traits>
class replica {
public:
    ///@{
    /// The payload and policy types named by `Traits`, and the entry, pvalue, snapshot and
    /// message types they make.
    using payload_type = typename Traits::payload_type;
    using storage_type = typename Traits::storage;
    using transport_type = typename Traits::transport;
    using timer_type = typename Traits::timer;
    using random_type = typename Traits::random;
    using state_machine_type = typename Traits::state_machine;
    using quorum_type = typename Traits::quorum;
    using entry_type = entry<payload_type>;
    using pvalue_type = pvalue<payload_type>;
    using snapshot_type = snapshot_type_of<state_machine_type>;
    using message_type = message<payload_type, snapshot_type>;
    ///@}
    /// Log compaction is compiled in only for a snapshotting state machine.
    static constexpr bool compacts = snapshotting_state_machine<state_machine_type>;

    static_assert(check_multi_acceptor_storage<storage_type, payload_type>::value);
    static_assert(check_transport<transport_type, message_type>::value);
    static_assert(check_timer<timer_type>::value);
    static_assert(check_random_source<random_type>::value);
    static_assert(check_state_machine<state_machine_type, entry_type>::value);
    static_assert(check_quorum_system<quorum_type>::value);
    static_assert(!compacts || snapshot_storage<storage_type, snapshot_type>,
                  "multi_paxos::replica: the state machine takes snapshots, so the storage must "
                  "model snapshot_storage (snapshot_index(), snapshot(), save_snapshot(i, snap); "
                  "storage/paxos_memory.hpp models it)");

    /// A replica starts as a follower. With storage left by an earlier run it resumes: its
    /// promise holds, and a snapshot in storage is restored into the state machine. An invalid
    /// quorum system (validate() fails, e.g. errc::quorum_not_intersecting) leaves the replica
    /// inert: it never leads, and propose() and campaign() return the error.
    replica(node_id self, const configuration& config, const settings& s, storage_type storage,
            transport_type transport, timer_type timer, random_type random,
            state_machine_type sm = {}, quorum_type quorum = {})
        : self_{self},
          config_{config},
          settings_{s},
          storage_{std::move(storage)},
          transport_{std::move(transport)},
          timer_{std::move(timer)},
          random_{std::move(random)},
          sm_{std::move(sm)},
          quorum_{std::move(quorum)},
          status_{quorum_.validate(config_.voters).error()} {
        if (status_ == errc::ok) status_ = config_.validate().error();
        SYNOD_ASSERT(settings_.heartbeat_ticks > 0);
        SYNOD_ASSERT(settings_.election_timeout_ticks > 0);
        SYNOD_ASSERT(settings_.batch_entries_max > 0);
        SYNOD_ASSERT(settings_.window_slots > 0);
        SYNOD_ASSERT(settings_.inflight_batches_max > 0);
        if constexpr (compacts) {
            if (storage_.snapshot_index() > log_index{0}) {
                sm_.restore(storage_.snapshot());
                commit_ = applied_ = storage_.snapshot_index();
            }
        }
        config_.for_each_member([&](node_id n) {
            if (n != self_) peers_.push_back(peer{n});
        });
        ballot_ = storage_.promised();
        reset_election_timer();
    }

    replica(const replica&) = delete;
    replica& operator=(const replica&) = delete;

    // ---- commands ---------------------------------------------------------------------------

    /// Proposes `p` for the next free slot and returns the slot. The entry is chosen in that slot
    /// unless leadership changes first (then another leader decides the slot, possibly with a
    /// no-op): watch the state machine for the outcome. errc::not_leader on a non-leader (see
    /// leader()); the quorum system's error on a replica with an invalid one.
    result<log_index> propose(const payload_type& p) {
        if (status_ != errc::ok) return status_;
        if (role_ != role::leader) return errc::not_leader;
        if (!fits(storage_.last_index().next(), storage_.last_index().next())) return errc::log_full;
        const log_index slot = append_one(p);
        for (peer& q : peers_) replicate(q);
        return slot;
    }

    /// Proposes every payload of `batch`, in consecutive slots, sending them together (one
    /// accept message per acceptor when the batch fits batch_entries_max). Returns the first slot.
    result<log_index> propose_batch(std::span<const payload_type> batch) {
        if (status_ != errc::ok) return status_;
        if (role_ != role::leader) return errc::not_leader;
        if (batch.empty()) return storage_.last_index().next();
        const log_index first = storage_.last_index().next();
        if (!fits(first, first + (batch.size() - 1))) return errc::log_full;
        for (const payload_type& p : batch) append_one(p);
        for (peer& q : peers_) replicate(q);
        return first;
    }

    /// Starts phase 1 now with a ballot above every ballot seen (as if the election timer fired).
    result<void> campaign() {
        if (status_ != errc::ok) return status_;
        if (!config_.voters.contains(self_)) return errc::not_member;
        start_phase1();
        return {};
    }

    /// Folds every applied slot into a snapshot of the state machine and drops them from the log
    /// (PMMC's state reduction). A replica that later needs them receives the snapshot. Returns
    /// the last slot the snapshot covers.
    log_index compact()
        requires compacts
    {
        if (applied_ > storage_.snapshot_index()) {
            const write_id w = storage_.save_snapshot(applied_, sm_.snapshot());
            (void)w;  // the log is a cache of chosen values: losing the write loses nothing chosen
        }
        return storage_.snapshot_index();
    }

    // ---- events -----------------------------------------------------------------------------

    /// Phase 1a from a candidate.
    void on(const prepare& m) {
        if (!m.proposed.plausible()) return;  // bad input (ballot::plausible)
        const ballot promised = storage_.promised();
        if (m.proposed < barrier()) {
            transport_.send(m.from, reject{self_, m.proposed, barrier()});
            return;
        }
        if (promised < m.proposed) follow(m.proposed, no_node);
        heard_ = timer_.now();  // give the candidate time to finish
        const write_id w = storage_.save_promise(m.proposed);
        gated_promise g{w, m.from, m.proposed, m.first};
        if (w <= storage_.durable()) {
            send_promise(g);
        } else if (!promises_.full()) {
            promises_.push_back(g);
        }
        if constexpr (compacts) {
            if (m.first <= storage_.snapshot_index()) send_snapshot_to(m.from);
        }
    }

    /// Phase 1b: merge the report, and lead once a phase-1 quorum promised.
    void on(const promise<payload_type>& m) {
        if (role_ != role::candidate || m.promised != ballot_) return;
        if (!config_.voters.contains(m.from) || granted_.contains(m.from)) return;
        if (m.from == self_) return;  // our own promise counts once durable (promise_self)
        if (first_ <= m.compacted) return;  // incomplete report; the snapshot comes instead
        // A slot we could not hold (beyond a bounded log; far beyond any real log) makes the
        // report unusable: not counting it is safe, leading without that slot would not be.
        log_index highest = first_;
        for (const pvalue_type& v : m.accepted) highest = std::max(highest, v.value.index);
        if (!fits(first_, highest)) return;
        merge(m.accepted, m.commit);
        granted_.insert(m.from);
        if (quorum_.phase1(config_.voters, granted_)) become_leader();
    }

    /// Phase 2a (or a heartbeat) from a leader.
    void on(const accept<payload_type>& m) {
        if (!m.number.plausible()) return;  // bad input (ballot::plausible)
        if (!well_formed(m.entries)) return;  // bad input: a leader sends consecutive slots
        if (m.number < barrier()) {
            transport_.send(m.from, reject{self_, m.number, barrier()});
            return;
        }
        if (!m.number) return;  // bad input: no leader owns the null ballot (it marks holes)
        if (role_ != role::follower || ballot_ != m.number || leader_ != m.from)
            follow(m.number, m.from);
        heard_ = timer_.now();
        write_id w{0};
        accepted reply{self_, m.number, log_index{1}, log_index{0}, commit_};
        if (!m.entries.empty()) {
            reply.first = m.entries.front().value.index;
            reply.last = m.entries.back().value.index;
            std::span<const pvalue_type> es = m.entries;
            // Slots compacted away or known chosen are settled: nothing to accept there (for a
            // real leader the value is the same; a different one would be a lie).
            const log_index settled = std::max(storage_.first_index().prev(), commit_);
            while (!es.empty() && es.front().value.index <= settled) es = es.subspan(1);
            if (!es.empty() && !fits(es.front().value.index, es.back().value.index))
                return;  // no room: as if the message were lost; the leader sends it again
            if (!es.empty()) w = storage_.save_accepted(m.number, es);
        }
        advance_commit(m.number, m.commit);
        reply.commit = commit_;
        if (m.entries.empty()) {
            transport_.send(m.from, reply);
        } else {
            send_after(w, m.from, reply);
        }
    }

    /// Phase 2b at the leader: count it toward the slots' phase-2 quorums.
    void on(const accepted& m) {
        if (role_ != role::leader || m.number != ballot_) return;
        peer* q = find_peer(m.from);
        if (!q) return;
        q->acked = true;
        q->commit = m.commit;  // the latest report: it drops when the acceptor restarts
        const log_index last = storage_.last_index();
        // Slots up to the acceptor's commit index are chosen, and it holds their values.
        log_index known = std::max(q->matched, std::min(m.commit, last));
        if (m.first <= m.last) {
            if (q->inflight > 0) --q->inflight;
            // Count only a contiguous prefix: a batch after a lost one leaves a hole, which the
            // next heartbeat repairs if the acceptor stays stuck.
            if (m.first <= known.next()) known = std::max(known, std::min(m.last, last));
        } else if (known.next() < q->next) {
            // A heartbeat reply overtook nothing (links are FIFO): whatever was sent before the
            // heartbeat and is still unacknowledged was lost. Send it again.
            q->next = known.next();
            q->inflight = 0;
        }
        if (q->matched < known) q->progress = true;
        q->matched = known;
        if (q->next <= q->matched) q->next = q->matched.next();
        if (q->next == q->matched.next()) q->inflight = 0;
        maybe_commit();
        replicate(*q);
    }

    /// A ballot above ours exists: step down (and let its owner lead).
    void on(const reject& m) {
        if (!m.promised.plausible()) return;  // bad input (ballot::plausible)
        if (role_ == role::follower || m.rejected != ballot_ || !(ballot_ < m.promised)) return;
        follow(m.promised, no_node);
        heard_ = timer_.now();
    }

    /// Slots this replica lacks were compacted by the sender: take its snapshot.
    void on(const install_snapshot<snapshot_type>& m) {
        if constexpr (compacts) {
            if (role_ == role::leader || m.last_included <= commit_) return;
            storage_.save_snapshot(m.last_included, m.state);
            sm_.restore(m.state);
            commit_ = applied_ = m.last_included;
            if (role_ == role::candidate) {
                start_phase1();  // our prepare asked for slots we now hold: ask again
            } else {
                transport_.send(m.from,
                                accepted{self_, m.number, log_index{1}, log_index{0}, commit_});
            }
        } else {
            (void)m;
        }
    }

    /// Visits `m` and handles it.
    void on(const message_type& m) {
        std::visit([this](const auto& x) { this->on(x); }, m);
    }

    /// The timer fired: a leader sends heartbeats (and retransmits), others check the leader is
    /// alive and start phase 1 if not. Early and spurious timeouts only re-arm.
    void on(const timeout&) {
        const time_point now = timer_.now();
        if (role_ == role::leader) {
            if (now < deadline_) {
                timer_.arm(deadline_);
                return;
            }
            heartbeat();
            deadline_ = now + settings_.heartbeat_ticks;
            timer_.arm(deadline_);
            return;
        }
        deadline_ = heard_ + election_timeout_;
        if (now < deadline_) {
            timer_.arm(deadline_);
            return;
        }
        if (status_ == errc::ok && config_.voters.contains(self_)) {
            start_phase1();
        } else {
            reset_election_timer();
        }
    }

    /// The storage made more writes durable: release what waited for them.
    void on(const writes_durable&) {
        const write_id d = storage_.durable();
        std::size_t sent = 0;
        while (sent < acks_.size() && acks_[sent].gate <= d) {
            transport_.send(acks_[sent].to, acks_[sent].message);
            ++sent;
        }
        erase_front(acks_, sent);
        std::size_t kept = 0;
        for (std::size_t i = 0; i < promises_.size(); ++i) {
            if (promises_[i].gate <= d) {
                send_promise(promises_[i]);
            } else {
                promises_[kept++] = promises_[i];
            }
        }
        while (promises_.size() > kept) promises_.pop_back();
        if (role_ == role::candidate && self_promise_pending_ && self_promise_gate_ <= d) {
            self_promise_pending_ = false;
            promise_self();
        }
        if (role_ == role::leader && own_pending_ && own_gate_ <= d) {
            own_pending_ = false;
            self_matched_ = std::max(self_matched_, own_slot_);
            maybe_commit();
        }
    }

    // ---- queries ----------------------------------------------------------------------------

    /// This replica's node id.
    node_id id() const noexcept { return self_; }
    /// Follower, candidate (running phase 1) or leader.
    role current_role() const noexcept { return role_; }
    /// True once phase 1 is done and this replica proposes.
    bool is_leader() const noexcept { return role_ == role::leader; }
    /// The leader this replica knows of (itself when leading); no_node if none.
    node_id leader() const noexcept { return leader_; }
    /// The ballot this replica leads or follows.
    ballot current_ballot() const noexcept { return ballot_; }
    /// The highest slot such that every slot up to it is known chosen here.
    log_index commit_index() const noexcept { return commit_; }
    /// The highest slot applied to the state machine.
    log_index applied_index() const noexcept { return applied_; }
    /// errc::ok, or why this replica refuses to run (its quorum system or configuration).
    errc status() const noexcept { return status_; }
    /// The members: voters are acceptors, learners only receive the log.
    const configuration& config() const noexcept { return config_; }
    ///@{
    /// The storage policy: what a restart would resume from.
    storage_type& storage() noexcept { return storage_; }
    const storage_type& storage() const noexcept { return storage_; }
    ///@}
    ///@{
    /// The state machine policy, holding every entry applied so far.
    state_machine_type& state_machine() noexcept { return sm_; }
    const state_machine_type& state_machine() const noexcept { return sm_; }
    ///@}
    /// The transport policy (a runtime may need to reach its state).
    transport_type& transport() noexcept { return transport_; }

private:
    struct peer {
        node_id id;
        log_index next{1};     ///< next slot to send
        log_index matched{0};  ///< every slot up to here accepted in our ballot (or known chosen)
        log_index commit{0};   ///< the acceptor's commit index, as last reported
        log_index commit_at_heartbeat{0};  ///< the same at the previous heartbeat
        std::uint32_t inflight = 0;  ///< accept messages with entries not yet acknowledged
        bool progress = false;       ///< acknowledged something since the last heartbeat
        bool acked = false;          ///< acknowledged anything in this ballot
    };
    struct gated_ack {
        write_id gate;
        node_id to;
        accepted message;
    };
    struct gated_promise {
        write_id gate;
        node_id to;
        ballot promised;
        log_index first;
    };
    /// The best a candidate has heard of for one slot.
    struct recovered {
        pvalue_type best{};
        bool chosen = false;
    };

    // ---- follower ---------------------------------------------------------------------------

    /// Becomes a follower of ballot `b` (led by `leader`, or unknown), dropping leader and
    /// candidate state.
    void follow(ballot b, node_id leader) {
        if (role_ != role::follower) {
            role_ = role::follower;
            granted_.clear();
            recovery_.clear();
            self_promise_pending_ = false;
            own_pending_ = false;
            reset_election_timer();
        }
        ballot_ = b;
        leader_ = leader;
    }

    /// Commit knowledge from the leader of `b`: slots up to `leader_commit` are chosen, and a
    /// slot this replica accepted in `b` holds the leader's (hence the chosen) value.
    void advance_commit(ballot b, log_index leader_commit) {
        const log_index target = std::min(leader_commit, storage_.last_index());
        while (commit_ < target) {
            const log_index s = commit_.next();
            if (storage_.entries(s, s)[0].number != b) break;
            commit_ = s;
        }
        apply_committed();
    }

    void apply_committed() {
        while (applied_ < commit_) {
            const log_index hi = std::min(commit_, applied_ + settings_.batch_entries_max);
            for (const pvalue_type& v : storage_.entries(applied_.next(), hi)) {
                sm_.apply(v.value);
                ++applied_;
            }
        }
    }

    /// Sends `m` once write `w` is durable, merging with a waiting acknowledgement of the
    /// slots just before.
    void send_after(write_id w, node_id to, const accepted& m) {
        if (w <= storage_.durable()) {
            transport_.send(to, m);
            return;
        }
        if (!acks_.empty()) {
            gated_ack& b = acks_.back();
            if (b.to == to && b.message.number == m.number && b.message.first <= m.first &&
                m.first <= b.message.last.next()) {
                b.message.last = std::max(b.message.last, m.last);
                b.message.commit = m.commit;
                b.gate = w;
                return;
            }
        }
        if (acks_.full()) return;  // a lost acknowledgement: the leader retransmits
        acks_.push_back(gated_ack{w, to, m});
    }

    void send_promise(const gated_promise& g) {
        // A promise superseded while it waited is not sent: the candidate retries.
        if (storage_.promised() != g.promised) return;
        const log_index lo = std::max(g.first, storage_.first_index());
        const log_index hi = storage_.last_index();
        std::span<const pvalue_type> es;
        if (lo <= hi) es = storage_.entries(lo, hi);
        transport_.send(g.to, promise<payload_type>{self_, g.promised, g.first, commit_,
                                                    storage_.first_index().prev(), es});
    }

    // ---- candidate --------------------------------------------------------------------------

    void start_phase1() {
        // Paxos Made Simple 3: a new leader's phase 1 covers every slot it does not know chosen.
        const ballot above = ballot_ < storage_.promised() ? storage_.promised() : ballot_;
        ballot_ = ballot::above(above, self_);
        role_ = role::candidate;
        leader_ = no_node;
        first_ = commit_.next();
        granted_.clear();
        recovery_.clear();
        acks_.clear();
        const write_id w = storage_.save_promise(ballot_);
        for (node_id v : config_.voters)
            if (v != self_) transport_.send(v, prepare{self_, ballot_, first_});
        reset_election_timer();
        self_promise_gate_ = w;
        self_promise_pending_ = true;
        if (w <= storage_.durable()) {
            self_promise_pending_ = false;
            promise_self();
        }
    }

    /// The candidate's own acceptor promised (durably): count it like any other.
    void promise_self() {
        const log_index lo = std::max(first_, storage_.first_index());
        const log_index hi = storage_.last_index();
        if (lo <= hi) merge(storage_.entries(lo, hi), commit_);
        granted_.insert(self_);
        if (quorum_.phase1(config_.voters, granted_)) become_leader();
    }

    /// Folds one promise's report into the recovery table (PMMC's pmax): per slot, a value known
    /// chosen wins, else the one with the highest ballot.
    void merge(std::span<const pvalue_type> reported, log_index known_chosen) {
        for (const pvalue_type& v : reported) {
            if (!v.number) continue;  // a hole
            const log_index s = v.value.index;
            if (s < first_) continue;
            const auto i = static_cast<std::size_t>(s - first_);
            if (recovery_.size() <= i) recovery_.resize(i + 1);
            recovered& r = recovery_[i];
            if (r.chosen) continue;
            if (s <= known_chosen) {
                r = recovered{v, true};
            } else if (r.best.number < v.number) {
                r.best = v;
            }
        }
    }

    void become_leader() {
        role_ = role::leader;
        leader_ = self_;
        base_ = first_.prev();
        self_matched_ = commit_;
        own_pending_ = false;
        // PMMC / Paxos Made Simple 3: re-propose, in our ballot, the value of the highest ballot
        // reported for each slot, and fill every gap below the highest reported slot with a
        // no-op, so that the log has no holes and nothing a phase-2 quorum accepted is lost.
        // Our own log may reach further (when we won without counting our own promise): those
        // slots were reported by no phase-1 quorum, so none of them is chosen; fill them too, so
        // that no stale value there is ever sent in our ballot.
        std::size_t recovered_slots = recovery_.size();
        if (base_ < storage_.last_index())
            recovered_slots = std::max(recovered_slots,
                                       static_cast<std::size_t>(storage_.last_index() - base_));
        if (recovered_slots > 0) {
            SYNOD_ASSERT(fits(first_, first_ + (recovered_slots - 1)));
            // Written in chunks from a small buffer in place: no heap, one write per chunk.
            static_vector<pvalue_type, 8> proposals;
            for (std::size_t i = 0; i < recovered_slots; ++i) {
                const log_index s = first_ + i;
                pvalue_type v{};
                if (i < recovery_.size() && recovery_[i].best.number) {
                    v.value = recovery_[i].best.value;
                } else {
                    v.value.kind = entry_kind::noop;
                }
                v.value.index = s;
                v.value.term = term_t{ballot_.round};
                v.number = ballot_;
                proposals.push_back(std::move(v));
                if (proposals.full() || i + 1 == recovered_slots) {
                    write_own(proposals);
                    proposals.clear();
                }
            }
        }
        recovery_.clear();
        granted_.clear();
        for (peer& q : peers_) {
            q.next = first_;
            q.matched = log_index{0};
            q.commit = log_index{0};
            q.commit_at_heartbeat = log_index{0};
            q.inflight = 0;
            q.progress = false;
            q.acked = false;
        }
        maybe_commit();
        for (peer& q : peers_)
            if (!replicate(q)) send_heartbeat(q);
        deadline_ = timer_.now() + settings_.heartbeat_ticks;
        timer_.arm(deadline_);
    }

    // ---- leader -----------------------------------------------------------------------------

    log_index append_one(const payload_type& p) {
        const log_index slot = storage_.last_index().next();
        const pvalue_type v{ballot_, entry_type{term_t{ballot_.round}, slot, entry_kind::normal, p}};
        write_own(std::span<const pvalue_type>(&v, 1));
        return slot;
    }

    /// The leader accepts its own proposals like any acceptor, and counts itself once durable.
    void write_own(std::span<const pvalue_type> vs) {
        const write_id w = storage_.save_accepted(ballot_, vs);
        const log_index last = vs.back().value.index;
        if (w <= storage_.durable()) {
            self_matched_ = std::max(self_matched_, last);
            own_pending_ = false;
            maybe_commit();
        } else {
            own_pending_ = true;
            own_gate_ = w;
            own_slot_ = last;
        }
    }

    void maybe_commit() {
        const log_index c = quorum_.committed(config_.voters, [this](node_id v) {
            if (v == self_) return self_matched_;
            const peer* q = find_peer(v);
            return q ? q->matched : log_index{0};
        });
        if (commit_ < c) {
            commit_ = c;
            apply_committed();
        }
    }

    /// Sends `q` what it lacks, as far as the window allows. True if anything was sent.
    bool replicate(peer& q) {
        const log_index last = storage_.last_index();
        bool sent = false;
        while (q.next <= last && q.inflight < settings_.inflight_batches_max) {
            if (q.next < storage_.first_index()) {
                if constexpr (compacts) {
                    send_snapshot_to(q.id);
                    q.next = storage_.first_index();
                    sent = true;
                    continue;
                } else {
                    // A log whose state machine takes no snapshots is never compacted.
                    SYNOD_ASSERT(storage_.first_index() <= q.next);
                }
            }
            // Slots up to base_ are chosen already; count the window from there.
            const log_index floor = q.next <= base_ ? q.matched : std::max(q.matched, base_);
            const log_index limit = floor + settings_.window_slots;
            if (limit < q.next) break;
            log_index hi = std::min(last, q.next + (settings_.batch_entries_max - 1));
            hi = std::min(hi, limit);
            const std::span<const pvalue_type> es = storage_.entries(q.next, hi);
            transport_.send(q.id, accept<payload_type>{self_, ballot_, commit_, es});
            q.next = hi.next();
            ++q.inflight;
            sent = true;
        }
        return sent;
    }

    void send_heartbeat(const peer& q) {
        transport_.send(q.id, accept<payload_type>{self_, ballot_, commit_, {}});
    }

    void heartbeat() {
        const log_index last = storage_.last_index();
        for (peer& q : peers_) {
            // Nothing acknowledged for a whole heartbeat interval with slots outstanding: assume
            // the batches were lost and send again from the first slot not acknowledged. An
            // acceptor that never answered gets only a heartbeat until it does.
            if (!q.acked) {
                send_heartbeat(q);
                continue;
            }
            if (!q.progress && q.matched < last && q.matched.next() < q.next) {
                q.next = q.matched.next();
                q.inflight = 0;
            }
            // An acceptor whose commit index is stuck behind ours although it acknowledged the
            // slots holds them from an older ballot (it restarted and forgot what it knew
            // chosen, or it missed our re-proposals): send them again in our ballot.
            if (q.commit < commit_ && q.commit == q.commit_at_heartbeat &&
                q.commit.next() < q.next) {
                q.next = std::max(q.commit.next(), storage_.first_index());
                q.inflight = 0;
            }
            q.commit_at_heartbeat = q.commit;
            q.progress = false;
            if (!replicate(q)) send_heartbeat(q);
        }
    }

    void send_snapshot_to(node_id to)
        requires compacts
    {
        transport_.send(to, install_snapshot<snapshot_type>{self_, ballot_,
                                                            storage_.snapshot_index(),
                                                            storage_.snapshot()});
    }

    // ---- helpers ----------------------------------------------------------------------------

    /// The lowest ballot this replica still takes part in: its durable promise, or the higher
    /// ballot it leads or follows. Refusing below it is always safe (refusing promises nothing)
    /// and tells a stale proposer which ballot to beat.
    ballot barrier() const noexcept {
        const ballot promised = storage_.promised();
        return promised < ballot_ ? ballot_ : promised;
    }

    /// Whether the log can hold slots first..last now (always, unless the storage is bounded).
    bool fits(log_index first, log_index last) const noexcept {
        if constexpr (bounded_paxos_log_storage<storage_type>) {
            return storage_.can_accept(first, last);
        } else {
            return true;
        }
    }

    /// A batch of accepted values names consecutive slots, from slot 1 on.
    static bool well_formed(std::span<const pvalue_type> es) noexcept {
        for (std::size_t k = 0; k < es.size(); ++k) {
            if (es[k].value.index == log_index{0}) return false;
            if (!(es[k].value.index == es[0].value.index + k)) return false;
        }
        return true;
    }

    peer* find_peer(node_id n) noexcept {
        for (peer& q : peers_)
            if (q.id == n) return &q;
        return nullptr;
    }
    const peer* find_peer(node_id n) const noexcept {
        for (const peer& q : peers_)
            if (q.id == n) return &q;
        return nullptr;
    }
    void reset_election_timer() {
        const ticks et = settings_.election_timeout_ticks;
        election_timeout_ = uniform(random_, et, 2 * et - 1);
        heard_ = timer_.now();
        deadline_ = heard_ + election_timeout_;
        timer_.arm(deadline_);
    }
    template <class V>
    static void erase_front(V& v, std::size_t n) {
        if (n == 0) return;
        for (std::size_t i = n; i < v.size(); ++i) v[i - n] = v[i];
        for (std::size_t i = 0; i < n; ++i) v.pop_back();
    }

    node_id self_;
    configuration config_;
    settings settings_;
    [[no_unique_address]] storage_type storage_;
    [[no_unique_address]] transport_type transport_;
    [[no_unique_address]] timer_type timer_;
    [[no_unique_address]] random_type random_;
    [[no_unique_address]] state_machine_type sm_;
    [[no_unique_address]] quorum_type quorum_;
    errc status_;
    role role_ = role::follower;
    node_id leader_{};
    ballot ballot_{};
    log_index commit_{0};
    log_index applied_{0};
    time_point heard_{0};
    time_point deadline_ = time_never;
    ticks election_timeout_ = 0;
    // candidate
    log_index first_{1};
    node_set granted_;
    typename detail::recovery_buffer<storage_type, recovered>::type recovery_;
    write_id self_promise_gate_{0};
    bool self_promise_pending_ = false;
    // leader
    bool own_pending_ = false;
    write_id own_gate_{0};
    log_index own_slot_{0};
    log_index self_matched_{0};
    log_index base_{0};
    static_vector<peer, max_nodes> peers_;
    // acceptor: replies waiting for durability
    static_vector<gated_ack, 64> acks_;
    static_vector<gated_promise, 4> promises_;
};

}  // namespace synod::multi_paxos

#endif
