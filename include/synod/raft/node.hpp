#ifndef SYNOD_RAFT_NODE_HPP
#define SYNOD_RAFT_NODE_HPP

/// \file
/// synod::raft::node — the whole of Raft's core as one deterministic state machine: elections
/// (Raft 5.2, pre-vote from the thesis 9.6), log replication with flow control (5.3),
/// commitment (5.4.2), persistence before acknowledgement, check-quorum and leadership transfer.
///
/// Events go in through `on(...)` (messages, `timeout`, `writes_durable`) and commands
/// (`campaign`, `propose`, `transfer_leadership`); effects leave only through the policies the
/// traits name. The node does no I/O, reads no clock but the timer policy's, and allocates
/// nothing on its own.
///
/// Traits:
///   using payload       = P;   // synod::payload
///   using storage       = S;   // synod::raft_log_storage<S, P>
///   using transport     = T;   // synod::transport<T, raft::message<P>>
///   using timer         = Ti;  // synod::timer
///   using random        = R;   // synod::random_source
///   using state_machine = M;   // synod::state_machine<M, entry<P>>
///   using quorum        = Q;   // optional, synod::quorum_system (default synod::majority)
///   using commit_rule   = C;   // optional; tests only (default current_term_commit_rule)
///   static constexpr raft::features features{...};  // optional (default: all off)
///   static constexpr std::size_t inflight_capacity, batch_capacity, outbox_capacity; // optional

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <utility>
#include <variant>
#include <vector>

#include "synod/core/assert.hpp"
#include "synod/core/concepts/message.hpp"
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
#include "synod/core/outbox.hpp"
#include "synod/core/quorum.hpp"
#include "synod/core/random.hpp"
#include "synod/core/static_vector.hpp"
#include "synod/raft/candidate.hpp"
#include "synod/raft/follower.hpp"
#include "synod/raft/leader.hpp"
#include "synod/raft/messages.hpp"
#include "synod/raft/options.hpp"
#include "synod/raft/progress.hpp"

namespace synod::raft {

/// One Raft node: a deterministic state machine that takes events through on(...) and commands
/// (propose, campaign, transfer_leadership, read_index, lease_read, compact) and acts only through
/// the policies `Traits` names (see the file comment for the list). A node starts as a follower
/// from what its storage holds, so a restart is simply a new node over the old storage.
template <class Traits>
class node {
public:
    ///@{
    /// The payload and policy types named by `Traits` (the quorum system defaults to majority),
    /// and the entry and message types they make.
    using payload_type = typename Traits::payload;
    using entry_type = entry<payload_type>;
    using message_type = message<payload_type>;
    using storage_type = typename Traits::storage;
    using transport_type = typename Traits::transport;
    using timer_type = typename Traits::timer;
    using random_type = typename Traits::random;
    using state_machine_type = typename Traits::state_machine;
    using quorum_type = typename detail::quorum_of<Traits>::type;
    ///@}
    /// The protocol variants compiled in (Traits::features; all off by default).
    static constexpr raft::features features = detail::features_of<Traits>();
    ///@{
    /// Compile-time capacities: AppendEntries in flight per follower, entries per storage write
    /// (raft::capacities has the defaults; Traits may override each).
    static constexpr std::size_t inflight_capacity = detail::inflight_capacity<Traits>();
    static constexpr std::size_t batch_capacity = detail::batch_capacity<Traits>();
    ///@}
    /// The leader's record of one follower, as progress_of() returns it.
    using progress_type = progress<inflight_capacity>;
    /// Log compaction and InstallSnapshot are compiled in when both the storage and the state
    /// machine support snapshots.
    static constexpr bool snapshots =
        raft_snapshot_storage<storage_type> && snapshot_state_machine<state_machine_type>;

    static_assert(payload<payload_type>,
                  "raft::node<Traits>: Traits::payload must be default-constructible, copyable "
                  "and equality-comparable (synod::payload)");
    static_assert(check_raft_log_storage<storage_type, payload_type>::value);
    static_assert(check_transport<transport_type, message_type>::value);
    static_assert(check_timer<timer_type>::value);
    static_assert(check_random_source<random_type>::value);
    static_assert(check_state_machine<state_machine_type, entry_type>::value);
    static_assert(check_quorum_system<quorum_type>::value);
    static_assert(batch_capacity >= 1 && inflight_capacity >= 1);
    static_assert(!features.lease_read || (features.check_quorum && features.read_index),
                  "raft::node<Traits>: features.lease_read needs features.check_quorum (followers "
                  "must refuse to elect another leader during the lease) and features.read_index");
    static_assert(!features.read_index ||
                      requires(state_machine_type& sm, const read_ready& r) { sm.on_read(r); },
                  "raft::node<Traits>: with features.read_index the state machine must have "
                  "`void on_read(const raft::read_ready&)`, called when a read can be served");
    static_assert(!features.membership || configuration_payload<payload_type>,
                  "raft::node<Traits>: features.membership needs a payload that can carry a "
                  "configuration: a byte or character container, or a specialization of "
                  "synod::configuration_codec<Payload>");

    /// Starts (or restarts) node `self` as a follower, from the term, vote and log that
    /// `storage` holds. `config` must pass validation (see configuration::validate()).
    node(node_id self, const configuration& config, const settings& s, storage_type storage,
         transport_type transport, timer_type timer, random_type random,
         state_machine_type state_machine)
        : self_{self},
          config_{config},
          settings_{s},
          storage_{std::move(storage)},
          outbox_{std::move(transport)},
          timer_{std::move(timer)},
          random_{std::move(random)},
          state_machine_{std::move(state_machine)} {
        SYNOD_ASSERT(static_cast<bool>(self));
        SYNOD_ASSERT(config_.validate().has_value());
        SYNOD_ASSERT(quorum_system_.validate(config_).has_value());
        set_config(config);
        SYNOD_ASSERT(s.heartbeat_interval_ticks >= 1);
        SYNOD_ASSERT(s.heartbeat_interval_ticks < s.election_timeout_ticks);
        SYNOD_ASSERT(s.entries_per_message_max >= 1);
        const hard_state hs = storage_.hard_state();
        term_ = hs.term;
        vote_ = hs.vote;
        commit_ = std::min(hs.commit, storage_.last_index());
        applied_ = std::max(s.applied, storage_.first_index().prev());
        if constexpr (snapshots) {
            // Restart from a snapshot plus the log after it.
            if (s.applied < storage_.snapshot_index()) {
                state_machine_.restore(snapshot_state(storage_.snapshot_data()));
                applied_ = storage_.snapshot_index();
            }
        }
        SYNOD_ASSERT(applied_ <= storage_.last_index());
        durable_index_ = storage_.last_index();  // all a restarted node holds was durable
        last_write_ = storage_.durable();
        if (commit_ < applied_) commit_ = applied_;
        if constexpr (features.membership) recover_configuration();
        reset_election_timer();
        arm_timer();
        apply_committed();
    }

    // ---- events -------------------------------------------------------------------------

    /// A message from a peer.
    void on(const message_type& m) {
        std::visit([this](const auto& x) { this->on(x); }, m);
    }

    /// RequestVote or pre-vote (Raft 5.2, 5.4.1; thesis 9.6).
    void on(const vote_request& m) {
        if (!plausible_term(m.term)) return;  // bad input: see plausible_term()
        // Bad input too: no node, or this node itself. A vote "for" no_node would leave vote_
        // empty, free to be granted again in the same term.
        if (!m.from || m.from == self_) return;
        if (m.term < term_) {
            // A lower-term pre-candidate learns our term, so it can catch up instead of being
            // stuck (etcd-io/etcd#8243). A stale real vote request is ignored.
            if (m.pre_vote) send(m.from, vote_response{term_, self_, false, true});
            return;
        }
        if constexpr (features.check_quorum) {
            // Leader stickiness (thesis 4.2.3): while we hear from a leader, a higher-term
            // campaign is a disruption, not a need; ignore it unless the leader ordered it.
            if (term_ < m.term && !m.transfer && in_lease()) return;
        }
        if (term_ < m.term && !m.pre_vote) step_down(m.term, no_node);

        const bool can_vote = vote_ == m.from || (!vote_ && !leader_) ||
                              (m.pre_vote && term_ < m.term);
        // With membership changes a candidate may be a voter of a configuration this node has
        // not seen yet (thesis 4.1: requests are handled without consulting the configuration).
        const bool grant = can_vote && (features.membership || config_.is_voter(m.from)) &&
                           at_least_as_up_to_date(m.last_term, m.last_index, last_term(),
                                                  storage_.last_index());
        if (!grant) {
            send(m.from, vote_response{term_, self_, false, m.pre_vote});
            return;
        }
        if (m.pre_vote) {
            // Nothing changes on a pre-vote; answer with the term asked about.
            send(m.from, vote_response{m.term, self_, true, true});
            return;
        }
        // Raft 5.2: one vote per term, durable before it is granted (send() waits for it).
        vote_ = m.from;
        save_hard_state();
        reset_election_timer();
        arm_timer();
        send(m.from, vote_response{term_, self_, true, false});
    }

