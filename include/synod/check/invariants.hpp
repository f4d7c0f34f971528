#ifndef SYNOD_CHECK_INVARIANTS_HPP
#define SYNOD_CHECK_INVARIANTS_HPP

/// \file
/// Cluster-wide safety invariants of Raft and (Multi-)Paxos, checked incrementally from plain
/// observations the simulator reports after each step, so that they do not depend on the node
/// classes. RELIABILITY.md 2 ("every run checks"), SCENARIOS.md 5.
///
/// Raft (Ongaro & Ousterhout 2014, figure 3):
///  - election safety: at most one leader per term;
///  - log matching: two logs with an entry of the same index and term are identical up to it;
///  - leader completeness: an entry committed in term T is in the log of every leader of a
///    term above T;
///  - state machine safety: no two nodes apply different entries at one index; each node
///    applies in index order without gaps, and only committed entries;
/// plus: the commit index of a node never goes back (restarts included, as synod persists it);
/// durable term and vote never regress (a vote, once durable, never changes within its term);
/// a committed entry is never removed from a log.
/// Paxos (Lamport, Paxos Made Simple): at most one value is chosen per slot; an acceptor's
/// promised ballot never decreases (restarts included).
///
/// Every observation costs O(1) amortized (a hash-map lookup, or a binary search for leader
/// completeness), not O(log length): logs are summarized by a running hash chain, so "these
/// logs are identical up to i" is one comparison. Entries are identified by the 64-bit hash of
/// their payload the simulator supplies; hash collisions are assumed away.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "synod/check/model.hpp"
#include "synod/core/ballot.hpp"
#include "synod/core/ids.hpp"

namespace synod::check {

/// Which invariant a violation breaks.
enum class invariant : std::uint8_t {
    election_safety,
    log_matching,
    leader_completeness,
    state_machine_safety,
    apply_order,
    commit_monotonic,
    committed_entry_lost,
    durable_state,
    paxos_agreement,
    promise_monotonic,
};

constexpr std::string_view to_string(invariant i) noexcept {
    switch (i) {
        case invariant::election_safety: return "election safety";
        case invariant::log_matching: return "log matching";
        case invariant::leader_completeness: return "leader completeness";
        case invariant::state_machine_safety: return "state machine safety";
        case invariant::apply_order: return "apply order";
        case invariant::commit_monotonic: return "commit index monotonic";
        case invariant::committed_entry_lost: return "committed entry lost";
        case invariant::durable_state: return "durable state monotonic";
        case invariant::paxos_agreement: return "paxos agreement";
        case invariant::promise_monotonic: return "promise monotonic";
    }
    return "?";
}

/// One broken invariant: which, where, and a sentence with the conflicting values.
struct violation {
    invariant broken = invariant::election_safety;
    node_id node{};       ///< the node whose observation revealed it (none for chosen())
    node_id other{};      ///< the node it conflicts with, if one
    log_index index{};    ///< the log index or Paxos slot concerned, if one
    std::string description;
};

/// One entry of a log as the observer sees it.
struct log_entry_info {
    log_index index{};
    term_t term{};
    std::uint64_t hash = 0;  ///< of the payload (and kind); equal entries hash equally
};

/// Tuning of cluster_observer.
struct observer_options {
    /// The commit index survives a restart (synod persists it with term and vote), so it must
    /// not go back across one. False for a runtime that keeps it volatile (Raft's figure 2).
    bool commit_index_durable = true;
};

/// Receives observations of a running cluster and checks the invariants above after each.
/// Every observation returns the violation it revealed, if any; the first one is also kept
/// (first_violation()). Observations after a violation are still checked.
///
/// Log observations: appended() as a node writes an entry (at most one past its last entry;
/// an entry with another term at an existing index replaces it and all after it, as a Raft
/// follower does), truncated() when a node drops a suffix (for example the unsynced tail lost
/// in a crash), or log_snapshot() to state a whole log at once (O(its length)). Logs start at
/// index 1; snapshot compaction is not modelled yet.
class cluster_observer {
public:
    explicit cluster_observer(observer_options options = {}) : options_{options} {}

    // ---- Raft ------------------------------------------------------------------------------

