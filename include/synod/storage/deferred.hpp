#ifndef SYNOD_STORAGE_DEFERRED_HPP
#define SYNOD_STORAGE_DEFERRED_HPP

/// \file
/// Raft storage whose writes complete later, under the caller's control: a model of an fsync
/// that has not returned yet. Tests and the simulator use it to prove that nothing is
/// acknowledged before it is durable, and to crash a node with its unsynced writes lost.

#include <algorithm>
#include <cstddef>
#include <deque>
#include <span>
#include <vector>

#include "synod/core/concepts/storage.hpp"
#include "synod/storage/memory.hpp"

namespace synod::storage {

/// Reads see every write; `durable()` advances only through complete_through(). crash()
/// forgets every write that was not yet durable, as a power loss would.
template <class Payload>
class deferred_log {
public:
    using payload_type = Payload;
    using entry_type = entry<Payload>;

    write_id durable() const noexcept { return durable_id_; }
    synod::hard_state hard_state() const noexcept { return current_.hard_state(); }
    log_index first_index() const noexcept { return current_.first_index(); }
    log_index last_index() const noexcept { return current_.last_index(); }
    term_t term_at(log_index i) const noexcept { return current_.term_at(i); }
    std::span<const entry_type> entries(log_index lo, log_index hi) const noexcept {
        return current_.entries(lo, hi);
    }
    const entry_type& at(log_index i) const noexcept { return current_.at(i); }
    std::span<const entry_type> all() const noexcept { return current_.all(); }

    write_id save_hard_state(const synod::hard_state& h) {
        current_.save_hard_state(h);
        op o{};
        o.id = next_id();
        o.hard = true;
        o.hs = h;
        pending_.push_back(std::move(o));
        return issued_;
    }
    write_id append(std::span<const entry_type> es) {
        current_.append(es);
        op o{};
        o.id = next_id();
        o.entries.assign(es.begin(), es.end());
        pending_.push_back(std::move(o));
        return issued_;
    }

    log_index snapshot_index() const noexcept { return current_.snapshot_index(); }
    term_t snapshot_term() const noexcept { return current_.snapshot_term(); }
    std::span<const std::byte> snapshot_data() const noexcept { return current_.snapshot_data(); }
    write_id save_snapshot(log_index i, term_t t, std::span<const std::byte> bytes) {
        current_.save_snapshot(i, t, bytes);
        op o{};
        o.id = next_id();
        o.snapshot = true;
        o.index = i;
        o.term = t;
        o.data.assign(bytes.begin(), bytes.end());
        pending_.push_back(std::move(o));
        return issued_;
    }
    std::uint64_t stage_snapshot_chunk(log_index i, term_t t, std::uint64_t offset,
                                       std::span<const std::byte> bytes) {
        // Staging is not durable state: it lives outside the durable image and a crash loses it.
        return current_.stage_snapshot_chunk(i, t, offset, bytes);
    }
    write_id save_staged_snapshot() {
        const log_index i = current_.staged_snapshot_index();
        const term_t t = current_.staged_snapshot_term();
        std::vector<std::byte> bytes(current_.staged_snapshot_data().begin(),
                                     current_.staged_snapshot_data().end());
        current_.clear_staged_snapshot();
        return save_snapshot(i, t, bytes);
    }

    /// The id of the last write issued (durable or not).
    write_id issued() const noexcept { return issued_; }
    /// What a restart would read back: the state after every durable write.
    const memory_log<Payload>& durable_state() const noexcept { return durable_; }
    /// Makes every write up to `w` durable.
    void complete_through(write_id w) {
        while (!pending_.empty() && pending_.front().id <= w) {
            op& o = pending_.front();
            if (o.snapshot) {
                durable_.save_snapshot(o.index, o.term, o.data);
            } else if (o.hard) {
                durable_.save_hard_state(o.hs);
            } else {
                durable_.append(o.entries);
            }
            durable_id_ = o.id;
            pending_.pop_front();
        }
    }
    void complete_all() { complete_through(issued_); }
    /// A torn write: the first `entries` entries of the oldest pending append reach the disk
    /// (as a partly written log tail would), then the node crashes. Anything after is lost.
    void crash_torn(std::size_t entries) {
        if (!pending_.empty() && !pending_.front().hard && !pending_.front().snapshot &&
            entries > 0) {
            op& o = pending_.front();
            const std::size_t keep = std::min(entries, o.entries.size());
            durable_.append(std::span<const entry_type>{o.entries.data(), keep});
        }
        crash();
    }
    /// Loses every write that is not durable: reads return the durable state again.
    void crash() {
        pending_.clear();
        current_ = durable_;
        issued_ = durable_id_;
    }

private:
    write_id next_id() noexcept { return ++issued_; }
    struct op {
        write_id id{};
        bool hard = false;
        synod::hard_state hs{};
        std::vector<entry_type> entries;
        bool snapshot = false;
        log_index index{};
        term_t term{};
        std::vector<std::byte> data;
    };
    memory_log<Payload> current_;
    memory_log<Payload> durable_;
    std::deque<op> pending_;
    write_id issued_{0};
    write_id durable_id_{0};
};

}  // namespace synod::storage

#endif
