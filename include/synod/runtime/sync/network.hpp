#ifndef SYNOD_RUNTIME_SYNC_NETWORK_HPP
#define SYNOD_RUNTIME_SYNC_NETWORK_HPP

/// \file
/// The sync runtime: an in-process, single-threaded cluster harness. Nodes of any role type
/// share one FIFO message queue and one manual clock; a test or program delivers messages one at
/// a time or until quiescence, advances time, and filters messages (cut links, isolate nodes,
/// drop by predicate) to script failures. The simplest embedding of a synod core, and the
/// harness behind the unit tests and the whole-cluster benchmarks.
///
/// One implementation, basic_network, over a storage policy, in two forms:
///  - network<Message> (here): on the heap, growing as needed, with drop_if() and drain();
///  - static_network<Message, Capacity, EntriesMax, NodesMax> (runtime/sync/static_network.hpp):
///    sized at compile time, no heap at all, for a microcontroller or a test that forbids
///    allocation.
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

/// One message in flight.
template <class Message>
struct envelope {
    node_id from;
    node_id to;
    Message message;
};

namespace detail {
/// What a slot keeps when its message borrows no entries, or no bytes (distinct empty types, so
/// that both take no room in a slot).
struct no_entries {
    void swap(no_entries&) noexcept {}
};
struct no_bytes {
    void swap(no_bytes&) noexcept {}
};

template <class M, bool Borrowing = borrowing_message<M>>
struct entry_copy {
    using type = no_entries;
};
template <class M>
struct entry_copy<M, true> {
    using type = std::vector<std::remove_const_t<typename decltype(borrowed_entries(
        std::declval<const M&>()))::element_type>>;
};

/// Makes `to` hold the elements of `from`.
template <class To, class From>
void assign(To& to, const From& from) {
    if constexpr (requires { to.assign(from.begin(), from.end()); }) {
        to.assign(from.begin(), from.end());
    } else {
        to.clear();
        for (const auto& x : from) to.push_back(x);
    }
}

/// Appends `v` to a list; a fixed-capacity list must not be full (a programmer error).
template <class List, class T>
void push(List& list, const T& v) {
    if constexpr (requires { list.full(); }) SYNOD_ASSERT(!list.full());
    list.push_back(v);
}

/// One queue position: a message and copies of what it borrows, which the message points at.
template <class Message, class Entries, class Bytes>
struct slot {
    envelope<Message> env{};
    [[no_unique_address]] Entries entries{};
    [[no_unique_address]] Bytes bytes{};

    /// Holds `m`, sent from `from` to `to`, with copies of the entries and bytes it borrows.
    void hold(node_id from, node_id to, const Message& m) {
        env.from = from;
        env.to = to;
        env.message = m;
        if constexpr (!std::is_same_v<Entries, no_entries>)
            detail::assign(entries, borrowed_entries(m));
        if constexpr (!std::is_same_v<Bytes, no_bytes>) detail::assign(bytes, borrowed_bytes(m));
        rebind();
    }
    /// Points the message at this slot's own copies (after the slot was copied).
    void rebind() noexcept {
        if constexpr (!std::is_same_v<Entries, no_entries>)
            rebind_entries(env.message, std::span<const typename Entries::value_type>(entries));
        if constexpr (!std::is_same_v<Bytes, no_bytes>)
            rebind_bytes(env.message, std::span<const std::byte>(bytes));
    }
};

/// network's queue: a ring whose size is a power of two (64, doubling when full).
template <class Slot>
class growable_ring {
public:
    std::size_t size() const noexcept { return slots_.size(); }
    Slot& operator[](std::size_t i) noexcept { return slots_[i]; }
    const Slot& operator[](std::size_t i) const noexcept { return slots_[i]; }
    /// Makes room for one more message behind the `count` from `head` (which may move): always.
    bool make_room(std::size_t& head, std::size_t count) {
        if (count == slots_.size()) grow(head, count);
        return true;
    }

private:
    void grow(std::size_t& head, std::size_t count) {
        const std::size_t old_size = slots_.size();
        std::vector<Slot> bigger(old_size == 0 ? 64 : old_size * 2);
        // Moving a slot moves its entry buffer, so the spans into it stay valid.
        for (std::size_t i = 0; i < count; ++i)
            bigger[i] = std::move(slots_[(head + i) % old_size]);
        slots_.swap(bigger);
        head = 0;
    }
    std::vector<Slot> slots_;
};

/// What only the heap-backed network keeps: the drop_if() predicate and the entry copies of
/// the messages drain() returned.
template <class Message, class Entries>
struct heap_state {
    std::function<bool(const envelope<Message>&)> drop_if;
    std::vector<Entries> drained_entries;
    std::vector<std::vector<std::byte>> drained_bytes;
};
struct no_heap_state {};

/// The storage policy of network: everything on the heap, growing as needed.
template <class Message>
struct growable_storage {
    static constexpr bool growable = true;
    using entries_type = typename entry_copy<Message>::type;
    using bytes_type =
        std::conditional_t<borrowing_bytes_message<Message>, std::vector<std::byte>, no_bytes>;
    template <class Slot>
    using ring = growable_ring<Slot>;
    template <class T>
    using node_list = std::vector<T>;  ///< one item per node: endpoints, isolated nodes
    template <class T>
    using link_list = std::vector<T>;  ///< one item per directed link: cuts

