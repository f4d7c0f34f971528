#ifndef SYNOD_PAXOS_MULTI_PAXOS_MESSAGE_HPP
#define SYNOD_PAXOS_MULTI_PAXOS_MESSAGE_HPP

/// \file
/// The messages of Multi-Paxos (Paxos Made Simple 3; Paxos Made Moderately Complex): one phase 1
/// for every slot from `first` on, then phase 2 per batch of slots. Batches and promises borrow
/// their pvalues from the sender's log (a std::span); a runtime that queues a message copies them
/// through borrowed_entries / rebind_entries (core/concepts/message.hpp).

#include <span>
#include <variant>

#include "synod/core/ballot.hpp"
#include "synod/core/concepts/storage.hpp"
#include "synod/core/ids.hpp"

namespace synod::multi_paxos {

using synod::no_snapshot;
using synod::pvalue;

/// Phase 1a for every slot at or after `first` (the candidate knows every slot before it chosen).
struct prepare {
    node_id from;     ///< the sender
    ballot proposed;  ///< the candidate's ballot
    log_index first;  ///< the first slot the promise covers
};

/// Phase 1b: the acceptor promised `promised` for all slots, and reports what it accepted at
/// `first` and after, each pvalue with the ballot it was accepted in. `commit` is the acceptor's
/// commit index: slots up to it are known chosen, whatever their ballot. `compacted` is the last
/// slot the acceptor folded into a snapshot; when it reaches `first` the report is incomplete and
/// the acceptor sends its snapshot instead.
template <class Payload>
struct promise {
    node_id from;                               ///< the sender
    ballot promised;                            ///< the ballot promised, for every slot
    log_index first;                            ///< the first slot reported
    log_index commit;                           ///< slots up to it are known chosen
    log_index compacted;                        ///< last slot folded into a snapshot (0 if none)
    std::span<const pvalue<Payload>> accepted;  ///< what it accepted from `first` on; borrowed
};

/// Phase 2a for a batch of consecutive slots, all proposed in ballot `number`, carrying the
/// leader's commit index (so commit notification rides on the next batch). With no entries it is
/// the leader's heartbeat.
template <class Payload>
struct accept {
    node_id from;                              ///< the sender
    ballot number;                             ///< the leader's ballot
    log_index commit;                          ///< the leader's commit index
    std::span<const pvalue<Payload>> entries;  ///< consecutive slots; borrowed; empty: heartbeat
};

/// Phase 2b: the acceptor accepted slots first..last in ballot `number` (an empty range answers a
/// heartbeat), and knows every slot up to `commit` chosen.
struct accepted {
    node_id from;      ///< the sender
    ballot number;     ///< the ballot they were accepted in
    log_index first;   ///< the first slot accepted
    log_index last;    ///< the last slot accepted (first - 1: none)
    log_index commit;  ///< slots up to it are known chosen
};

/// A prepare or accept under `rejected` was refused: the acceptor promised `promised`.
struct reject {
    node_id from;     ///< the sender
    ballot rejected;  ///< the ballot refused
    ballot promised;  ///< the higher ballot promised: continue above it
};

/// The state machine as of slot `last_included`, for a replica that needs slots the sender
/// compacted away. A snapshot holds only chosen slots, so it is valid under any ballot.
template <class Snapshot>
struct install_snapshot {
    node_id from;             ///< the sender
    ballot number;            ///< the sender's ballot
    log_index last_included;  ///< the last slot the snapshot covers
    Snapshot state;           ///< the state machine after that slot
};

/// Every Multi-Paxos message.
template <class Payload, class Snapshot = no_snapshot>
using message = std::variant<prepare, promise<Payload>, accept<Payload>, accepted, reject,
                             install_snapshot<Snapshot>>;

/// The pvalues a message borrows (empty for messages that borrow none).
template <class Payload, class Snapshot>
std::span<const pvalue<Payload>> borrowed_entries(const message<Payload, Snapshot>& m) noexcept {
    if (const auto* a = std::get_if<accept<Payload>>(&m)) return a->entries;
    if (const auto* p = std::get_if<promise<Payload>>(&m)) return p->accepted;
    return {};
}

/// Points the message's borrowed pvalues at `es`, a copy of the same pvalues.
template <class Payload, class Snapshot>
void rebind_entries(message<Payload, Snapshot>& m, std::span<const pvalue<Payload>> es) noexcept {
    if (auto* a = std::get_if<accept<Payload>>(&m)) {
        a->entries = es;
    } else if (auto* p = std::get_if<promise<Payload>>(&m)) {
        p->accepted = es;
    }
}

}  // namespace synod::multi_paxos

#endif
