#ifndef SYNOD_RAFT_LEADER_HPP
#define SYNOD_RAFT_LEADER_HPP

/// \file
/// The leader role's state: one progress record per other member, the bound on uncommitted
/// bytes, and a pending leadership transfer.

#include <cstddef>

#include "synod/config.hpp"
#include "synod/core/configuration.hpp"
#include "synod/core/ids.hpp"
#include "synod/core/static_vector.hpp"
#include "synod/raft/progress.hpp"

namespace synod::raft {

/// What only a leader keeps. Reset on every election won.
template <std::size_t InflightCapacity>
class leader_state {
public:
    /// The record kept per follower.
    using progress_type = progress<InflightCapacity>;

    /// Starts tracking every member but `self`, all in probe from `last.next()` (Raft 5.3:
    /// nextIndex starts just after the leader's last entry).
    void reset(const configuration& c, node_id self, log_index last) {
        peers_.clear();
        c.for_each_member([&](node_id n) {
            if (n == self) return;
            progress_type& p = peers_.emplace_back();
            p.id = n;
            p.next = last.next();
        });
        uncommitted_bytes = 0;
    }
    /// Forgets every follower (on stepping down).
    void clear() noexcept { peers_.clear(); }
    /// No room to track another peer (SYNOD_MAX_NODES).
    bool full() const noexcept { return peers_.full(); }
    /// Starts tracking a member that joined, in probe from `next`.
    progress_type& add(node_id n, log_index next) {
        progress_type& p = peers_.emplace_back();
        p.id = n;
        p.next = next;
        return p;
    }
    /// Stops tracking every peer for which `pred` holds (invalidates pointers to peers).
    template <class Pred>
    void remove_if(Pred&& pred) {
        std::size_t kept = 0;
        for (std::size_t i = 0; i < peers_.size(); ++i) {
            if (pred(peers_[i])) continue;
            if (kept != i) peers_[kept] = peers_[i];
            ++kept;
        }
        while (peers_.size() > kept) peers_.pop_back();
    }

    ///@{
    /// The record of follower `n`; nullptr if `n` is not tracked.
    progress_type* find(node_id n) noexcept {
        for (progress_type& p : peers_)
            if (p.id == n) return &p;
        return nullptr;
    }
    const progress_type* find(node_id n) const noexcept {
        for (const progress_type& p : peers_)
            if (p.id == n) return &p;
        return nullptr;
    }
    ///@}
    ///@{
    /// Every follower's record.
    progress_type* begin() noexcept { return peers_.begin(); }
    progress_type* end() noexcept { return peers_.end(); }
    const progress_type* begin() const noexcept { return peers_.begin(); }
    const progress_type* end() const noexcept { return peers_.end(); }
    ///@}

    /// Payload bytes proposed in this term and not yet committed (the proposal bound).
    std::size_t uncommitted_bytes = 0;

private:
    static_vector<progress_type, max_nodes> peers_;
};

/// A pending leadership transfer (thesis 3.10): the follower being handed leadership, and when
/// the attempt expires. Exists only in nodes built with features::leader_transfer.
struct transfer_state {
    node_id target{};                  ///< the follower being handed leadership; no_node if none
    time_point deadline = time_never;  ///< when the attempt is abandoned
};

}  // namespace synod::raft

#endif