    /// Every message fits.
    static constexpr bool fits(const Message&) noexcept { return true; }
    /// Moves the queued slot to `current` for delivery: a swap (O(1): buffers change owner,
    /// spans stay valid), so the handler may send, and so grow the ring, while it reads.
    template <class Slot>
    static void take(Slot& current, Slot& queued) {
        // The message is copied (its alternatives are plain values and spans); the buffers it
        // borrows from are swapped, so its spans point into `current`'s buffers afterwards and
        // the queued slot keeps the old ones' capacity for its next message.
        current.env = queued.env;
        current.entries.swap(queued.entries);
        current.bytes.swap(queued.bytes);
    }
};
}  // namespace detail

/// A cluster of nodes exchanging `Message` values in one thread, its queue and lists kept as
/// `Storage` says (detail::growable_storage or detail::fixed_storage); use it as network or
/// static_network.
template <class Message, class Storage>
class basic_network {
public:
    using message_type = Message;

    /// The transport policy of a node attached to this network.
    class transport {
    public:
        transport(basic_network& net, node_id self) noexcept : net_{&net}, self_{self} {}
        void send(node_id to, const Message& m) { net_->enqueue(self_, to, m); }

    private:
        basic_network* net_;
        node_id self_;
    };

    /// The timer policy of a node attached to this network: the shared manual clock.
    class timer {
    public:
        timer(basic_network& net, node_id self) noexcept : net_{&net}, self_{self} {}
        time_point now() const noexcept { return net_->now_; }
        void arm(time_point deadline) { net_->endpoint_of(self_).deadline = deadline; }

    private:
        basic_network* net_;
        node_id self_;
    };

    basic_network() = default;
    basic_network(const basic_network&) = delete;
    basic_network& operator=(const basic_network&) = delete;

