// The single-decree proposer (Paxos Made Simple 2.2): the value-choice rule P2c over every
// phase-1 quorum of a fixed acceptor table (SCENARIOS X2), a single proposer's two phases (X1),
// duplicate and superseded promises (X8), and the jump past a rejecting ballot.
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include "paxos/support.hpp"

using namespace synod;
namespace data = boost::unit_test::data;
using V = std::string;

namespace {

using traits = test::sd_traits<>;
using proposer_type = paxos::proposer<traits>;

struct proposer_fixture {
    test::sd_network net;
    proposer_type p;
    explicit proposer_fixture(std::uint32_t acceptors = 5, paxos::proposer_settings s = {})
        : p{node_id{9},
            test::voters_1_to(acceptors),
            s,
            net.transport_for(node_id{9}),
            net.timer_for(node_id{9}),
            xoshiro256{7}} {
        net.attach(node_id{9}, p);
    }
    std::vector<runtime::sync::envelope<test::sd_message>> sent() { return net.drain(); }
    void promise_from(std::uint32_t a) {
        paxos::promise<V> m{node_id{a}, p.current(), {}};
        p.on(m);
    }
    void promise_from(std::uint32_t a, const std::optional<proposal<V>>& accepted) {
        paxos::promise<V> m{node_id{a}, p.current(), {}};
        if (accepted) m.accepted.emplace(*accepted);
        p.on(m);
    }
};

// X2's acceptor table: A1, A2 accepted (1, "x"); A3 accepted (2, "y"); A4, A5 accepted nothing.
std::optional<proposal<V>> x2_state(std::uint32_t a) {
    if (a == 1 || a == 2) return proposal<V>{ballot{1, node_id{1}}, "x"};
    if (a == 3) return proposal<V>{ballot{2, node_id{2}}, "y"};
    return std::nullopt;
}

struct quorum_case {
    std::vector<std::uint32_t> promisers;
    V expected;
};
std::ostream& operator<<(std::ostream& os, const quorum_case& c) {
    os << "promises from";
    for (auto a : c.promisers) os << " A" << a;
    return os << " => " << c.expected;
}

// Every 3-of-5 phase-1 quorum, with the value P2c demands.
std::vector<quorum_case> all_quorums_of_three() {
    std::vector<quorum_case> out;
    for (std::uint32_t mask = 0; mask < 32; ++mask) {
        if (__builtin_popcount(mask) != 3) continue;
        quorum_case c;
        for (std::uint32_t a = 1; a <= 5; ++a)
            if (mask & (1u << (a - 1))) c.promisers.push_back(a);
        const auto has = [&](std::uint32_t a) {
            return std::find(c.promisers.begin(), c.promisers.end(), a) != c.promisers.end();
        };
        c.expected = has(3) ? "y" : (has(1) || has(2)) ? "x" : "own";
        out.push_back(c);
    }
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(paxos_proposer)

BOOST_DATA_TEST_CASE(value_choice_adopts_the_highest_accepted_ballot,
                     data::make(all_quorums_of_three()), c) {
    std::vector<std::optional<proposal<V>>> reported;
    for (auto a : c.promisers) reported.push_back(x2_state(a));
    const V own = "own";
    BOOST_TEST(paxos::choose_value<V>(reported, own) == c.expected);

    // The same through a proposer: the accept it sends carries the chosen value.
    proposer_fixture f;
    BOOST_TEST_REQUIRE(f.p.propose("own").has_value());
    f.sent();
    for (auto a : c.promisers) f.promise_from(a, x2_state(a));
    BOOST_TEST(f.p.phase() == paxos::proposer_phase::accepting);
    const auto out = f.sent();
    BOOST_TEST_REQUIRE(out.size() == 5u);
    for (const auto& env : out) {
        const auto* acc = std::get_if<paxos::accept<V>>(&env.message);
        BOOST_TEST_REQUIRE(acc != nullptr);
        BOOST_TEST(acc->proposed.value == c.expected);
        BOOST_TEST(acc->proposed.number == f.p.current());
    }
}

// X1: one proposer, three acceptors that also learn: two phases, one value, every acceptor ends
// with promised == accepted ballot.
BOOST_AUTO_TEST_CASE(a_single_proposer_needs_exactly_two_phases) {
    using acceptor_traits = test::sd_traits<>;
    test::sd_network net;
    std::vector<std::unique_ptr<paxos::acceptor<acceptor_traits>>> acceptors;
    for (std::uint32_t i = 1; i <= 3; ++i) {
        acceptors.push_back(std::make_unique<paxos::acceptor<acceptor_traits>>(
            node_id{i}, node_set{4u}, storage::memory_acceptor<V>{}, net.transport_for(node_id{i})));
        net.attach(node_id{i}, *acceptors.back());
    }
    proposer_type p{node_id{9}, test::voters_1_to(3), {}, net.transport_for(node_id{9}),
                    net.timer_for(node_id{9}), xoshiro256{1}};
    paxos::learner<acceptor_traits> l{node_id{4}, test::voters_1_to(3)};
    net.attach(node_id{9}, p);
    net.attach(node_id{4}, l);
    std::size_t prepares = 0, accepts = 0;
    net.drop_if([&](const auto& env) {
        prepares += std::holds_alternative<paxos::prepare>(env.message);
        accepts += std::holds_alternative<paxos::accept<V>>(env.message);
        return false;
    });
    BOOST_TEST_REQUIRE(p.propose("v").has_value());
    net.deliver_all();
    BOOST_TEST(p.phase() == paxos::proposer_phase::chosen);
    BOOST_TEST((p.chosen() == std::optional<V>{"v"}));
    BOOST_TEST((l.chosen() == std::optional<V>{"v"}));
    BOOST_TEST(p.rounds() == 1u);
    BOOST_TEST(prepares == 3u);
    BOOST_TEST(accepts == 3u);
    BOOST_TEST(net.delivered() == 3u + 3u + 3u + 3u + 3u);  // prepare, promise, accept, 2x accepted
    for (const auto& a : acceptors) {
        BOOST_TEST(a->promised() == p.current());
        BOOST_TEST((a->accepted_proposal() == proposal<V>{p.current(), "v"}));
    }
}

// X8: a duplicated promise counts once; a promise for a superseded ballot counts not at all.
BOOST_AUTO_TEST_CASE(duplicate_and_stale_promises_do_not_make_a_quorum) {
    proposer_fixture f;
    BOOST_TEST_REQUIRE(f.p.propose("v").has_value());
    f.promise_from(1);
    f.promise_from(1);
    f.promise_from(1);
    f.p.on(paxos::promise<V>{node_id{2}, ballot{0, node_id{9}}, std::nullopt});  // older ballot
    f.p.on(paxos::promise<V>{node_id{7}, f.p.current(), std::nullopt});         // not an acceptor
    BOOST_TEST(f.p.phase() == paxos::proposer_phase::preparing);
    f.promise_from(2);
    BOOST_TEST(f.p.phase() == paxos::proposer_phase::preparing);
    f.promise_from(3);
    BOOST_TEST(f.p.phase() == paxos::proposer_phase::accepting);
}

BOOST_AUTO_TEST_CASE(duplicate_accepted_replies_do_not_make_a_quorum) {
    proposer_fixture f;
    BOOST_TEST_REQUIRE(f.p.propose("v").has_value());
    for (std::uint32_t a = 1; a <= 3; ++a) f.promise_from(a);
    const proposal<V> mine{f.p.current(), "v"};
    for (int i = 0; i < 4; ++i) f.p.on(paxos::accepted<V>{node_id{1}, mine});
    f.p.on(paxos::accepted<V>{node_id{2}, mine});
    BOOST_TEST(f.p.phase() == paxos::proposer_phase::accepting);
    f.p.on(paxos::accepted<V>{node_id{5}, mine});
    BOOST_TEST(f.p.phase() == paxos::proposer_phase::chosen);
}

BOOST_AUTO_TEST_CASE(a_reject_makes_the_next_round_jump_past_the_promised_ballot) {
    proposer_fixture f;
    BOOST_TEST_REQUIRE(f.p.propose("v").has_value());
    const ballot first = f.p.current();
    f.sent();
    f.p.on(paxos::reject{node_id{2}, first, ballot{40, node_id{3}}});
    BOOST_TEST(f.p.phase() == paxos::proposer_phase::backing_off);
    BOOST_TEST(f.sent().empty());
    f.net.advance(8);  // past the longest first back-off (backoff_ticks << 1)
    BOOST_TEST(f.p.phase() == paxos::proposer_phase::preparing);
    BOOST_TEST(f.p.current() == (ballot{40, node_id{9}}));
    const auto out = f.sent();
    BOOST_TEST_REQUIRE(out.size() == 5u);
    BOOST_TEST(std::get<paxos::prepare>(out[0].message).proposed == f.p.current());
}

BOOST_AUTO_TEST_CASE(a_round_that_times_out_is_retried_with_a_higher_ballot) {
    proposer_fixture f{3, paxos::proposer_settings{10, 4}};
    BOOST_TEST_REQUIRE(f.p.propose("v").has_value());
    const ballot first = f.p.current();
    f.net.clear();                 // every prepare is lost
    f.net.advance(9);              // before the shortest round timeout: nothing happens
    BOOST_TEST(f.p.current() == first);
    f.net.advance(12);             // past the longest
    BOOST_TEST(first < f.p.current());
    BOOST_TEST(f.p.rounds() == 2u);
    BOOST_TEST(f.sent().size() == 3u);
}

BOOST_AUTO_TEST_CASE(a_reject_for_an_old_round_changes_nothing) {
    proposer_fixture f;
    BOOST_TEST_REQUIRE(f.p.propose("v").has_value());
    f.p.on(paxos::reject{node_id{2}, ballot{0, node_id{9}}, ballot{1, node_id{9}}});
    BOOST_TEST(f.p.phase() == paxos::proposer_phase::preparing);
}

BOOST_AUTO_TEST_CASE(a_non_intersecting_quorum_system_is_refused) {
    using bad_traits = test::sd_traits<storage::memory_acceptor<V>, flexible>;
    test::sd_network net;
    paxos::proposer<bad_traits> p{node_id{9}, test::voters_1_to(5), {}, net.transport_for(node_id{9}),
                                  net.timer_for(node_id{9}), xoshiro256{1}, flexible{3, 2}};
    BOOST_TEST(p.propose("v").error() == errc::quorum_not_intersecting);
    BOOST_TEST(net.pending() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
