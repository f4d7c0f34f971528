#ifndef SYNOD_RUNTIME_SYNC_STATIC_NETWORK_HPP
#define SYNOD_RUNTIME_SYNC_STATIC_NETWORK_HPP

/// \file
/// The sync runtime with its queue sized at compile time: the same single-threaded cluster
/// harness as runtime/sync/network.hpp (one FIFO queue, one manual clock, delivery one message at
/// a time or until quiescence, cut links and isolated nodes), with no heap at all, for a
/// microcontroller or a test that forbids allocation.
///
/// The contract on capacity:
///  - at most `Capacity` messages wait in the queue, each carrying at most `EntriesMax` borrowed
///    entries (Raft's AppendEntries, Multi-Paxos accepts and promises: keep the protocols'
///    batch limits at or below it), between at most `NodesMax` nodes;
///  - a message that does not fit (queue full, too many entries) is not queued: it is counted in
///    overflowed() and, like a message the network lost, left to the protocols to retry. A
///    program that wants none checks overflowed() == 0 (the embedded example does);
///  - attaching more than `NodesMax` nodes is a programmer error: SYNOD_ASSERT fails.
/// Filters: cut(), cut_one_way(), isolate() and recover() as in network; not drop_if() or
/// drain(), which need the heap.

#include <algorithm>
#include <cstddef>
#include <span>
#include <type_traits>
#include <utility>

#include "synod/config.hpp"
#include "synod/core/assert.hpp"
#include "synod/core/concepts/message.hpp"
#include "synod/core/concepts/storage.hpp"
#include "synod/core/concepts/timer.hpp"
#include "synod/core/ids.hpp"
#include "synod/core/static_vector.hpp"
#include "synod/runtime/sync/network.hpp"

namespace synod::runtime::sync {

namespace detail {
template <class M, std::size_t N, bool Borrowing = borrowing_message<M>>
struct static_entry_copy {
    struct type {
        static constexpr std::size_t capacity() noexcept { return 0; }
    };
};
template <class M, std::size_t N>
struct static_entry_copy<M, N, true> {
    using type = static_vector<std::remove_const_t<typename decltype(borrowed_entries(
                                   std::declval<const M&>()))::element_type>,
                               N>;
};
}  // namespace detail

/// A cluster of up to `NodesMax` nodes exchanging `Message` values in one thread, through a
/// queue of `Capacity` messages (a power of two) of at most `EntriesMax` borrowed entries each.
template <class Message, std::size_t Capacity, std::size_t EntriesMax = 8,
          std::size_t NodesMax = max_nodes>
class static_network {
    static_assert(Capacity >= 2 && (Capacity & (Capacity - 1)) == 0,
                  "runtime::sync::static_network: Capacity must be a power of two");
    static_assert(NodesMax >= 1);

public:
    using message_type = Message;

    /// The transport policy of a node attached to this network.
    class transport {
    public:
        transport(static_network& net, node_id self) noexcept : net_{&net}, self_{self} {}
        void send(node_id to, const Message& m) { net_->enqueue(self_, to, m); }

    private:
        static_network* net_;
        node_id self_;
    };

    /// The timer policy of a node attached to this network: the shared manual clock.
    class timer {
    public:
        timer(static_network& net, node_id self) noexcept : net_{&net}, self_{self} {}
        time_point now() const noexcept { return net_->now_; }
        void arm(time_point deadline) { net_->endpoint_of(self_).deadline = deadline; }

    private:
        static_network* net_;
        node_id self_;
    };

    static_network() = default;
    static_network(const static_network&) = delete;
    static_network& operator=(const static_network&) = delete;

    static constexpr std::size_t capacity() noexcept { return Capacity; }
    static constexpr std::size_t entries_max() noexcept { return EntriesMax; }

    transport transport_for(node_id n) noexcept { return transport{*this, n}; }
    timer timer_for(node_id n) noexcept { return timer{*this, n}; }

    /// Routes messages for `n` to `node.on(message)` and its deadline to `node.on(timeout{})`.
    /// Attaching again (a restarted node) replaces the previous node.
    template <class Node>
    void attach(node_id n, Node& node) {
        endpoint& e = endpoint_of(n);
        e.node = &node;
        e.deliver = [](void* p, const Message& m) { static_cast<Node*>(p)->on(m); };
        e.fire = [](void* p) { static_cast<Node*>(p)->on(timeout{}); };
        e.durable = [](void* p) { static_cast<Node*>(p)->on(writes_durable{}); };
    }
    /// Takes `n` off the network (a crash): messages to it are dropped, its timer never fires.
    void detach(node_id n) {
        endpoint& e = endpoint_of(n);
        e.node = nullptr;
        e.deadline = time_never;
    }
    bool attached(node_id n) const noexcept {
        const endpoint* e = find(n);
        return e != nullptr && e->node != nullptr;
    }
    /// Tells node `n` that its storage made more writes durable.
    void report_durable(node_id n) {
        endpoint& e = endpoint_of(n);
        if (e.node) e.durable(e.node);
    }

    // ---- time -------------------------------------------------------------------------------

    time_point now() const noexcept { return now_; }
    /// Moves the clock forward by `t` ticks, firing each deadline reached in time order (ties
    /// in node-id order). Messages stay queued.
    void advance(ticks t) {
        const time_point target = now_ + t;
        for (;;) {
            endpoint* next = nullptr;
            for (endpoint& e : endpoints_)
                if (e.node && e.deadline <= target && (!next || e.deadline < next->deadline))
                    next = &e;
            if (!next) break;
            now_ = std::max(now_, next->deadline);
            next->deadline = time_never;
            next->fire(next->node);
        }
        now_ = target;
    }
    /// Advances one tick at a time for `t` ticks, delivering every message after each tick.
    void run_for(ticks t) {
        for (ticks i = 0; i < t; ++i) {
            advance(1);
            deliver_all();
        }
    }
    time_point deadline_of(node_id n) const noexcept {
        const endpoint* e = find(n);
        return e ? e->deadline : time_never;
    }

