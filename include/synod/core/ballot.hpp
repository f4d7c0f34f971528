#ifndef SYNOD_CORE_BALLOT_HPP
#define SYNOD_CORE_BALLOT_HPP

/// \file
/// Paxos ballots ("proposal numbers" in Paxos Made Simple).

#include <compare>
#include <cstdint>

#include "synod/core/ids.hpp"

namespace synod {

/// A Paxos ballot: a round and the proposer that owns it. Ballots are totally ordered by round,
/// then by proposer, so two proposers never share one (Paxos Made Simple, 2.2: "different
/// proposals have different numbers"). `ballot{}` is below every real ballot.
struct ballot {
    std::uint64_t round = 0;  ///< grows by one per phase 1; 0 only in the null ballot
    node_id proposer{};       ///< the proposer that owns the ballot; breaks ties between rounds

    /// Same round and same proposer.
    friend constexpr bool operator==(const ballot&, const ballot&) noexcept = default;
    /// Orders by round, then by proposer: a total order, so every ballot has one owner.
    friend constexpr std::strong_ordering operator<=>(const ballot& a, const ballot& b) noexcept {
        if (auto c = a.round <=> b.round; c != 0) return c;
        return a.proposer <=> b.proposer;
    }

    /// True unless this is the null ballot.
    constexpr explicit operator bool() const noexcept { return round != 0; }

    /// Rounds grow by one per phase 1, so no real proposer ever reaches 2^63. A ballot above that
    /// comes from a faulty or hostile peer; adopting it would let above() wrap around to round 0,
    /// below every promise already made. The roles drop messages that carry one.
    constexpr bool plausible() const noexcept { return round <= UINT64_MAX / 2; }

    /// The smallest ballot owned by `self` that is above `seen`.
    static constexpr ballot above(const ballot& seen, node_id self) noexcept {
        ballot b{seen.round == 0 ? 1 : seen.round, self};
        if (!(seen < b)) b.round = seen.round + 1;
        return b;
    }
};

/// A value proposed under a ballot (Paxos Made Simple: a "proposal").
template <class Value>
struct proposal {
    ballot number;  ///< the ballot the value was proposed under
    Value value;    ///< the value proposed
    /// Same ballot and same value.
    friend constexpr bool operator==(const proposal&, const proposal&) = default;
};

}  // namespace synod

#endif
