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
};

/// Compile-time capacities; override any by naming it in the traits.
struct capacities {
    static constexpr std::size_t inflight = 64;   ///< upper bound for inflight_messages_max
    static constexpr std::size_t batch = 64;      ///< entries appended per storage write
    static constexpr std::size_t outbox = 32;     ///< messages waiting for durability
};

/// The role a node plays (Raft 5.1; pre-candidate from thesis 9.6).
enum class role : std::uint8_t { follower, pre_candidate, candidate, leader };

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
    static constexpr bool may_commit(term_t entry_term, term_t current_term) noexcept {
        return entry_term == current_term;
    }
};

namespace detail {
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
