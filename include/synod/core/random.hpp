#ifndef SYNOD_CORE_RANDOM_HPP
#define SYNOD_CORE_RANDOM_HPP

/// \file
/// Seeded pseudo-random generators and an exact, portable uniform draw. The cores take
/// randomness only from a random policy, so one seed reproduces a run bit for bit on every
/// compiler (std::uniform_int_distribution is implementation-defined, so it is not used).

#include <cstdint>

namespace synod {

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, good for seeding and for tests.
class splitmix64 {
public:
    /// The type of each word drawn (UniformRandomBitGenerator).
    using result_type = std::uint64_t;
    /// A generator whose sequence is fixed by `seed`.
    constexpr explicit splitmix64(std::uint64_t seed = 0) noexcept : state_{seed} {}
    ///@{
    /// The range of the words drawn: every 64-bit value.
    static constexpr result_type min() noexcept { return 0; }
    static constexpr result_type max() noexcept { return ~result_type{0}; }
    ///@}
    /// The next word of the sequence.
    constexpr result_type operator()() noexcept {
        std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }

private:
    std::uint64_t state_;
};

/// xoshiro256** (Blackman, Vigna 2018): fast, 256 bits of state, seeded through SplitMix64.
class xoshiro256 {
public:
    /// The type of each word drawn (UniformRandomBitGenerator).
    using result_type = std::uint64_t;
    /// A generator whose sequence is fixed by `seed` (expanded to 256 bits by SplitMix64).
    constexpr explicit xoshiro256(std::uint64_t seed = 0) noexcept {
        splitmix64 init{seed};
        for (auto& w : s_) w = init();
    }
    ///@{
    /// The range of the words drawn: every 64-bit value.
    static constexpr result_type min() noexcept { return 0; }
    static constexpr result_type max() noexcept { return ~result_type{0}; }
    ///@}
    /// The next word of the sequence.
    constexpr result_type operator()() noexcept {
        const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const std::uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }

private:
    static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept {
        return (x << k) | (x >> (64 - k));
    }
    std::uint64_t s_[4]{};
};

namespace detail {
/// The full 128-bit product of two 64-bit values as (high, low), portable to 32-bit targets.
struct wide_product {
    std::uint64_t high;
    std::uint64_t low;
};
constexpr wide_product multiply_wide(std::uint64_t a, std::uint64_t b) noexcept {
    const std::uint64_t a_lo = a & 0xffffffffULL, a_hi = a >> 32;
    const std::uint64_t b_lo = b & 0xffffffffULL, b_hi = b >> 32;
    const std::uint64_t lo_lo = a_lo * b_lo;
    const std::uint64_t hi_lo = a_hi * b_lo;
    const std::uint64_t lo_hi = a_lo * b_hi;
    const std::uint64_t hi_hi = a_hi * b_hi;
    const std::uint64_t cross = (lo_lo >> 32) + (hi_lo & 0xffffffffULL) + lo_hi;
    return {hi_hi + (hi_lo >> 32) + (cross >> 32), (cross << 32) | (lo_lo & 0xffffffffULL)};
}
}  // namespace detail

/// A uniform draw in [lo, hi] from any 64-bit generator, identical on every platform
/// (Lemire's multiply-shift with rejection, 2019).
template <class Random>
constexpr std::uint64_t uniform(Random& r, std::uint64_t lo, std::uint64_t hi) noexcept {
    if (hi <= lo) return lo;
    const std::uint64_t range = hi - lo + 1;
    if (range == 0) return r();  // the full 64-bit range
    detail::wide_product m = detail::multiply_wide(r(), range);
    if (m.low < range) {
        const std::uint64_t threshold = (0 - range) % range;
        while (m.low < threshold) m = detail::multiply_wide(r(), range);
    }
    return lo + m.high;
}

}  // namespace synod

#endif
