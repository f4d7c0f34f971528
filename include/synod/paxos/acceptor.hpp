#ifndef SYNOD_PAXOS_ACCEPTOR_HPP
#define SYNOD_PAXOS_ACCEPTOR_HPP

/// \file
/// The single-decree Paxos acceptor (Paxos Made Simple 2.2-2.3): the durable voter.

#include <utility>
#include <variant>

#include "synod/core/assert.hpp"
#include "synod/core/ballot.hpp"
#include "synod/core/concepts/storage.hpp"
#include "synod/core/concepts/timer.hpp"
#include "synod/core/concepts/transport.hpp"
#include "synod/core/configuration.hpp"
#include "synod/core/ids.hpp"
#include "synod/core/outbox.hpp"
#include "synod/paxos/message.hpp"

namespace synod::paxos {

/// A Paxos acceptor. `Traits` names:
///   value_type   the value being decided
///   storage      models acceptor_storage<value_type> (storage/paxos_memory.hpp)
///   transport    models transport<message<value_type>>
/// Every promise and accepted reply leaves only once the state it reports is durable: at once
/// with storage that completes inline, on a later `on(writes_durable{})` otherwise (DESIGN 3).
template <class Traits>
class acceptor {
public:
    ///@{
    /// The value type, policies and message type named by `Traits`.
    using value_type = typename Traits::value_type;
    using storage_type = typename Traits::storage;
    using transport_type = typename Traits::transport;
    using message_type = message<value_type>;
    ///@}

    static_assert(check_acceptor_storage<storage_type, value_type>::value);
    static_assert(check_transport<transport_type, message_type>::value);

    /// `learners` are told of every acceptance besides the proposer that asked for it.
    acceptor(node_id self, node_set learners, storage_type storage, transport_type transport)
        : self_{self},
          learners_{std::move(learners)},
          storage_{std::move(storage)},
          outbox_{std::move(transport)} {}

    /// Phase 1b: promise to ignore every ballot below `m.proposed`, or tell the proposer the
    /// ballot to beat. A prepare at exactly the promised ballot is a retransmission: promise again.
    void on(const prepare& m) {
        if (!m.proposed.plausible()) return;  // bad input (ballot::plausible)
        const ballot promised = storage_.promised();
        if (m.proposed < promised) {
            outbox_.send(m.from, reject{self_, m.proposed, promised});
            return;
        }
        // Written again even when equal, so that the reply waits for a durable promise whether
        // or not the first write of this ballot has completed.
        const write_id write = storage_.save_promise(m.proposed);
        SYNOD_ASSERT(storage_.promised() == m.proposed);
        outbox_.send_after(write, storage_.durable(), m.from,
                           promise<value_type>{self_, m.proposed, storage_.accepted()});
    }

    /// Phase 2b: accept unless a higher ballot was promised (Paxos Made Simple P1a: "an acceptor
    /// can accept a proposal numbered n iff it has not responded to a prepare request having a
    /// number greater than n"). Accepting also raises the promise to the accepted ballot.
    void on(const accept<value_type>& m) {
        if (!m.proposed.number.plausible()) return;  // bad input (ballot::plausible)
        const ballot promised = storage_.promised();
        if (m.proposed.number < promised) {
            outbox_.send(m.from, reject{self_, m.proposed.number, promised});
            return;
        }
        if (const auto previous = storage_.accepted();
            previous && previous->number == m.proposed.number &&
            !(previous->value == m.proposed.value)) {
            // A ballot has one value (Paxos Made Simple 2.2: "different proposals have different
            // numbers"). Another value under the ballot already accepted comes from a faulty
            // proposer; taking it would make the earlier accepted reply a lie. Ignore it.
            return;
        }
        const write_id write = storage_.save_accepted(m.proposed);
        SYNOD_ASSERT(storage_.promised() == m.proposed.number);
        const accepted<value_type> reply{self_, m.proposed};
        const write_id durable = storage_.durable();
        outbox_.send_after(write, durable, m.from, reply);
        for (node_id l : learners_)
            if (l != m.from) outbox_.send_after(write, durable, l, reply);
    }

    ///@{
    /// Replies and other roles' messages: nothing for an acceptor to do.
    void on(const promise<value_type>&) noexcept {}
    void on(const accepted<value_type>&) noexcept {}
    void on(const reject&) noexcept {}
    ///@}

    /// Visits `m` and handles it.
    void on(const message_type& m) {
        std::visit([this](const auto& x) { this->on(x); }, m);
    }
    /// The storage made more writes durable: send the replies that waited for them.
    void on(const writes_durable&) { outbox_.release_through(storage_.durable()); }
    /// An acceptor keeps no deadlines.
    void on(const timeout&) noexcept {}

    /// This acceptor's node id.
    node_id id() const noexcept { return self_; }
    /// The highest ballot promised; ballot{} if none.
    ballot promised() const noexcept { return storage_.promised(); }
    /// The last proposal accepted, if any.
    std::optional<proposal<value_type>> accepted_proposal() const { return storage_.accepted(); }
    /// Replies waiting for their write to become durable.
    std::size_t waiting() const noexcept { return outbox_.waiting(); }
    ///@{
    /// The storage policy: what a restart would resume from.
    storage_type& storage() noexcept { return storage_; }
    const storage_type& storage() const noexcept { return storage_; }
    ///@}

private:
    node_id self_;
    node_set learners_;
    [[no_unique_address]] storage_type storage_;
    outbox<transport_type, message_type> outbox_;
};

}  // namespace synod::paxos

#endif
