#ifndef SYNOD_PAXOS_PROPOSER_HPP
#define SYNOD_PAXOS_PROPOSER_HPP

/// \file
/// The single-decree Paxos proposer (Paxos Made Simple 2.2): phase 1 over a phase-1 quorum, the
/// value-choice rule, phase 2 over a phase-2 quorum (Flexible Paxos: the two quorums need only
/// intersect each other), and randomized back-off so that duelling proposers make progress.

#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <variant>

#include "synod/core/ballot.hpp"
#include "synod/core/concepts/quorum_system.hpp"
#include "synod/core/concepts/random.hpp"
#include "synod/core/concepts/storage.hpp"
#include "synod/core/concepts/timer.hpp"
#include "synod/core/concepts/transport.hpp"
#include "synod/core/configuration.hpp"
#include "synod/core/error.hpp"
#include "synod/core/ids.hpp"
#include "synod/core/random.hpp"
#include "synod/paxos/message.hpp"

namespace synod::paxos {

/// The value-choice rule (Paxos Made Simple P2c): among the proposals the promises report,
/// the value of the one with the highest ballot; the proposer's own value if none reports any.
template <class Value>
const Value& choose_value(std::span<const std::optional<proposal<Value>>> reported,
                          const Value& own) noexcept {
    const proposal<Value>* best = nullptr;
    for (const auto& r : reported)
        if (r && (!best || best->number < r->number)) best = &*r;
    return best ? best->value : own;
}

/// Timing of a proposer, in timer ticks.
struct proposer_settings {
    /// A round that has not finished after this long (plus a random part as long again) is
    /// retried with a higher ballot: its messages were lost or its acceptors are down.
    ticks round_timeout_ticks = 10;
    /// After a reject the proposer waits a random time in [1, backoff_ticks * 2^k] (k = rejected
    /// rounds in a row, at most 6) before its next round, so that duelling proposers separate.
    ticks backoff_ticks = 4;
};

/// Where a proposer is in its work.
enum class proposer_phase : std::uint8_t {
    idle,         ///< nothing proposed yet
    preparing,    ///< phase 1: waiting for a phase-1 quorum of promises
    accepting,    ///< phase 2: waiting for a phase-2 quorum of accepted replies
    backing_off,  ///< preempted by a higher ballot; retries at the deadline
    chosen,       ///< a phase-2 quorum accepted its proposal: the value is chosen
};

/// A Paxos proposer. `Traits` names:
///   value_type  the value being decided
///   transport   models transport<message<value_type>>
///   timer       models timer (one deadline: round timeouts and back-off)
///   random      models random_source (back-off and round-timeout jitter)
///   quorum      models quorum_system (phase 1 and phase 2 judged separately)
/// The acceptors are `config.voters`. A proposer keeps no durable state: after a restart it
/// picks a ballot above any it has seen, and rejects carry it further if that is not enough.
template <class Traits>
class proposer {
public:
    ///@{
    /// The value type, policies and message type named by `Traits`.
    using value_type = typename Traits::value_type;
    using transport_type = typename Traits::transport;
    using timer_type = typename Traits::timer;
    using random_type = typename Traits::random;
    using quorum_type = typename Traits::quorum;
    using message_type = message<value_type>;
    ///@}

    static_assert(check_transport<transport_type, message_type>::value);
    static_assert(check_timer<timer_type>::value);
    static_assert(check_random_source<random_type>::value);
    static_assert(check_quorum_system<quorum_type>::value);

    /// Proposer `self`, sending to the voters of `config` (the acceptors), with its policies.
    /// It starts idle: nothing happens until propose().
    proposer(node_id self, const configuration& config, proposer_settings settings,
             transport_type transport, timer_type timer, random_type random,
             quorum_type quorum = {})
        : self_{self},
          acceptors_{config.voters},
          settings_{settings},
          transport_{std::move(transport)},
          timer_{std::move(timer)},
          random_{std::move(random)},
          quorum_{std::move(quorum)},
          status_{quorum_.validate(acceptors_).error()} {}

    /// Starts proposing `v`. The value chosen may be another (one already accepted by some
    /// acceptor). Errors: the quorum system's validation error (for example
    /// errc::quorum_not_intersecting); proposing twice keeps the first value.
    result<void> propose(value_type v) {
        if (status_ != errc::ok) return status_;
        if (own_) return {};
        own_ = std::move(v);
        start_round();
        return {};
    }

