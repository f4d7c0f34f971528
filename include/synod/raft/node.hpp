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
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <utility>
#include <variant>

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

template <class Traits>
class node {
public:
    using payload_type = typename Traits::payload;
    using entry_type = entry<payload_type>;
    using message_type = message<payload_type>;
    using storage_type = typename Traits::storage;
    using transport_type = typename Traits::transport;
    using timer_type = typename Traits::timer;
    using random_type = typename Traits::random;
    using state_machine_type = typename Traits::state_machine;
    using quorum_type = typename detail::quorum_of<Traits>::type;
    static constexpr raft::features features = detail::features_of<Traits>();
    static constexpr std::size_t inflight_capacity = detail::inflight_capacity<Traits>();
    static constexpr std::size_t batch_capacity = detail::batch_capacity<Traits>();
    using progress_type = progress<inflight_capacity>;

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
        SYNOD_ASSERT(s.heartbeat_interval_ticks >= 1);
        SYNOD_ASSERT(s.heartbeat_interval_ticks < s.election_timeout_ticks);
        SYNOD_ASSERT(s.entries_per_message_max >= 1);
        const hard_state hs = storage_.hard_state();
        term_ = hs.term;
        vote_ = hs.vote;
        commit_ = std::min(hs.commit, storage_.last_index());
        applied_ = std::max(s.applied, storage_.first_index().prev());
        SYNOD_ASSERT(applied_ <= storage_.last_index());
        durable_index_ = storage_.last_index();  // all a restarted node holds was durable
        last_write_ = storage_.durable();
        if (commit_ < applied_) commit_ = applied_;
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
        const bool grant = can_vote && config_.is_voter(m.from) &&
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
        if (term_ < m.term || role_ != role::follower || leader_ != m.from)
            step_down(m.term, m.from);
        note_leader_contact();
        election_deadline_ = timer_.now() + randomized_timeout_;
        arm_timer();

        if (!entries_well_formed(m)) return;  // bad input: drop; the leader will retry
        if (m.prev_index < commit_) {
            // Everything up to commit_ is known to match; say so and let the leader resume.
            acknowledge(m.from, commit_, m.heartbeat);
            return;
        }
        if (!matches(m.prev_index, m.prev_term)) {
            const log_index last = storage_.last_index();
            const log_index hint = last_index_with_term_at_most(
                [this](log_index i) { return storage_.term_at(i); },
                std::min(m.prev_index, last), m.prev_term, storage_.first_index().prev());
            send(m.from, append_response{term_, self_, false, m.prev_index, hint,
                                         storage_.term_at(hint), last, m.heartbeat});
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
        acknowledge(m.from, last_new, m.heartbeat);
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
        const bool was_probe = pr->state == progress_state::probe;
        const bool updated = pr->on_success(m.index);
        if (was_probe) {
            pr->become_replicate();
        } else if (m.heartbeat && m.last_index < pr->next.prev()) {
            // The heartbeat went out after AppendEntries the follower still lacks: they were
            // lost. Resume from the match point rather than wait for a gap to show.
            pr->become_replicate();
        }
        if (updated && maybe_commit()) {
            broadcast_commit();
        }
        while (send_append(*pr)) {
        }
        notify_commit(*pr);
        if constexpr (features.leader_transfer) {
            if (transfer_.target == m.from && pr->match == storage_.last_index())
                send(m.from, timeout_now{term_, self_});
        }
    }

