#ifndef SYNOD_CHECK_MODEL_HPP
#define SYNOD_CHECK_MODEL_HPP

/// \file
/// The sequential specification a linearizability checker searches against, as a concept, and
/// the hashing helpers models use. The checker itself is in check/linearizability.hpp; the
/// replicated key-value store's model is in check/kv.hpp.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace synod::check {

struct operation;

/// What happens when a sequential model takes one operation in one state.
enum class step_result : std::uint8_t {
    illegal,    ///< the operation cannot take effect here with the output it returned
    unchanged,  ///< legal, and the state stays as it was (a read, a failed compare-and-set)
    changed,    ///< legal, and the state becomes the `next` argument of step()
};

/// A sequential specification over one partition of a history (Wing & Gong 1993; the model
/// of Porcupine's checker). All members are pure: the checker calls them many times, in any
/// order, from different search branches.
///   Model::state_type              a regular value type (copyable, ==)
///   m.init()          -> state     the state of every partition before any operation
///   m.partition(op)   -> uint64    operations with different partitions never interact
///                                  (Horn & Kroening 2015), e.g. the key of a key-value store
///   m.step(s, op, next) -> step_result
///                                  whether `op` may take effect in `s` with the output it
///                                  returned; on `changed`, `next` holds the new state and `s`
///                                  is untouched. An open operation (no return) must never be
///                                  illegal: its output is unknown.
///   m.hash(s)         -> uint64    equal states hash equally
///   m.describe(s)     -> string    the state, for diagnostics
///   m.expected(s, op) -> string    what `op` would have returned in `s`, for diagnostics
template <class M>
concept sequential_model =
    std::regular<typename M::state_type> &&
    requires(const M& m, const typename M::state_type& s, typename M::state_type& next,
             const operation& op) {
        { m.init() } -> std::same_as<typename M::state_type>;
        { m.partition(op) } -> std::same_as<std::uint64_t>;
        { m.step(s, op, next) } -> std::same_as<step_result>;
        { m.hash(s) } -> std::same_as<std::uint64_t>;
        { m.describe(s) } -> std::same_as<std::string>;
        { m.expected(s, op) } -> std::same_as<std::string>;
    };

namespace detail {

/// SplitMix64's finalizer: a cheap, well-mixed 64-bit hash of a 64-bit value.
constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/// FNV-1a over bytes, finalized with mix64: identical on every platform (std::hash is not).
constexpr std::uint64_t hash_bytes(std::string_view bytes, std::uint64_t seed = 0) noexcept {
    std::uint64_t h = 0xcbf29ce484222325ULL ^ mix64(seed);
    for (const char c : bytes) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001b3ULL;
    }
    return mix64(h);
}

/// Combines two hashes, order-sensitively.
constexpr std::uint64_t hash_combine(std::uint64_t seed, std::uint64_t h) noexcept {
    return mix64(seed ^ (h + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2)));
}

}  // namespace detail
}  // namespace synod::check

#endif