    /// `node` became leader of `term`.
    std::optional<violation> became_leader(node_id node, term_t term) {
        node_state& n = at(node);
        const auto [it, inserted] = leaders_.try_emplace(term.value, node);
        if (!inserted && it->second != node)
            return report({invariant::election_safety, node, it->second, {},
                           "two leaders in term " + std::to_string(term.value) + ": n" +
                               std::to_string(it->second.value) + " and n" +
                               std::to_string(node.value)});
        n.leader_term = std::max(n.leader_term, term);
        if (term >= top_leader_term_) {
            top_leader_term_ = term;
            top_leader_ = node;
        }
        return check_completeness(node, term);
    }

    /// `node` has written entry (index, term, hash) to its log.
    std::optional<violation> appended(node_id node, log_index index, term_t term,
                                      std::uint64_t hash) {
        node_state& n = at(node);
        const std::size_t length = n.log.size();
        if (index.value == 0 || index.value > length + 1)
            return report({invariant::log_matching, node, {}, index,
                           "n" + std::to_string(node.value) + " appended index " +
                               std::to_string(index.value) + " to a log of " +
                               std::to_string(length) + " entries (a gap)"});
        std::optional<violation> lost;
        if (index.value <= length) {
            const slot& old = n.log[index.value - 1];
            if (old.term == term) {
                if (old.hash == hash) return {};  // the same entry again: Raft keeps it
                return report({invariant::log_matching, node, node, index,
                               "n" + std::to_string(node.value) + " rewrote index " +
                                   std::to_string(index.value) + " term " +
                                   std::to_string(term.value) + " with a different payload"});
            }
            lost = truncated(node, index);
        }
        const std::uint64_t prev = n.log.empty() ? 0 : n.log.back().chain;
        const std::uint64_t chain = detail::hash_combine(prev, detail::hash_combine(term.value, hash));
        n.log.push_back({term, hash, chain});
        // Log matching: every log holding (index, term) must agree on the whole prefix.
        const auto [it, inserted] = chains_.try_emplace(key_of(index, term), chain_record{chain, node});
        if (!inserted && it->second.chain != chain) {
            const node_id other = it->second.node;
            return report({invariant::log_matching, node, other, index,
                           "n" + std::to_string(node.value) + " and n" +
                               std::to_string(other.value) + " both hold index " +
                               std::to_string(index.value) + " term " +
                               std::to_string(term.value) + " but their logs differ" +
                               first_difference(node, other, index)});
        }
        return lost;
    }

    /// `node` removed every entry from `first` on.
    std::optional<violation> truncated(node_id node, log_index first) {
        node_state& n = at(node);
        if (first.value == 0) first = log_index{1};
        if (first.value > n.log.size()) return {};
        const log_index last_kept{first.value - 1};
        n.log.resize(last_kept.value);
        if (first <= n.commit)
            return report({invariant::committed_entry_lost, node, {}, first,
                           "n" + std::to_string(node.value) + " removed entries from index " +
                               std::to_string(first.value) + " but has committed through " +
                               std::to_string(n.commit.value)});
        return {};
    }

    /// `node`'s whole log is `entries` (indices 1, 2, ... in order). O(entries).
    std::optional<violation> log_snapshot(node_id node, std::span<const log_entry_info> entries) {
        node_state& n = at(node);
        std::size_t same = 0;
        while (same < entries.size() && same < n.log.size() &&
               n.log[same].term == entries[same].term && n.log[same].hash == entries[same].hash)
            ++same;
        std::optional<violation> first;
        if (same < n.log.size()) first = truncated(node, log_index{same + 1});
        for (std::size_t i = same; i < entries.size(); ++i) {
            auto v = appended(node, log_index{i + 1}, entries[i].term, entries[i].hash);
            if (v && !first) first = std::move(v);
        }
        return first;
    }

    /// `node` replaced its log through `index` with a snapshot (Raft 7). A snapshot holds
    /// committed entries only, so its log now begins with the committed prefix through `index`;
    /// entries after it are kept if they follow on from that prefix, else dropped. Its state
    /// machine holds the state through `index`.
    std::optional<violation> installed_snapshot(node_id node, log_index index) {
        node_state& n = at(node);
        if (index.value > committed_.size())
            return report({invariant::state_machine_safety, node, {}, index,
                           "n" + std::to_string(node.value) + " installed a snapshot through index " +
                               std::to_string(index.value) + " but only " +
                               std::to_string(committed_.size()) + " entries are committed"});
        if (index.value == 0) return {};
        const committed_record& last = committed_[index.value - 1];
        const bool suffix_follows = n.log.size() > index.value && n.log[index.value - 1].chain == last.chain;
        if (!suffix_follows) n.log.resize(index.value);
        for (std::size_t i = 0; i < index.value; ++i)
            n.log[i] = slot{committed_[i].term, committed_[i].hash, committed_[i].chain};
        n.commit = std::max(n.commit, index);
        n.applied = index;
        return {};
    }