    /// The answer to our (pre-)vote request.
    void on(const vote_response& m) {
        if (!plausible_term(m.term)) return;  // bad input: see plausible_term()
        if (m.pre_vote) {
            if (term_ < m.term && !m.granted) {
                step_down(m.term, no_node);  // a voter is ahead of us: follow its term
                return;
            }
            if (role_ != role::pre_candidate) return;
            if (m.granted ? !(m.term == term_.next()) : !(m.term == term_)) return;  // stale
            if (m.from == self_ || !config_.is_voter(m.from)) return;  // not asked: bad input
            election_.record(m.from, m.granted);
            judge_election();
            return;
        }
        if (term_ < m.term) {
            step_down(m.term, no_node);
            return;
        }
        if (m.term < term_ || role_ != role::candidate) return;
        if (m.from == self_ || !config_.is_voter(m.from)) return;  // not asked: bad input
        election_.record(m.from, m.granted);
        judge_election();
    }

    /// AppendEntries (Raft 5.3): the follower side.
    void on(const append_entries<payload_type>& m) {
        if (!plausible_term(m.term)) return;  // bad input: see plausible_term()
        if (m.term < term_) {
            // Tell a stale leader our term so it steps down.
            send(m.from, append_response{term_, self_, false, m.prev_index, {}, {}});
            return;
        }
        follow(m.term, m.from);

        if (!entries_well_formed(m)) return;  // bad input: drop; the leader will retry
        if (m.prev_index < commit_) {
            // Everything up to commit_ is known to match; say so and let the leader resume.
            if (!m.commit_only) acknowledge(m.from, commit_, m.heartbeat, m.read_round);
            return;
        }
        if (!matches(m.prev_index, m.prev_term)) {
            const log_index last = storage_.last_index();
            const log_index hint = last_index_with_term_at_most(
                [this](log_index i) { return storage_.term_at(i); },
                std::min(m.prev_index, last), m.prev_term, storage_.first_index().prev());
            send(m.from, append_response{term_, self_, false, m.prev_index, hint,
                                         storage_.term_at(hint), last, m.heartbeat, m.read_round});
            return;
        }
        // Skip what we hold already; truncate only from the first conflicting entry, never a
        // matching suffix (a delayed AppendEntries must not erase newer entries).
        std::size_t k = 0;
        const log_index last = storage_.last_index();
        while (k < m.entries.size() && m.entries[k].index <= last &&
               storage_.term_at(m.entries[k].index) == m.entries[k].term)
            ++k;
        if (k < m.entries.size()) {
            // Raft 5.4: a committed entry never conflicts with a legitimate leader's log.
            SYNOD_ASSERT(commit_ < m.entries[k].index);
            if constexpr (bounded_log_storage<storage_type>) {
                // No room (fixed-capacity storage): as if the message were lost; the leader
                // sends it again once we answer a heartbeat, by when we may have compacted.
                if (!storage_.can_append(m.entries[k].index, m.entries.size() - k)) return;
            }
            write_log(m.entries.subspan(k));
        }
        const log_index last_new = m.prev_index + m.entries.size();
        if (commit_ < m.commit) advance_commit(std::min(m.commit, last_new));
        if (!m.commit_only) acknowledge(m.from, last_new, m.heartbeat, m.read_round);
    }

    /// The answer to AppendEntries: the leader side.
    void on(const append_response& m) {
        if (!plausible_term(m.term)) return;  // bad input: see plausible_term()
        if (term_ < m.term) {
            step_down(m.term, no_node);
            return;
        }
        if (m.term < term_ || role_ != role::leader) return;
        progress_type* pr = leader_state_.find(m.from);
        if (!pr) return;
        pr->active = true;
        // Both answers name an index of our log: a success the last one matched, a rejection
        // the prev_index we sent. Beyond our log it is impossible: bad input.
        if (storage_.last_index() < m.index) return;
        if constexpr (features.read_index) note_read_ack(m.from, m.read_round);
        if (!m.success) {
            // Fast backtracking: skip every entry of a divergent term in one round trip.
            log_index resume = m.hint_index;
            if (m.hint_term != term_t{0} && m.hint_index <= storage_.last_index() &&
                storage_.first_index().prev() <= m.hint_index)
                resume = last_index_with_term_at_most(
                    [this](log_index i) { return storage_.term_at(i); }, m.hint_index,
                    m.hint_term, storage_.first_index().prev());
            if (pr->on_reject(m.index, resume)) send_append(*pr);
            return;
        }
        const bool was_probe = pr->state == progress_state::probe ||
                               (pr->state == progress_state::snapshot && pr->stream.index <= m.index);
        if (pr->state == progress_state::snapshot && !was_probe) return;  // still streaming
        const bool updated = pr->on_success(m.index);
        if (was_probe) {
            pr->become_replicate();
        } else if (m.heartbeat && m.last_index < pr->next.prev()) {
            // The heartbeat went out after AppendEntries the follower still lacks: they were
            // lost. Resume from the match point rather than wait for a gap to show.
            pr->become_replicate();
        } else if (m.heartbeat && pr->match < pr->next.prev() &&
                   pr->state == progress_state::replicate) {
            // The follower holds as much as was sent, but the answers saying so were lost:
            // without a new proposal nothing would ask again. An empty AppendEntries at the
            // last index sent asks it to confirm the match.
            confirm_match(*pr);
        }
        // Only an acknowledgement beyond the commit index can commit more.
        const bool committed = updated && commit_ < pr->match && maybe_commit();
        while (send_append(*pr)) {
        }
        notify_commit(*pr);
        if constexpr (features.leader_transfer) {
            if (transfer_.target == m.from && pr->match == storage_.last_index())
                send_timeout_now(m.from);
        }
        if (committed) on_committed();  // last: it may end this role
    }

    /// InstallSnapshot (Raft 7): one chunk of the leader's snapshot.
    void on(const install_snapshot& m) {
        if constexpr (snapshots) {
            // Bad input: see plausible_term() and plausible_index().
            if (!plausible_term(m.term) || !plausible_index(m.last_index)) return;
            if (m.term < term_) {
                send(m.from, snapshot_response{term_, self_, m.last_index, 0, false});
                return;
            }
            follow(m.term, m.from);
            if (m.last_index <= commit_) {
                // Everything it covers is committed here already, so it matches.
                send(m.from, snapshot_response{term_, self_, m.last_index, m.total_bytes, true});
                return;
            }
            const std::uint64_t received =
                storage_.stage_snapshot_chunk(m.last_index, m.last_term, m.offset, m.data);
            if (received < m.total_bytes || m.offset + m.data.size() < m.total_bytes) {
                send(m.from, snapshot_response{term_, self_, m.last_index, received, false});
                return;
            }
            // The storage saves the snapshot and drops the log behind it in one durable write;
            // the acknowledgement waits for it (send() gates on every write).
            const write_id w = storage_.save_staged_snapshot();
            last_write_ = w;
            if (w <= storage_.durable()) {
                pending_log_writes_.clear();
                durable_index_ = storage_.last_index();
            } else {
                durable_index_ = std::min(durable_index_, m.last_index.prev());
                if (pending_log_writes_.full()) pending_log_writes_.pop_back();
                pending_log_writes_.push_back({w, storage_.last_index()});
            }
            state_machine_.restore(snapshot_state(storage_.snapshot_data()));
            applied_ = m.last_index;
            commit_ = std::max(commit_, m.last_index);
            if constexpr (features.membership) recover_configuration();
            send(m.from, snapshot_response{term_, self_, m.last_index, received, true});
            apply_committed();
        } else {
            (void)m;  // snapshots are not compiled in: never sent to us by a peer of this type
        }
    }

