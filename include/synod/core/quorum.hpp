#ifndef SYNOD_CORE_QUORUM_HPP
#define SYNOD_CORE_QUORUM_HPP

/// \file
/// Quorum systems: which sets of voters may decide. Phase 1 (Paxos prepare, Raft election) and
/// phase 2 (Paxos accept, Raft replication) are judged separately, as in Flexible Paxos
/// (Howard, Malkhi, Spiegelman 2016): safety needs every phase-1 quorum to intersect every
/// phase-2 quorum, not majorities everywhere.
///
/// Every system here models synod::quorum_system (core/concepts/quorum_system.hpp):
///   q.validate(voters)             -> result<void>  errc::quorum_not_intersecting if Q1, Q2 can miss
///   q.phase1(voters, acks)         -> bool          acks contain a phase-1 quorum of voters
///   q.phase2(voters, acks)         -> bool          acks contain a phase-2 quorum of voters
///   q.committed(voters, match)     -> log_index     largest i such that {v : match(v) >= i} is a
///                                                   phase-2 quorum (0 if none)

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "synod/config.hpp"
#include "synod/core/configuration.hpp"
#include "synod/core/error.hpp"
#include "synod/core/ids.hpp"
#include "synod/core/static_vector.hpp"

namespace synod {

/// Outcome of counting votes so far.
enum class vote_outcome : std::uint8_t {
    pending,  ///< neither a quorum of grants nor enough rejections yet
    won,      ///< the grants contain a phase-1 quorum
    lost,     ///< the voters not rejecting can no longer form a phase-1 quorum
};

namespace detail {

inline std::size_t count_in(const node_set& voters, const node_set& acks) noexcept {
    std::size_t n = 0;
    for (node_id v : voters) n += acks.contains(v) ? 1 : 0;
    return n;
}

/// The committed index by search: try the distinct match values from the highest down and
/// return the first whose holders form a phase-2 quorum. Works for any phase-2 predicate.
template <class Phase2, class Match>
log_index committed_by_search(const node_set& voters, Phase2&& phase2, Match&& match) {
    static_vector<log_index, max_nodes> values;
    for (node_id v : voters) values.push_back(match(v));
    std::sort(values.begin(), values.end(), [](log_index a, log_index b) { return b < a; });
    for (log_index candidate : values) {
        node_set holders;
        for (node_id v : voters)
            if (candidate <= match(v)) holders.insert(v);
        if (phase2(holders)) return candidate;
    }
    return log_index{0};
}

}  // namespace detail

/// Strict majorities for both phases: the classic choice of Raft and Paxos.
struct majority {
    /// Accepts any non-empty set of voters.
    result<void> validate(const node_set& voters) const {
        if (voters.empty()) return errc::invalid_configuration;
        return {};
    }
    /// A strict majority of `n` voters: n / 2 + 1.
    static constexpr std::size_t quorum_size(std::size_t n) noexcept { return n / 2 + 1; }
    /// At least a majority of `voters` are in `acks`.
    bool phase1(const node_set& voters, const node_set& acks) const noexcept {
        return detail::count_in(voters, acks) >= quorum_size(voters.size());
    }
    /// Majorities in both phases: the same as phase1().
    bool phase2(const node_set& voters, const node_set& acks) const noexcept {
        return phase1(voters, acks);
    }
    /// The k-th highest match index, k = quorum size: O(n) with no search.
    template <class Match>
    log_index committed(const node_set& voters, Match&& match) const {
        static_vector<log_index, max_nodes> values;
        for (node_id v : voters) values.push_back(match(v));
        if (values.empty()) return log_index{0};
        const std::size_t k = quorum_size(values.size()) - 1;
        if (values.size() <= 8) {
            // Small clusters (the common case, on every acknowledgement): an insertion sort,
            // highest first, beats a general selection.
            for (std::size_t i = 1; i < values.size(); ++i) {
                const log_index x = values[i];
                std::size_t j = i;
                for (; j > 0 && values[j - 1] < x; --j) values[j] = values[j - 1];
                values[j] = x;
            }
            return values[k];
        }
        std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k),
                         values.end(), [](log_index a, log_index b) { return b < a; });
        return values[k];
    }
};

