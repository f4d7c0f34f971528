#ifndef SYNOD_PAXOS_MESSAGE_HPP
#define SYNOD_PAXOS_MESSAGE_HPP

/// \file
/// The messages of single-decree Paxos (the Synod protocol, Paxos Made Simple 2.2-2.3), named for
/// the phases: prepare (1a), promise (1b), accept (2a), accepted (2b), and the reject a
/// proposer gets back when its ballot is stale. Every message carries its sender in `from`.

#include <optional>
#include <variant>

#include "synod/core/ballot.hpp"
#include "synod/core/ids.hpp"

namespace synod::paxos {

/// Phase 1a: "prepare request with number n".
struct prepare {
    node_id from;     ///< the sender
    ballot proposed;  ///< the ballot the proposer asks to be promised
};

/// Phase 1b: the acceptor promises to accept no ballot below `promised`, and reports the
/// highest-numbered proposal it has accepted, if any.
template <class Value>
struct promise {
    node_id from;                             ///< the sender
    ballot promised;                          ///< the ballot promised
    std::optional<proposal<Value>> accepted;  ///< the highest proposal accepted, if any
};

/// Phase 2a: "accept request with number n and value v".
template <class Value>
struct accept {
    node_id from;              ///< the sender
    proposal<Value> proposed;  ///< the ballot and the value to accept
};

/// Phase 2b: the acceptor accepted `voted`. Sent to the proposer and to every learner (Paxos
/// Made Simple 2.4: "have each acceptor [...] respond to all learners").
template <class Value>
struct accepted {
    node_id from;           ///< the sender
    proposal<Value> voted;  ///< the proposal accepted
};

/// The acceptor refused `rejected` (a prepare or an accept) because it has promised `promised`,
/// which is higher: the proposer should continue above it (Paxos Made Simple 2.3 suggests this
/// optimisation: "the acceptor [...] should inform the proposer").
struct reject {
    node_id from;     ///< the sender
    ballot rejected;  ///< the ballot refused
    ballot promised;  ///< the higher ballot promised: continue above it
};

/// Every single-decree Paxos message.
template <class Value>
using message = std::variant<prepare, promise<Value>, accept<Value>, accepted<Value>, reject>;

}  // namespace synod::paxos

#endif