    /// The answer to InstallSnapshot.
    void on(const snapshot_response& m) {
        if (!plausible_term(m.term)) return;  // bad input: see plausible_term()
        if (term_ < m.term) {
            step_down(m.term, no_node);
            return;
        }
        if constexpr (snapshots) {
            if (m.term < term_ || role_ != role::leader) return;
            progress_type* pr = leader_state_.find(m.from);
            if (!pr) return;
            pr->active = true;
            if (m.installed) {
                if (storage_.last_index() < m.last_index) return;  // not our snapshot: bad input
                if (pr->on_success(m.last_index) || pr->state != progress_state::replicate)
                    pr->become_replicate();
                const bool committed = maybe_commit();
                while (send_append(*pr)) {
                }
                notify_commit(*pr);
                if (committed) on_committed();
                return;
            }
            if (pr->state != progress_state::snapshot || !(pr->stream.index == m.last_index)) return;
            snapshot_stream& st = pr->stream;
            st.progress = true;
            // No advance while more was sent: a chunk was lost; resume where the follower is.
            if (m.received <= st.received && m.received < st.sent) st.sent = m.received;
            st.received = std::max(st.received, m.received);
            send_snapshot_chunks(*pr);
        }
    }

    /// A follower asks for a read index on behalf of its client (follower reads).
    void on(const read_index_request& m) {
        if constexpr (features.read_index) {
            if (!plausible_term(m.term)) return;  // bad input: see plausible_term()
            if (m.term < term_) return;
            if (term_ < m.term) step_down(m.term, no_node);
            if (role_ != role::leader || reads_.pending.full()) {
                send(m.from, read_index_response{term_, self_, m.context, {}, false});
                return;
            }
            enqueue_read(m.context, m.from, read_kind::read_index);
        } else {
            (void)m;  // reads are not compiled in: a peer's request is dropped
        }
    }

    /// The leader's answer to our read_index_request.
    void on(const read_index_response& m) {
        if constexpr (features.read_index) {
            if (!plausible_term(m.term)) return;  // bad input: see plausible_term()
            if (!(m.term == term_)) return;
            for (pending_read& r : reads_.pending) {
                if (r.requester != self_ || r.context != m.context || r.index_known) continue;
                if (!m.ok) {
                    r.failed = true;
                } else {
                    r.index = m.index;
                    r.index_known = true;
                }
                break;
            }
            serve_reads();
        } else {
            (void)m;
        }
    }

    /// TimeoutNow (thesis 3.10): campaign at once, as the leader asked.
    void on(const timeout_now& m) {
        if (!plausible_term(m.term)) return;  // bad input: see plausible_term()
        if (m.term < term_) return;
        if (term_ < m.term) step_down(m.term, m.from);
        if (role_ == role::leader || !may_campaign()) return;
        // A leader hands over only to a voter of its configuration. A node whose newest
        // configuration does not make it a voter ignores the order, though it may still
        // campaign on its own while that configuration is not known committed (may_campaign).
        if (!config_.is_voter(self_)) return;
        if (!room_to_lead()) return;
        become_candidate(true);
    }

    /// The timer policy's deadline passed (early, late and spurious calls are harmless).
    void on(timeout) {
        const time_point now = timer_.now();
        if (role_ == role::leader) {
            if (heartbeat_deadline_ <= now) {
                heartbeat_deadline_ = now + settings_.heartbeat_interval_ticks;
                broadcast_heartbeat();
                if constexpr (features.membership) {
                    leave_joint_if_due();  // deferred for want of room in the log
                    if (role_ != role::leader) return;
                }
            }
            if constexpr (features.check_quorum) {
                if (check_quorum_.next_check <= now) {
                    check_quorum_.next_check = now + settings_.election_timeout_ticks;
                    if (!quorum_active()) {
                        step_down(term_, no_node);
                        return;
                    }
                }
            }
            if constexpr (features.leader_transfer) {
                if (transfer_.deadline <= now) abort_transfer();
            }
        } else if (election_deadline_ <= now) {
            if (may_campaign()) {
                campaign();
                return;
            }
            // Learners (and removed nodes) never campaign. Not heard from the leader for an
            // election timeout: forget it, so clients are not sent to a stale one.
            leader_ = no_node;
            reset_election_timer();
        }
        arm_timer();
    }

    /// Storage that completes later made more writes durable.
    void on(writes_durable) { on_storage_progress(); }

    // ---- commands -----------------------------------------------------------------------

    /// Starts an election now (a pre-election first with pre-vote), as if the election timer
    /// fired. A leader, or a node that is not a voter (see may_campaign()), ignores it.
    void campaign() {
        if (role_ == role::leader || !may_campaign()) return;
        if (!room_to_lead()) {
            // Wait for the owner to compact; try again after another election timeout.
            reset_election_timer();
            arm_timer();
            return;
        }
        if constexpr (features.pre_vote) {
            become_pre_candidate();
        } else {
            become_candidate(false);
        }
    }

    /// Appends one client command (leader only). Returns its index, or errc::not_leader (see
    /// leader() to redirect), errc::transfer_in_progress, errc::uncommitted_full, or
    /// errc::log_full (bounded storage with no room).
    result<log_index> propose(const payload_type& p) { return propose(std::span{&p, 1}); }

    /// Appends a batch of commands in one storage write per `batch_capacity` entries. Returns
    /// the index of the last one. All or nothing: on error none is appended.
    result<log_index> propose(std::span<const payload_type> ps) {
        if (role_ != role::leader) return errc::not_leader;
        if constexpr (features.leader_transfer) {
            if (transfer_.target) return errc::transfer_in_progress;
        }
        if (ps.empty()) return storage_.last_index();
        if constexpr (bounded_log_storage<storage_type>) {
            if (!storage_.can_append(storage_.last_index().next(), ps.size()))
                return errc::log_full;
        }
        std::size_t bytes = 0;
        for (const payload_type& p : ps) bytes += bytes_of(p);
        if (settings_.uncommitted_bytes_max != 0 && leader_state_.uncommitted_bytes != 0 &&
            leader_state_.uncommitted_bytes + bytes > settings_.uncommitted_bytes_max)
            return errc::uncommitted_full;
        leader_state_.uncommitted_bytes += bytes;
        const bool was_durable = durable_index_ == storage_.last_index();
        while (!ps.empty()) {
            const std::size_t n = std::min(ps.size(), batch_capacity);
            log_index next = storage_.last_index().next();
            scratch_.clear();
            for (std::size_t i = 0; i < n; ++i, ++next)
                scratch_.emplace_back(term_, next, entry_kind::normal, ps[i]);
            write_log(std::span<const entry_type>{scratch_});
            ps = ps.subspan(n);
        }
        for (progress_type& pr : leader_state_)
            while (send_append(pr)) {
            }
        // The new entries are held by the leader alone: they commit now only if the leader alone
        // is a phase-2 quorum (a single voter), or if the writes also made older entries durable
        // that followers hold. Otherwise the acknowledgements commit them (no quorum counted here,
        // on every proposal, for nothing).
        if ((!was_durable || self_is_phase2_quorum()) && maybe_commit()) on_committed();
        return storage_.last_index();
    }

    /// Hands leadership to `target` (thesis 3.10): brings it up to date, then sends it
    /// TimeoutNow. Proposals are refused until the transfer completes or an election timeout
    /// passes. Transferring to self cancels a pending transfer.
    result<void> transfer_leadership(node_id target)
        requires(features.leader_transfer)
    {
        if (role_ != role::leader) return errc::not_leader;
        if (target == self_) {
            abort_transfer();
            return {};
        }
        if (!config_.is_voter(target)) return errc::not_member;
        if (transfer_.target == target) return {};  // keeps the first deadline
        progress_type* pr = leader_state_.find(target);
        if (!pr) return errc::not_member;
        transfer_.target = target;
        transfer_.deadline = timer_.now() + settings_.election_timeout_ticks;
        arm_timer();
        if (pr->match == storage_.last_index()) {
            send_timeout_now(target);
        } else {
            send_append(*pr);
        }
        return {};
    }

