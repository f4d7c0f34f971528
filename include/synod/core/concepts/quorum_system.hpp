#ifndef SYNOD_CORE_CONCEPTS_QUORUM_SYSTEM_HPP
#define SYNOD_CORE_CONCEPTS_QUORUM_SYSTEM_HPP

/// \file
/// The quorum-system policy: which sets of voters may decide, per phase.

#include <concepts>

#include "synod/core/configuration.hpp"
#include "synod/core/error.hpp"
#include "synod/core/ids.hpp"

namespace synod {

namespace detail {
struct match_archetype {
    log_index operator()(node_id) const noexcept { return log_index{}; }
};
}  // namespace detail

/// Judges sets of acknowledgements among `voters`.
///   q.validate(voters)          -> result<void>  errc::quorum_not_intersecting when a phase-1 and
///                                                a phase-2 quorum could be disjoint; run nothing then
///   q.phase1(voters, acks)      -> bool          `acks` contain a phase-1 (prepare/election) quorum
///   q.phase2(voters, acks)      -> bool          `acks` contain a phase-2 (accept/replicate) quorum
///   q.committed(voters, match)  -> log_index     the largest i such that {v : match(v) >= i} is a
///                                                phase-2 quorum; 0 if none
/// Monotonic: a superset of a quorum is a quorum.
template <class Q>
concept quorum_system = requires(const Q& q, const node_set& voters, const node_set& acks,
                                 detail::match_archetype match) {
    { q.validate(voters) } -> std::same_as<result<void>>;
    { q.phase1(voters, acks) } -> std::same_as<bool>;
    { q.phase2(voters, acks) } -> std::same_as<bool>;
    { q.committed(voters, match) } -> std::same_as<log_index>;
};

/// Instantiated by the roles that take this policy: fails with a message that says what is
/// missing (the compiler adds a note naming the failed requirement).
template <class Q>
struct check_quorum_system {
    static_assert(quorum_system<Q>,
                  "synod: the quorum system needs validate(voters), phase1(voters, acks), phase2(voters, "
                  "acks) and committed(voters, match) (core/concepts/quorum_system.hpp; "
                  "synod::majority models it)");
    /// True once the static_assert above has passed.
    static constexpr bool value = true;
};

}  // namespace synod

#endif