    /// `node`, whose current term is `term`, has advanced its commit index to `commit_index`.
    std::optional<violation> committed(node_id node, log_index commit_index, term_t term) {
        node_state& n = at(node);
        if (commit_index < n.commit)
            return report({invariant::commit_monotonic, node, {}, commit_index,
                           "n" + std::to_string(node.value) + " moved its commit index back from " +
                               std::to_string(n.commit.value) + " to " +
                               std::to_string(commit_index.value)});
        if (commit_index.value > n.log.size())
            return report({invariant::state_machine_safety, node, {}, commit_index,
                           "n" + std::to_string(node.value) + " committed through index " +
                               std::to_string(commit_index.value) + " but its log has " +
                               std::to_string(n.log.size()) + " entries"});
        n.commit = commit_index;
        if (commit_index.value == 0) return {};
        // The committed prefixes of all nodes are one log: compare at the shorter one, then
        // extend with this node's entries.
        const std::size_t shared = std::min<std::size_t>(commit_index.value, committed_.size());
        if (shared != 0 && n.log[shared - 1].chain != committed_[shared - 1].chain)
            return report(committed_conflict(node, shared));
        for (std::size_t i = shared; i < commit_index.value; ++i) {
            const std::uint64_t bound =
                std::max(term.value, committed_.empty() ? 0 : committed_.back().term_bound_max);
            committed_.push_back({n.log[i].term, n.log[i].hash, n.log[i].chain, bound});
        }
        // Leader completeness for the leader of the highest term, if it is not this node.
        if (top_leader_ && top_leader_ != node) return check_completeness(top_leader_, top_leader_term_);
        return {};
    }

    /// `node` applied entry (index, term, hash) to its state machine.
    std::optional<violation> applied(node_id node, log_index index, term_t term,
                                     std::uint64_t hash) {
        node_state& n = at(node);
        if (index != n.applied.next())
            return report({invariant::apply_order, node, {}, index,
                           "n" + std::to_string(node.value) + " applied index " +
                               std::to_string(index.value) + " after index " +
                               std::to_string(n.applied.value)});
        n.applied = index;
        if (index > n.commit)
            return report({invariant::apply_order, node, {}, index,
                           "n" + std::to_string(node.value) + " applied index " +
                               std::to_string(index.value) + " beyond its commit index " +
                               std::to_string(n.commit.value)});
        if (index.value > applied_.size()) applied_.resize(index.value);
        applied_record& a = applied_[index.value - 1];
        if (!a.node) {
            a = {term, hash, node};
        } else if (a.term != term || a.hash != hash) {
            return report({invariant::state_machine_safety, node, a.node, index,
                           "n" + std::to_string(node.value) + " applied (term " +
                               std::to_string(term.value) + ", hash " + hex(hash) +
                               ") at index " + std::to_string(index.value) + " where n" +
                               std::to_string(a.node.value) + " applied (term " +
                               std::to_string(a.term.value) + ", hash " + hex(a.hash) + ")"});
        }
        if (index.value <= committed_.size()) {
            const committed_record& c = committed_[index.value - 1];
            if (c.term != term || c.hash != hash)
                return report({invariant::state_machine_safety, node, {}, index,
                               "n" + std::to_string(node.value) + " applied (term " +
                                   std::to_string(term.value) + ", hash " + hex(hash) +
                                   ") at index " + std::to_string(index.value) +
                                   " but the committed entry is (term " +
                                   std::to_string(c.term.value) + ", hash " + hex(c.hash) + ")"});
        }
        return {};
    }

    /// `node` made (term, vote) durable. `vote` is no_node if it has not voted in `term`.
    std::optional<violation> hard_state(node_id node, term_t term, node_id vote) {
        node_state& n = at(node);
        std::optional<violation> v = check_durable(node, n, term, vote, "saved");
        if (term > n.term) {
            n.term = term;
            n.vote = vote;
        } else if (term == n.term && !n.vote) {
            n.vote = vote;
        }
        return v;
    }