    // ---- messages ---------------------------------------------------------------------------

    std::size_t pending() const noexcept { return count_; }
    const envelope<Message>& peek(std::size_t i = 0) const noexcept {
        SYNOD_ASSERT(i < count_);
        return slots_[wrap(head_ + i)].env;
    }
    /// Delivers the next message, if any; false when the queue is empty.
    bool deliver_one() {
        if (count_ == 0) return false;
        // Copied out of the ring first, so the handler may send (and reuse the slot).
        current_ = slots_[head_];
        rebind(current_);
        head_ = wrap(head_ + 1);
        --count_;
        ++delivered_;
        endpoint* e = find(current_.env.to);
        if (e && e->node) e->deliver(e->node, current_.env.message);
        return true;
    }
    /// Delivers until the queue is empty or `limit` messages were delivered; returns the count.
    std::size_t deliver_all(std::size_t limit = 10'000'000) {
        std::size_t n = 0;
        while (n < limit && deliver_one()) ++n;
        return n;
    }
    /// Drops every queued message.
    void clear() noexcept {
        head_ = 0;
        count_ = 0;
    }
    std::size_t delivered() const noexcept { return delivered_; }
    /// Messages dropped by a filter (cut, isolate) or sent to a detached node's queue position.
    std::size_t dropped() const noexcept { return dropped_; }
    /// Messages that did not fit: queue full, or more borrowed entries than EntriesMax.
    std::size_t overflowed() const noexcept { return overflowed_; }

    // ---- filters ----------------------------------------------------------------------------

    void cut(node_id a, node_id b) {
        add_cut(a, b);
        add_cut(b, a);
    }
    void cut_one_way(node_id a, node_id b) { add_cut(a, b); }
    void isolate(node_id n) {
        SYNOD_ASSERT(!isolated_.full());
        isolated_.push_back(n);
    }
    void recover() noexcept {
        cuts_.clear();
        isolated_.clear();
    }

private:
    using entries_type = typename detail::static_entry_copy<Message, EntriesMax>::type;

    struct endpoint {
        node_id id;
        void* node = nullptr;
        void (*deliver)(void*, const Message&) = nullptr;
        void (*fire)(void*) = nullptr;
        void (*durable)(void*) = nullptr;
        time_point deadline = time_never;
    };
    struct slot {
        envelope<Message> env{};
        [[no_unique_address]] entries_type entries{};
    };
    struct link {
        node_id from;
        node_id to;
    };

    endpoint& endpoint_of(node_id n) {
        if (endpoint* e = find(n)) return *e;
        SYNOD_ASSERT(!endpoints_.full());  // more nodes than NodesMax
        endpoints_.push_back(endpoint{n});
        std::sort(endpoints_.begin(), endpoints_.end(),
                  [](const endpoint& a, const endpoint& b) { return a.id < b.id; });
        return *find(n);
    }
    endpoint* find(node_id n) noexcept {
        for (endpoint& e : endpoints_)
            if (e.id == n) return &e;
        return nullptr;
    }
    const endpoint* find(node_id n) const noexcept {
        for (const endpoint& e : endpoints_)
            if (e.id == n) return &e;
        return nullptr;
    }

    void add_cut(node_id a, node_id b) {
        SYNOD_ASSERT(!cuts_.full());
        cuts_.push_back(link{a, b});
    }
    bool filtered(node_id from, node_id to) const noexcept {
        for (node_id n : isolated_)
            if (from == n || to == n) return true;
        for (const link& l : cuts_)
            if (from == l.from && to == l.to) return true;
        return false;
    }

    /// Points a queued message's borrowed entries at the slot's own copy.
    static void rebind(slot& s) {
        if constexpr (borrowing_message<Message>) {
            rebind_entries(s.env.message,
                           std::span<const typename entries_type::value_type>(s.entries));
        }
    }

    void enqueue(node_id from, node_id to, const Message& m) {
        if (filtered(from, to)) {
            ++dropped_;
            return;
        }
        if (count_ == Capacity) {
            ++overflowed_;
            return;
        }
        if constexpr (borrowing_message<Message>) {
            if (borrowed_entries(m).size() > EntriesMax) {
                ++overflowed_;
                return;
            }
        }
        slot& s = slots_[wrap(head_ + count_)];
        s.env.from = from;
        s.env.to = to;
        s.env.message = m;
        if constexpr (borrowing_message<Message>) {
            s.entries.clear();
            for (const auto& e : borrowed_entries(m)) s.entries.push_back(e);
            rebind(s);
        }
        ++count_;
    }

    static constexpr std::size_t wrap(std::size_t i) noexcept { return i & (Capacity - 1); }

    static_vector<endpoint, NodesMax> endpoints_;
    slot slots_[Capacity]{};
    slot current_{};
    std::size_t head_ = 0;
    std::size_t count_ = 0;
    std::size_t delivered_ = 0;
    std::size_t dropped_ = 0;
    std::size_t overflowed_ = 0;
    time_point now_{0};
    static_vector<link, 2 * NodesMax * NodesMax> cuts_;
    static_vector<node_id, NodesMax> isolated_;
};

}  // namespace synod::runtime::sync

#endif
