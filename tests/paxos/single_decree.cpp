// Single-decree Paxos as a whole (Paxos Made Simple 2): composed nodes, duelling proposers with
// randomized back-off (SCENARIOS X4), a chosen value never overturned (X3), loss, duplication and
// reordering (X8), a late participant adopting the chosen value (X10), and the negative control
// of X6: with promises sent before they are durable, a crash lets two values be chosen.
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include "paxos/support.hpp"

using namespace synod;
namespace data = boost::unit_test::data;
using V = std::string;

namespace {

using traits = test::sd_traits<>;
using node_type = paxos::node<traits>;

/// N nodes, each proposer + acceptor + learner.
struct sd_cluster {
    test::sd_network net;
    std::vector<std::unique_ptr<node_type>> nodes;
    explicit sd_cluster(std::uint32_t n, std::uint64_t seed = 1,
                        paxos::proposer_settings s = {}) {
        const configuration c = test::voters_1_to(n);
        for (std::uint32_t i = 1; i <= n; ++i) {
            const node_id id{i};
            nodes.push_back(std::make_unique<node_type>(
                id, c, s,
                node_type::policies{{}, net.transport_for(id), net.timer_for(id),
                                    xoshiro256{seed * 100 + i}, {}}));
            net.attach(id, *nodes.back());
        }
    }
    node_type& at(std::uint32_t i) { return *nodes.at(i - 1); }
    /// The distinct values any node knows chosen.
    std::vector<V> chosen_values() {
        std::vector<V> out;
        for (auto& n : nodes)
            if (auto v = n->chosen(); v && std::find(out.begin(), out.end(), *v) == out.end())
                out.push_back(*v);
        return out;
    }
    bool all_learned() {
        for (auto& n : nodes)
            if (!n->as_learner().chosen()) return false;
        return true;
    }
    std::uint64_t rounds() {
        std::uint64_t r = 0;
        for (auto& n : nodes) r += n->as_proposer().rounds();
        return r;
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(paxos_single_decree)

BOOST_AUTO_TEST_CASE(composed_nodes_choose_the_proposed_value) {
    sd_cluster c{3};
    BOOST_TEST_REQUIRE(c.at(1).propose("x").has_value());
    c.net.deliver_all();
    BOOST_TEST(c.all_learned());
    BOOST_TEST((c.chosen_values() == std::vector<V>{"x"}));
}

// X4: every node proposes its own value at once; messages are reordered at random every tick.
// Exactly one value is chosen, and randomized back-off ends the duel within a few rounds.
BOOST_DATA_TEST_CASE(duelling_proposers_choose_exactly_one_value, data::xrange(200), seed) {
    BOOST_TEST_CONTEXT("seed " << seed) {
        sd_cluster c{3, static_cast<std::uint64_t>(seed) + 1, paxos::proposer_settings{10, 2}};
        xoshiro256 rng{static_cast<std::uint64_t>(seed)};
        for (std::uint32_t i = 1; i <= 3; ++i)
            BOOST_TEST_REQUIRE(c.at(i).propose("v" + std::to_string(i)).has_value());
        int ticks = 0;
        while (!c.all_learned() && ticks < 1000) {
            test::chaos_round(c.net, rng, 0, 0);
            c.net.advance(1);
            ++ticks;
        }
        BOOST_TEST(c.all_learned());
        BOOST_TEST(c.chosen_values().size() == 1u);
        // Three proposers: about three rounds when they do not collide; back-off keeps it low.
        BOOST_TEST(c.rounds() <= 30u);
    }
}

// X8 with loss too: 5 nodes, 3 of them proposing, 20% loss and 20% duplication with reordering.
// Then the network heals and every node that has not learned proposes (X10: it must adopt the
// chosen value, not its own).
BOOST_DATA_TEST_CASE(loss_duplication_and_reordering_never_choose_two_values, data::xrange(100),
                     seed) {
    BOOST_TEST_CONTEXT("seed " << seed) {
        sd_cluster c{5, static_cast<std::uint64_t>(seed) + 1000};
        xoshiro256 rng{static_cast<std::uint64_t>(seed) + 1000};
        for (std::uint32_t i = 1; i <= 3; ++i)
            BOOST_TEST_REQUIRE(c.at(i).propose("v" + std::to_string(i)).has_value());
        for (int t = 0; t < 300; ++t) {
            test::chaos_round(c.net, rng, 20, 20);
            c.net.advance(1);
            BOOST_TEST_REQUIRE(c.chosen_values().size() <= 1u);
        }
        for (std::uint32_t i = 1; i <= 5; ++i)
            if (!c.at(i).as_learner().chosen()) (void)c.at(i).propose("late" + std::to_string(i));
        for (int t = 0; t < 2000 && !c.all_learned(); ++t) {
            test::chaos_round(c.net, rng, 0, 0);
            c.net.advance(1);
        }
        BOOST_TEST(c.all_learned());
        const auto values = c.chosen_values();
        BOOST_TEST_REQUIRE(values.size() == 1u);
        BOOST_TEST(values[0].rfind("late", 0) != 0u);  // a proposer that came late adopted it
    }
}

// X3: P1 gets "v" accepted by A1..A3 of five and stops before any learner hears; P2 with a
// higher ballot is promised by A3..A5 and must propose "v" again.
BOOST_AUTO_TEST_CASE(a_chosen_value_is_never_overturned) {
    sd_cluster c{5};
    // P1 = node 1: phase 1 and 2 on A1..A3 only; the accepted replies are lost.
    c.net.drop_if([](const auto& env) {
        const bool to_45 = env.to == node_id{4} || env.to == node_id{5};
        return (env.from == node_id{1} && to_45) ||
               std::holds_alternative<paxos::accepted<V>>(env.message);
    });
    BOOST_TEST_REQUIRE(c.at(1).propose("v").has_value());
    c.net.deliver_all();
    BOOST_TEST(!c.at(1).chosen().has_value());
    c.net.recover();
    // P2 = node 5: everything it exchanges with A1 and A2 is lost.
    c.net.cut(node_id{5}, node_id{1});
    c.net.cut(node_id{5}, node_id{2});
    BOOST_TEST_REQUIRE(c.at(5).propose("w").has_value());
    c.net.deliver_all();
    BOOST_TEST((c.at(5).as_proposer().chosen() == std::optional<V>{"v"}));
    c.net.recover();
    c.net.deliver_all();
    BOOST_TEST((c.chosen_values() == std::vector<V>{"v"}));
}

// X6 negative control. The same script runs twice: honest acceptors hold each promise until it
// is durable; "lying" ones report writes durable at once. A2 promises P2's higher ballot and
// crashes before the write reaches the disk. With lying storage P2 goes on with that promise,
// A2 forgets it and accepts P1's lower ballot, and two values are chosen; honest storage chooses
// one.
namespace {
struct lying_storage {
    storage::deferred_acceptor<V> inner;
    write_id durable() const noexcept { return inner.issued(); }  // the missing fsync
    ballot promised() const noexcept { return inner.promised(); }
    std::optional<proposal<V>> accepted() const { return inner.accepted(); }
    write_id save_promise(ballot b) { return inner.save_promise(b); }
    write_id save_accepted(const proposal<V>& p) { return inner.save_accepted(p); }
    void complete_all() { inner.complete_all(); }
    void crash() { inner.crash(); }
};

template <class Storage>
std::vector<V> run_x6_script() {
    using acc_traits = test::sd_traits<Storage>;
    using acceptor_type = paxos::acceptor<acc_traits>;
    test::sd_network net;
    std::vector<std::unique_ptr<acceptor_type>> acceptors;
    for (std::uint32_t i = 1; i <= 3; ++i) {
        acceptors.push_back(std::make_unique<acceptor_type>(node_id{i}, node_set{}, Storage{},
                                                            net.transport_for(node_id{i})));
        net.attach(node_id{i}, *acceptors.back());
    }
    const auto make_proposer = [&](std::uint32_t id) {
        return std::make_unique<paxos::proposer<acc_traits>>(
            node_id{id}, test::voters_1_to(3), paxos::proposer_settings{1000, 1000},
            net.transport_for(node_id{id}), net.timer_for(node_id{id}), xoshiro256{id});
    };
    auto p1 = make_proposer(11);
    auto p2 = make_proposer(12);
    net.attach(node_id{11}, *p1);
    net.attach(node_id{12}, *p2);
    const auto sync = [&](std::uint32_t a) {
        acceptors[a - 1]->storage().complete_all();
        acceptors[a - 1]->on(writes_durable{});
    };

    // 1. P1 prepares; A1 and A2 promise durably. P1's accepts are held back for now.
    net.cut(node_id{11}, node_id{3});
    BOOST_TEST_REQUIRE(p1->propose("x").has_value());
    net.deliver_one();  // prepare -> A1
    net.deliver_one();  // prepare -> A2
    sync(1);
    sync(2);
    net.deliver_one();  // A1's promise
    net.deliver_one();  // A2's promise: P1 now sends accepts to A1 and A2
    auto held = net.drain();
    BOOST_TEST_REQUIRE(held.size() == 2u);
    BOOST_TEST_REQUIRE(p1->phase() == paxos::proposer_phase::accepting);

    // 2. P2 prepares a higher ballot at A2 and A3. A3 syncs; A2 does not, and crashes.
    net.recover();
    net.cut(node_id{12}, node_id{1});
    BOOST_TEST_REQUIRE(p2->propose("y").has_value());
    net.deliver_all();
    sync(3);
    net.deliver_all();
    Storage disk = acceptors[1]->storage();
    disk.crash();
    net.detach(node_id{2});
    acceptors[1] = std::make_unique<acceptor_type>(node_id{2}, node_set{}, std::move(disk),
                                                   net.transport_for(node_id{2}));
    net.attach(node_id{2}, *acceptors[1]);
    net.deliver_all();  // P2's accepts, if it got that far

    // 3. P1's delayed accepts arrive; everyone syncs from here on.
    for (const auto& env : held) net.transport_for(env.from).send(env.to, env.message);
    for (int i = 0; i < 4; ++i) {
        net.deliver_all();
        for (std::uint32_t a = 1; a <= 3; ++a) sync(a);
    }
    std::vector<V> chosen;
    if (p1->chosen()) chosen.push_back(*p1->chosen());
    if (p2->chosen() && (chosen.empty() || chosen[0] != *p2->chosen())) chosen.push_back(*p2->chosen());
    return chosen;
}
}  // namespace

BOOST_AUTO_TEST_CASE(with_durable_promises_a_crash_cannot_choose_two_values) {
    const auto chosen = run_x6_script<storage::deferred_acceptor<V>>();
    BOOST_TEST(chosen.size() <= 1u);
}

BOOST_AUTO_TEST_CASE(negative_control_promises_sent_before_durable_let_two_values_be_chosen) {
    const auto chosen = run_x6_script<lying_storage>();
    BOOST_TEST((chosen == std::vector<V>{"x", "y"}));
}

// Roles can run alone, each in its own process, over the same network.
BOOST_AUTO_TEST_CASE(single_role_nodes_run_in_separate_processes) {
    using acceptor_node = paxos::node<traits, paxos::roles::acceptor>;
    using proposer_node = paxos::node<traits, paxos::roles::proposer>;
    using learner_node = paxos::node<traits, paxos::roles::learner>;
    test::sd_network net;
    configuration c = test::voters_1_to(3);
    c.learners.insert(node_id{20});
    std::vector<std::unique_ptr<acceptor_node>> acceptors;
    for (std::uint32_t i = 1; i <= 3; ++i) {
        acceptors.push_back(std::make_unique<acceptor_node>(
            node_id{i}, c, paxos::proposer_settings{},
            acceptor_node::policies{.storage = {}, .transport = net.transport_for(node_id{i})}));
        net.attach(node_id{i}, *acceptors.back());
    }
    proposer_node p{node_id{10}, c, {},
                    proposer_node::policies{.transport = net.transport_for(node_id{10}),
                                            .timer = net.timer_for(node_id{10}),
                                            .random = xoshiro256{3}}};
    learner_node l{node_id{20}, c, {}, learner_node::policies{}};
    net.attach(node_id{10}, p);
    net.attach(node_id{20}, l);
    BOOST_TEST_REQUIRE(p.propose("solo").has_value());
    net.deliver_all();
    BOOST_TEST((l.chosen() == std::optional<V>{"solo"}));
    BOOST_TEST((p.chosen() == std::optional<V>{"solo"}));

    // A role left out costs nothing: a single-role node is exactly the size of the role.
    static_assert(sizeof(acceptor_node) == sizeof(paxos::acceptor<traits>));
    static_assert(sizeof(proposer_node) == sizeof(paxos::proposer<traits>));
    static_assert(sizeof(learner_node) == sizeof(paxos::learner<traits>));
    static_assert(sizeof(node_type) < sizeof(paxos::acceptor<traits>) +
                                          sizeof(paxos::proposer<traits>) +
                                          sizeof(paxos::learner<traits>) + 16);
    BOOST_TEST_MESSAGE("sizeof node<all> " << sizeof(node_type) << ", acceptor "
                                           << sizeof(acceptor_node) << ", proposer "
                                           << sizeof(proposer_node) << ", learner "
                                           << sizeof(learner_node));
}

BOOST_AUTO_TEST_SUITE_END()