/// Flexible Paxos with quorum sizes fixed at compile time for a cluster of exactly `N` voters.
/// A system whose quorums could miss each other does not compile.
template <std::size_t Q1, std::size_t Q2, std::size_t N>
struct flexible_static {
    static_assert(N >= 1 && N <= max_nodes, "flexible_static: N must be in 1..SYNOD_MAX_NODES");
    static_assert(Q1 >= 1 && Q1 <= N && Q2 >= 1 && Q2 <= N,
                  "flexible_static: quorum sizes must be in 1..N");
    static_assert(Q1 + Q2 > N,
                  "flexible_static<Q1, Q2, N>: phase-1 and phase-2 quorums do not intersect "
                  "(Flexible Paxos needs Q1 + Q2 > N)");
    /// Voters needed in phase 1 (elections, prepare).
    static constexpr std::size_t phase1_size = Q1;
    /// Voters needed in phase 2 (replication, accept).
    static constexpr std::size_t phase2_size = Q2;

    /// Accepts exactly `N` voters.
    result<void> validate(const node_set& voters) const {
        if (voters.size() != N) return errc::invalid_configuration;
        return {};
    }
    /// At least `Q1` of `voters` are in `acks`.
    bool phase1(const node_set& voters, const node_set& acks) const noexcept {
        return detail::count_in(voters, acks) >= Q1;
    }
    /// At least `Q2` of `voters` are in `acks`.
    bool phase2(const node_set& voters, const node_set& acks) const noexcept {
        return detail::count_in(voters, acks) >= Q2;
    }
    /// The largest index a phase-2 quorum holds (search over the distinct match values).
    template <class Match>
    log_index committed(const node_set& voters, Match&& match) const {
        return detail::committed_by_search(
            voters, [&](const node_set& s) { return phase2(voters, s); }, match);
    }
};

/// Flexible Paxos with quorum sizes chosen at run time. validate() rejects sizes that do not
/// intersect (q1 + q2 <= n) with errc::quorum_not_intersecting: run nothing until it passes.
struct flexible {
    std::size_t q1 = 1;  ///< voters needed in phase 1 (elections, prepare)
    std::size_t q2 = 1;  ///< voters needed in phase 2 (replication, accept)

    /// Checks 1 <= q1, q2 <= n and q1 + q2 > n (errc::quorum_not_intersecting otherwise).
    result<void> validate(const node_set& voters) const {
        const std::size_t n = voters.size();
        if (n == 0 || q1 == 0 || q2 == 0 || q1 > n || q2 > n) return errc::invalid_configuration;
        if (q1 + q2 <= n) return errc::quorum_not_intersecting;
        return {};
    }
    /// At least `q1` of `voters` are in `acks`.
    bool phase1(const node_set& voters, const node_set& acks) const noexcept {
        return detail::count_in(voters, acks) >= q1;
    }
    /// At least `q2` of `voters` are in `acks`.
    bool phase2(const node_set& voters, const node_set& acks) const noexcept {
        return detail::count_in(voters, acks) >= q2;
    }
    /// The largest index a phase-2 quorum holds (search over the distinct match values).
    template <class Match>
    log_index committed(const node_set& voters, Match&& match) const {
        return detail::committed_by_search(
            voters, [&](const node_set& s) { return phase2(voters, s); }, match);
    }
};

/// Weighted voting (Gifford 1979): each voter has a weight (1 unless listed); a set is a phase-1
/// quorum when its weight reaches `phase1_weight`, phase-2 when it reaches `phase2_weight`.
/// Thresholds of 0 mean "more than half of the total weight". validate() checks
/// phase1_weight + phase2_weight > total weight, the weighted form of the intersection rule.
struct weighted {
    /// (voter, weight) pairs; a voter not listed weighs 1.
    static_vector<std::pair<node_id, std::uint32_t>, max_nodes> weights;
    std::uint64_t phase1_weight = 0;  ///< weight needed in phase 1; 0: more than half
    std::uint64_t phase2_weight = 0;  ///< weight needed in phase 2; 0: more than half

