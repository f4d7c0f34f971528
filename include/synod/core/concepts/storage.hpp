#ifndef SYNOD_CORE_CONCEPTS_STORAGE_HPP
#define SYNOD_CORE_CONCEPTS_STORAGE_HPP

/// \file
/// Storage policies: durable protocol state, with writes that complete inline or later.
///
/// Every write returns a write_id; ids increase by one per write and writes become durable in
/// issue order. `durable()` says how far they have. Storage that completes inline (memory, a
/// blocking fsync) returns the id of its last write; storage that completes later (an fsync on
/// another thread, DESIGN 3) returns an older id and the runtime delivers
/// `writes_durable{}` to the node when it advances. A node sends nothing that promises
/// state until `durable()` covers the write of that state. Reads see every write at once,
/// durable or not; after a crash only durable writes remain.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "synod/core/ballot.hpp"
#include "synod/core/entry.hpp"
#include "synod/core/ids.hpp"

namespace synod {

/// The event a runtime delivers to a node once storage that completes later has made more
/// writes durable (`node.on(writes_durable{})`); the node then asks the storage how far.
struct writes_durable {};

/// Storage whose writes are tracked by id.
///   cs.durable() -> write_id   every write with an id up to this one is durable
template <class S>
concept durable_storage = requires(const S& cs) {
    { cs.durable() } -> std::same_as<write_id>;
};

/// Raft's durable state besides the log (Raft Figure 2: currentTerm, votedFor), plus the commit
/// index, which may be written lazily (losing it is safe: it is learned again from the leader).
struct hard_state {
    term_t term{};       ///< currentTerm: the latest term this node has seen
    node_id vote{};      ///< votedFor: the candidate voted for in `term`, or no_node
    log_index commit{};  ///< a commit index known when last written (may lag)
    /// Equal when term, vote and commit are.
    friend bool operator==(const hard_state&, const hard_state&) = default;
};

/// Optional: a log with a bounded capacity (storage/static.hpp). A Raft node that has one checks
/// before it appends: a leader refuses a proposal with errc::log_full, a follower drops an
/// AppendEntries that does not fit (the leader retries it).
///   cs.can_append(first, n) -> bool   whether append() of n entries from index `first` fits
template <class S>
concept bounded_log_storage = requires(const S& cs, log_index i, std::size_t n) {
    { cs.can_append(i, n) } -> std::same_as<bool>;
};

/// Durable state and log of one Raft node.
///   cs.hard_state()        -> hard_state   as last written
///   cs.first_index()       -> log_index    the first index held (1, or the snapshot index + 1)
///   cs.last_index()        -> log_index    the last index held (first_index() - 1 when empty)
///   cs.term_at(i)          -> term_t       pre: first_index() - 1 <= i <= last_index(); the term at
///                                          first_index() - 1 is the snapshot's (0 with none)
///   cs.entries(lo, hi)     -> span<const entry<P>>  entries lo..k for some lo <= k <= hi (at least
///                                          one), contiguous in memory; pre: first <= lo <= hi <= last.
///                                          Valid until the next write.
///   s.save_hard_state(h)   -> write_id     post: hard_state() == h
///   s.append(es)           -> write_id     pre: es non-empty, contiguous indices, es[0].index in
///                                          first_index()..last_index()+1; removes every entry at or
///                                          after es[0].index, then adds es
///   plus durable_storage.
template <class S, class Payload>
concept raft_log_storage =
    durable_storage<S> &&
    requires(S& s, const S& cs, log_index i, const hard_state& h,
             std::span<const entry<Payload>> es) {
        { cs.hard_state() } -> std::same_as<hard_state>;
        { cs.first_index() } -> std::same_as<log_index>;
        { cs.last_index() } -> std::same_as<log_index>;
        { cs.term_at(i) } -> std::same_as<term_t>;
        { cs.entries(i, i) } -> std::same_as<std::span<const entry<Payload>>>;
        { s.save_hard_state(h) } -> std::same_as<write_id>;
        { s.append(es) } -> std::same_as<write_id>;
    };

/// Optional: Raft storage that keeps a state-machine snapshot and compacts the log behind it
/// (Raft 7). A node whose storage and state machine both support snapshots can compact its log
/// and send InstallSnapshot to followers that need compacted entries.
///   cs.snapshot_index()   -> log_index  the last index the snapshot covers (0 if none)
///   cs.snapshot_term()    -> term_t     its term
///   cs.snapshot_data()    -> span<const std::byte>  the state machine's serialized state
///   s.save_snapshot(i, t, bytes) -> write_id   pre: i > snapshot_index(); stores the snapshot
///                          and, in the same durable write, drops the log up to i (the whole log
///                          if it does not hold index i with term t)
///   s.stage_snapshot_chunk(i, t, offset, bytes) -> std::uint64_t  stages part of an incoming
///                          snapshot (i, t); bytes at a wrong offset, or of another snapshot than
///                          the one staged, restart or are ignored; returns how many bytes of
///                          (i, t) are staged contiguously from offset 0
///   s.save_staged_snapshot() -> write_id   save_snapshot() with the staged snapshot
template <class S>
concept raft_snapshot_storage =
    requires(S& s, const S& cs, log_index i, term_t t, std::uint64_t offset,
             std::span<const std::byte> bytes) {
        { cs.snapshot_index() } -> std::same_as<log_index>;
        { cs.snapshot_term() } -> std::same_as<term_t>;
        { cs.snapshot_data() } -> std::same_as<std::span<const std::byte>>;
        { s.save_snapshot(i, t, bytes) } -> std::same_as<write_id>;
        { s.stage_snapshot_chunk(i, t, offset, bytes) } -> std::same_as<std::uint64_t>;
        { s.save_staged_snapshot() } -> std::same_as<write_id>;
    };

/// Instantiated by the roles that take this policy: fails with a message that says what is
/// missing (the compiler adds a note naming the failed requirement).
template <class S, class Payload>
struct check_raft_log_storage {
    static_assert(raft_log_storage<S, Payload>,
                  "synod: the Raft storage policy does not model raft_log_storage: it needs durable(), "
                  "hard_state(), first_index(), last_index(), term_at(i), entries(lo, hi), "
                  "save_hard_state(h) and append(entries) (core/concepts/storage.hpp; "
                  "storage/memory.hpp models it)");
    /// True once the static_assert above has passed.
    static constexpr bool value = true;
};


// ---- Paxos -----------------------------------------------------------------------------------

/// Durable memory of one single-decree Paxos acceptor (Paxos Made Simple, 2.3: "an acceptor
/// must remember [...] the highest-numbered proposal it has ever accepted and the number of the
/// highest-numbered prepare request to which it has responded").
///   cs.promised()       -> ballot                     highest ballot promised; ballot{} if none
///   cs.accepted()       -> optional<proposal<Value>>  last proposal accepted, if any
///   s.save_promise(b)   -> write_id                   pre: b >= promised(); post: promised() == b
///   s.save_accepted(p)  -> write_id                   pre: p.number >= promised();
///                                                     post: accepted() == p, promised() == p.number
///   plus durable_storage.
template <class S, class Value>
concept acceptor_storage = durable_storage<S> &&
                           requires(S& s, const S& cs, ballot b, const proposal<Value>& p) {
                               { cs.promised() } -> std::same_as<ballot>;
                               { cs.accepted() } -> std::same_as<std::optional<proposal<Value>>>;
                               { s.save_promise(b) } -> std::same_as<write_id>;
                               { s.save_accepted(p) } -> std::same_as<write_id>;
                           };

/// Instantiated by the roles that take this policy: fails with a message that says what is
/// missing (the compiler adds a note naming the failed requirement).
template <class S, class Value>
struct check_acceptor_storage {
    static_assert(acceptor_storage<S, Value>,
                  "synod: the Paxos acceptor storage policy does not model acceptor_storage: it "
                  "needs durable(), promised(), accepted(), save_promise(b) and save_accepted(p) "
                  "(core/concepts/storage.hpp; storage/paxos_memory.hpp models it)");
    /// True once the static_assert above has passed.
    static constexpr bool value = true;
};

/// One slot of a Multi-Paxos acceptor's log: the proposal it accepted there, a "pvalue"
/// (ballot, slot, command) in Paxos Made Moderately Complex. The slot is `value.index`.
/// `number == ballot{}` marks a slot with nothing accepted (a hole).
template <class Payload>
struct pvalue {
    ballot number{};         ///< the ballot it was accepted in; ballot{} for a hole
    entry<Payload> value{};  ///< the entry accepted; its index is the slot
    /// Equal when ballot and entry are.
    friend bool operator==(const pvalue&, const pvalue&) = default;
};

/// Durable memory of one Multi-Paxos acceptor: one promised ballot for every slot from some
/// point on (the leader's single phase 1 covers them all), and a log of accepted pvalues.
///   cs.promised()             -> ballot     highest ballot promised; ballot{} if none
///   cs.first_index()          -> log_index  first slot held (1, or the compacted slot + 1)
///   cs.last_index()           -> log_index  highest slot held (first_index() - 1 when none)
///   cs.entries(lo, hi)        -> span<const pvalue<P>>  exactly the slots lo..hi, contiguous;
///                                           holes have number ballot{}; pre: first <= lo <= hi <=
///                                           last. Valid until the next write.
///   s.save_promise(b)         -> write_id   pre: b >= promised(); post: promised() == b
///   s.save_accepted(b, vs)    -> write_id   pre: vs non-empty, ascending slots >= first_index(),
///                                           b >= promised(); post: each vs[i].value is held at its
///                                           slot with number b, promised() == b
///   plus durable_storage.
template <class S, class Payload>
concept multi_acceptor_storage =
    durable_storage<S> &&
    requires(S& s, const S& cs, ballot b, log_index i, std::span<const pvalue<Payload>> vs) {
        { cs.promised() } -> std::same_as<ballot>;
        { cs.first_index() } -> std::same_as<log_index>;
        { cs.last_index() } -> std::same_as<log_index>;
        { cs.entries(i, i) } -> std::same_as<std::span<const pvalue<Payload>>>;
        { s.save_promise(b) } -> std::same_as<write_id>;
        { s.save_accepted(b, vs) } -> std::same_as<write_id>;
    };

/// Optional: a Multi-Paxos log that holds a bounded range of slots (storage/static.hpp's
/// static_paxos_log, or memory_paxos_log's limit on holes). A replica that has one checks before
/// it writes: a leader refuses a proposal with errc::log_full, an acceptor drops an accept that
/// does not fit (to the leader a lost message, retried), and a candidate does not count a promise
/// reporting slots it could not hold (so it never leads without every slot it must recover).
///   cs.can_accept(first, last) -> bool   whether slots first..last (first_index() <= first <=
///                                        last) can be written now
template <class S>
concept bounded_paxos_log_storage = requires(const S& cs, log_index i) {
    { cs.can_accept(i, i) } -> std::same_as<bool>;
};

/// Instantiated by the roles that take this policy: fails with a message that says what is
/// missing (the compiler adds a note naming the failed requirement).
template <class S, class Payload>
struct check_multi_acceptor_storage {
    static_assert(multi_acceptor_storage<S, Payload>,
                  "synod: the Multi-Paxos storage policy does not model multi_acceptor_storage: it "
                  "needs durable(), promised(), first_index(), last_index(), entries(lo, hi), "
                  "save_promise(b) and save_accepted(b, pvalues) (core/concepts/storage.hpp; "
                  "storage/paxos_memory.hpp models it)");
    /// True once the static_assert above has passed.
    static constexpr bool value = true;
};

/// The snapshot type of a log whose state machine takes no snapshots.
struct no_snapshot {
    /// All no_snapshot values are equal.
    friend bool operator==(const no_snapshot&, const no_snapshot&) = default;
};

/// Storage that also keeps a state-machine snapshot and compacts the log behind it (PMMC's
/// "state reduction"). Optional: a Multi-Paxos replica compacts only when its storage models it
/// and its state machine models snapshotting_state_machine.
///   cs.snapshot_index()       -> log_index         last slot the snapshot covers; 0 if none
///   cs.snapshot()             -> const Snapshot&   the snapshot as last saved
///   s.save_snapshot(i, snap)  -> write_id          post: snapshot_index() == i, first_index() ==
///                                                  i + 1; slots above i are kept
template <class S, class Snapshot>
concept snapshot_storage = requires(S& s, const S& cs, log_index i, const Snapshot& snap) {
    { cs.snapshot_index() } -> std::same_as<log_index>;
    { cs.snapshot() } -> std::convertible_to<const Snapshot&>;
    { s.save_snapshot(i, snap) } -> std::same_as<write_id>;
};

}  // namespace synod

#endif
