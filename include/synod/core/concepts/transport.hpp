#ifndef SYNOD_CORE_CONCEPTS_TRANSPORT_HPP
#define SYNOD_CORE_CONCEPTS_TRANSPORT_HPP

/// \file
/// The transport policy: how a message leaves a node.

#include <concepts>

#include "synod/core/ids.hpp"

namespace synod {

/// Sends protocol messages of type `Message` to other nodes.
///   t.send(to, m)  -> void   queue or transmit `m` for node `to`; never blocks, never fails
///                            loudly: a message that cannot be sent is dropped (the protocols
///                            tolerate loss). `m` and anything it borrows (entry spans) are valid
///                            only during the call: copy or encode before returning.
template <class T, class Message>
concept transport = requires(T& t, node_id to, const Message& m) {
    { t.send(to, m) } -> std::same_as<void>;
};

/// Instantiated by the roles that take this policy: fails with a message that says what is
/// missing (the compiler adds a note naming the failed requirement).
template <class T, class Message>
struct check_transport {
    static_assert(transport<T, Message>,
                  "synod: the transport policy has no `void send(node_id to, const Message& m)` for this "
                  "protocol's message type (core/concepts/transport.hpp; tests/support/archetypes.hpp "
                  "has the smallest type that models it)");
    /// True once the static_assert above has passed.
    static constexpr bool value = true;
};

}  // namespace synod

#endif