    /// TimeoutNow (thesis 3.10): campaign at once, as the leader asked.
    void on(const timeout_now& m) {
        if (!plausible_term(m.term)) return;  // bad input: see plausible_term()
        if (m.term < term_) return;
        if (term_ < m.term) step_down(m.term, m.from);
        if (role_ == role::leader || !config_.is_voter(self_)) return;
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
            if (config_.is_voter(self_)) {
                campaign();
                return;
            }
            reset_election_timer();  // learners never campaign
        }
        arm_timer();
    }

    /// Storage that completes later made more writes durable.
    void on(writes_durable) { on_storage_progress(); }

    // ---- commands -----------------------------------------------------------------------

    /// Starts an election now (a pre-election first with pre-vote), as if the election timer
    /// fired. A leader, or a node that is not a voter, ignores it.
    void campaign() {
        if (role_ == role::leader || !config_.is_voter(self_)) return;
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
            if (!storage_.can_append(storage_.last_index().next(), ps.size())) return errc::log_full;
        }
        std::size_t bytes = 0;
        for (const payload_type& p : ps) bytes += bytes_of(p);
        if (settings_.uncommitted_bytes_max != 0 && leader_state_.uncommitted_bytes != 0 &&
            leader_state_.uncommitted_bytes + bytes > settings_.uncommitted_bytes_max)
            return errc::uncommitted_full;
        leader_state_.uncommitted_bytes += bytes;
        while (!ps.empty()) {
            const std::size_t n = std::min(ps.size(), batch_capacity);
            log_index next = storage_.last_index().next();
            scratch_.clear();
            for (std::size_t i = 0; i < n; ++i, ++next)
                scratch_.push_back(entry_type{term_, next, entry_kind::normal, ps[i]});
            write_log(std::span<const entry_type>{scratch_});
            ps = ps.subspan(n);
        }
        for (progress_type& pr : leader_state_)
            while (send_append(pr)) {
            }
        if (maybe_commit()) broadcast_commit();  // a single-voter cluster commits alone
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
            send(target, timeout_now{term_, self_});
        } else {
            send_append(*pr);
        }
        return {};
    }

    // ---- queries ------------------------------------------------------------------------

    node_id id() const noexcept { return self_; }
    raft::role role() const noexcept { return role_; }
    bool is_leader() const noexcept { return role_ == role::leader; }
    term_t term() const noexcept { return term_; }
    node_id vote() const noexcept { return vote_; }
    /// The leader this node knows of in its term (itself when leading), or no_node.
    node_id leader() const noexcept { return leader_; }
    log_index commit_index() const noexcept { return commit_; }
    log_index applied_index() const noexcept { return applied_; }
    log_index last_index() const noexcept { return storage_.last_index(); }
    /// The last index this node's storage holds durably (what the leader counts for itself).
    log_index durable_index() const noexcept { return durable_index_; }
    const configuration& config() const noexcept { return config_; }
    const settings& current_settings() const noexcept { return settings_; }
    /// The leader's record of follower `n`; nullptr unless leading and `n` is a member.
    const progress_type* progress_of(node_id n) const noexcept {
        return role_ == role::leader ? leader_state_.find(n) : nullptr;
    }
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

    storage_type& storage() noexcept { return storage_; }
    const storage_type& storage() const noexcept { return storage_; }
    state_machine_type& state_machine() noexcept { return state_machine_; }
    const state_machine_type& state_machine() const noexcept { return state_machine_; }
    transport_type& transport() noexcept { return outbox_.transport(); }
    timer_type& timer() noexcept { return timer_; }