    /// Starts a membership change to `target` (voters and learners; thesis 4), leader only.
    /// The new configuration takes effect on every node as soon as its entry is appended. With
    /// a joint change the leader appends C_old,new and, once that commits, C_new by itself; a
    /// leader that is not a voter of the new configuration steps down once it commits.
    /// Returns the index of the (first) configuration entry, or: errc::not_leader;
    /// errc::change_in_progress while an earlier change is uncommitted or joint, or before the
    /// leader's term has a committed entry; errc::not_caught_up if a new voter is not a learner
    /// whose log reaches the commit index (add it as a learner first); errc::invalid_configuration
    /// (or the quorum system's error) for a target that cannot be used, or a single_server
    /// change of more than one voter; errc::transfer_in_progress; errc::log_full.
    result<log_index> propose_configuration(const configuration& target,
                                            membership_change how = membership_change::automatic)
        requires(features.membership)
    {
        if (role_ != role::leader) return errc::not_leader;
        if constexpr (features.leader_transfer) {
            if (transfer_.target) return errc::transfer_in_progress;
        }
        if (target.joint() || !target.validate()) return errc::invalid_configuration;
        if (auto r = quorum_system_.validate(target); !r) return r.error();
        if (commit_ < members_.index || config_.joint() || !term_committed())
            return errc::change_in_progress;
        std::size_t changed = 0;
        for (node_id n : target.voters) {
            if (config_.voters.contains(n)) continue;
            ++changed;
            // Thesis 4.2.1: a new voter that must first catch up would stall commitment.
            const progress_type* pr = leader_state_.find(n);
            if (n != self_ && (!pr || pr->match < commit_)) return errc::not_caught_up;
        }
        for (node_id n : config_.voters)
            if (!target.voters.contains(n)) ++changed;
        const bool one_step = detail::membership_rule_of<Traits>::type::single_step(changed);
        if (how == membership_change::single_server && !one_step)
            return errc::invalid_configuration;
        const bool joint_change =
            how == membership_change::joint || (how == membership_change::automatic && !one_step);
        configuration next = target;
        if (joint_change) {
            // C_old,new: both voter sets decide. A voter being demoted is a learner that
            // still votes in the old half; leaving the joint configuration ends that.
            next.voters_outgoing = config_.voters;
            if (!next.validate()) return errc::invalid_configuration;
        }
        if constexpr (bounded_log_storage<storage_type>) {
            if (!storage_.can_append(storage_.last_index().next(), 1)) return errc::log_full;
        }
        append_configuration(next);
        return storage_.last_index();
    }

    /// Compacts the log (Raft 7): the state machine's snapshot at the applied index replaces
    /// every entry up to it, durably, in the storage. Followers that need compacted entries
    /// are sent the snapshot.
    void compact()
        requires(snapshots)
    {
        if (applied_ <= storage_.snapshot_index()) return;
        const auto snap = state_machine_.snapshot();
        if constexpr (features.membership) {
            // The snapshot carries the configuration in effect at its index (thesis 4.x / 5.1):
            // a u16 length, the encoded configuration, then the state machine's bytes.
            std::vector<std::byte>& buf = snapshot_buffer_;
            const auto state = std::as_bytes(std::span{snap});
            buf.resize(2 + configuration_bytes_max + state.size());
            const std::size_t n = encode_configuration(members_.applied, std::span{buf}.subspan(2));
            buf[0] = static_cast<std::byte>(n & 0xff);
            buf[1] = static_cast<std::byte>(n >> 8);
            std::copy(state.begin(), state.end(), buf.begin() + static_cast<std::ptrdiff_t>(2 + n));
            buf.resize(2 + n + state.size());
            last_write_ = storage_.save_snapshot(applied_, storage_.term_at(applied_),
                                                 std::span<const std::byte>{buf});
        } else {
            last_write_ = storage_.save_snapshot(applied_, storage_.term_at(applied_),
                                                 std::as_bytes(std::span{snap}));
        }
    }

    /// Starts a linearizable read identified by `context` (ReadIndex, thesis 6.4). On the
    /// leader: a heartbeat round confirms it still leads, then the read is served once the
    /// commit index recorded for it is applied (a new leader first commits an entry of its
    /// term). On a follower: the request goes to the leader it knows, which answers with the
    /// index. Either way the state machine's on_read(read_ready{context, ...}) follows, with
    /// ok = false if leadership changed meanwhile. errc::not_leader if no leader is known,
    /// errc::queue_full if too many reads are pending.
    result<void> read_index(std::uint64_t context)
        requires(features.read_index)
    {
        if (reads_.pending.full()) return errc::queue_full;
        if (role_ == role::leader) {
            enqueue_read(context, self_, read_kind::read_index);
            return {};
        }
        if (role_ != role::follower || !leader_) return errc::not_leader;
        pending_read& r = reads_.pending.emplace_back();
        r.context = context;
        r.requester = self_;
        r.kind = read_kind::read_index;
        r.confirmed = true;  // the leader confirms; we wait for its index
        r.leader = leader_;
        // A lost request or answer must not leave the read waiting for ever.
        r.deadline = timer_.now() + settings_.election_timeout_ticks;
        send(leader_, read_index_request{term_, self_, context});
        return {};
    }

    /// Serves a read under the leader's lease, without a round trip (thesis 6.4.1): only while
    /// a quorum acknowledged a heartbeat less than election_timeout * (1 - clock drift bound)
    /// ago, never during a leadership transfer. errc::not_leader, or errc::unavailable when the
    /// lease has lapsed or the leader has not yet committed an entry of its term (use
    /// read_index() then). on_read(read_ready{context, index, read_kind::lease}) follows.
    result<void> lease_read(std::uint64_t context)
        requires(features.lease_read)
    {
        if (role_ != role::leader) return errc::not_leader;
        if (!term_committed() || !(timer_.now() < reads_.lease_expiry)) return errc::unavailable;
        if constexpr (features.leader_transfer) {
            if (transfer_.target) return errc::unavailable;
        }
        if (reads_.pending.full()) return errc::queue_full;
        pending_read& r = reads_.pending.emplace_back();
        r.context = context;
        r.requester = self_;
        r.kind = read_kind::lease;
        r.confirmed = true;
        r.index = commit_;
        r.index_known = true;
        serve_reads();
        return {};
    }

    // ---- queries ------------------------------------------------------------------------

    /// This node's id.
    node_id id() const noexcept { return self_; }
    /// Follower, pre-candidate, candidate or leader.
    raft::role role() const noexcept { return role_; }
    /// True while this node leads its term.
    bool is_leader() const noexcept { return role_ == role::leader; }
    /// The current term (Raft 5.1).
    term_t term() const noexcept { return term_; }
    /// The candidate voted for in the current term, or no_node.
    node_id vote() const noexcept { return vote_; }
    /// The leader this node knows of in its term (itself when leading), or no_node.
    node_id leader() const noexcept { return leader_; }
    /// The highest index known committed.
    log_index commit_index() const noexcept { return commit_; }
    /// The highest index applied to the state machine.
    log_index applied_index() const noexcept { return applied_; }
    /// The highest index the owner of a storage may drop from the log itself (storage without
    /// snapshots, such as storage::static_log, compacted by its owner): the applied index,
    /// except that with membership changes the entry holding the latest applied configuration
    /// must stay, since a restarted node finds its configuration in the log.
    log_index compaction_limit() const noexcept {
        if constexpr (features.membership && !snapshots) {
            if (log_index{0} < members_.applied_index)
                return std::min(applied_, members_.applied_index.prev());
        }
        return applied_;
    }
    /// The last index in the log, durable or not.
    log_index last_index() const noexcept { return storage_.last_index(); }
    /// The last index this node's storage holds durably (what the leader counts for itself).
    log_index durable_index() const noexcept { return durable_index_; }
    /// The configuration in effect: the latest in the log, committed or not (thesis 4.1).
    const configuration& config() const noexcept { return config_; }
    /// The index of the entry holding config() (the snapshot's index, or 0 for the
    /// configuration the node was started with). Committed once commit_index() reaches it.
    log_index config_index() const noexcept {
        if constexpr (features.membership) {
            return members_.index;
        } else {
            return log_index{0};
        }
    }
    /// The run-time settings the node was built with.
    const settings& current_settings() const noexcept { return settings_; }
    /// The leader's record of follower `n`; nullptr unless leading and `n` is a member.
    const progress_type* progress_of(node_id n) const noexcept {
        return role_ == role::leader ? leader_state_.find(n) : nullptr;
    }
    /// Payload bytes the leader proposed in its term and has not committed yet.
    std::size_t uncommitted_bytes() const noexcept { return leader_state_.uncommitted_bytes; }
    /// The target of a pending leadership transfer, or no_node.
    node_id transfer_target() const noexcept {
        if constexpr (features.leader_transfer) {
            return transfer_.target;
        } else {
            return no_node;
        }
    }
    /// Messages held back until a write is durable, and those dropped because too many were.
    std::size_t waiting_messages() const noexcept { return outbox_.waiting(); }

    ///@{
    /// The storage policy: what a restart would resume from.
    storage_type& storage() noexcept { return storage_; }
    const storage_type& storage() const noexcept { return storage_; }
    ///@}
    ///@{
    /// The state machine policy, holding every entry applied so far.
    state_machine_type& state_machine() noexcept { return state_machine_; }
    const state_machine_type& state_machine() const noexcept { return state_machine_; }
    ///@}
    /// The transport policy (a runtime may need to reach its state).
    transport_type& transport() noexcept { return outbox_.transport(); }
    /// The timer policy.
    timer_type& timer() noexcept { return timer_; }

private:
    // ---- role changes -------------------------------------------------------------------

