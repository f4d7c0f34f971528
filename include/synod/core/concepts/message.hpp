#ifndef SYNOD_CORE_CONCEPTS_MESSAGE_HPP
#define SYNOD_CORE_CONCEPTS_MESSAGE_HPP

/// \file
/// The message/payload policy: what an entry carries and how messages may borrow entries.

#include <concepts>
#include <cstddef>
#include <span>
#include <type_traits>

#include "synod/core/entry.hpp"

namespace synod {

/// A value a log entry can carry: default-constructible, copyable, comparable (for checkers),
/// with a byte count for budgets (synod::bytes_of; .size() or sizeof by default).
template <class P>
concept payload = std::semiregular<P> && std::equality_comparable<P> && requires(const P& p) {
    { bytes_of(p) } -> std::convertible_to<std::size_t>;
};

/// A message type whose values may borrow a span of entries from the sender's log (Raft's
/// AppendEntries, Multi-Paxos batches) instead of owning a copy. A runtime that keeps a message
/// past transport::send() must copy the entries and rebind the span:
///   borrowed_entries(m)          -> span<const E>  the borrowed entries, empty if none
///   rebind_entries(m, span)      -> void           point `m` at another copy of the same entries
/// Both are found by argument-dependent lookup in the message's namespace.
template <class M>
concept borrowing_message = requires(const M& cm, M& m) {
    { borrowed_entries(cm) } -> std::convertible_to<std::span<const typename std::remove_cvref_t<
        decltype(borrowed_entries(cm))>::element_type>>;
    rebind_entries(m, borrowed_entries(cm));
};

/// A message type whose values may also borrow bytes (Raft's InstallSnapshot chunks); a runtime
/// that keeps such a message copies them, as for entries:
///   borrowed_bytes(m)          -> span<const std::byte>
///   rebind_bytes(m, span)      -> void
template <class M>
concept borrowing_bytes_message = requires(const M& cm, M& m, std::span<const std::byte> b) {
    { borrowed_bytes(cm) } -> std::same_as<std::span<const std::byte>>;
    rebind_bytes(m, b);
};

}  // namespace synod

#endif