    /// `node` restarted and recovered (term, vote) and its commit index from durable storage;
    /// its state machine restarts empty (applied index 0) unless it says otherwise. Report the
    /// log it recovered with truncated() or log_snapshot().
    std::optional<violation> restarted(node_id node, term_t term, node_id vote,
                                       log_index commit_index = {},
                                       log_index applied_index = {}) {
        node_state& n = at(node);
        std::optional<violation> v = check_durable(node, n, term, vote, "recovered");
        if (!v && options_.commit_index_durable && commit_index < n.commit)
            v = report({invariant::commit_monotonic, node, {}, commit_index,
                        "n" + std::to_string(node.value) + " recovered commit index " +
                            std::to_string(commit_index.value) + " after committing through " +
                            std::to_string(n.commit.value)});
        n.term = term;
        n.vote = vote;
        n.commit = commit_index;
        n.applied = applied_index;
        if (top_leader_ == node) top_leader_ = no_node;
        return v;
    }

    // ---- Paxos -----------------------------------------------------------------------------

    /// A learner saw the value with hash `value_hash` chosen in `slot`.
    std::optional<violation> chosen(std::uint64_t slot, std::uint64_t value_hash) {
        const auto [it, inserted] = chosen_.try_emplace(slot, value_hash);
        if (!inserted && it->second != value_hash)
            return report({invariant::paxos_agreement, {}, {}, log_index{slot},
                           "slot " + std::to_string(slot) + ": chose value " + hex(value_hash) +
                               " after value " + hex(it->second)});
        return {};
    }

    /// Acceptor `node` has (durably) promised `b`; also report the ballot recovered on restart.
    std::optional<violation> promised(node_id node, const ballot& b) {
        node_state& n = at(node);
        if (b < n.promised)
            return report({invariant::promise_monotonic, node, {}, {},
                           "n" + std::to_string(node.value) + " promised ballot (" +
                               std::to_string(b.round) + "," + std::to_string(b.proposer.value) +
                               ") after (" + std::to_string(n.promised.round) + "," +
                               std::to_string(n.promised.proposer.value) + ")"});
        n.promised = b;
        return {};
    }

    // ---- results ---------------------------------------------------------------------------

    const std::optional<violation>& first_violation() const noexcept { return first_; }
    std::uint64_t violations() const noexcept { return violations_; }
    /// The length of the committed prefix the observer knows.
    log_index committed_index() const noexcept { return log_index{committed_.size()}; }

private:
    struct slot {
        term_t term;
        std::uint64_t hash;
        std::uint64_t chain;  // hash of the log up to and including this entry
    };
    struct node_state {
        std::vector<slot> log;
        log_index commit{};
        log_index applied{};
        term_t term{};
        node_id vote{};
        term_t leader_term{};
        ballot promised{};
    };
    struct chain_record {
        std::uint64_t chain;
        node_id node;  // the first node seen holding it
    };
    struct committed_record {
        term_t term;
        std::uint64_t hash;
        std::uint64_t chain;
        // An upper bound on the terms in which this entry and every one before it were
        // committed: the current term of the node that first reported them committed. A leader
        // of a term above it must hold the prefix (leader completeness).
        std::uint64_t term_bound_max;
    };
    struct applied_record {
        term_t term{};
        std::uint64_t hash = 0;
        node_id node{};
    };
    struct key_hash {
        std::size_t operator()(const std::pair<std::uint64_t, std::uint64_t>& k) const noexcept {
            return static_cast<std::size_t>(detail::hash_combine(k.first, k.second));
        }
    };

    static std::pair<std::uint64_t, std::uint64_t> key_of(log_index i, term_t t) noexcept {
        return {i.value, t.value};
    }
    static std::string hex(std::uint64_t v) {
        static constexpr char digits[] = "0123456789abcdef";
        std::string s = "0x";
        bool started = false;
        for (int shift = 60; shift >= 0; shift -= 4) {
            const unsigned d = (v >> shift) & 0xf;
            if (d != 0 || started || shift == 0) {
                s.push_back(digits[d]);
                started = true;
            }
        }
        return s;
    }

