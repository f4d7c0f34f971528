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
        pending_.push_back(op{next_id(), true, h, {}});
        return issued_;
    }
    write_id append(std::span<const entry_type> es) {
        current_.append(es);
        pending_.push_back(op{next_id(), false, {}, std::vector<entry_type>(es.begin(), es.end())});
        return issued_;
    }

    /// The id of the last write issued (durable or not).
    write_id issued() const noexcept { return issued_; }
    /// What a restart would read back: the state after every durable write.
    const memory_log<Payload>& durable_state() const noexcept { return durable_; }
    /// Makes every write up to `w` durable.
    void complete_through(write_id w) {
        while (!pending_.empty() && pending_.front().id <= w) {
            op& o = pending_.front();
            if (o.hard) {
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
        if (!pending_.empty() && !pending_.front().hard && entries > 0) {
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
        write_id id;
        bool hard;
        synod::hard_state hs;
        std::vector<entry_type> entries;
    };
    memory_log<Payload> current_;
    memory_log<Payload> durable_;
    std::deque<op> pending_;
    write_id issued_{0};
    write_id durable_id_{0};
};

}  // namespace synod::storage

#endif
