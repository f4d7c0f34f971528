#ifndef SYNOD_CORE_ENTRY_HPP
#define SYNOD_CORE_ENTRY_HPP

/// \file
/// Log entries, parameterized over the user's payload type.

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "synod/core/ids.hpp"

namespace synod {

/// What an entry carries besides its payload.
enum class entry_kind : std::uint8_t {
    normal,         ///< a client command: the payload goes to the state machine
    noop,           ///< appended by a new leader (Raft 5.4.2) or to fill a Paxos gap; no payload
    configuration,  ///< a membership change; the payload encodes the new configuration
};

/// One log entry: its position, the term (Raft) or ballot round (Multi-Paxos) it was created
/// in, its kind, and the payload.
template <class Payload>
struct entry {
    using payload_type = Payload;  ///< the user's command type
    term_t term{};  ///< the term (Raft) or ballot round (Multi-Paxos) it was created in
    log_index index{};  ///< its position in the log, from 1
    entry_kind kind = entry_kind::normal;  ///< a client command, a no-op or a configuration
    Payload payload{};  ///< the command (empty for a no-op)

    /// Equal when every field is.
    friend bool operator==(const entry&, const entry&) = default;
};

/// The number of bytes a payload accounts for in byte budgets (batching limits, in-flight
/// windows, the uncommitted-bytes bound). A payload with .size() counts that many bytes;
/// anything else counts sizeof. Overload `payload_bytes` in the payload's namespace to change it.
template <class P>
constexpr std::size_t payload_bytes(const P& p) noexcept {
    if constexpr (requires { p.size(); }) {
        return static_cast<std::size_t>(p.size());
    } else {
        return sizeof(P);
    }
}

/// payload_bytes looked up with ADL, so a user's overload wins.
template <class P>
constexpr std::size_t bytes_of(const P& p) noexcept {
    return payload_bytes(p);
}

}  // namespace synod

#endif