    node_state& at(node_id node) {
        if (node.value >= nodes_.size()) nodes_.resize(node.value + 1);
        return nodes_[node.value];
    }

    std::optional<violation> report(violation v) {
        ++violations_;
        if (!first_) first_ = v;
        return v;
    }

    std::optional<violation> check_durable(node_id node, const node_state& n, term_t term,
                                           node_id vote, const char* verb) {
        const std::string who = "n" + std::to_string(node.value) + " " + verb + " ";
        if (term < n.term)
            return report({invariant::durable_state, node, {}, {},
                           who + "term " + std::to_string(term.value) + " after term " +
                               std::to_string(n.term.value)});
        if (term == n.term && n.vote && vote != n.vote)
            return report({invariant::durable_state, node, vote, {},
                           who + "vote for n" + std::to_string(vote.value) + " in term " +
                               std::to_string(term.value) + " after voting for n" +
                               std::to_string(n.vote.value)});
        return {};
    }

    // Raft 5.4 (leader completeness): the leader of `term` holds every entry committed in an
    // earlier term. The committed prefix whose term bounds are all below `term` qualifies.
    std::optional<violation> check_completeness(node_id leader, term_t term) {
        const auto end = std::partition_point(
            committed_.begin(), committed_.end(),
            [&](const committed_record& c) { return c.term_bound_max < term.value; });
        const std::size_t required = static_cast<std::size_t>(end - committed_.begin());
        if (required == 0) return {};
        const node_state& n = nodes_[leader.value];
        if (n.log.size() >= required && n.log[required - 1].chain == committed_[required - 1].chain)
            return {};
        std::size_t i = 0;
        while (i < required && i < n.log.size() && n.log[i].chain == committed_[i].chain) ++i;
        const std::string missing =
            i < n.log.size()
                ? "holds (term " + std::to_string(n.log[i].term.value) + ", hash " +
                      hex(n.log[i].hash) + ") there"
                : "has only " + std::to_string(n.log.size()) + " entries";
        return report({invariant::leader_completeness, leader, {}, log_index{i + 1},
                       "n" + std::to_string(leader.value) + ", leader of term " +
                           std::to_string(term.value) + ", lacks committed index " +
                           std::to_string(i + 1) + " (term " +
                           std::to_string(committed_[i].term.value) + ", hash " +
                           hex(committed_[i].hash) + "); it " + missing});
    }

    violation committed_conflict(node_id node, std::size_t upto) const {
        const node_state& n = nodes_[node.value];
        std::size_t i = 0;
        while (i < upto && n.log[i].chain == committed_[i].chain) ++i;
        return {invariant::state_machine_safety, node, {}, log_index{i + 1},
                "n" + std::to_string(node.value) + " committed (term " +
                    std::to_string(n.log[i].term.value) + ", hash " + hex(n.log[i].hash) +
                    ") at index " + std::to_string(i + 1) + " where (term " +
                    std::to_string(committed_[i].term.value) + ", hash " +
                    hex(committed_[i].hash) + ") was committed"};
    }

    std::string first_difference(node_id a, node_id b, log_index upto) const {
        const std::vector<slot>& x = nodes_[a.value].log;
        const std::vector<slot>& y = nodes_[b.value].log;
        const std::size_t n = std::min({x.size(), y.size(), std::size_t{upto.value}});
        for (std::size_t i = 0; i < n; ++i)
            if (x[i].term != y[i].term || x[i].hash != y[i].hash)
                return " (first at index " + std::to_string(i + 1) + ": term " +
                       std::to_string(x[i].term.value) + " vs " + std::to_string(y[i].term.value) +
                       ", hash " + hex(x[i].hash) + " vs " + hex(y[i].hash) + ")";
        return "";
    }

    observer_options options_;
    std::vector<node_state> nodes_;
    std::unordered_map<std::uint64_t, node_id> leaders_;
    term_t top_leader_term_{};
    node_id top_leader_{};
    std::unordered_map<std::pair<std::uint64_t, std::uint64_t>, chain_record, key_hash> chains_;
    std::vector<committed_record> committed_;
    std::vector<applied_record> applied_;
    std::unordered_map<std::uint64_t, std::uint64_t> chosen_;
    std::optional<violation> first_;
    std::uint64_t violations_ = 0;
};

}  // namespace synod::check

#endif
