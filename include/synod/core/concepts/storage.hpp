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
#include <span>

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
    term_t term{};
    node_id vote{};
    log_index commit{};
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

/// Instantiated by the roles that take this policy: fails with a message that says what is
/// missing (the compiler adds a note naming the failed requirement).
template <class S, class Payload>
struct check_raft_log_storage {
    static_assert(raft_log_storage<S, Payload>,
                  "synod: the Raft storage policy does not model raft_log_storage: it needs durable(), "
                  "hard_state(), first_index(), last_index(), term_at(i), entries(lo, hi), "
                  "save_hard_state(h) and append(entries) (core/concepts/storage.hpp; "
                  "storage/memory.hpp models it)");
    static constexpr bool value = true;
};

}  // namespace synod

#endif
