#ifndef SYNOD_PAXOS_LEARNER_HPP
#define SYNOD_PAXOS_LEARNER_HPP

/// \file
/// The single-decree Paxos learner (Paxos Made Simple 2.4): learns a value once a phase-2 quorum
/// of acceptors accepted it under one and the same ballot.

#include <cstddef>
#include <optional>
#include <utility>
#include <variant>

#include "synod/core/ballot.hpp"
#include "synod/core/concepts/quorum_system.hpp"
#include "synod/core/concepts/storage.hpp"
#include "synod/core/concepts/timer.hpp"
#include "synod/core/configuration.hpp"
#include "synod/core/ids.hpp"
#include "synod/core/static_vector.hpp"
#include "synod/paxos/message.hpp"

namespace synod::paxos {

/// A Paxos learner. `Traits` names value_type and quorum (models quorum_system). It sends
/// nothing, so it needs no transport, timer or storage. Duplicated and reordered accepted
/// messages are harmless: each acceptor counts once per ballot, and votes for different ballots
/// never add up (X9), even when they carry the same value.
template <class Traits>
class learner {
public:
    ///@{
    /// The value type, quorum system and message type named by `Traits`.
    using value_type = typename Traits::value_type;
    using quorum_type = typename Traits::quorum;
    using message_type = message<value_type>;
    ///@}

    static_assert(check_quorum_system<quorum_type>::value);

    /// How many ballots are tallied at once; the lowest is forgotten to make room for a higher
    /// one. Forgetting a tally only delays learning: the highest ballot still completes.
    static constexpr std::size_t ballots_max = 8;

    /// Learner `self`, counting the votes of `config.voters` with `quorum`.
    learner(node_id self, const configuration& config, quorum_type quorum = {})
        : self_{self}, acceptors_{config.voters}, quorum_{std::move(quorum)} {}

    /// Phase 2b: one acceptor's vote.
    void on(const accepted<value_type>& m) {
        if (chosen_ || !acceptors_.contains(m.from)) return;
        tally* t = find(m.voted.number);
        if (!t) t = make_room_for(m.voted);
        if (!t) return;
        // One ballot has one value (one proposer owns it); a vote that disagrees is bad input.
        if (!(t->voted.value == m.voted.value)) return;
        t->voters.insert(m.from);
        if (quorum_.phase2(acceptors_, t->voters)) chosen_ = t->voted.value;
    }

    ///@{
    /// Other roles' messages: nothing for a learner to do.
    void on(const prepare&) noexcept {}
    void on(const promise<value_type>&) noexcept {}
    void on(const accept<value_type>&) noexcept {}
    void on(const reject&) noexcept {}
    ///@}
    /// Visits `m` and handles it.
    void on(const message_type& m) {
        std::visit([this](const auto& x) { this->on(x); }, m);
    }
    ///@{
    /// A learner writes nothing and keeps no deadlines: nothing to do.
    void on(const writes_durable&) noexcept {}
    void on(const timeout&) noexcept {}
    ///@}

    /// This learner's node id.
    node_id id() const noexcept { return self_; }
    /// The chosen value, once learned. Never changes after that.
    const std::optional<value_type>& chosen() const noexcept { return chosen_; }

private:
    struct tally {
        proposal<value_type> voted;
        node_set voters;
    };
    tally* find(const ballot& b) noexcept {
        for (tally& t : tallies_)
            if (t.voted.number == b) return &t;
        return nullptr;
    }
    tally* make_room_for(const proposal<value_type>& p) {
        if (tallies_.full()) {
            tally* lowest = &tallies_[0];
            for (tally& t : tallies_)
                if (t.voted.number < lowest->voted.number) lowest = &t;
            if (p.number < lowest->voted.number) return nullptr;  // keep the higher ones
            *lowest = tally{p, {}};
            return lowest;
        }
        return &tallies_.emplace_back(tally{p, {}});
    }

    node_id self_;
    node_set acceptors_;
    [[no_unique_address]] quorum_type quorum_;
    static_vector<tally, ballots_max> tallies_;
    std::optional<value_type> chosen_;
};

}  // namespace synod::paxos

#endif
