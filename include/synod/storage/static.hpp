#ifndef SYNOD_STORAGE_STATIC_HPP
#define SYNOD_STORAGE_STATIC_HPP

/// \file
/// Fixed-capacity log storage for Raft (static_log) and Multi-Paxos (static_paxos_log).
///
/// Raft: the entries live in a ring inside the object, so a node
/// built on it never touches the heap, whatever it appends (DESIGN 2: "fixed-capacity static
/// arrays"). Writes complete inline (durable at once), as with memory_log.
///
/// The contract on capacity:
///  - `capacity()` entries fit at once; `room()` says how many more fit now, `full()` whether
///    none does, and `can_append(first, n)` whether `n` entries written from index `first`
///    (truncating what follows) would fit.
///  - A Raft node checks `can_append` itself (core/concepts/storage.hpp, bounded_log_storage): a
///    leader refuses a proposal that does not fit with errc::log_full, and a follower drops an
///    AppendEntries that does not fit (to the leader it is a lost message, retried later).
///  - Appending past the capacity anyway is a programmer error: SYNOD_ASSERT fails.
///  - The owner makes room with `compact_through(i, term)` once entries up to `i` are applied
///    and captured in a snapshot (or are simply no longer needed).
/// A new leader appends one no-op entry (Raft 5.4.2); keep at least one slot free across
/// elections, e.g. by compacting well before the log is full.
///
/// The object holds every entry in place, so it is large: sizeof(entry<P>) * Capacity bytes.
/// Put it where it can stay (a global, a static, or one heap allocation made before the node
/// starts) and hand the node a `log_ref` to it: a node owns its storage by value, and moving a
/// log of this size would copy it.

#include <algorithm>
#include <cstddef>
#include <memory>
#include <span>

#include "synod/core/assert.hpp"
#include "synod/core/ballot.hpp"
#include "synod/core/concepts/storage.hpp"
#include "synod/core/entry.hpp"
#include "synod/core/ids.hpp"

namespace synod::storage {

/// A Raft log of at most `Capacity` entries in a ring inside the object, and the hard state.
/// Models raft_log_storage and bounded_log_storage; every write is durable when it returns.
/// `entries(lo, hi)` returns the contiguous run from `lo`, which stops early where the ring wraps
/// (the concept allows it; callers loop).
template <class Payload, std::size_t Capacity>
class static_log {
    static_assert(Capacity >= 1, "storage::static_log: Capacity must be at least 1");

public:
    using payload_type = Payload;
    using entry_type = entry<Payload>;

    static_log() = default;

    static constexpr std::size_t capacity() noexcept { return Capacity; }
    /// Entries held now.
    std::size_t size() const noexcept { return size_; }
    /// Entries that can still be appended after the last one.
    std::size_t room() const noexcept { return Capacity - size_; }
    bool full() const noexcept { return size_ == Capacity; }
    /// Whether append() of `n` entries starting at index `first` (first_index() <= first <=
    /// last_index() + 1) would fit.
    bool can_append(log_index first, std::size_t n) const noexcept {
        if (first <= base_) return false;
        const auto kept = static_cast<std::size_t>(first - base_ - 1);
        return kept <= size_ && n <= Capacity - kept;
    }

    write_id durable() const noexcept { return last_write_; }
    synod::hard_state hard_state() const noexcept { return hs_; }
    log_index first_index() const noexcept { return base_.next(); }
    log_index last_index() const noexcept { return base_ + size_; }
    term_t term_at(log_index i) const noexcept {
        if (i == base_) return base_term_;
        SYNOD_ASSERT(base_ < i);
        SYNOD_ASSERT(i <= last_index());
        return ring_[slot_of(i)].term;
    }
    std::span<const entry_type> entries(log_index lo, log_index hi) const noexcept {
        SYNOD_ASSERT(base_ < lo);
        SYNOD_ASSERT(lo <= hi);
        SYNOD_ASSERT(hi <= last_index());
        const std::size_t at = slot_of(lo);
        const auto wanted = static_cast<std::size_t>(hi - lo + 1);
        const std::size_t until_wrap = Capacity - at;
        return {ring_ + at, wanted < until_wrap ? wanted : until_wrap};
    }
    const entry_type& at(log_index i) const noexcept {
        SYNOD_ASSERT(base_ < i);
        SYNOD_ASSERT(i <= last_index());
        return ring_[slot_of(i)];
    }

