// The single-decree learner (Paxos Made Simple 2.4): a value is learned only from a phase-2 quorum
// of votes in one ballot (SCENARIOS X9); duplicated and reordered votes change nothing (X8).
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include "paxos/support.hpp"

using namespace synod;
namespace data = boost::unit_test::data;
using V = std::string;

namespace {

using learner_type = paxos::learner<test::sd_traits<>>;

paxos::accepted<V> vote(std::uint32_t from, std::uint64_t round, V v) {
    return {node_id{from}, proposal<V>{ballot{round, node_id{9}}, std::move(v)}};
}

struct vote_case {
    const char* name;
    std::vector<paxos::accepted<V>> votes;
    std::optional<V> learned;
};
std::ostream& operator<<(std::ostream& os, const vote_case& c) { return os << c.name; }

const vote_case vote_cases[] = {
    {"a majority in one ballot is learned", {vote(1, 1, "a"), vote(2, 1, "a"), vote(3, 1, "a")}, "a"},
    {"the same value in two ballots does not add up",
     {vote(1, 1, "a"), vote(2, 1, "a"), vote(3, 2, "a"), vote(4, 2, "a")}, std::nullopt},
    {"a duplicated vote counts once", {vote(1, 1, "a"), vote(1, 1, "a"), vote(1, 1, "a"), vote(2, 1, "a")},
     std::nullopt},
    {"votes from a non-acceptor do not count",
     {vote(1, 1, "a"), vote(2, 1, "a"), vote(8, 1, "a"), vote(9, 1, "a")}, std::nullopt},
    {"a higher ballot completes after a lower one was started",
     {vote(1, 1, "a"), vote(2, 3, "b"), vote(3, 3, "b"), vote(4, 3, "b")}, "b"},
    {"reordered votes are learned as well",
     {vote(5, 2, "c"), vote(1, 1, "a"), vote(4, 2, "c"), vote(2, 2, "c")}, "c"},
};

}  // namespace

BOOST_AUTO_TEST_SUITE(paxos_learner)

BOOST_DATA_TEST_CASE(a_value_is_learned_from_one_ballot_s_phase_2_quorum, data::make(vote_cases), c) {
    learner_type l{node_id{10}, test::voters_1_to(5)};
    for (const auto& v : c.votes) l.on(test::sd_message{v});
    BOOST_TEST((l.chosen() == c.learned));
}

BOOST_AUTO_TEST_CASE(a_learned_value_never_changes) {
    learner_type l{node_id{10}, test::voters_1_to(3)};
    l.on(vote(1, 1, "a"));
    l.on(vote(2, 1, "a"));
    BOOST_TEST((l.chosen() == std::optional<V>{"a"}));
    l.on(vote(1, 5, "z"));
    l.on(vote(2, 5, "z"));
    l.on(vote(3, 5, "z"));
    BOOST_TEST((l.chosen() == std::optional<V>{"a"}));
}

BOOST_AUTO_TEST_CASE(many_ballots_keep_the_highest_tallies) {
    learner_type l{node_id{10}, test::voters_1_to(3)};
    for (std::uint64_t r = 1; r <= 20; ++r) l.on(vote(1, r, "v" + std::to_string(r)));
    l.on(vote(2, 3, "v3"));  // an old ballot whose tally was forgotten: not learned
    BOOST_TEST(!l.chosen().has_value());
    l.on(vote(3, 20, "v20"));
    BOOST_TEST((l.chosen() == std::optional<V>{"v20"}));
}

BOOST_AUTO_TEST_CASE(a_flexible_phase_2_quorum_is_enough) {
    using traits = test::sd_traits<storage::memory_acceptor<V>, flexible>;
    paxos::learner<traits> l{node_id{10}, test::voters_1_to(5), flexible{4, 2}};
    l.on(vote(4, 1, "a"));
    BOOST_TEST(!l.chosen().has_value());
    l.on(vote(5, 1, "a"));
    BOOST_TEST((l.chosen() == std::optional<V>{"a"}));
}

BOOST_AUTO_TEST_SUITE_END()
