#ifndef SYNOD_RUNTIME_SYNC_STATIC_NETWORK_HPP
#define SYNOD_RUNTIME_SYNC_STATIC_NETWORK_HPP

/// \file
/// The sync runtime with its queue sized at compile time: the same single-threaded cluster
/// harness as runtime/sync/network.hpp (one FIFO queue, one manual clock, delivery one message at
/// a time or until quiescence, cut links and isolated nodes), with no heap at all, for a
/// microcontroller or a test that forbids allocation. Both are basic_network; this header adds
/// the fixed-capacity storage policy.
///
/// The contract on capacity:
///  - at most `Capacity` messages wait in the queue, each carrying at most `EntriesMax` borrowed
///    entries (Raft's AppendEntries, Multi-Paxos accepts and promises: keep the protocols'
///    batch limits at or below it), between at most `NodesMax` nodes;
///  - a message that does not fit (queue full, too many entries) is not queued: it is counted in
///    overflowed() and, like a message the network lost, left to the protocols to retry. A
///    program that wants none checks overflowed() == 0 (the embedded example does);
///  - attaching more than `NodesMax` nodes is a programmer error: SYNOD_ASSERT fails.
/// Borrowed bytes (a Raft snapshot chunk) are not copied: the message keeps pointing at the
/// sender's snapshot until it is delivered.
/// Filters: cut(), cut_one_way(), isolate() and recover() as in network; not drop_if() or
/// drain(), which need the heap.

#include <cstddef>
#include <type_traits>
#include <utility>

#include "synod/config.hpp"
#include "synod/core/concepts/message.hpp"
#include "synod/core/static_vector.hpp"
#include "synod/runtime/sync/network.hpp"

namespace synod::runtime::sync {

namespace detail {
template <class M, std::size_t N, bool Borrowing = borrowing_message<M>>
struct static_entry_copy {
    using type = no_entries;
};
template <class M, std::size_t N>
struct static_entry_copy<M, N, true> {
    using type = static_vector<std::remove_const_t<typename decltype(borrowed_entries(
                                   std::declval<const M&>()))::element_type>,
                               N>;
};

/// static_network's queue: `Capacity` slots inside the object.
template <class Slot, std::size_t Capacity>
class fixed_ring {
public:
    static constexpr std::size_t size() noexcept { return Capacity; }
    Slot& operator[](std::size_t i) noexcept { return slots_[i]; }
    const Slot& operator[](std::size_t i) const noexcept { return slots_[i]; }
    /// Room for one more message behind the `count` from `head`: only if the ring is not full.
    bool make_room(std::size_t&, std::size_t count) const noexcept { return count < Capacity; }

private:
    Slot slots_[Capacity]{};
};

/// The storage policy of static_network: everything inside the object, sized at compile time.
template <class Message, std::size_t Capacity, std::size_t EntriesMax, std::size_t NodesMax>
struct fixed_storage {
    static_assert(Capacity >= 2 && (Capacity & (Capacity - 1)) == 0,
                  "runtime::sync::static_network: Capacity must be a power of two");
    static_assert(NodesMax >= 1);

    static constexpr bool growable = false;
    static constexpr std::size_t capacity = Capacity;
    static constexpr std::size_t entries_max = EntriesMax;
    using entries_type = typename static_entry_copy<Message, EntriesMax>::type;
    using bytes_type = no_bytes;
    template <class Slot>
    using ring = fixed_ring<Slot, Capacity>;
    template <class T>
    using node_list = static_vector<T, NodesMax>;  ///< endpoints, isolated nodes
    template <class T>
    using link_list = static_vector<T, 2 * NodesMax * NodesMax>;  ///< cuts

    /// A message fits if it borrows at most EntriesMax entries.
    static bool fits(const Message& m) noexcept {
        if constexpr (borrowing_message<Message>) return borrowed_entries(m).size() <= EntriesMax;
        return true;
    }
    /// Copies the queued slot to `current` for delivery (the slot may then be reused by a send
    /// from the handler), pointing the message at the copy's entries.
    template <class Slot>
    static void take(Slot& current, const Slot& queued) {
        current = queued;
        current.rebind();
    }
};
}  // namespace detail

/// A cluster of up to `NodesMax` nodes exchanging `Message` values in one thread, through a
/// queue of `Capacity` messages (a power of two) of at most `EntriesMax` borrowed entries each.
template <class Message, std::size_t Capacity, std::size_t EntriesMax = 8,
          std::size_t NodesMax = max_nodes>
class static_network
    : public basic_network<Message,
                           detail::fixed_storage<Message, Capacity, EntriesMax, NodesMax>> {};

}  // namespace synod::runtime::sync

#endif
