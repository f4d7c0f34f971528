#ifndef SYNOD_CORE_OUTBOX_HPP
#define SYNOD_CORE_OUTBOX_HPP

/// \file
/// Persistence before acknowledgement (DESIGN 3): an outbox holds each message until the
/// storage write it depends on is durable, then hands it to the transport.

#include <cstddef>
#include <utility>

#include "synod/core/ids.hpp"
#include "synod/core/static_vector.hpp"

namespace synod {

/// Messages waiting for durability, in a bounded FIFO of `Capacity`. Only small messages wait
/// here (votes, promises, acknowledgements); none borrows memory. When the outbox is full the
/// new message is dropped: to the protocol that is a lost message, which every synod protocol
/// tolerates (the peer retries), and memory stays bounded.
template <class Transport, class Message, std::size_t Capacity = 32>
class outbox {
public:
    /// An empty outbox sending through `transport`.
    explicit outbox(Transport transport) : transport_{std::move(transport)} {}

    /// Sends `m` to `to` now if `gate` is durable already (`gate <= durable`), else once it is.
    /// Returns false if the message had to be dropped because the outbox is full.
    bool send_after(write_id gate, write_id durable, node_id to, const Message& m) {
        if (gate <= durable) {
            transport_.send(to, m);
            return true;
        }
        if (waiting_.full()) {
            ++dropped_;
            return false;
        }
        waiting_.push_back(pending{gate, to, m});
        return true;
    }
    /// Sends `m` without waiting for any write.
    void send(node_id to, const Message& m) { transport_.send(to, m); }

    /// Sends, in order, every waiting message whose write is durable now.
    void release_through(write_id durable) {
        std::size_t kept = 0;
        for (std::size_t i = 0; i < waiting_.size(); ++i) {
            if (waiting_[i].gate <= durable) {
                transport_.send(waiting_[i].to, waiting_[i].message);
            } else {
                if (kept != i) waiting_[kept] = std::move(waiting_[i]);
                ++kept;
            }
        }
        while (waiting_.size() > kept) waiting_.pop_back();
    }
    /// Forgets every waiting message (a role change can make them wrong to send).
    void clear() noexcept { waiting_.clear(); }

    /// Messages waiting for their write to become durable.
    std::size_t waiting() const noexcept { return waiting_.size(); }
    /// Messages dropped because the outbox was full, since construction.
    std::size_t dropped() const noexcept { return dropped_; }
    ///@{
    /// The transport policy (a runtime may need to reach its state).
    Transport& transport() noexcept { return transport_; }
    const Transport& transport() const noexcept { return transport_; }
    ///@}

private:
    struct pending {
        write_id gate;
        node_id to;
        Message message;
    };
    [[no_unique_address]] Transport transport_;
    static_vector<pending, Capacity> waiting_;
    std::size_t dropped_ = 0;
};

}  // namespace synod

#endif
