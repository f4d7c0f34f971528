#ifndef SYNOD_BENCHMARKS_CLUSTER_FIFO_NETWORK_HPP
#define SYNOD_BENCHMARKS_CLUSTER_FIFO_NETWORK_HPP

// A lean in-process network for W1: one FIFO of envelopes, and the entries that messages borrow
// copied into one shared arena (the copy any queueing transport must make: the sender's log may
// change before delivery). Delivery calls the harness's `deliver(to, message)` directly (no type
// erasure, no filters, no per-node timers). The queue
// and the arena are emptied whenever the FIFO drains and keep their capacity, so steady state
// allocates nothing.
//
// The generic runtime::sync::network does the same job with failure injection, per-node
// deadlines and any mix of node types; synod-bench-w1 --transport sync runs on it for comparison.

#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "synod/core/assert.hpp"
#include "synod/core/concepts/message.hpp"
#include "synod/core/ids.hpp"

namespace synod::bench {

template <class Message>
class fifo_network {
    using entry_type = std::remove_const_t<
        typename decltype(borrowed_entries(std::declval<const Message&>()))::element_type>;

public:
    /// The transport policy of a node.
    class transport {
    public:
        explicit transport(fifo_network& net) noexcept : net_{&net} {}
        void send(node_id to, const Message& m) { net_->enqueue(to, m); }

    private:
        fifo_network* net_;
    };

    transport transport_for(node_id) noexcept { return transport{*this}; }

    /// Calls `deliver(to, message)` for each message until the FIFO is empty; returns the number
    /// of messages delivered.
    template <class Deliver>
    std::size_t deliver_all(Deliver&& deliver) {
        std::size_t n = 0;
        while (head_ < queue_.size()) {
            // Copy the envelope out: the handler may send, and so grow the queue. (A copy on the
            // stack is also faster to read than the queue slot: the handler's sends cannot
            // alias it.)
            envelope e = queue_[head_++];
            if (e.count > 0) {
                rebind_entries(e.message,
                               std::span<const entry_type>{arena_.data() + e.first, e.count});
            }
            deliver(e.to, std::as_const(e.message));
            if (retired_.capacity() != 0) {
                std::vector<entry_type>{}.swap(retired_);  // outgrown during that delivery
            }
            ++n;
        }
        queue_.clear();
        arena_.clear();
        head_ = 0;
        return n;
    }

private:
    struct envelope {
        node_id to;
        Message message;
        std::size_t first = 0;  ///< the borrowed entries' position in the arena
        std::size_t count = 0;
    };

    void enqueue(node_id to, const Message& m) {
        const std::span<const entry_type> es = borrowed_entries(m);
        queue_.push_back(envelope{to, m, arena_.size(), es.size()});
        if (es.empty()) return;
        if (arena_.capacity() < arena_.size() + es.size()) {
            // Grow by hand and keep the old buffer until the current delivery returns: the
            // message being handled may borrow from it.
            std::vector<entry_type> bigger;
            bigger.reserve(2 * (arena_.size() + es.size()));
            bigger.assign(arena_.begin(), arena_.end());
            arena_.swap(bigger);
            retired_ = std::move(bigger);
        }
        arena_.insert(arena_.end(), es.begin(), es.end());
    }

    std::vector<envelope> queue_;
    std::size_t head_ = 0;
    std::vector<entry_type> arena_;
    std::vector<entry_type> retired_;
};

}  // namespace synod::bench

#endif