    write_id save_hard_state(const synod::hard_state& h) noexcept {
        hs_ = h;
        return ++last_write_;
    }
    write_id append(std::span<const entry_type> es) {
        SYNOD_ASSERT(!es.empty());
        SYNOD_ASSERT(base_ < es[0].index);
        SYNOD_ASSERT(es[0].index <= last_index().next());
        // Overflow is a programmer error: the node checks can_append() (see the file comment).
        SYNOD_ASSERT(can_append(es[0].index, es.size()));
        size_ = static_cast<std::size_t>(es[0].index - base_ - 1);  // truncate a conflicting tail
        // Two contiguous runs at most (the ring may wrap): std::copy turns each into one
        // memmove for trivially copyable entries, whose wide stores write fresh memory much
        // faster than an entry-by-entry copy (W1 B=64: -17%).
        const std::size_t at = slot_of_position(size_);
        const std::size_t until_wrap = Capacity - at;
        const std::size_t n1 = es.size() < until_wrap ? es.size() : until_wrap;
        if (es.size() == 1) {
            ring_[at] = es[0];  // inline: no call for the common single entry
        } else {
            std::copy(es.begin(), es.begin() + static_cast<std::ptrdiff_t>(n1), ring_ + at);
            std::copy(es.begin() + static_cast<std::ptrdiff_t>(n1), es.end(), ring_);
        }
        size_ += es.size();
        return ++last_write_;
    }

    /// Drops entries up to and including `i`, whose term is `t` (they live on in a snapshot
    /// taken by the caller), freeing their slots.
    void compact_through(log_index i, term_t t) noexcept {
        SYNOD_ASSERT(base_ <= i);
        SYNOD_ASSERT(i <= last_index());
        const auto dropped = static_cast<std::size_t>(i - base_);
        head_ = slot_of_position(dropped);
        size_ -= dropped;
        base_ = i;
        base_term_ = t;
    }

private:
    /// The ring slot of the entry at 0-based position `k` after base_ (k <= Capacity).
    std::size_t slot_of_position(std::size_t k) const noexcept {
        const std::size_t s = head_ + k;
        return s >= Capacity ? s - Capacity : s;
    }
    std::size_t slot_of(log_index i) const noexcept {
        return slot_of_position(static_cast<std::size_t>(i - base_ - 1));
    }

    entry_type ring_[Capacity]{};
    synod::hard_state hs_{};
    log_index base_{0};   ///< the index just before the first entry held
    term_t base_term_{0};  ///< the term at base_ (0 with no snapshot)
    std::size_t head_ = 0;  ///< the ring slot of the first entry held
    std::size_t size_ = 0;  ///< entries held
    write_id last_write_{0};
};

/// A storage policy that forwards every call to a log that lives elsewhere: how a node uses a
/// static_log too large to move (in a global, a static, or allocated once before the node
/// starts). The log must outlive the node. Models whatever storage concepts `Log` models.
template <class Log>
class log_ref {
public:
    using payload_type = typename Log::payload_type;
    using entry_type = typename Log::entry_type;

    explicit log_ref(Log& log) noexcept : log_{std::addressof(log)} {}

    Log& get() const noexcept { return *log_; }
    static constexpr std::size_t capacity() noexcept
        requires requires { Log::capacity(); }
    {
        return Log::capacity();
    }

    write_id durable() const noexcept { return log_->durable(); }
    synod::hard_state hard_state() const noexcept { return log_->hard_state(); }
    log_index first_index() const noexcept { return log_->first_index(); }
    log_index last_index() const noexcept { return log_->last_index(); }
    term_t term_at(log_index i) const noexcept { return log_->term_at(i); }
    std::span<const entry_type> entries(log_index lo, log_index hi) const noexcept {
        return log_->entries(lo, hi);
    }
    const entry_type& at(log_index i) const noexcept { return log_->at(i); }
    write_id save_hard_state(const synod::hard_state& h) { return log_->save_hard_state(h); }
    write_id append(std::span<const entry_type> es) { return log_->append(es); }
    void compact_through(log_index i, term_t t) { log_->compact_through(i, t); }

