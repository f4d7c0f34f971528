#ifndef SYNOD_CORE_CONFIGURATION_HPP
#define SYNOD_CORE_CONFIGURATION_HPP

/// \file
/// Cluster membership: sets of nodes, configurations of voters and learners, and the joint
/// configuration (old and new voters at once) of Raft's joint consensus (Raft thesis 4.3).

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <span>

#include "synod/config.hpp"
#include "synod/core/error.hpp"
#include "synod/core/ids.hpp"
#include "synod/core/static_vector.hpp"

namespace synod {

/// A sorted set of distinct node ids, at most `max_nodes`, stored in place.
class node_set {
public:
    /// The empty set.
    node_set() noexcept = default;
    ///@{
    /// The set of `ids` (duplicates count once): `node_set{1u, 2u, 3u}`.
    node_set(std::initializer_list<node_id> ids) {
        for (node_id n : ids) insert(n);
    }
    node_set(std::initializer_list<std::uint32_t> ids) {
        for (std::uint32_t n : ids) insert(node_id{n});
    }
    ///@}

    /// Adds `n`; false if it was present already. Asserts capacity: check `full()` on input.
    bool insert(node_id n) {
        SYNOD_ASSERT(static_cast<bool>(n));
        auto it = std::lower_bound(ids_.begin(), ids_.end(), n);
        if (it != ids_.end() && *it == n) return false;
        ids_.insert(it, n);
        return true;
    }
    /// Removes `n`; false if it was absent.
    bool erase(node_id n) {
        auto it = std::lower_bound(ids_.begin(), ids_.end(), n);
        if (it == ids_.end() || !(*it == n)) return false;
        ids_.erase(it);
        return true;
    }
    /// True if `n` is in the set (binary search).
    bool contains(node_id n) const noexcept {
        return std::binary_search(ids_.begin(), ids_.end(), n);
    }
    /// Position of `n` in sorted order, or size() if absent.
    std::size_t position(node_id n) const noexcept {
        auto it = std::lower_bound(ids_.begin(), ids_.end(), n);
        return (it != ids_.end() && *it == n) ? static_cast<std::size_t>(it - ids_.begin())
                                              : ids_.size();
    }
    /// How many ids the set holds.
    std::size_t size() const noexcept { return ids_.size(); }
    /// True when the set holds no id.
    bool empty() const noexcept { return ids_.empty(); }
    /// True when it holds `max_nodes` ids: insert() would then be a programmer error.
    bool full() const noexcept { return ids_.full(); }
    ///@{
    /// The ids in increasing order.
    const node_id* begin() const noexcept { return ids_.begin(); }
    const node_id* end() const noexcept { return ids_.end(); }
    ///@}
    /// The `i`-th smallest id (pre: i < size()).
    node_id operator[](std::size_t i) const noexcept { return ids_[i]; }
    /// Removes every id.
    void clear() noexcept { ids_.clear(); }

    /// Equal when they hold the same ids.
    friend bool operator==(const node_set& a, const node_set& b) { return a.ids_ == b.ids_; }

private:
    static_vector<node_id, max_nodes> ids_;
};

/// The members of a cluster: voters (count in quorums) and learners (receive the log, never
/// vote). Raft's joint consensus adds `voters_outgoing`: while it is non-empty the configuration
/// is joint and every decision needs a quorum of `voters` and a quorum of `voters_outgoing`.
struct configuration {
    node_set voters;           ///< count in quorums, may vote and lead
    node_set learners;         ///< receive the log; never vote or lead
    node_set voters_outgoing;  ///< the old voters during joint consensus; empty otherwise

    /// True during joint consensus (voters_outgoing is not empty).
    bool joint() const noexcept { return !voters_outgoing.empty(); }
    /// True if `n` votes, in the new or the old voters.
    bool is_voter(node_id n) const noexcept {
        return voters.contains(n) || voters_outgoing.contains(n);
    }
    /// True if `n` is a member at all: a voter or a learner.
    bool contains(node_id n) const noexcept { return is_voter(n) || learners.contains(n); }

    /// Calls f(n) once for every node named in any part of the configuration.
    template <class F>
    void for_each_member(F&& f) const {
        for (node_id n : voters) f(n);
        for (node_id n : voters_outgoing)
            if (!voters.contains(n)) f(n);
        for (node_id n : learners)
            if (!is_voter(n)) f(n);
    }

    /// Checks the rules a configuration must keep: at least one voter, no node both voter and
    /// learner, and no more than `max_nodes` members in all.
    result<void> validate() const {
        if (voters.empty()) return errc::invalid_configuration;
        std::size_t members = 0;
        for_each_member([&](node_id) { ++members; });
        if (members > max_nodes) return errc::invalid_configuration;
        for (node_id n : learners)
            if (is_voter(n)) return errc::invalid_configuration;
        return {};
    }

    /// Equal when every part is.
    friend bool operator==(const configuration&, const configuration&) = default;
};

}  // namespace synod

#endif