    /// The weight of voter `n`: as listed in `weights`, else 1.
    std::uint32_t weight_of(node_id n) const noexcept {
        for (const auto& [id, w] : weights)
            if (id == n) return w;
        return 1;
    }
    /// The weight of all `voters`.
    std::uint64_t total(const node_set& voters) const noexcept {
        std::uint64_t t = 0;
        for (node_id v : voters) t += weight_of(v);
        return t;
    }
    /// The weight a phase-1 quorum of `voters` needs.
    std::uint64_t threshold1(const node_set& voters) const noexcept {
        return phase1_weight ? phase1_weight : total(voters) / 2 + 1;
    }
    /// The weight a phase-2 quorum of `voters` needs.
    std::uint64_t threshold2(const node_set& voters) const noexcept {
        return phase2_weight ? phase2_weight : total(voters) / 2 + 1;
    }
    /// The weight of the `voters` that are in `acks`.
    std::uint64_t weight_in(const node_set& voters, const node_set& acks) const noexcept {
        std::uint64_t w = 0;
        for (node_id v : voters)
            if (acks.contains(v)) w += weight_of(v);
        return w;
    }
    /// Checks that both thresholds can be reached and that they add up to more than the total
    /// weight (errc::quorum_not_intersecting otherwise).
    result<void> validate(const node_set& voters) const {
        const std::uint64_t t = total(voters);
        if (voters.empty() || t == 0) return errc::invalid_configuration;
        if (threshold1(voters) > t || threshold2(voters) > t) return errc::invalid_configuration;
        if (threshold1(voters) + threshold2(voters) <= t) return errc::quorum_not_intersecting;
        return {};
    }
    /// The weight of `voters` in `acks` reaches the phase-1 threshold.
    bool phase1(const node_set& voters, const node_set& acks) const noexcept {
        return weight_in(voters, acks) >= threshold1(voters);
    }
    /// The weight of `voters` in `acks` reaches the phase-2 threshold.
    bool phase2(const node_set& voters, const node_set& acks) const noexcept {
        return weight_in(voters, acks) >= threshold2(voters);
    }
    /// The largest index a phase-2 quorum holds (search over the distinct match values).
    template <class Match>
    log_index committed(const node_set& voters, Match&& match) const {
        return detail::committed_by_search(
            voters, [&](const node_set& s) { return phase2(voters, s); }, match);
    }
};

/// Joint consensus over a configuration (Raft thesis 4.3): while the configuration is joint a
/// decision needs a quorum of the incoming voters *and* of the outgoing voters, each judged by
/// the inner system `Q`; otherwise it is `Q` over the voters alone.
template <class Q>
struct joint {
    Q inner{};  ///< the system that judges each half

    /// Validates each half with the inner system.
    result<void> validate(const configuration& c) const {
        if (auto r = inner.validate(c.voters); !r) return r;
        if (c.joint()) return inner.validate(c.voters_outgoing);
        return {};
    }
    /// A phase-1 quorum of the voters, and of the outgoing voters while joint.
    bool phase1(const configuration& c, const node_set& acks) const {
        return inner.phase1(c.voters, acks) &&
               (!c.joint() || inner.phase1(c.voters_outgoing, acks));
    }
    /// A phase-2 quorum of the voters, and of the outgoing voters while joint.
    bool phase2(const configuration& c, const node_set& acks) const {
        return inner.phase2(c.voters, acks) &&
               (!c.joint() || inner.phase2(c.voters_outgoing, acks));
    }
    /// Both halves must hold an index for it to be committed: the smaller of the two.
    template <class Match>
    log_index committed(const configuration& c, Match&& match) const {
        const log_index in = inner.committed(c.voters, match);
        if (!c.joint()) return in;
        return std::min(in, inner.committed(c.voters_outgoing, match));
    }
    /// Won once the grants form a phase-1 quorum; lost once the voters that have not rejected
    /// can no longer form one, in either half.
    vote_outcome tally(const configuration& c, const node_set& granted,
                       const node_set& rejected) const {
        if (phase1(c, granted)) return vote_outcome::won;
        node_set possible;
        c.for_each_member([&](node_id n) {
            if (c.is_voter(n) && !rejected.contains(n)) possible.insert(n);
        });
        return phase1(c, possible) ? vote_outcome::pending : vote_outcome::lost;
    }
};

}  // namespace synod

#endif
