#ifndef SYNOD_RUNTIME_SYNC_NETWORK_HPP
#define SYNOD_RUNTIME_SYNC_NETWORK_HPP

/// \file
/// The sync runtime: an in-process, single-threaded cluster harness. Nodes of any role type
/// share one FIFO message queue and one manual clock; a test or program delivers messages one at
/// a time or until quiescence, advances time, and filters messages (cut links, isolate nodes,
/// drop by predicate) to script failures. The simplest embedding of a synod core, and the
/// harness behind the unit tests and the whole-cluster benchmarks.
///
/// Steady state allocates nothing per message: queue slots (and the entry copies they keep for
/// messages that borrow entries) are reused.

#include <algorithm>
#include <cstddef>
#include <functional>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "synod/core/assert.hpp"
#include "synod/core/concepts/message.hpp"
#include "synod/core/concepts/storage.hpp"
#include "synod/core/concepts/timer.hpp"
#include "synod/core/ids.hpp"

namespace synod::runtime::sync {

namespace detail {
template <class M, bool Borrowing = borrowing_message<M>>
struct entry_copy {
    struct type {};
};
template <class M>
struct entry_copy<M, true> {
    using type = std::vector<std::remove_const_t<
        typename decltype(borrowed_entries(std::declval<const M&>()))::element_type>>;
};
}  // namespace detail

/// One message in flight.
template <class Message>
struct envelope {
    node_id from;
    node_id to;
    Message message;
};

/// A cluster of nodes exchanging `Message` values in one thread.
template <class Message>
class network {
public:
    using message_type = Message;

    /// The transport policy of a node attached to this network.
    class transport {
    public:
        transport(network& net, node_id self) noexcept : net_{&net}, self_{self} {}
        void send(node_id to, const Message& m) { net_->enqueue(self_, to, m); }

    private:
        network* net_;
        node_id self_;
    };

    /// The timer policy of a node attached to this network: the shared manual clock.
    class timer {
    public:
        timer(network& net, node_id self) noexcept : net_{&net}, self_{self} {}
        time_point now() const noexcept { return net_->now_; }
        void arm(time_point deadline) { net_->endpoint_of(self_).deadline = deadline; }

    private:
        network* net_;
        node_id self_;
    };

    network() = default;
    network(const network&) = delete;
    network& operator=(const network&) = delete;

    transport transport_for(node_id n) noexcept { return transport{*this, n}; }
    timer timer_for(node_id n) noexcept { return timer{*this, n}; }

    /// Routes messages for `n` to `node.on(message)` and its deadline to `node.on(timeout{})`.
    /// Attaching again (e.g. a restarted node) replaces the previous node; its deadline is kept
    /// only if the new node arms none.
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
    /// in node-id order). Messages stay queued: deliver them when the test says so.
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
    /// The deadline node `n` has armed (time_never if none).
    time_point deadline_of(node_id n) const noexcept {
        const endpoint* e = find(n);
        return e ? e->deadline : time_never;
    }

    // ---- messages ---------------------------------------------------------------------------

