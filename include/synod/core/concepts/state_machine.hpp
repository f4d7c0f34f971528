#ifndef SYNOD_CORE_CONCEPTS_STATE_MACHINE_HPP
#define SYNOD_CORE_CONCEPTS_STATE_MACHINE_HPP

/// \file
/// The state machine policy: where committed entries go.

#include <concepts>
#include <cstddef>
#include <ranges>
#include <span>

namespace synod {

/// Applies committed entries.
///   sm.apply(e) -> void   called once per committed entry, in index order with no gaps, from
///                         the node's own step function (so never concurrently). Entries of
///                         kind noop and configuration are applied too, so the state machine sees
///                         every index; most state machines ignore them.
template <class S, class Entry>
concept state_machine = requires(S& sm, const Entry& e) {
    { sm.apply(e) } -> std::same_as<void>;
};

/// Instantiated by the roles that take this policy: fails with a message that says what is
/// missing (the compiler adds a note naming the failed requirement).
template <class S, class Entry>
struct check_state_machine {
    static_assert(state_machine<S, Entry>,
                  "synod: the state machine policy needs `void apply(const entry<Payload>&)` "
                  "(core/concepts/state_machine.hpp; tests/support/archetypes.hpp has the smallest model)");
    /// True once the static_assert above has passed.
    static constexpr bool value = true;
};

/// Optional: a state machine that can be serialized and restored, for log compaction (Raft 7).
///   cm.snapshot()      -> a contiguous range of bytes (std::vector<std::byte>, std::string, ...)
///                         the state after every entry applied so far
///   m.restore(bytes)   -> void   replaces the state with the one `bytes` serializes
template <class M>
concept snapshot_state_machine = requires(M& m, const M& cm, std::span<const std::byte> bytes) {
    requires std::ranges::contiguous_range<decltype(cm.snapshot())>;
    requires sizeof(std::ranges::range_value_t<decltype(cm.snapshot())>) == 1;
    m.restore(bytes);
};

}  // namespace synod

#endif
