// Shared by the fuzz targets: a checked-invariant macro that libFuzzer reports as a crash, a
// manual clock, and a small deterministic decoder from fuzz bytes to protocol values (small
// node ids, terms, ballots and indices near the node's own, so the fuzzer reaches deep states
// instead of bouncing off "stale term" checks).
#ifndef SYNOD_TESTS_FUZZ_FUZZ_HPP
#define SYNOD_TESTS_FUZZ_FUZZ_HPP

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "synod/core/ballot.hpp"
#include "synod/core/ids.hpp"

/// A broken invariant: print it and abort, which libFuzzer reports with the input that did it.
#define FUZZ_CHECK(...) \
    ((__VA_ARGS__) ? void(0) : ::fuzz::invariant_broken(#__VA_ARGS__, __FILE__, __LINE__))

namespace fuzz {

[[noreturn]] inline void invariant_broken(const char* what, const char* file, int line) {
    std::fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
    std::abort();
}

/// The node's clock, moved only by the fuzz input.
struct clock {
    synod::time_point now{0};
    synod::time_point deadline = synod::time_never;
};

/// A timer policy on a fuzz-driven clock.
class manual_timer {
public:
    explicit manual_timer(clock& c) noexcept : clock_{&c} {}
    synod::time_point now() const noexcept { return clock_->now; }
    void arm(synod::time_point deadline) noexcept { clock_->deadline = deadline; }

private:
    clock* clock_;
};

/// Reads protocol values from the fuzz input. Past the end of the input every read gives 0
/// (FuzzedDataProvider's rule), so every input decodes to some finite run.
class reader {
public:
    reader(const std::uint8_t* data, std::size_t size) : p_{data, size} {}

    bool done() noexcept { return p_.remaining_bytes() == 0; }
    std::uint8_t byte() { return p_.ConsumeIntegral<std::uint8_t>(); }
    bool flag() { return p_.ConsumeBool(); }
    std::uint64_t range(std::uint64_t lo, std::uint64_t hi) {
        return p_.ConsumeIntegralInRange<std::uint64_t>(lo, hi);
    }
    std::uint64_t u64() { return p_.ConsumeIntegral<std::uint64_t>(); }

    /// A node id: mostly the cluster's 1..`members`, sometimes one outside it (0, a learner,
    /// a stranger, the largest id).
    synod::node_id node(std::uint32_t members) {
        const std::uint8_t b = byte();
        if (b < 240) return synod::node_id{1u + b % members};
        switch (b % 4) {
            case 0: return synod::node_id{0};
            case 1: return synod::node_id{members + 1};
            case 2: return synod::node_id{members + 2 + (b % 16)};
            default: return synod::node_id{std::numeric_limits<std::uint32_t>::max()};
        }
    }

    /// A value near `base`: base-2 .. base+3, clamped at 0, or (rarely) any 64-bit value.
    std::uint64_t near(std::uint64_t base) {
        const std::uint8_t b = byte();
        if (b >= 250) return b == 255 ? std::numeric_limits<std::uint64_t>::max() : u64();
        const std::int64_t d = static_cast<std::int64_t>(b % 6) - 2;
        if (d < 0 && base < static_cast<std::uint64_t>(-d)) return 0;
        return base + static_cast<std::uint64_t>(d);
    }
    synod::term_t term_near(synod::term_t t) { return synod::term_t{near(t.value)}; }
    synod::log_index index_near(synod::log_index i) { return synod::log_index{near(i.value)}; }
    synod::ballot ballot_near(synod::ballot b, std::uint32_t members) {
        return synod::ballot{near(b.round), node(members)};
    }

private:
    FuzzedDataProvider p_;
};

}  // namespace fuzz

#endif