    /// Becomes a follower of `leader` in term `t` (>= term_): Raft 5.1, step down on any
    /// higher term; a candidate also yields to a leader of its own term.
    void step_down(term_t t, node_id leader) {
        SYNOD_ASSERT(term_ <= t);
        [[maybe_unused]] const term_t term_before = term_;
        [[maybe_unused]] const node_id leader_before = leader_;
        if (term_ < t) {
            term_ = t;
            vote_ = no_node;
            save_hard_state();
        }
        const bool was_leader = role_ == role::leader;
        role_ = role::follower;
        leader_ = leader;
        election_.reset();
        self_vote_write_ = write_id{0};
        if (was_leader) leader_state_.clear();
        abort_transfer();
        if constexpr (features.read_index) {
            // Reads this node confirms as leader, or that wait on a leader it no longer
            // follows, cannot complete: tell their callers to retry.
            if (was_leader || t != term_before || leader != leader_before) fail_reads();
            reads_.lease_expiry = time_point{0};
        }
        if (leader) note_leader_contact();
        reset_election_timer();
        arm_timer();
    }

    void become_pre_candidate() {
        if constexpr (features.read_index) fail_reads();  // no leader to confirm them now
        role_ = role::pre_candidate;
        leader_ = no_node;  // forget the leader, so we can grant pre-votes too (etcd PR #8334)
        election_.reset();
        reset_election_timer();
        arm_timer();
        election_.record(self_, true);  // a pre-vote promises nothing: no write to wait for
        request_votes(term_.next(), true, false);
        judge_election();
    }

    void become_candidate(bool transfer) {
        if constexpr (features.read_index) fail_reads();  // no leader to confirm them now
        ++term_;
        vote_ = self_;
        save_hard_state();
        role_ = role::candidate;
        leader_ = no_node;
        election_.reset();
        reset_election_timer();
        arm_timer();
        // Our own vote counts only once it is durable, like anyone else's.
        self_vote_write_ = last_write_;
        request_votes(term_, false, transfer);
        count_self_vote_if_durable();
    }

    void request_votes(term_t t, bool pre_vote, bool transfer) {
        const log_index last = storage_.last_index();
        const term_t lt = last_term();
        config_.for_each_member([&](node_id n) {
            if (n != self_ && config_.is_voter(n))
                send(n, vote_request{t, self_, last, lt, pre_vote, transfer});
        });
    }

    void count_self_vote_if_durable() {
        if (role_ != role::candidate || self_vote_write_ == write_id{0}) return;
        if (storage_.durable() < self_vote_write_) return;
        self_vote_write_ = write_id{0};
        election_.record(self_, true);
        judge_election();
    }

    void judge_election() {
        switch (election_.outcome(quorum_system_, config_)) {
            case vote_outcome::won:
                if (role_ == role::pre_candidate) {
                    become_candidate(false);
                } else {
                    become_leader();
                }
                break;
            case vote_outcome::lost:
                step_down(term_, no_node);
                break;
            case vote_outcome::pending:
                break;
        }
    }

    void become_leader() {
        SYNOD_ASSERT(role_ == role::candidate);
        role_ = role::leader;
        leader_ = self_;
        election_.reset();
        leader_state_.reset(config_, self_, storage_.last_index());
        const time_point now = timer_.now();
        heartbeat_deadline_ = now + settings_.heartbeat_interval_ticks;
        if constexpr (features.check_quorum) {
            check_quorum_.next_check = now + settings_.election_timeout_ticks;
        }
        // Raft 5.4.2 / 8: an entry of the new term lets earlier entries commit, and tells the
        // leader what is committed.
        scratch_.clear();
        scratch_.push_back(entry_type{term_, storage_.last_index().next(), entry_kind::noop, {}});
        write_log(std::span<const entry_type>{scratch_});
        for (progress_type& pr : leader_state_) send_append(pr);
        arm_timer();
        if (maybe_commit()) on_committed();
    }

    void send_timeout_now(node_id target) {
        // The target will campaign past every follower's stickiness: no lease from here on.
        if constexpr (features.lease_read) reads_.lease_expiry = time_point{0};
        // TimeoutNow promises nothing about this node's state (it only starts an election, which
        // any node may do at any time), so it need not wait for this node's writes: a leader
        // whose own disk cannot complete a write can still hand over to a target that holds its
        // whole log durably.
        transmit(target, timeout_now{term_, self_});
    }

    /// A new leader appends a no-op (Raft 5.4.2). A node whose fixed-capacity log has no room
    /// for it could not lead, so it does not stand for election (it still votes and follows).
    bool room_to_lead() const noexcept {
        if constexpr (bounded_log_storage<storage_type>) {
            return storage_.can_append(storage_.last_index().next(), 1);
        } else {
            return true;
        }
    }

    void abort_transfer() {
        if constexpr (features.leader_transfer) transfer_ = transfer_state{};
    }

    // ---- leader: replication ------------------------------------------------------------

    /// Sends `pr` the next AppendEntries its flow-control state allows; true if one was sent
    /// that carried entries and more may follow (replicate state).
    bool send_append(progress_type& pr) {
        if constexpr (snapshots) {
            if (pr.state == progress_state::snapshot) {
                send_snapshot_chunks(pr);
                return false;
            }
            if (pr.next < storage_.first_index()) {
                // The entries it needs are compacted: stream the snapshot instead (Raft 7).
                pr.state = progress_state::snapshot;
                pr.inflight.clear();
                pr.stream = snapshot_stream{storage_.snapshot_index(), 0, 0, false};
                send_snapshot_chunks(pr);
                return false;
            }
        }
        const log_index last = storage_.last_index();
        // Entries the owner compacted away cannot be sent (this core sends no snapshots): start
        // at the compaction point. A follower that holds it catches up from there.
        if (pr.next <= storage_.first_index().prev()) pr.next = storage_.first_index();
        if (pr.state == progress_state::probe) {
            if (pr.probe_sent) return false;
        } else if (last < pr.next ||
                   pr.inflight.full(settings_.inflight_messages_max, settings_.inflight_bytes_max)) {
            return false;
        }
        const log_index prev = pr.next.prev();
        std::span<const entry_type> es;
        std::size_t bytes = 0;
        if (pr.next <= last) {
            const log_index hi =
                std::min(last, pr.next + (settings_.entries_per_message_max - 1));
            es = storage_.entries(pr.next, hi);
            std::size_t n = 0;
            while (n < es.size()) {
                const std::size_t b = bytes_of(es[n].payload);
                if (n > 0 && bytes + b > settings_.bytes_per_message_max) break;
                bytes += b;
                ++n;
            }
            es = es.first(n);
        }
        transmit(pr.id, append_entries<payload_type>{term_, self_, prev, storage_.term_at(prev),
                                                     commit_, es, false, read_round()});
        pr.commit_sent = std::max(pr.commit_sent, std::min(commit_, prev + es.size()));
        if (pr.state == progress_state::probe) {
            pr.probe_sent = true;
            return false;
        }
        pr.next = prev + es.size() + 1;
        pr.inflight.add(pr.next.prev(), bytes);
        return true;
    }

    /// An empty AppendEntries at the last index sent to `pr`: its answer confirms the match.
    void confirm_match(progress_type& pr) {
        const log_index prev = pr.next.prev();
        if (prev < storage_.first_index().prev() || storage_.last_index() < prev) return;
        transmit(pr.id, append_entries<payload_type>{term_, self_, prev, storage_.term_at(prev),
                                                     commit_, {}, false, read_round()});
        pr.commit_sent = std::max(pr.commit_sent, std::min(commit_, prev));
    }

    /// An AppendEntries with no entries at the follower's match point: always consistent for
    /// the follower, so it serves as heartbeat and as commit notification (`heartbeat` false:
    /// its answer says nothing about lost messages, since others may be in flight).
    void send_heartbeat(progress_type& pr, bool heartbeat) {
        const log_index commit = std::min(commit_, pr.match);
        // A match point we compacted has no term to send: (0, 0) always matches, and the
        // follower's commit index covers the rest.
        const bool compacted = pr.match < storage_.first_index().prev();
        const log_index prev = compacted ? log_index{0} : pr.match;
        transmit(pr.id, append_entries<payload_type>{term_, self_, prev,
                                                     compacted ? term_t{0} : storage_.term_at(prev),
                                                     commit, {}, heartbeat, read_round(),
                                                     !heartbeat});
        pr.commit_sent = std::max(pr.commit_sent, commit);
    }

