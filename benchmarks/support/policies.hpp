#ifndef SYNOD_BENCHMARKS_SUPPORT_POLICIES_HPP
#define SYNOD_BENCHMARKS_SUPPORT_POLICIES_HPP

// The smallest policies for driving one node's handlers in a micro-benchmark: a transport that
// only counts what it is given, a timer that never moves, a state machine that counts applies,
// and the W1 payload (128 bytes by value).

#include <benchmark/benchmark.h>

#include <array>
#include <cstddef>
#include <cstdint>

#include "synod/core/entry.hpp"
#include "synod/core/ids.hpp"

namespace synod::bench {

using payload = std::array<std::byte, 128>;

/// Counts sends and drops the message, but only after making the compiler build it in memory
/// (benchmark::DoNotOptimize): building the message is part of the handler's cost.
struct counting_transport {
    std::uint64_t* sent;
    template <class Message>
    void send(node_id, const Message& m) noexcept {
        benchmark::DoNotOptimize(m);
        ++*sent;
    }
};

/// A clock the benchmark moves by hand (`*clock` ticks); arming records nothing: the
/// benchmark calls on(timeout{}) itself.
struct manual_timer {
    const std::uint64_t* clock;
    time_point now() const noexcept { return time_point{*clock}; }
    void arm(time_point) noexcept {}
};

/// Counts applied entries.
struct counting_state_machine {
    std::uint64_t applied = 0;
    template <class Entry>
    void apply(const Entry&) noexcept {
        ++applied;
    }
};

}  // namespace synod::bench

#endif
