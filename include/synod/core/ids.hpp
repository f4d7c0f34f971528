#ifndef SYNOD_CORE_IDS_HPP
#define SYNOD_CORE_IDS_HPP

/// \file
/// Strong vocabulary types: node ids, Raft terms, log indices, write ids, time points.
/// Each is a distinct type so that a term can never be passed where an index is expected.

#include <compare>
#include <cstdint>
#include <functional>
#include <limits>

namespace synod {

/// A value of `Rep` that does not mix with other strong types. `Tag` only distinguishes types.
template <class Tag, class Rep>
struct strong_value {
    using rep_type = Rep;  ///< the underlying integer type
    Rep value{};           ///< the raw value, for printing, encoding and arithmetic

    /// Zero: "no node", index 0 (before the first entry), term 0, and so on.
    constexpr strong_value() noexcept = default;
    /// From a raw value; explicit, so that raw integers never pass for ids by accident.
    constexpr explicit strong_value(Rep v) noexcept : value{v} {}

    /// Compared by value, within one type only.
    friend constexpr bool operator==(strong_value, strong_value) noexcept = default;
    /// Ordered by value, within one type only.
    friend constexpr auto operator<=>(strong_value, strong_value) noexcept = default;
};

/// Identifies one node (process) of a cluster. 0 is reserved for "no node".
struct node_id : strong_value<node_id, std::uint32_t> {
    using strong_value::strong_value;
    /// True for a real node, false for the "no node" value.
    constexpr explicit operator bool() const noexcept { return value != 0; }
};
/// The "no node" id (0): no leader known, no vote cast.
inline constexpr node_id no_node{};

/// Counts positions (log indices, terms): supports +/- with an integer and distance.
template <class Self>
struct counter : strong_value<Self, std::uint64_t> {
    using strong_value<Self, std::uint64_t>::strong_value;
    /// The position after this one.
    constexpr Self next() const noexcept { return Self{this->value + 1}; }
    /// The position before this one (pre: not 0).
    constexpr Self prev() const noexcept { return Self{this->value - 1}; }
    /// The position `n` after `a`.
    friend constexpr Self operator+(Self a, std::uint64_t n) noexcept { return Self{a.value + n}; }
    /// The position `n` before `a`.
    friend constexpr Self operator-(Self a, std::uint64_t n) noexcept { return Self{a.value - n}; }
    /// The distance from `b` to `a` (pre: b <= a).
    friend constexpr std::uint64_t operator-(Self a, Self b) noexcept { return a.value - b.value; }
    /// Moves to the next position.
    constexpr Self& operator++() noexcept {
        ++this->value;
        return static_cast<Self&>(*this);
    }
};

/// A Raft term (Raft 5.1): a logical clock, 0 before the first election.
struct term_t : counter<term_t> {
    using counter::counter;
};

/// A position in a replicated log, 1-based; 0 means "before the first entry".
struct log_index : counter<log_index> {
    using counter::counter;
};

/// Identifies one storage write. Writes complete in issue order, so "durable through w" says
/// every write with an id up to `w` is durable. 0 means "no write" and is always durable.
struct write_id : counter<write_id> {
    using counter::counter;
};

/// A point on a timer policy's clock, in the policy's ticks (the runtime decides what one
/// tick is: a millisecond for a network server, one unit in a test).
struct time_point : counter<time_point> {
    using counter::counter;
};
/// A span of ticks.
using ticks = std::uint64_t;

/// A deadline that never comes: the largest time point.
inline constexpr time_point time_never{std::numeric_limits<std::uint64_t>::max()};

}  // namespace synod

template <>
/// Hashes a node id by its value, for unordered containers.
struct std::hash<synod::node_id> {
    /// The id's value.
    std::size_t operator()(synod::node_id n) const noexcept { return n.value; }
};

#endif