private:
    // ---- role changes -------------------------------------------------------------------

    /// Becomes a follower of `leader` in term `t` (>= term_): Raft 5.1, step down on any
    /// higher term; a candidate also yields to a leader of its own term.
    void step_down(term_t t, node_id leader) {
        SYNOD_ASSERT(term_ <= t);
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
        if (leader) note_leader_contact();
        reset_election_timer();
        arm_timer();
    }

    void become_pre_candidate() {
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
        if (maybe_commit()) broadcast_commit();
        arm_timer();
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
                                                     commit_, es});
        pr.commit_sent = std::max(pr.commit_sent, std::min(commit_, prev + es.size()));
        if (pr.state == progress_state::probe) {
            pr.probe_sent = true;
            return false;
        }
        pr.next = prev + es.size() + 1;
        pr.inflight.add(pr.next.prev(), bytes);
        return true;
    }

    /// An AppendEntries with no entries at the follower's match point: always consistent for
    /// the follower, so it serves as heartbeat and as commit notification (`heartbeat` false:
    /// its answer says nothing about lost messages, since others may be in flight).
    void send_heartbeat(progress_type& pr, bool heartbeat) {
        const log_index commit = std::min(commit_, pr.match);
        // Not below the compaction point, whose term is the last one the storage knows (a new
        // leader's match is 0 for everyone until they answer).
        const log_index at = std::max(pr.match, storage_.first_index().prev());
        transmit(pr.id, append_entries<payload_type>{term_, self_, at, storage_.term_at(at), commit,
                                                     {}, heartbeat});
        pr.commit_sent = std::max(pr.commit_sent, commit);
    }

    /// Tells `pr` a commit index it can use and has not heard yet.
    void notify_commit(progress_type& pr) {
        if (pr.state == progress_state::replicate && pr.commit_sent < std::min(commit_, pr.match))
            send_heartbeat(pr, false);
    }

    /// Heartbeats carry no entries. A follower in probe gets one more probe per heartbeat
    /// interval: the heartbeat's answer (a success at the match point) resumes replication.
    void broadcast_heartbeat() {
        for (progress_type& pr : leader_state_) {
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

    bool quorum_active() {
        node_set active{self_};
        for (progress_type& pr : leader_state_) {
            if (pr.active) active.insert(pr.id);
            pr.active = false;
        }
        return quorum_system_.phase1(config_, active) || quorum_system_.phase2(config_, active);
    }

    // ---- follower helpers -------------------------------------------------------------------

    /// Terms grow by one per election, so no real peer ever sends one near 2^64. Taking such a
    /// term would let the next election wrap ours around to 0 (and vote again in old terms), so
    /// a message carrying one is dropped like any malformed input.
    static constexpr bool plausible_term(term_t t) noexcept {
        return t.value <= std::numeric_limits<std::uint64_t>::max() / 2;
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
        }
        return true;
    }

    void acknowledge(node_id leader, log_index index, bool heartbeat) {
        send(leader, append_response{term_, self_, true, index, {}, {}, storage_.last_index(),
                                     heartbeat});
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
        last_write_ = storage_.append(es);
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
        if (role_ == role::leader && maybe_commit()) broadcast_commit();
    }

    /// Every message but the leader's AppendEntries waits until everything this node has
    /// written is durable: its term, its vote, the entries it acknowledges.
    void send(node_id to, const message_type& m) {
        outbox_.send_after(last_write_, storage_.durable(), to, m);
    }

    /// The leader's AppendEntries borrow its log, so they cannot wait: they leave at once
    /// (Raft lets the leader write its log in parallel with replication; its term is durable
    /// since it won the election).
    void transmit(node_id to, const append_entries<payload_type>& m) {
        outbox_.send(to, message_type{m});
    }

    // ---- commit and apply ---------------------------------------------------------------

    void advance_commit(log_index c) {
        SYNOD_ASSERT(c <= storage_.last_index());
        if (c <= commit_) return;
        commit_ = c;
        apply_committed();
    }

    void apply_committed() {
        while (applied_ < commit_) {
            const auto es = storage_.entries(applied_.next(), commit_);
            for (const entry_type& e : es) {
                SYNOD_ASSERT(e.index == applied_.next());
                if (role_ == role::leader && e.term == term_) {
                    const std::size_t b = bytes_of(e.payload);
                    leader_state_.uncommitted_bytes -=
                        std::min(leader_state_.uncommitted_bytes, e.kind == entry_kind::noop ? 0 : b);
                }
                state_machine_.apply(e);
                applied_ = e.index;
            }
        }
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

    node_id self_;
    configuration config_;
    settings settings_;
    [[no_unique_address]] joint<quorum_type> quorum_system_{};
    storage_type storage_;
    outbox<transport_type, message_type, detail::outbox_capacity<Traits>()> outbox_;
    [[no_unique_address]] timer_type timer_;
    [[no_unique_address]] random_type random_;
    [[no_unique_address]] state_machine_type state_machine_;

    raft::role role_ = role::follower;
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

    election election_;
    leader_state<inflight_capacity> leader_state_;
    static_vector<pending_log_write, 64> pending_log_writes_;
    static_vector<entry_type, batch_capacity> scratch_;
};

}  // namespace synod::raft

#endif