    std::size_t size() const noexcept
        requires requires(const Log& l) { l.size(); }
    {
        return log_->size();
    }
    std::size_t room() const noexcept
        requires requires(const Log& l) { l.room(); }
    {
        return log_->room();
    }
    bool full() const noexcept
        requires requires(const Log& l) { l.full(); }
    {
        return log_->full();
    }
    bool can_append(log_index first, std::size_t n) const noexcept
        requires requires(const Log& l) { l.can_append(first, n); }
    {
        return log_->can_append(first, n);
    }

private:
    Log* log_;
};

/// A Multi-Paxos acceptor's promised ballot and log of at most `Capacity` slots, in an array
/// inside the object, with a snapshot in front: no heap, whatever peers send. Models
/// multi_acceptor_storage, snapshot_storage and bounded_paxos_log_storage; every write is durable
/// when it returns.
///
/// The contract on capacity:
///  - slots first_index() .. snapshot_index() + Capacity can be written; `can_accept(first,
///    last)` says whether a write fits, `room()` how many slots are free after the last one;
///  - a Multi-Paxos replica checks can_accept itself: a leader refuses a proposal with
///    errc::log_full, an acceptor drops an accept that does not fit (the leader sends it again);
///  - writing past the capacity anyway is a programmer error: SYNOD_ASSERT fails;
///  - the owner makes room with the replica's compact(), which folds applied slots into a
///    snapshot of the state machine (save_snapshot here). A new leader re-proposes every slot it
///    does not know chosen: compact well before the log is full.
/// Compaction shifts the slots kept to the front (entries() must be contiguous): O(Capacity).
template <class Payload, std::size_t Capacity, class Snapshot = no_snapshot>
class static_paxos_log {
    static_assert(Capacity >= 1, "storage::static_paxos_log: Capacity must be at least 1");

public:
    using payload_type = Payload;
    using pvalue_type = pvalue<Payload>;
    using snapshot_type = Snapshot;

    static_paxos_log() = default;

    static constexpr std::size_t capacity() noexcept { return Capacity; }
    /// Slots held now (holes included).
    std::size_t size() const noexcept { return size_; }
    /// Slots that can still be written after the last one held.
    std::size_t room() const noexcept { return Capacity - size_; }
    bool can_accept(log_index first, log_index last) const noexcept {
        return base_ < first && first <= last && last - base_ <= Capacity;
    }

    write_id durable() const noexcept { return last_write_; }
    ballot promised() const noexcept { return promised_; }
    log_index first_index() const noexcept { return base_.next(); }
    log_index last_index() const noexcept { return base_ + size_; }
    std::span<const pvalue_type> entries(log_index lo, log_index hi) const noexcept {
        SYNOD_ASSERT(base_ < lo);
        SYNOD_ASSERT(lo <= hi);
        SYNOD_ASSERT(hi <= last_index());
        return {slots_ + (lo - base_ - 1), static_cast<std::size_t>(hi - lo + 1)};
    }
    const pvalue_type& at(log_index i) const noexcept { return entries(i, i)[0]; }
    std::span<const pvalue_type> all() const noexcept { return {slots_, size_}; }

    write_id save_promise(ballot b) noexcept {
        SYNOD_ASSERT(promised_ <= b);
        promised_ = b;
        return ++last_write_;
    }
    write_id save_accepted(ballot b, std::span<const pvalue_type> vs) {
        SYNOD_ASSERT(!vs.empty());
        SYNOD_ASSERT(promised_ <= b);
        promised_ = b;
        for (const pvalue_type& v : vs) {
            const log_index slot = v.value.index;
            // Overflow is a programmer error: the replica checks can_accept() (see above).
            SYNOD_ASSERT(can_accept(slot, slot));
            const auto at = static_cast<std::size_t>(slot - base_ - 1);
            while (size_ < at) {  // a hole: nothing accepted there yet
                slots_[size_] = pvalue_type{};
                slots_[size_].value.index = base_ + (size_ + 1);
                ++size_;
            }
            slots_[at].number = b;
            slots_[at].value = v.value;
            if (size_ == at) ++size_;
        }
        return ++last_write_;
    }

    log_index snapshot_index() const noexcept { return base_; }
    const Snapshot& snapshot() const noexcept { return snapshot_; }
    write_id save_snapshot(log_index i, const Snapshot& snap) {
        snapshot_ = snap;
        if (i <= base_) return ++last_write_;
        const auto drop = static_cast<std::size_t>(i - base_);
        if (drop >= size_) {
            size_ = 0;
        } else {
            for (std::size_t k = drop; k < size_; ++k) slots_[k - drop] = slots_[k];
            size_ -= drop;
        }
        base_ = i;
        return ++last_write_;
    }

private:
    pvalue_type slots_[Capacity]{};
    ballot promised_{};
    log_index base_{0};
    std::size_t size_ = 0;
    Snapshot snapshot_{};
    write_id last_write_{0};
};

static_assert(raft_log_storage<static_log<int, 4>, int>);
static_assert(bounded_log_storage<static_log<int, 4>>);
static_assert(raft_log_storage<log_ref<static_log<int, 4>>, int>);
static_assert(bounded_log_storage<log_ref<static_log<int, 4>>>);
static_assert(multi_acceptor_storage<static_paxos_log<int, 4>, int>);
static_assert(snapshot_storage<static_paxos_log<int, 4>, no_snapshot>);
static_assert(bounded_paxos_log_storage<static_paxos_log<int, 4>>);

}  // namespace synod::storage

#endif
