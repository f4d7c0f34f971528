#ifndef SYNOD_STORAGE_MEMORY_HPP
#define SYNOD_STORAGE_MEMORY_HPP

/// \file
/// Heap-backed in-memory storage for Raft nodes: writes complete inline (durable at once).
/// For tests, simulations, benchmarks, and nodes whose durability comes from replication alone.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "synod/core/assert.hpp"
#include "synod/core/concepts/storage.hpp"
#include "synod/core/entry.hpp"
#include "synod/core/ids.hpp"

namespace synod::storage {

/// A Raft log and hard state in a std::vector. Models raft_log_storage; every write is durable
/// when it returns. Capacity grows by doubling and is kept, so a warmed-up log appends without
/// allocating (reserve() to start warm).
template <class Payload>
class memory_log {
public:
    using payload_type = Payload;
    using entry_type = entry<Payload>;

    memory_log() = default;
    /// Starts as a restarted node would: with `hs` and `log` (indices from 1, contiguous).
    memory_log(synod::hard_state hs, std::vector<entry_type> log) : hs_{hs}, log_{std::move(log)} {
        for (std::size_t i = 0; i < log_.size(); ++i)
            SYNOD_ASSERT(log_[i].index == log_index{i + 1});
    }

    void reserve(std::size_t entries) { log_.reserve(entries); }

    write_id durable() const noexcept { return last_write_; }
    synod::hard_state hard_state() const noexcept { return hs_; }
    log_index first_index() const noexcept { return base_.next(); }
    log_index last_index() const noexcept { return base_ + log_.size(); }
    term_t term_at(log_index i) const noexcept {
        if (i == base_) return base_term_;
        SYNOD_ASSERT(base_ < i && i <= last_index());
        return log_[i - base_ - 1].term;
    }
    std::span<const entry_type> entries(log_index lo, log_index hi) const noexcept {
        SYNOD_ASSERT(base_ < lo && lo <= hi && hi <= last_index());
        return {log_.data() + (lo - base_ - 1), static_cast<std::size_t>(hi - lo + 1)};
    }
    const entry_type& at(log_index i) const noexcept { return entries(i, i)[0]; }

    write_id save_hard_state(const synod::hard_state& h) {
        hs_ = h;
        return ++last_write_;
    }
    write_id append(std::span<const entry_type> es) {
        SYNOD_ASSERT(!es.empty());
        SYNOD_ASSERT(base_ < es[0].index && es[0].index <= last_index().next());
        const auto keep = static_cast<std::size_t>(es[0].index - base_ - 1);
        if (keep < log_.size()) log_.erase(log_.begin() + static_cast<std::ptrdiff_t>(keep), log_.end());
        log_.insert(log_.end(), es.begin(), es.end());
        return ++last_write_;
    }

    // ---- snapshots (raft_snapshot_storage) ---------------------------------------------------

    log_index snapshot_index() const noexcept { return snapshot_index_; }
    term_t snapshot_term() const noexcept { return snapshot_term_; }
    std::span<const std::byte> snapshot_data() const noexcept { return snapshot_; }

    write_id save_snapshot(log_index i, term_t t, std::span<const std::byte> bytes) {
        SYNOD_ASSERT(snapshot_index_ < i);
        snapshot_.assign(bytes.begin(), bytes.end());
        snapshot_index_ = i;
        snapshot_term_ = t;
        if (base_ < i && i <= last_index() && term_at(i) == t) {
            compact_through(i, t);  // the log goes on after the snapshot
        } else {
            log_.clear();  // the snapshot replaces a log that does not match it
            base_ = i;
            base_term_ = t;
        }
        return ++last_write_;
    }
    std::uint64_t stage_snapshot_chunk(log_index i, term_t t, std::uint64_t offset,
                                       std::span<const std::byte> bytes) {
        if (!(staged_index_ == i && staged_term_ == t)) {
            staged_.clear();
            staged_index_ = i;
            staged_term_ = t;
        }
        if (offset == staged_.size()) staged_.insert(staged_.end(), bytes.begin(), bytes.end());
        return staged_.size();
    }
    log_index staged_snapshot_index() const noexcept { return staged_index_; }
    term_t staged_snapshot_term() const noexcept { return staged_term_; }
    std::span<const std::byte> staged_snapshot_data() const noexcept { return staged_; }
    void clear_staged_snapshot() noexcept {
        staged_.clear();
        staged_index_ = log_index{};
    }
    write_id save_staged_snapshot() {
        const write_id w = save_snapshot(staged_index_, staged_term_, staged_);
        staged_.clear();
        staged_index_ = log_index{};
        return w;
    }

    /// Drops entries up to and including `i` (they live on in a snapshot taken by the caller).
    void compact_through(log_index i, term_t t) {
        SYNOD_ASSERT(base_ <= i && i <= last_index());
        log_.erase(log_.begin(), log_.begin() + static_cast<std::ptrdiff_t>(i - base_));
        base_ = i;
        base_term_ = t;
    }

    /// Every entry held, for inspection in tests and checkers.
    std::span<const entry_type> all() const noexcept { return log_; }

private:
    synod::hard_state hs_{};
    std::vector<entry_type> log_;
    log_index base_{0};
    term_t base_term_{0};
    write_id last_write_{0};
    std::vector<std::byte> snapshot_;
    log_index snapshot_index_{0};
    term_t snapshot_term_{0};
    std::vector<std::byte> staged_;
    log_index staged_index_{0};
    term_t staged_term_{0};
};

}  // namespace synod::storage

#endif
