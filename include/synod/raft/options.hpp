#ifndef SYNOD_RAFT_OPTIONS_HPP
#define SYNOD_RAFT_OPTIONS_HPP

/// \file
/// What a Raft node can be configured with: protocol variants fixed at compile time
/// (`features`, in the traits) and tunables chosen at run time (`settings`).

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "synod/core/ids.hpp"
#include "synod/core/quorum.hpp"

namespace synod::raft {

/// Protocol variants, chosen at compile time through `Traits::features`. A variant that is off
/// adds no data member and no code.
struct features {
    /// Pre-vote (Raft thesis 9.6): a node first asks whether it could win, so a partitioned
    /// node rejoining with a high term does not depose a working leader.
    bool pre_vote = false;
    /// Check-quorum (thesis 6.2): a leader that has not heard from a quorum for an election
    /// timeout steps down; followers that heard from a leader within the election timeout
    /// ignore vote requests ("leader stickiness").
    bool check_quorum = false;
    /// Leadership transfer (thesis 3.10): the leader brings a target up to date and sends it
    /// TimeoutNow.
    bool leader_transfer = false;
    /// Linearizable reads by ReadIndex (thesis 6.4): the leader confirms it still leads with a
    /// heartbeat round, then serves the read once it has applied the commit index it recorded.
    /// Followers forward read requests to the leader (follower reads).
    bool read_index = false;
    /// Leader-lease reads (thesis 6.4.1): the leader serves reads without a round trip while
    /// a quorum acknowledged a heartbeat less than an election timeout ago, shortened by the
    /// clock drift bound. Needs check_quorum (followers must refuse to elect another leader
    /// within the lease) and read_index.
    bool lease_read = false;
    /// Membership changes (thesis 4): configurations travel as log entries and take effect
    /// when appended; joint consensus (C_old,new then C_new) or single-server changes; learners
    /// that catch up before promotion; a removed leader steps down once C_new commits. Needs a
    /// payload that can carry a configuration (synod::configuration_payload).
    bool membership = false;
};

/// How propose_configuration() moves to a new configuration.
enum class membership_change : std::uint8_t {
    /// A single-server change when at most one voter is added or removed, joint otherwise.
    automatic,
    /// Always through the joint configuration C_old,new; the leader appends C_new once it
    /// commits (thesis 4.3).
    joint,
    /// Straight to C_new (thesis 4.1); errc::invalid_configuration if more than one voter
    /// would change.
    single_server,
};

/// How a read was served: a caller can never mistake a lease read for a ReadIndex read.
enum class read_kind : std::uint8_t {
    read_index,  ///< confirmed by a heartbeat round (or by the leader for a follower)
    lease,       ///< served under the leader's lease: safe only within the clock drift bound
};

/// The event a node hands to its state machine (`sm.on_read(r)`) when a read it accepted can
/// be served: the state machine has applied at least `index`. `ok` is false when the read
/// cannot complete (leadership was lost); the caller retries, perhaps elsewhere.
struct read_ready {
    std::uint64_t context = 0;  ///< the caller's identifier of the read
    log_index index{};          ///< the read index; the state machine has applied it
    /// How the read was confirmed: a ReadIndex round, or the leader's lease.
    read_kind kind = read_kind::read_index;
    /// False when the read cannot be served (leadership was lost): retry, perhaps elsewhere.
    bool ok = true;
};

/// Run-time tunables. Times are in ticks of the timer policy.
struct settings {
    ticks election_timeout_ticks = 10;   ///< randomized per election in [ET, 2*ET - 1]
    ticks heartbeat_interval_ticks = 1;  ///< leader's heartbeat period; < election timeout
    std::size_t entries_per_message_max = 64;        ///< batching limit (count)
    std::size_t bytes_per_message_max = 1u << 20;    ///< batching limit (payload bytes); >= 1 entry
    std::size_t inflight_messages_max = 64;          ///< pipelining window per follower (count)
    std::size_t inflight_bytes_max = 0;              ///< window in bytes; 0 = unlimited
    std::size_t uncommitted_bytes_max = 0;           ///< leader's bound; 0 = unlimited
    /// The index the state machine has already applied (a durable state machine restarting);
    /// entries up to it are not applied again.
    log_index applied{0};
    /// Lease reads: a bound on how much faster any node's clock may run than another's, in
    /// parts per million. The lease lasts election_timeout * (1 - bound) - 1 ticks after the
    /// heartbeat round a quorum acknowledged. 0 is only for tests of what happens without it.
    std::uint32_t clock_drift_bound_ppm = 100'000;
    ///@{
    /// InstallSnapshot streaming: bytes per chunk, and chunks in flight to one follower.
    std::size_t snapshot_chunk_bytes = 64 * 1024;
    std::size_t snapshot_chunks_inflight = 4;
    ///@}
};

/// Compile-time capacities; override any by naming it in the traits.
struct capacities {
    static constexpr std::size_t inflight = 64;   ///< upper bound for inflight_messages_max
    static constexpr std::size_t batch = 64;      ///< entries appended per storage write
    static constexpr std::size_t outbox = 32;     ///< messages waiting for durability
    static constexpr std::size_t reads = 64;      ///< reads waiting to be served
};

/// The role a node plays (Raft 5.1; pre-candidate from thesis 9.6).
enum class role : std::uint8_t { follower, pre_candidate, candidate, leader };

/// The role's name, for logs and status: "follower", "pre-candidate", "candidate", "leader".
constexpr const char* to_string(role r) noexcept {
    switch (r) {
        case role::follower: return "follower";
        case role::pre_candidate: return "pre-candidate";
        case role::candidate: return "candidate";
        case role::leader: return "leader";
    }
    return "?";
}

/// Raft's commitment rule (5.4.2, Figure 8): a leader commits by counting replicas only an
/// entry of its current term. The node asks `Traits::commit_rule` (this by default) so that
/// fault-injection tests can plant the unsafe rule and prove the simulator catches it; no
/// other rule is safe.
struct current_term_commit_rule {
    /// True if counting replicas may commit an entry of `entry_term` in `current_term`.
    static constexpr bool may_commit(term_t entry_term, term_t current_term) noexcept {
        return entry_term == current_term;
    }
};

/// How many voters one configuration entry may add or remove (thesis 4.1): one; a larger change
/// goes through the joint configuration. The node asks `Traits::membership_rule` (this by
/// default) so that fault-injection tests can plant the unsafe rule (any change in one step)
/// and prove the simulator catches it; no other rule is safe.
struct one_voter_per_step_rule {
    /// Whether a change of `changed_voters` voters may be made in one configuration entry.
    static constexpr bool single_step(std::size_t changed_voters) noexcept {
        return changed_voters <= 1;
    }
};

namespace detail {
template <class T>
struct membership_rule_of {
    using type = one_voter_per_step_rule;
};
template <class T>
    requires requires { typename T::membership_rule; }
struct membership_rule_of<T> {
    using type = typename T::membership_rule;
};

template <class T>
struct commit_rule_of {
    using type = current_term_commit_rule;
};
template <class T>
    requires requires { typename T::commit_rule; }
struct commit_rule_of<T> {
    using type = typename T::commit_rule;
};

template <class T>
constexpr features features_of() {
    if constexpr (requires { T::features; }) {
        return T::features;
    } else {
        return features{};
    }
}
template <class T>
struct quorum_of {
    using type = majority;
};
template <class T>
    requires requires { typename T::quorum; }
struct quorum_of<T> {
    using type = typename T::quorum;
};
template <class T>
constexpr std::size_t inflight_capacity() {
    if constexpr (requires { T::inflight_capacity; }) return T::inflight_capacity;
    else return capacities::inflight;
}
template <class T>
constexpr std::size_t batch_capacity() {
    if constexpr (requires { T::batch_capacity; }) return T::batch_capacity;
    else return capacities::batch;
}
template <class T>
constexpr std::size_t read_capacity() {
    if constexpr (requires { T::read_capacity; }) return T::read_capacity;
    else return capacities::reads;
}
template <class T>
constexpr std::size_t outbox_capacity() {
    if constexpr (requires { T::outbox_capacity; }) return T::outbox_capacity;
    else return capacities::outbox;
}

/// A data member that exists only when `On`: [[no_unique_address]] makes the off case free.
struct nothing {};
template <bool On, class T>
using member_if = std::conditional_t<On, T, nothing>;
}  // namespace detail

}  // namespace synod::raft

#endif