    ///@{
    /// The fixed sizes (static_network only): messages the queue holds, entries one may borrow.
    static constexpr std::size_t capacity() noexcept requires(!Storage::growable) {
        return Storage::capacity;
    }
    static constexpr std::size_t entries_max() noexcept requires(!Storage::growable) {
        return Storage::entries_max;
    }
    ///@}

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
        // Taken out of the ring first, so the handler may send (and reuse the slot).
        Storage::take(current_, slots_[head_]);
        // An emptied queue starts again at slot 0: the same few slots (and the entry buffers
        // they own) serve every round, and stay in cache, instead of the whole ring in turn.
        head_ = --count_ == 0 ? 0 : wrap(head_ + 1);
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
    /// inspect what a node sent. network only: it needs the heap.
    std::vector<envelope<Message>> drain() requires Storage::growable {
        std::vector<envelope<Message>> out;
        while (count_ > 0) {
            slot& s = slots_[head_];
            out.push_back(s.env);
            if constexpr (borrowing_message<Message>) {
                heap_.drained_entries.emplace_back(s.entries.begin(), s.entries.end());
                rebind_entries(out.back().message,
                               std::span<const typename entries_type::value_type>(
                                   heap_.drained_entries.back()));
            }
            if constexpr (borrowing_bytes_message<Message>) {
                heap_.drained_bytes.emplace_back(s.bytes.begin(), s.bytes.end());
                rebind_bytes(out.back().message,
                             std::span<const std::byte>(heap_.drained_bytes.back()));
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
    /// Messages dropped by a filter.
    std::size_t dropped() const noexcept { return dropped_; }
    /// Messages that did not fit (static_network only): queue full, or more borrowed entries
    /// than EntriesMax.
    std::size_t overflowed() const noexcept requires(!Storage::growable) { return overflowed_; }

    // ---- filters ----------------------------------------------------------------------------

    /// Drops every message between `a` and `b`, both ways.
    void cut(node_id a, node_id b) {
        detail::push(cuts_, link{a, b});
        detail::push(cuts_, link{b, a});
    }
    /// Drops every message from `a` to `b` (one way).
    void cut_one_way(node_id a, node_id b) { detail::push(cuts_, link{a, b}); }
    /// Drops every message to or from `n`.
    void isolate(node_id n) { detail::push(isolated_, n); }
    /// Drops every message for which `pred(envelope)` is true. network only: it needs the heap.
    void drop_if(std::function<bool(const envelope<Message>&)> pred) requires Storage::growable {
        heap_.drop_if = std::move(pred);
    }
    /// Removes every filter.
    void recover() noexcept {
        cuts_.clear();
        isolated_.clear();
        if constexpr (Storage::growable) heap_.drop_if = nullptr;
    }

private:
    using entries_type = typename Storage::entries_type;
    using slot = detail::slot<Message, entries_type, typename Storage::bytes_type>;

    struct endpoint {
        node_id id;
        void* node = nullptr;
        void (*deliver)(void*, const Message&) = nullptr;
        void (*fire)(void*) = nullptr;
        void (*durable)(void*) = nullptr;
        time_point deadline = time_never;
    };
    struct link {
        node_id from;
        node_id to;
    };

    endpoint& endpoint_of(node_id n) {
        if (endpoint* e = find(n)) return *e;
        detail::push(endpoints_, endpoint{n});  // static_network: at most NodesMax nodes
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

    bool filtered(node_id from, node_id to, const Message& m) const {
        for (node_id n : isolated_)
            if (from == n || to == n) return true;
        for (const link& l : cuts_)
            if (from == l.from && to == l.to) return true;
        if constexpr (Storage::growable) {
            // The predicate sees the message as sent.
            if (heap_.drop_if) return heap_.drop_if(envelope<Message>{from, to, m});
        }
        return false;
    }

    void enqueue(node_id from, node_id to, const Message& m) {
        if (filtered(from, to, m)) {
            ++dropped_;
            return;
        }
        if (!Storage::fits(m) || !slots_.make_room(head_, count_)) {
            ++overflowed_;
            return;
        }
        slots_[wrap(head_ + count_)].hold(from, to, m);
        ++count_;
    }

    /// The ring position of queue position `i`. The ring's size is a power of two, so this is
    /// a mask, not a division: it is on every send and delivery.
    std::size_t wrap(std::size_t i) const noexcept { return i & (slots_.size() - 1); }

    typename Storage::template node_list<endpoint> endpoints_;
    typename Storage::template ring<slot> slots_;
    slot current_{};
    std::size_t head_ = 0;
    std::size_t count_ = 0;
    std::size_t delivered_ = 0;
    std::size_t dropped_ = 0;
    std::size_t overflowed_ = 0;
    time_point now_{0};
    typename Storage::template link_list<link> cuts_;
    typename Storage::template node_list<node_id> isolated_;
    [[no_unique_address]] std::conditional_t<
        Storage::growable, detail::heap_state<Message, entries_type>, detail::no_heap_state>
        heap_;
};

/// A cluster of nodes exchanging `Message` values in one thread, on the heap: the queue grows
/// as needed, and drop_if() and drain() are there for tests.
template <class Message>
class network : public basic_network<Message, detail::growable_storage<Message>> {};

}  // namespace synod::runtime::sync

#endif
