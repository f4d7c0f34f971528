#ifndef SYNOD_CORE_CONCEPTS_TIMER_HPP
#define SYNOD_CORE_CONCEPTS_TIMER_HPP

/// \file
/// The timer policy: a clock and one deadline per node.

#include <concepts>

#include "synod/core/ids.hpp"

namespace synod {

/// The event a runtime delivers to a node (`node.on(timeout{})`) once its deadline is reached.
struct timeout {};

/// A monotonic clock in ticks and one re-armable deadline.
///   ct.now()        -> time_point  current time; never decreases
///   t.arm(deadline) -> void        deliver `timeout{}` to the node at or after `deadline`;
///                                  replaces any earlier arm. A node tolerates early, late and
///                                  spurious timeouts: it re-checks its own deadlines on each.
template <class T>
concept timer = requires(T& t, const T& ct, time_point deadline) {
    { ct.now() } -> std::same_as<time_point>;
    { t.arm(deadline) } -> std::same_as<void>;
};

/// Instantiated by the roles that take this policy: fails with a message that says what is
/// missing (the compiler adds a note naming the failed requirement).
template <class T>
struct check_timer {
    static_assert(timer<T>,
                  "synod: the timer policy needs `time_point now() const` and `void arm(time_point)` "
                  "(core/concepts/timer.hpp; tests/support/archetypes.hpp has the smallest model)");
    /// True once the static_assert above has passed.
    static constexpr bool value = true;
};

}  // namespace synod

#endif