    /// Streams snapshot chunks to `pr` up to the window of snapshot_chunks_inflight chunks.
    void send_snapshot_chunks(progress_type& pr) {
        if constexpr (snapshots) {
            snapshot_stream& st = pr.stream;
            if (!(st.index == storage_.snapshot_index()))  // compacted again: send the newer one
                st = snapshot_stream{storage_.snapshot_index(), 0, 0, st.progress};
            const std::span<const std::byte> data = storage_.snapshot_data();
            const std::uint64_t total = data.size();
            const std::uint64_t chunk = std::max<std::size_t>(1, settings_.snapshot_chunk_bytes);
            const std::uint64_t window = chunk * std::max<std::size_t>(1, settings_.snapshot_chunks_inflight);
            bool first = true;
            while ((st.sent < total || (total == 0 && first)) && st.sent - st.received < window) {
                const std::uint64_t n = std::min(chunk, total - st.sent);
                transmit(pr.id, install_snapshot{term_, self_, st.index,
                                                 storage_.snapshot_term(), st.sent, total,
                                                 data.subspan(st.sent, n)});
                st.sent += n;
                first = false;
                if (total == 0) break;
            }
        }
    }

    /// Tells `pr` a commit index it can use and has not heard yet.
    void notify_commit(progress_type& pr) {
        if (pr.state == progress_state::replicate && pr.commit_sent < std::min(commit_, pr.match))
            send_heartbeat(pr, false);
    }

    /// Heartbeats carry no entries. A follower in probe gets one more probe per heartbeat
    /// interval: the heartbeat's answer (a success at the match point) resumes replication.
    void broadcast_heartbeat() {
        if constexpr (features.membership) forget_removed_peers();
        if constexpr (features.read_index) next_read_round();
        for (progress_type& pr : leader_state_) {
            if constexpr (snapshots) {
                if (pr.state == progress_state::snapshot) {
                    // No answer for a whole interval: resume from what the follower holds.
                    if (!pr.stream.progress) pr.stream.sent = pr.stream.received;
                    pr.stream.progress = false;
                    send_snapshot_chunks(pr);
                }
            }
            if (pr.state == progress_state::probe) pr.probe_sent = false;
            send_heartbeat(pr, true);
        }
    }

    /// Tells every follower the new commit index: with entries where there are some to send,
    /// else with an empty AppendEntries.
    void broadcast_commit() {
        for (progress_type& pr : leader_state_) {
            while (send_append(pr)) {
            }
            notify_commit(pr);
        }
    }

    /// Raft 5.4.2: commit the largest index a phase-2 quorum holds, only if it is from the
    /// current term (Figure 8); earlier entries then commit with it.
    bool maybe_commit() {
        const log_index c = quorum_system_.committed(config_, [this](node_id n) {
            if (n == self_) return durable_index_;
            const progress_type* pr = leader_state_.find(n);
            return pr ? pr->match : log_index{0};
        });
        if (c <= commit_) return false;
        if (!detail::commit_rule_of<Traits>::type::may_commit(storage_.term_at(c), term_))
            return false;
        advance_commit(c);
        return true;
    }

    /// Whether the leader alone is a phase-2 quorum (a single voter, or a flexible quorum
    /// system's phase-2 quorum of one): cached, since propose asks on every call.
    bool self_is_phase2_quorum() const noexcept { return self_phase2_; }

    /// The configuration in effect becomes `c`.
    void set_config(const configuration& c) {
        config_ = c;
        self_phase2_ = quorum_system_.phase2(config_, node_set{self_});
    }

    bool quorum_active() {
        node_set active{self_};
        for (progress_type& pr : leader_state_) {
            if (pr.active) active.insert(pr.id);
            pr.active = false;
        }
        return quorum_system_.phase1(config_, active) || quorum_system_.phase2(config_, active);
    }


    // ---- membership (features.membership) ---------------------------------------------------

    /// A voter of the configuration in effect campaigns. So does a node that the latest
    /// configuration leaves out while that configuration is not committed, if it was a voter
    /// before (thesis 4.2.2): it may hold the only log a new leader could be elected with
    /// (a leader that demoted itself and lost its role before C_new committed). Its own vote
    /// counts only where it is a voter.
    bool may_campaign() const noexcept {
        if (config_.is_voter(self_)) return true;
        if constexpr (features.membership) {
            return commit_ < members_.index && members_.applied.is_voter(self_);
        } else {
            return false;
        }
    }

    /// Committing advanced: tell the followers, then act on a configuration that committed.
    /// Callers call it last, since it can end the leader's role.
    void on_committed() {
        broadcast_commit();
        if constexpr (features.membership) {
            if (role_ != role::leader || commit_ < members_.index) return;
            if (config_.joint()) {
                leave_joint_if_due();
                return;
            }
            if (!config_.is_voter(self_)) {
                // Thesis 4.2.2: a leader that is not part of C_new steps down once C_new is
                // committed. Hand over to the most up-to-date voter, so no election timeout
                // passes without a leader.
                const progress_type* best = nullptr;
                for (const progress_type& pr : leader_state_)
                    if (config_.voters.contains(pr.id) && (!best || best->match < pr.match))
                        best = &pr;
                if (best && best->match == storage_.last_index()) send_timeout_now(best->id);
                step_down(term_, no_node);
            }
        }
    }

    /// Thesis 4.3: once C_old,new is committed the leader appends C_new by itself. Fixed-capacity
    /// storage may have no room for it then (the change checked room for C_old,new only): the
    /// leader tries again at every heartbeat until the owner compacts.
    void leave_joint_if_due() {
        if constexpr (features.membership) {
            if (role_ != role::leader || !config_.joint() || commit_ < members_.index ||
                !term_committed())
                return;
            if constexpr (bounded_log_storage<storage_type>) {
                if (!storage_.can_append(storage_.last_index().next(), 1)) return;
            }
            configuration next = config_;
            next.voters_outgoing.clear();
            append_configuration(next);
        }
    }

    /// Appends configuration `c` as a new entry and replicates it (leader only).
    void append_configuration(const configuration& c)
        requires(features.membership)
    {
        scratch_.clear();
        entry_type e{term_, storage_.last_index().next(), entry_kind::configuration, {}};
        configuration_codec<payload_type>::encode(c, e.payload);
        scratch_.push_back(std::move(e));
        write_log(std::span<const entry_type>{scratch_});
        for (progress_type& pr : leader_state_)
            while (send_append(pr)) {
            }
        if (maybe_commit()) on_committed();
    }

    /// A configuration entry was appended: it is in effect from now on.
    void adopt_configuration(const entry_type& e) {
        if constexpr (features.membership) {
            if (auto c = configuration_codec<payload_type>::decode(e.payload)) {
                set_config(*c);
                members_.index = e.index;
                on_configuration_change();
            }
        }
    }

    /// Entries from `first` on are being replaced, among them the entry holding config_: the
    /// configuration in effect becomes the latest one before `first`. Truncation stays above
    /// the commit index, so only entries after applied_ need a look.
    void revert_configuration(log_index first) {
        if constexpr (features.membership) {
            for (log_index i = first.prev(); applied_ < i && storage_.first_index() <= i;
                 i = i.prev()) {
                const auto es = storage_.entries(i, i);
                if (es.empty() || es[0].kind != entry_kind::configuration) continue;
                if (auto c = configuration_codec<payload_type>::decode(es[0].payload)) {
                    set_config(*c);
                    members_.index = i;
                    on_configuration_change();
                    return;
                }
            }
            set_config(members_.applied);
            members_.index = members_.applied_index;
            on_configuration_change();
        }
    }

    /// Finds the configuration in effect from storage: the snapshot's (or the one the node was
    /// started with), then every configuration entry of the log after it.
    void recover_configuration() {
        if constexpr (features.membership) {
            configuration c = config_;
            log_index at{0};
            if constexpr (snapshots) {
                if (log_index{0} < storage_.snapshot_index()) {
                    if (auto r = snapshot_configuration(storage_.snapshot_data())) {
                        c = *r;
                        at = storage_.snapshot_index();
                    }
                }
            }
            members_.applied = c;
            set_config(c);
            members_.index = members_.applied_index = at;
            const log_index last = storage_.last_index();
            for (log_index i = std::max(storage_.first_index(), at.next()); i <= last;) {
                const auto es = storage_.entries(i, last);
                if (es.empty()) break;
                for (const entry_type& e : es) {
                    if (e.kind != entry_kind::configuration) continue;
                    auto r = configuration_codec<payload_type>::decode(e.payload);
                    if (!r) continue;
                    set_config(*r);
                    members_.index = e.index;
                    if (e.index <= applied_) {
                        members_.applied = *r;
                        members_.applied_index = e.index;
                    }
                }
                i = i + es.size();
            }
            if (role_ == role::leader) on_configuration_change();
        }
    }

