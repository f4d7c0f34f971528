#ifndef SYNOD_RAFT_MESSAGES_HPP
#define SYNOD_RAFT_MESSAGES_HPP

/// \file
/// Raft's messages (Raft Figure 2, plus pre-vote and TimeoutNow from the Raft thesis 9.6, 3.10).
/// Every message carries the sender's term and id. AppendEntries borrows its entries from the
/// leader's log: a runtime that keeps a message past transport::send() copies them (see
/// synod::borrowing_message).

#include <cstddef>
#include <cstdint>
#include <span>
#include <variant>

#include "synod/core/entry.hpp"
#include "synod/core/ids.hpp"

namespace synod::raft {

/// RequestVote (Raft 5.2), or a pre-vote (thesis 9.6): "would you vote for me at `term`?"
struct vote_request {
    term_t term;            ///< the term the candidate campaigns for
    node_id from;           ///< the sender
    log_index last_index;   ///< the candidate's last log index (Raft 5.4.1 up-to-date check)
    term_t last_term;       ///< the term of that entry
    bool pre_vote = false;  ///< a pre-vote: the receiver changes no state
    bool transfer = false;  ///< campaign ordered by the leader (TimeoutNow): skip stickiness
};

/// The answer to a vote_request.
struct vote_response {
    term_t term;            ///< the receiver's term; for a granted pre-vote, the term asked about
    node_id from;           ///< the sender
    bool granted = false;   ///< the vote (or pre-vote) is granted
    bool pre_vote = false;  ///< answers a pre-vote
};

/// AppendEntries (Raft 5.3): replicates entries and, when empty, serves as the heartbeat.
template <class Payload>
struct append_entries {
    term_t term;  ///< the sender's term
    node_id from;  ///< the sender
    log_index prev_index;  ///< the index just before the first entry
    term_t prev_term;      ///< the term at prev_index, for the consistency check
    log_index commit;      ///< the leader's commit index (capped to what the follower matches)
    std::span<const entry<Payload>> entries;  ///< borrowed from the leader's log
    /// A heartbeat (no entries, sent at the follower's match point): its answer tells the
    /// leader whether earlier AppendEntries were lost.
    bool heartbeat = false;
    /// The leader's read round when it sent this (ReadIndex and leases); echoed in the answer.
    std::uint64_t read_round = 0;
    /// Only tells the commit index: a follower that matches answers nothing (the leader knows
    /// its match point already), which saves a message per follower per commit.
    bool commit_only = false;
};

/// The answer to append_entries.
struct append_response {
    term_t term;           ///< the sender's term
    node_id from;          ///< the sender
    bool success = false;  ///< the consistency check passed; the entries are held
    /// On success the last index now known to match the leader's log; on rejection the
    /// prev_index that failed the consistency check.
    log_index index;
    /// On rejection, fast backtracking: the largest index <= prev_index whose term is <= the
    /// leader's prev_term, and that term; the leader resumes from there.
    log_index hint_index;
    term_t hint_term;  ///< the term at hint_index
    /// The follower's last log index (durable or not) when it answered.
    log_index last_index{};
    /// The answer to a heartbeat.
    bool heartbeat = false;
    /// The read round of the AppendEntries this answers.
    std::uint64_t read_round = 0;
};

/// TimeoutNow (thesis 3.10): the leader tells an up-to-date follower to campaign at once.
struct timeout_now {
    term_t term;   ///< the sender's term
    node_id from;  ///< the sender
};

/// A follower asks the leader for a read index on behalf of its client (follower reads).
struct read_index_request {
    term_t term;            ///< the sender's term
    node_id from;           ///< the sender
    std::uint64_t context;  ///< the follower's identifier of the read
};

/// The leader's answer: once the follower has applied `index`, it may serve the read.
/// `ok` is false if the leader could not confirm its leadership for this read.
struct read_index_response {
    term_t term;            ///< the sender's term
    node_id from;           ///< the sender
    std::uint64_t context;  ///< the follower's identifier of the read, echoed
    log_index index;        ///< the read index: the leader's commit index when confirmed
    bool ok = false;        ///< false if the leader could not confirm its leadership
};

/// InstallSnapshot (Raft 7): one chunk of the leader's snapshot, for a follower that needs
/// entries the leader compacted away. Chunks are streamed with flow control; a follower that
/// misses one answers with the offset it expects and the leader resumes there.
struct install_snapshot {
    term_t term;                      ///< the sender's term
    node_id from;                     ///< the sender
    log_index last_index;             ///< the snapshot replaces the log through this index
    term_t last_term;                 ///< the term of the entry at last_index
    std::uint64_t offset = 0;         ///< where `data` starts in the snapshot
    std::uint64_t total_bytes = 0;    ///< the snapshot's size
    std::span<const std::byte> data;  ///< borrowed from the leader's storage
};

/// The answer to install_snapshot: how many bytes of the snapshot the follower holds
/// contiguously, and whether it installed it (then it matches the leader through last_index).
struct snapshot_response {
    term_t term;                 ///< the sender's term
    node_id from;                ///< the sender
    log_index last_index;        ///< the snapshot answered about
    std::uint64_t received = 0;  ///< bytes held contiguously from offset 0
    bool installed = false;      ///< the snapshot is installed
};

/// Every Raft message.
template <class Payload>
using message = std::variant<vote_request, vote_response, append_entries<Payload>, append_response,
                             timeout_now, read_index_request, read_index_response,
                             install_snapshot, snapshot_response>;

/// The snapshot bytes a message borrows (empty for messages that borrow none).
template <class Payload>
std::span<const std::byte> borrowed_bytes(const message<Payload>& m) noexcept {
    if (const auto* x = std::get_if<install_snapshot>(&m)) return x->data;
    return {};
}
/// Points the message's borrowed bytes at another copy of the same bytes.
template <class Payload>
void rebind_bytes(message<Payload>& m, std::span<const std::byte> bytes) noexcept {
    if (auto* x = std::get_if<install_snapshot>(&m)) x->data = bytes;
}

/// The sender of any message.
template <class Payload>
node_id sender(const message<Payload>& m) noexcept {
    return std::visit([](const auto& x) { return x.from; }, m);
}
/// The term of any message.
template <class Payload>
term_t term_of(const message<Payload>& m) noexcept {
    return std::visit([](const auto& x) { return x.term; }, m);
}

/// synod::borrowing_message: the entries an AppendEntries borrows (empty for other messages).
template <class Payload>
std::span<const entry<Payload>> borrowed_entries(const message<Payload>& m) noexcept {
    if (const auto* a = std::get_if<append_entries<Payload>>(&m)) return a->entries;
    return {};
}
/// synod::borrowing_message: points an AppendEntries at another copy of its entries.
template <class Payload>
void rebind_entries(message<Payload>& m, std::span<const entry<Payload>> es) noexcept {
    if (auto* a = std::get_if<append_entries<Payload>>(&m)) a->entries = es;
}

}  // namespace synod::raft

#endif