    std::size_t pending() const noexcept { return count_; }
    /// The queued message at position `i` (0 = next to be delivered).
    const envelope<Message>& peek(std::size_t i = 0) const noexcept {
        SYNOD_ASSERT(i < count_);
        return slots_[wrap(head_ + i)].env;
    }
    /// Delivers the next message, if any; false when the queue is empty.
    bool deliver_one() {
        if (count_ == 0) return false;
        // Swap the slot out of the ring (O(1): buffers change owner, spans stay valid), so the
        // handler may send, and so grow the ring, while it reads the message.
        using std::swap;
        swap(current_, slots_[head_]);
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
    /// Removes every queued message and returns them (entries are copied out), for tests that
    /// inspect what a node sent.
    std::vector<envelope<Message>> drain() {
        std::vector<envelope<Message>> out;
        while (count_ > 0) {
            slot& s = slots_[head_];
            out.push_back(s.env);
            if constexpr (borrowing_message<Message>) {
                drained_entries_.emplace_back(s.entries.begin(), s.entries.end());
                rebind_entries(out.back().message,
                               std::span<const typename entries_type::value_type>(
                                   drained_entries_.back()));
            }
            head_ = wrap(head_ + 1);
            --count_;
        }
        return out;
    }
    /// Drops every queued message.
    void clear() noexcept {
        head_ = 0;
        count_ = 0;
    }
    std::size_t delivered() const noexcept { return delivered_; }
    std::size_t dropped() const noexcept { return dropped_; }

    // ---- filters ----------------------------------------------------------------------------

    /// Drops every message between `a` and `b`, both ways.
    void cut(node_id a, node_id b) {
        cuts_.push_back({a, b});
        cuts_.push_back({b, a});
    }
    /// Drops every message from `a` to `b` (one way).
    void cut_one_way(node_id a, node_id b) { cuts_.push_back({a, b}); }
    /// Drops every message to or from `n`.
    void isolate(node_id n) { isolated_.push_back(n); }
    /// Drops every message for which `pred(envelope)` is true.
    void drop_if(std::function<bool(const envelope<Message>&)> pred) {
        drop_if_ = std::move(pred);
    }
    /// Removes every filter.
    void recover() {
        cuts_.clear();
        isolated_.clear();
        drop_if_ = nullptr;
    }

private:
    using entries_type = typename detail::entry_copy<Message>::type;

    struct endpoint {
        node_id id;
        void* node = nullptr;
        void (*deliver)(void*, const Message&) = nullptr;
        void (*fire)(void*) = nullptr;
        void (*durable)(void*) = nullptr;
        time_point deadline = time_never;
    };
    struct slot {
        envelope<Message> env;
        [[no_unique_address]] entries_type entries;
    };

    endpoint& endpoint_of(node_id n) {
        if (endpoint* e = find(n)) return *e;
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

    bool filtered(const envelope<Message>& env) const {
        for (node_id n : isolated_)
            if (env.from == n || env.to == n) return true;
        for (const auto& [a, b] : cuts_)
            if (env.from == a && env.to == b) return true;
        return drop_if_ && drop_if_(env);
    }

    void enqueue(node_id from, node_id to, const Message& m) {
        // Fill in a scratch envelope first so filters see the message as sent.
        if (!cuts_.empty() || !isolated_.empty() || drop_if_) {
            if (filtered(envelope<Message>{from, to, m})) {
                ++dropped_;
                return;
            }
        }
        if (count_ == slots_.size()) grow();
        slot& s = slots_[wrap(head_ + count_)];
        s.env.from = from;
        s.env.to = to;
        s.env.message = m;
        if constexpr (borrowing_message<Message>) {
            const auto borrowed = borrowed_entries(m);
            s.entries.assign(borrowed.begin(), borrowed.end());
            rebind_entries(s.env.message,
                           std::span<const typename entries_type::value_type>(s.entries));
        }
        ++count_;
    }

    /// The ring position of queue position `i`. The ring's size is a power of two (64,
    /// doubling), so this is a mask, not a division: it is on every send and delivery.
    std::size_t wrap(std::size_t i) const noexcept { return i & (slots_.size() - 1); }

    void grow() {
        const std::size_t old_size = slots_.size();
        std::vector<slot> bigger(old_size == 0 ? 64 : old_size * 2);
        // Moving a slot moves its entry buffer, so the spans into it stay valid.
        for (std::size_t i = 0; i < count_; ++i) bigger[i] = std::move(slots_[(head_ + i) % old_size]);
        slots_.swap(bigger);
        head_ = 0;
    }

    std::vector<endpoint> endpoints_;
    std::vector<slot> slots_;
    std::vector<entries_type> drained_entries_;
    slot current_{};
    std::size_t head_ = 0;
    std::size_t count_ = 0;
    std::size_t delivered_ = 0;
    std::size_t dropped_ = 0;
    time_point now_{0};
    std::vector<std::pair<node_id, node_id>> cuts_;
    std::vector<node_id> isolated_;
    std::function<bool(const envelope<Message>&)> drop_if_;
};

}  // namespace synod::runtime::sync

#endif