    /// A leader starts replicating to every new member at once (it needs the entry that made
    /// it one). Removed members are forgotten later (forget_removed_peers).
    void on_configuration_change() {
        if (role_ != role::leader) return;
        if constexpr (features.leader_transfer) {
            // A transfer target that is no longer a voter must not be told to campaign
            // (etcd-io/raft aborts it too, TestLeaderTransferRemoveNode / DemoteNode).
            if (transfer_.target && !config_.is_voter(transfer_.target)) abort_transfer();
        }
        config_.for_each_member([&](node_id n) {
            if (n == self_ || leader_state_.find(n)) return;
            if (leader_state_.full())
                leader_state_.remove_if([&](const progress_type& pr) { return !config_.contains(pr.id); });
            leader_state_.add(n, storage_.last_index());
        });
    }

    /// Once the configuration that removed a peer is committed, the leader goes on replicating
    /// to it for an election timeout's worth of heartbeats, then forgets it. Holding the entry
    /// that removed it is not enough: only a peer that knows the entry is committed stops
    /// campaigning (may_campaign), and it learns that from the commit index these heartbeats
    /// carry. A single lost commit notification would otherwise leave it campaigning for ever.
    void forget_removed_peers() {
        if constexpr (features.membership) {
            if (commit_ < members_.index) return;
            const ticks grace = settings_.election_timeout_ticks / settings_.heartbeat_interval_ticks;
            leader_state_.remove_if([&](progress_type& pr) {
                if (config_.contains(pr.id)) return false;
                return grace <= ++pr.removed_heartbeats;
            });
        }
    }

    /// With membership, stored snapshots start with the configuration they cover: a u16
    /// length and the encoded configuration. The state machine's bytes follow.
    static std::span<const std::byte> snapshot_state(std::span<const std::byte> d) noexcept {
        if constexpr (features.membership) {
            if (d.size() < 2) return {};
            const std::size_t n = std::to_integer<std::size_t>(d[0]) |
                                  (std::to_integer<std::size_t>(d[1]) << 8);
            return d.size() < 2 + n ? std::span<const std::byte>{} : d.subspan(2 + n);
        } else {
            return d;
        }
    }
    static result<configuration> snapshot_configuration(std::span<const std::byte> d) noexcept {
        if (d.size() < 2) return errc::malformed;
        const std::size_t n = std::to_integer<std::size_t>(d[0]) |
                              (std::to_integer<std::size_t>(d[1]) << 8);
        if (d.size() < 2 + n) return errc::malformed;
        return decode_configuration(d.subspan(2, n));
    }

    struct membership_state {
        configuration applied;       ///< the latest configuration at or below applied_
        log_index index{0};          ///< the entry holding config_ (0: the initial one)
        log_index applied_index{0};  ///< the entry holding `applied`
    };

    // ---- follower helpers -------------------------------------------------------------------

    /// Terms grow by one per election, so no real peer ever sends one near 2^64. Taking such a
    /// term would let the next election wrap ours around to 0 (and vote again in old terms), so
    /// a message carrying one is dropped like any malformed input.
    static constexpr bool plausible_term(term_t t) noexcept {
        return t.value <= std::numeric_limits<std::uint64_t>::max() / 2;
    }
    /// Likewise no log reaches an index near 2^64: a snapshot claiming one would leave the log's
    /// first index (the snapshot's index + 1) wrapped around to 0, so it is dropped.
    static constexpr bool plausible_index(log_index i) noexcept {
        return i.value <= std::numeric_limits<std::uint64_t>::max() / 2;
    }

    bool matches(log_index i, term_t t) const {
        if (storage_.last_index() < i) return false;
        if (i < storage_.first_index().prev()) return false;
        return storage_.term_at(i) == t;
    }

    static bool entries_well_formed(const append_entries<payload_type>& m) noexcept {
        for (std::size_t k = 0; k < m.entries.size(); ++k) {
            if (!(m.entries[k].index == m.prev_index + (k + 1))) return false;
            if (m.term < m.entries[k].term) return false;
            if constexpr (features.membership) {
                if (m.entries[k].kind == entry_kind::configuration &&
                    !configuration_codec<payload_type>::decode(m.entries[k].payload))
                    return false;
            }
        }
        return true;
    }

    void acknowledge(node_id leader, log_index index, bool heartbeat, std::uint64_t round) {
        send(leader, append_response{term_, self_, true, index, {}, {}, storage_.last_index(),
                                     heartbeat, round});
    }

    /// A message from the leader of term `t` (>= term_): follow it, and hold off elections.
    void follow(term_t t, node_id leader) {
        if (term_ < t || role_ != role::follower || leader_ != leader) step_down(t, leader);
        note_leader_contact();
        election_deadline_ = timer_.now() + randomized_timeout_;
        arm_timer();
        if constexpr (features.read_index) serve_reads();  // expires reads whose answer was lost
    }

    void note_leader_contact() {
        if constexpr (features.check_quorum) check_quorum_.leader_contact = timer_.now();
    }

    /// Check-quorum's lease: we heard from a leader less than an election timeout ago.
    bool in_lease() const
        requires(features.check_quorum)
    {
        if (!leader_) return false;
        if (role_ == role::leader) return true;
        return timer_.now() < check_quorum_.leader_contact + settings_.election_timeout_ticks;
    }

    // ---- durability ---------------------------------------------------------------------

    void save_hard_state() {
        last_write_ = storage_.save_hard_state(hard_state{term_, vote_, commit_});
    }

    /// Appends `es` (truncating a conflicting suffix first) and tracks when it is durable.
    void write_log(std::span<const entry_type> es) {
        const log_index first = es.front().index;
        const log_index last = es.back().index;
        // Entries at and after `first` may be replaced: they no longer count as durable.
        if (first <= durable_index_) durable_index_ = first.prev();
        if constexpr (features.membership) {
            // A configuration takes effect when appended; one truncated away is undone.
            if (first <= members_.index) revert_configuration(first);
        }
        last_write_ = storage_.append(es);
        if constexpr (features.membership) {
            for (const entry_type& e : es)
                if (e.kind == entry_kind::configuration) adopt_configuration(e);
        }
        if (last_write_ <= storage_.durable()) {
            pending_log_writes_.clear();
            durable_index_ = last;
        } else {
            if (pending_log_writes_.full()) pending_log_writes_.pop_back();  // the newer covers it
            pending_log_writes_.push_back({last_write_, last});
        }
    }

    void on_storage_progress() {
        const write_id durable = storage_.durable();
        std::size_t done = 0;
        while (done < pending_log_writes_.size() && pending_log_writes_[done].write <= durable)
            durable_index_ = pending_log_writes_[done++].last;
        if (done > 0) {
            for (std::size_t i = done; i < pending_log_writes_.size(); ++i)
                pending_log_writes_[i - done] = pending_log_writes_[i];
            pending_log_writes_.resize(pending_log_writes_.size() - done);
        }
        outbox_.release_through(durable);
        count_self_vote_if_durable();
        if (role_ == role::leader && maybe_commit()) on_committed();
    }

    /// Every message but the leader's AppendEntries waits until everything this node has
    /// written is durable: its term, its vote, the entries it acknowledges.
    void send(node_id to, const message_type& m) {
        outbox_.send_after(last_write_, storage_.durable(), to, m);
    }

    /// The leader's AppendEntries borrow its log, so they cannot wait: they leave at once
    /// (Raft lets the leader write its log in parallel with replication; its term is durable
    /// since it won the election).
    template <class M>
    void transmit(node_id to, const M& m) {
        outbox_.send(to, message_type{m});
    }

    // ---- commit and apply ---------------------------------------------------------------

    void advance_commit(log_index c) {
        SYNOD_ASSERT(c <= storage_.last_index());
        if (c <= commit_) return;
        [[maybe_unused]] const log_index before = commit_;
        commit_ = c;
        if constexpr (features.membership) {
            // A restarted node takes its commit index from the hard state. Record that the
            // newest configuration is committed, so that a node it leaves out still knows after
            // a restart that it must not campaign (may_campaign).
            if (before < members_.index && members_.index <= c) save_hard_state();
        }
        apply_committed();
    }

