#ifndef SYNOD_CORE_CONCEPTS_RANDOM_HPP
#define SYNOD_CORE_CONCEPTS_RANDOM_HPP

/// \file
/// The random policy: the only source of randomness a core may use.

#include <concepts>
#include <cstdint>

namespace synod {

/// A generator of uniformly distributed 64-bit words.
///   r() -> std::uint64_t   the next word; a given seed must give the same sequence everywhere
///                          (synod::xoshiro256 and synod::splitmix64 in core/random.hpp do).
template <class R>
concept random_source = requires(R& r) {
    { r() } -> std::same_as<std::uint64_t>;
};

/// Instantiated by the roles that take this policy: fails with a message that says what is
/// missing (the compiler adds a note naming the failed requirement).
template <class R>
struct check_random_source {
    static_assert(random_source<R>,
                  "synod: the random policy needs `std::uint64_t operator()()` (core/concepts/random.hpp; "
                  "synod::xoshiro256 models it)");
    /// True once the static_assert above has passed.
    static constexpr bool value = true;
};

}  // namespace synod

#endif
