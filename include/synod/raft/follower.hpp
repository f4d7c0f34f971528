#ifndef SYNOD_RAFT_FOLLOWER_HPP
#define SYNOD_RAFT_FOLLOWER_HPP

/// \file
/// The follower role's decisions, as pure functions over a log: whom to vote for (Raft 5.4.1)
/// and how to answer an AppendEntries that does not match (5.3, with fast backtracking).

#include "synod/core/ids.hpp"

namespace synod::raft {

/// Raft 5.4.1: a candidate's log is at least as up to date as ours if its last term is
/// higher, or equal with a last index at least ours.
constexpr bool at_least_as_up_to_date(term_t candidate_last_term, log_index candidate_last_index,
                                      term_t our_last_term, log_index our_last_index) noexcept {
    return our_last_term < candidate_last_term ||
           (candidate_last_term == our_last_term && our_last_index <= candidate_last_index);
}

/// The largest index <= `from` whose term is <= `term`, searching the log (`term_at`) down to
/// `floor` (the index before the first held entry). Used by the follower to build a rejection
/// hint and by the leader to turn a hint into the next index to send (etcd-io/raft's
/// findConflictByTerm): one round trip skips a whole term of divergent entries.
template <class TermAt>
log_index last_index_with_term_at_most(TermAt&& term_at, log_index from, term_t term,
                                       log_index floor) {
    log_index i = from;
    while (floor < i && term < term_at(i)) i = i.prev();
    return i;
}

}  // namespace synod::raft

#endif