    /// Phase 1b received: count it once per acceptor, for the current ballot only.
    void on(const promise<value_type>& m) {
        if (phase_ != proposer_phase::preparing || m.promised != ballot_) return;
        if (!acceptors_.contains(m.from) || !granted_.insert(m.from)) return;  // X8: no double count
        if (m.accepted && (!highest_ || highest_->number < m.accepted->number))
            highest_ = m.accepted;
        if (!quorum_.phase1(acceptors_, granted_)) return;
        // P2c: adopt the value of the highest-numbered proposal among the promises, else our own.
        value_ = highest_ ? highest_->value : *own_;
        phase_ = proposer_phase::accepting;
        acks_.clear();
        for (node_id a : acceptors_)
            transport_.send(a, accept<value_type>{self_, proposal<value_type>{ballot_, *value_}});
        arm_round_deadline();
    }

    /// Phase 2b received: chosen once a phase-2 quorum accepted this ballot.
    void on(const accepted<value_type>& m) {
        if (phase_ != proposer_phase::accepting || m.voted.number != ballot_) return;
        if (!acceptors_.contains(m.from) || !acks_.insert(m.from)) return;
        if (!quorum_.phase2(acceptors_, acks_)) return;
        chosen_ = *value_;
        phase_ = proposer_phase::chosen;
        deadline_ = time_never;
    }

    /// Preempted: remember the ballot to beat and back off for a random time.
    void on(const reject& m) {
        if (!m.promised.plausible()) return;  // bad input (ballot::plausible)
        if (seen_ < m.promised) seen_ = m.promised;
        if (m.rejected != ballot_ || !(ballot_ < m.promised)) return;
        if (phase_ != proposer_phase::preparing && phase_ != proposer_phase::accepting) return;
        phase_ = proposer_phase::backing_off;
        if (rejected_rounds_ < 6) ++rejected_rounds_;
        const ticks wait = uniform(random_, 1, settings_.backoff_ticks << rejected_rounds_);
        deadline_ = timer_.now() + wait;
        timer_.arm(deadline_);
    }

    /// Retries a round that timed out or finished backing off; ignores early timeouts.
    void on(const timeout&) {
        if (deadline_ == time_never) return;
        if (timer_.now() < deadline_) {
            timer_.arm(deadline_);
            return;
        }
        if (phase_ == proposer_phase::preparing || phase_ == proposer_phase::accepting ||
            phase_ == proposer_phase::backing_off)
            start_round();
    }

    ///@{
    /// Messages for acceptors, and storage it does not have: nothing for a proposer to do.
    void on(const prepare&) noexcept {}
    void on(const accept<value_type>&) noexcept {}
    void on(const writes_durable&) noexcept {}
    ///@}
    /// Visits `m` and handles it.
    void on(const message_type& m) {
        std::visit([this](const auto& x) { this->on(x); }, m);
    }

    /// This proposer's node id.
    node_id id() const noexcept { return self_; }
    /// Where the current round is (see proposer_phase).
    proposer_phase phase() const noexcept { return phase_; }
    /// The ballot of the current (or last) round; ballot{} before the first.
    ballot current() const noexcept { return ballot_; }
    /// The value this proposer saw chosen, once a phase-2 quorum accepted it.
    const std::optional<value_type>& chosen() const noexcept { return chosen_; }
    /// Rounds started so far (phase 1 attempts).
    std::uint64_t rounds() const noexcept { return rounds_; }
    /// errc::ok, or why this proposer refuses to run (the quorum system's validation error).
    errc status() const noexcept { return status_; }

private:
    void start_round() {
        // Paxos Made Simple 2.2: a fresh number higher than any it has used or seen.
        ballot_ = ballot::above(seen_ < ballot_ ? ballot_ : seen_, self_);
        phase_ = proposer_phase::preparing;
        granted_.clear();
        highest_.reset();
        ++rounds_;
        for (node_id a : acceptors_) transport_.send(a, prepare{self_, ballot_});
        arm_round_deadline();
    }
    void arm_round_deadline() {
        const ticks t = settings_.round_timeout_ticks;
        deadline_ = timer_.now() + t + uniform(random_, 0, t);
        timer_.arm(deadline_);
    }

    node_id self_;
    node_set acceptors_;
    proposer_settings settings_;
    [[no_unique_address]] transport_type transport_;
    [[no_unique_address]] timer_type timer_;
    [[no_unique_address]] random_type random_;
    [[no_unique_address]] quorum_type quorum_;
    errc status_;
    proposer_phase phase_ = proposer_phase::idle;
    std::uint8_t rejected_rounds_ = 0;
    ballot ballot_{};
    ballot seen_{};
    time_point deadline_ = time_never;
    std::uint64_t rounds_ = 0;
    node_set granted_;
    node_set acks_;
    std::optional<proposal<value_type>> highest_;
    std::optional<value_type> own_;
    std::optional<value_type> value_;
    std::optional<value_type> chosen_;
};

}  // namespace synod::paxos

#endif