    void apply_committed() {
        while (applied_ < commit_) {
            const auto es = storage_.entries(applied_.next(), commit_);
            // A contiguous run from applied_ + 1 (the storage contract), checked at both ends.
            SYNOD_ASSERT(!es.empty());
            SYNOD_ASSERT(es.front().index == applied_.next());
            SYNOD_ASSERT(es.back().index == applied_ + es.size());
            if (role_ == role::leader) {
                // This term's commands leave the uncommitted budget (see propose()), in one step.
                std::size_t b = 0;
                for (const entry_type& e : es)
                    if (e.term == term_ && e.kind == entry_kind::normal) b += bytes_of(e.payload);
                leader_state_.uncommitted_bytes -= std::min(leader_state_.uncommitted_bytes, b);
            }
            for (const entry_type& e : es) {
                if constexpr (features.membership) {
                    if (e.kind == entry_kind::configuration) {
                        if (auto c = configuration_codec<payload_type>::decode(e.payload)) {
                            members_.applied = *c;
                            members_.applied_index = e.index;
                        }
                    }
                }
                state_machine_.apply(e);
                applied_ = e.index;
            }
        }
        if constexpr (features.read_index) serve_reads();
    }

    // ---- timers -------------------------------------------------------------------------

    term_t last_term() const { return storage_.term_at(storage_.last_index()); }

    /// Draws a new randomized election timeout in [ET, 2*ET - 1] (Raft 5.2) from now.
    void reset_election_timer() {
        const ticks et = settings_.election_timeout_ticks;
        randomized_timeout_ = uniform(random_, et, 2 * et - 1);
        election_deadline_ = timer_.now() + randomized_timeout_;
    }

    void arm_timer() {
        if (role_ != role::leader) {
            timer_.arm(election_deadline_);
            return;
        }
        time_point next = heartbeat_deadline_;
        if constexpr (features.check_quorum) next = std::min(next, check_quorum_.next_check);
        if constexpr (features.leader_transfer)
            next = std::min(next, transfer_.deadline);
        timer_.arm(next);
    }

    struct pending_log_write {
        write_id write;
        log_index last;
    };

    // ---- reads (features.read_index, features.lease_read) -----------------------------------

    struct pending_read {
        std::uint64_t context = 0;
        log_index index{};
        std::uint64_t round = 0;  ///< the read round whose quorum acknowledgement confirms it
        node_id requester{};      ///< self, or the follower that asked
        node_id leader{};         ///< for a follower's own read: the leader it asked
        read_kind kind = read_kind::read_index;
        time_point deadline = time_never;  ///< a follower's own read fails after this
        bool confirmed = false;
        bool index_known = false;
        bool failed = false;
    };
    struct read_state {
        std::uint64_t round = 0;
        static_vector<pending_read, detail::read_capacity<Traits>()> pending;
        static_vector<std::pair<node_id, std::uint64_t>, max_nodes> acked;  ///< highest round
        // Lease: when each recent round was sent, and the newest round each peer acknowledged.
        std::array<std::pair<std::uint64_t, time_point>, 16> sent{};
        static_vector<std::pair<node_id, time_point>, max_nodes> acked_at;
        time_point lease_expiry{0};
    };

    std::uint64_t read_round() const noexcept {
        if constexpr (features.read_index) {
            return reads_.round;
        } else {
            return 0;
        }
    }

    /// Raft 8 / thesis 6.4: a leader knows the commit index only once an entry of its own term
    /// is committed.
    bool term_committed() const { return storage_.term_at(commit_) == term_; }

    void next_read_round() {
        ++reads_.round;
        if constexpr (features.lease_read)
            reads_.sent[reads_.round % reads_.sent.size()] = {reads_.round, timer_.now()};
    }

    void enqueue_read(std::uint64_t context, node_id requester, read_kind kind) {
        pending_read& r = reads_.pending.emplace_back();
        r.context = context;
        r.requester = requester;
        r.kind = kind;
        broadcast_heartbeat();  // a fresh round: its acknowledgements confirm this read
        r.round = reads_.round;
        serve_reads();
    }

    void note_read_ack(node_id from, std::uint64_t round) {
        bool found = false;
        for (auto& [n, r] : reads_.acked)
            if (n == from) {
                r = std::max(r, round);
                found = true;
            }
        if (!found) reads_.acked.push_back({from, round});
        if constexpr (features.lease_read) {
            const auto& [sent_round, sent_at] = reads_.sent[round % reads_.sent.size()];
            if (sent_round == round && round != 0) {
                bool seen = false;
                for (auto& [n, t] : reads_.acked_at)
                    if (n == from) {
                        t = std::max(t, sent_at);
                        seen = true;
                    }
                if (!seen) reads_.acked_at.push_back({from, sent_at});
                extend_lease();
            }
        }
        serve_reads();
    }

    /// The lease runs from the newest send time that a phase-2 quorum has acknowledged.
    void extend_lease() {
        const time_point now = timer_.now();
        const log_index since = quorum_system_.committed(config_, [&](node_id n) {
            if (n == self_) return log_index{now.value};
            for (const auto& [p, t] : reads_.acked_at)
                if (p == n) return log_index{t.value};
            return log_index{0};
        });
        if (since.value == 0) return;
        const ticks et = settings_.election_timeout_ticks;
        const ticks span = et - et * settings_.clock_drift_bound_ppm / 1'000'000;
        if (span <= 1) return;
        const time_point expiry{since.value + span - 1};
        if (reads_.lease_expiry < expiry) reads_.lease_expiry = expiry;
    }

    bool read_confirmed(const pending_read& r) const {
        node_set acks{self_};
        for (const auto& [n, round] : reads_.acked)
            if (r.round <= round) acks.insert(n);
        return quorum_system_.phase2(config_, acks);
    }

    /// Serves (or answers) every read that is confirmed and whose index is applied.
    void serve_reads() {
        if constexpr (features.read_index) {
            std::size_t kept = 0;
            for (std::size_t i = 0; i < reads_.pending.size(); ++i) {
                pending_read& r = reads_.pending[i];
                if (role_ == role::leader && !r.confirmed) r.confirmed = read_confirmed(r);
                if (role_ == role::leader && !r.index_known && term_committed()) {
                    r.index = commit_;
                    r.index_known = true;
                }
                if (!r.index_known && r.deadline <= timer_.now()) r.failed = true;
                const bool done = r.failed || (r.confirmed && r.index_known && r.index <= applied_);
                if (!done) {
                    if (kept != i) reads_.pending[kept] = r;
                    ++kept;
                    continue;
                }
                if (r.requester == self_) {
                    state_machine_.on_read(read_ready{r.context, r.index, r.kind, !r.failed});
                } else {
                    send(r.requester, read_index_response{term_, self_, r.context, r.index, !r.failed});
                }
            }
            reads_.pending.resize(kept);
        }
    }

    void fail_reads() {
        for (pending_read& r : reads_.pending) r.failed = true;
        serve_reads();
        reads_.acked.clear();
        reads_.acked_at.clear();
    }

    node_id self_;
    configuration config_;  ///< changed only through set_config()
    settings settings_;
    [[no_unique_address]] joint<quorum_type> quorum_system_{};
    storage_type storage_;
    outbox<transport_type, message_type, detail::outbox_capacity<Traits>()> outbox_;
    [[no_unique_address]] timer_type timer_;
    [[no_unique_address]] random_type random_;
    [[no_unique_address]] state_machine_type state_machine_;

    raft::role role_ = role::follower;
    bool self_phase2_ = false;  ///< self_is_phase2_quorum(), kept by set_config()
    term_t term_{};
    node_id vote_{};
    node_id leader_{};
    log_index commit_{};
    log_index applied_{};
    log_index durable_index_{};
    write_id last_write_{};
    write_id self_vote_write_{};
    ticks randomized_timeout_ = 0;
    time_point election_deadline_ = time_never;
    time_point heartbeat_deadline_ = time_never;
    /// Check-quorum's clocks: when the leader next counts who it heard from, and when this
    /// node last heard from a leader (for stickiness).
    struct check_quorum_state {
        time_point next_check = time_never;
        time_point leader_contact{};
    };
    [[no_unique_address]] detail::member_if<features.check_quorum, check_quorum_state> check_quorum_{};
    [[no_unique_address]] detail::member_if<features.leader_transfer, transfer_state> transfer_{};
    [[no_unique_address]] detail::member_if<features.read_index, read_state> reads_{};
    [[no_unique_address]] detail::member_if<features.membership, membership_state> members_{};
    [[no_unique_address]] detail::member_if<features.membership && snapshots, std::vector<std::byte>>
        snapshot_buffer_{};

    election election_;
    leader_state<inflight_capacity> leader_state_;
    static_vector<pending_log_write, 64> pending_log_writes_;
    static_vector<entry_type, batch_capacity> scratch_;
};

}  // namespace synod::raft

#endif
