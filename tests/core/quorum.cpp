// Quorum systems (Flexible Paxos, Howard et al. 2016, section 3): every phase-1 quorum must
// intersect every phase-2 quorum. Checked exhaustively, over every subset pair, for every system
// and every cluster size up to 9, together with the committed index against a brute-force
// reference.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <vector>

#include "support/print.hpp"
#include "synod/core/quorum.hpp"
#include "synod/core/random.hpp"

using namespace synod;

namespace {

node_set first_n(std::size_t n, std::uint32_t from = 1) {
    node_set s;
    for (std::uint32_t i = 0; i < n; ++i) s.insert(node_id{from + i});
    return s;
}

node_set subset(const node_set& universe, std::uint32_t mask) {
    node_set s;
    for (std::size_t i = 0; i < universe.size(); ++i)
        if (mask & (1u << i)) s.insert(universe[i]);
    return s;
}

bool intersect(const node_set& a, const node_set& b) {
    for (node_id n : a)
        if (b.contains(n)) return true;
    return false;
}

// Every phase-1 quorum meets every phase-2 quorum (over subsets of `universe`).
template <class Phase1, class Phase2>
bool all_quorums_intersect(const node_set& universe, Phase1 p1, Phase2 p2) {
    const std::uint32_t subsets = 1u << universe.size();
    std::vector<node_set> q1, q2;
    for (std::uint32_t m = 0; m < subsets; ++m) {
        const node_set s = subset(universe, m);
        if (p1(s)) q1.push_back(s);
        if (p2(s)) q2.push_back(s);
    }
    if (q1.empty() || q2.empty()) return false;  // a system with no quorum cannot decide
    for (const auto& a : q1)
        for (const auto& b : q2)
            if (!intersect(a, b)) return false;
    return true;
}

// The largest i whose holders form a phase-2 quorum, by trying every i.
template <class Phase2, class Match>
log_index committed_reference(const node_set& voters, Phase2 p2, Match match) {
    std::uint64_t top = 0;
    for (node_id v : voters) top = std::max(top, match(v).value);
    for (std::uint64_t i = top; i > 0; --i) {
        node_set holders;
        for (node_id v : voters)
            if (match(v).value >= i) holders.insert(v);
        if (p2(holders)) return log_index{i};
    }
    return log_index{0};
}

// Calls f(match) for a deterministic sample of match vectors: all of them (values 0..3) up to
// 6 voters, 4000 seeded random ones above.
template <class F>
void for_match_vectors(const node_set& voters, F f) {
    const std::size_t n = voters.size();
    std::vector<std::uint64_t> values(n);
    auto match = [&](node_id v) { return log_index{values[voters.position(v)]}; };
    if (n <= 6) {
        std::uint64_t total = 1;
        for (std::size_t i = 0; i < n; ++i) total *= 4;
        for (std::uint64_t code = 0; code < total; ++code) {
            std::uint64_t c = code;
            for (auto& v : values) {
                v = c % 4;
                c /= 4;
            }
            f(match);
        }
    } else {
        xoshiro256 rng{n};
        for (int k = 0; k < 4000; ++k) {
            for (auto& v : values) v = uniform(rng, 0, 9);
            f(match);
        }
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(core_quorum)

BOOST_AUTO_TEST_CASE(majority_quorums_intersect_and_commit_the_median_for_every_size_to_9) {
    const majority q;
    for (std::size_t n = 1; n <= 9; ++n) {
        const node_set voters = first_n(n);
        BOOST_TEST_CONTEXT("n=" << n) {
            BOOST_TEST(q.validate(voters).has_value());
            BOOST_TEST(all_quorums_intersect(
                voters, [&](const node_set& s) { return q.phase1(voters, s); },
                [&](const node_set& s) { return q.phase2(voters, s); }));
            for (std::uint32_t m = 0; m < (1u << n); ++m) {
                const node_set s = subset(voters, m);
                BOOST_TEST(q.phase1(voters, s) == (s.size() * 2 > n));
            }
            std::size_t mismatches = 0;
            for_match_vectors(voters, [&](auto match) {
                const auto p2 = [&](const node_set& s) { return q.phase2(voters, s); };
                if (!(q.committed(voters, match) == committed_reference(voters, p2, match)))
                    ++mismatches;
            });
            BOOST_TEST(mismatches == 0u);
        }
    }
}

BOOST_AUTO_TEST_CASE(flexible_quorums_are_accepted_exactly_when_they_intersect) {
    for (std::size_t n = 1; n <= 9; ++n) {
        const node_set voters = first_n(n);
        for (std::size_t q1 = 1; q1 <= n; ++q1) {
            for (std::size_t q2 = 1; q2 <= n; ++q2) {
                const flexible q{q1, q2};
                BOOST_TEST_CONTEXT("n=" << n << " q1=" << q1 << " q2=" << q2) {
                    const bool valid = q.validate(voters).has_value();
                    const bool safe = all_quorums_intersect(
                        voters, [&](const node_set& s) { return q.phase1(voters, s); },
                        [&](const node_set& s) { return q.phase2(voters, s); });
                    BOOST_TEST(valid == (q1 + q2 > n));
                    // The negative control: a rejected system really has disjoint quorums.
                    BOOST_TEST(valid == safe);
                    if (!valid) {
                        BOOST_TEST(q.validate(voters).error() == errc::quorum_not_intersecting);
                        continue;
                    }
                    std::size_t mismatches = 0;
                    for_match_vectors(voters, [&](auto match) {
                        const auto p2 = [&](const node_set& s) { return q.phase2(voters, s); };
                        if (!(q.committed(voters, match) == committed_reference(voters, p2, match)))
                            ++mismatches;
                    });
                    BOOST_TEST(mismatches == 0u);
                }
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(static_flexible_quorums_match_their_run_time_twin) {
    const node_set voters = first_n(5);
    const flexible_static<4, 2, 5> fixed;
    const flexible dynamic{4, 2};
    BOOST_TEST(fixed.validate(voters).has_value());
    BOOST_TEST(fixed.validate(first_n(4)).error() == errc::invalid_configuration);
    for (std::uint32_t m = 0; m < 32; ++m) {
        const node_set s = subset(voters, m);
        BOOST_TEST(fixed.phase1(voters, s) == dynamic.phase1(voters, s));
        BOOST_TEST(fixed.phase2(voters, s) == dynamic.phase2(voters, s));
    }
}

BOOST_AUTO_TEST_CASE(weighted_quorums_intersect_when_the_thresholds_exceed_the_total) {
    xoshiro256 rng{2016};
    for (std::size_t n = 1; n <= 9; ++n) {
        const node_set voters = first_n(n);
        for (int trial = 0; trial < 6; ++trial) {
            weighted q;
            for (node_id v : voters)
                q.weights.push_back({v, static_cast<std::uint32_t>(uniform(rng, 0, 4))});
            const std::uint64_t total = q.total(voters);
            if (total == 0) {
                BOOST_TEST(q.validate(voters).error() == errc::invalid_configuration);
                continue;
            }
            // Majority of weight, then random explicit thresholds (some too small on purpose).
            for (int variant = 0; variant < 4; ++variant) {
                if (variant > 0) {
                    q.phase1_weight = uniform(rng, 1, total);
                    q.phase2_weight = uniform(rng, 1, total);
                }
                BOOST_TEST_CONTEXT("n=" << n << " total=" << total << " w1=" << q.phase1_weight
                                        << " w2=" << q.phase2_weight) {
                    const bool valid = q.validate(voters).has_value();
                    const bool expected =
                        q.threshold1(voters) + q.threshold2(voters) > total;
                    BOOST_TEST(valid == expected);
                    if (valid) {
                        BOOST_TEST(all_quorums_intersect(
                            voters, [&](const node_set& s) { return q.phase1(voters, s); },
                            [&](const node_set& s) { return q.phase2(voters, s); }));
                        std::size_t mismatches = 0;
                        for_match_vectors(voters, [&](auto match) {
                            const auto p2 = [&](const node_set& s) { return q.phase2(voters, s); };
                            if (!(q.committed(voters, match) ==
                                  committed_reference(voters, p2, match)))
                                ++mismatches;
                        });
                        BOOST_TEST(mismatches == 0u);
                    }
                }
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(weight_zero_voters_never_count) {
    const node_set voters = first_n(3);
    weighted q;
    q.weights.push_back({node_id{3}, 0});
    BOOST_TEST(q.validate(voters).has_value());
    BOOST_TEST(!q.phase1(voters, node_set{1u, 3u}));
    BOOST_TEST(q.phase1(voters, node_set{1u, 2u}));
}

BOOST_AUTO_TEST_CASE(joint_quorums_need_both_halves_for_every_pair_of_sizes_to_9) {
    const joint<majority> q;
    for (std::size_t total = 1; total <= 9; ++total) {
        const node_set universe = first_n(total);
        // Old voters are nodes 1..a, new voters are nodes b..total: every overlap pattern.
        for (std::size_t a = 1; a <= total; ++a) {
            for (std::size_t b = 1; b <= total; ++b) {
                configuration c;
                c.voters_outgoing = first_n(a);
                c.voters = first_n(total - b + 1, static_cast<std::uint32_t>(b));
                BOOST_TEST_CONTEXT("total=" << total << " old=1.." << a << " new=" << b << ".."
                                            << total) {
                    BOOST_TEST(q.validate(c).has_value());
                    BOOST_TEST(all_quorums_intersect(
                        universe, [&](const node_set& s) { return q.phase1(c, s); },
                        [&](const node_set& s) { return q.phase2(c, s); }));
                    // A joint quorum is exactly a quorum of each half.
                    for (std::uint32_t m = 0; m < (1u << total); ++m) {
                        const node_set s = subset(universe, m);
                        const bool both = majority{}.phase2(c.voters, s) &&
                                          majority{}.phase2(c.voters_outgoing, s);
                        BOOST_TEST(q.phase2(c, s) == both);
                    }
                    std::size_t mismatches = 0;
                    node_set all = c.voters;
                    for (node_id n : c.voters_outgoing) all.insert(n);
                    for_match_vectors(all, [&](auto match) {
                        const auto p2 = [&](const node_set& s) { return q.phase2(c, s); };
                        if (!(q.committed(c, match) == committed_reference(all, p2, match)))
                            ++mismatches;
                    });
                    BOOST_TEST(mismatches == 0u);
                }
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(a_tally_is_lost_once_rejections_leave_no_quorum) {
    const joint<majority> q;
    configuration c;
    c.voters = node_set{1u, 2u, 3u, 4u, 5u};
    BOOST_TEST((q.tally(c, node_set{1u}, node_set{}) == vote_outcome::pending));
    BOOST_TEST((q.tally(c, node_set{1u, 2u, 3u}, node_set{}) == vote_outcome::won));
    BOOST_TEST((q.tally(c, node_set{1u}, node_set{2u, 3u}) == vote_outcome::pending));
    BOOST_TEST((q.tally(c, node_set{1u}, node_set{2u, 3u, 4u}) == vote_outcome::lost));
    c.voters_outgoing = node_set{1u, 6u, 7u};
    // A majority of the new voters is not enough while the old ones have not agreed.
    BOOST_TEST((q.tally(c, node_set{1u, 2u, 3u}, node_set{}) == vote_outcome::pending));
    BOOST_TEST((q.tally(c, node_set{1u, 2u, 3u}, node_set{6u, 7u}) == vote_outcome::lost));
    BOOST_TEST((q.tally(c, node_set{1u, 2u, 3u, 6u}, node_set{}) == vote_outcome::won));
}

BOOST_AUTO_TEST_SUITE_END()
