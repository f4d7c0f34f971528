#ifndef SYNOD_RAFT_PROGRESS_HPP
#define SYNOD_RAFT_PROGRESS_HPP

/// \file
/// The leader's view of one follower: how much of the log it holds and how to send it more
/// (flow control as in etcd-io/raft's Progress: probe, then pipelined replication).

#include <cstddef>
#include <algorithm>
#include <cstdint>

#include "synod/core/assert.hpp"
#include "synod/core/ids.hpp"

namespace synod::raft {

/// A bounded window of AppendEntries in flight to one follower: each message's last index and
/// payload bytes, freed as acknowledgements arrive.
template <std::size_t Capacity>
class inflight_window {
public:
    /// Records a message sent, ending at `last` and carrying `bytes` of payload (pre: room).
    void add(log_index last, std::size_t bytes) noexcept {
        SYNOD_ASSERT(count_ < Capacity);
        items_[(start_ + count_) % Capacity] = {last, bytes};
        ++count_;
        bytes_ += bytes;
    }
    /// Frees every message whose last index is <= `index`.
    void free_through(log_index index) noexcept {
        while (count_ > 0 && items_[start_].last <= index) {
            bytes_ -= items_[start_].bytes;
            start_ = (start_ + 1) % Capacity;
            --count_;
        }
    }
    /// Forgets every message in flight (they will be sent again).
    void clear() noexcept {
        start_ = count_ = 0;
        bytes_ = 0;
    }
    /// True when no more may be sent: `count_max` messages, the capacity, or `bytes_max` bytes
    /// (0: no byte limit) are in flight.
    bool full(std::size_t count_max, std::size_t bytes_max) const noexcept {
        return count_ >= count_max || count_ >= Capacity || (bytes_max != 0 && bytes_ >= bytes_max);
    }
    /// Messages in flight.
    std::size_t count() const noexcept { return count_; }
    /// Payload bytes in flight.
    std::size_t bytes() const noexcept { return bytes_; }

private:
    struct item {
        log_index last;
        std::size_t bytes = 0;
    };
    item items_[Capacity]{};
    std::size_t start_ = 0;
    std::size_t count_ = 0;
    std::size_t bytes_ = 0;
};

/// How the leader sends to a follower.
enum class progress_state : std::uint8_t {
    probe,      ///< the match point is unknown: one AppendEntries per heartbeat until one succeeds
    replicate,  ///< the follower is in sync: AppendEntries pipelined up to the window
    snapshot,   ///< the follower needs compacted entries: the snapshot is being streamed
};

/// A snapshot being streamed to one follower: which one, and how far it was sent and received.
struct snapshot_stream {
    log_index index{};           ///< the snapshot's last index
    std::uint64_t sent = 0;      ///< bytes sent so far
    std::uint64_t received = 0;  ///< bytes the follower said it holds
    bool progress = false;       ///< the follower acknowledged something since the last heartbeat
};

/// The leader's knowledge of one follower (Raft Figure 2's nextIndex and matchIndex, plus flow
/// control state).
template <std::size_t InflightCapacity>
struct progress {
    node_id id;          ///< the follower
    log_index match{0};  ///< highest index known to be replicated (durably) on the follower
    log_index next{1};   ///< next index to send
    /// Probe, replicate or snapshot: how the leader sends to it.
    progress_state state = progress_state::probe;
    log_index commit_sent{0};  ///< the commit index the follower can have learned from us
    bool probe_sent = false;  ///< probe: a message is out, wait for its answer or a heartbeat
    bool active = false;      ///< heard from since the last check-quorum round
    std::uint32_t removed_heartbeats = 0;  ///< heartbeats since a committed change removed it
    /// AppendEntries sent and not yet acknowledged (replicate state).
    inflight_window<InflightCapacity> inflight;
    snapshot_stream stream;  ///< meaningful in the snapshot state only

    /// A success acknowledging `index`. Returns true if it told the leader something new.
    bool on_success(log_index index) noexcept {
        bool updated = false;
        if (match < index) {
            match = index;
            updated = true;
        }
        if (next <= index) next = index.next();
        inflight.free_through(index);
        return updated;
    }

    /// A rejection of the AppendEntries whose prev_index was `rejected`, with the follower's
    /// hint. Returns false for a stale rejection (one that says nothing about the current
    /// state), which the caller ignores. Never moves `next` to or below `match`.
    bool on_reject(log_index rejected, log_index resume_after) noexcept {
        if (state == progress_state::replicate) {
            // Only an answer to something sent after the match point is news.
            if (rejected <= match) return false;
            become_probe();
        } else if (next.prev() != rejected) {
            return false;  // probe: only the answer to the last probe sent counts
        }
        next = std::max(match.next(), std::min(rejected, resume_after.next()));
        probe_sent = false;
        return true;
    }

    /// Back to probing from the match point: the follower's log is in doubt.
    void become_probe() noexcept {
        state = progress_state::probe;
        probe_sent = false;
        next = match.next();
        inflight.clear();
    }
    /// Pipelined replication from the match point: the follower's log matches up to it.
    void become_replicate() noexcept {
        state = progress_state::replicate;
        probe_sent = false;
        next = match.next();
        inflight.clear();
    }
};

}  // namespace synod::raft

#endif
