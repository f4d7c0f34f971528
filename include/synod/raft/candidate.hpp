#ifndef SYNOD_RAFT_CANDIDATE_HPP
#define SYNOD_RAFT_CANDIDATE_HPP

/// \file
/// The candidate and pre-candidate roles' state: the votes of one election (Raft 5.2).

#include "synod/core/configuration.hpp"
#include "synod/core/quorum.hpp"

namespace synod::raft {

/// The answers received in one election or pre-election. A voter's first answer counts; a
/// duplicate or a changed mind is ignored.
class election {
public:
    /// Forgets every answer, for a new election.
    void reset() noexcept {
        granted_.clear();
        rejected_.clear();
    }
    /// Counts `voter`'s answer, unless it answered already.
    void record(node_id voter, bool granted) {
        if (granted_.contains(voter) || rejected_.contains(voter)) return;
        (granted ? granted_ : rejected_).insert(voter);
    }
    /// Won, lost or pending under quorum system `q` for configuration `c`.
    template <class Q>
    vote_outcome outcome(const joint<Q>& q, const configuration& c) const {
        return q.tally(c, granted_, rejected_);
    }
    /// The voters that granted their vote.
    const node_set& granted() const noexcept { return granted_; }
    /// The voters that refused it.
    const node_set& rejected() const noexcept { return rejected_; }

private:
    node_set granted_;
    node_set rejected_;
};

}  // namespace synod::raft

#endif
