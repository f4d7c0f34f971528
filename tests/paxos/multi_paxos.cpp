// Multi-Paxos (Paxos Made Simple 3; Paxos Made Moderately Complex): the stable-leader fast path of
// one phase-2 round trip per slot (SCENARIOS Y1), leader change with in-flight slots and no-op gap
// filling (Y2), a follower that missed slots applies in order after repair (Y3), catch-up of a
// lagging or restarted replica, by log or by snapshot (Y4), two leaders at once (Y5), durability
// before acknowledgement, and a randomized run with crashes, loss, duplication and reordering.
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include "paxos/support.hpp"

using namespace synod;
namespace data = boost::unit_test::data;
using P = std::string;
using test::cluster;

namespace {

template <class Message>
struct message_counter {
    std::size_t by_type[std::variant_size_v<Message>] = {};
    std::size_t total() const {
        std::size_t t = 0;
        for (auto n : by_type) t += n;
        return t;
    }
};

/// Counts every message sent on `net` by alternative (and drops none).
template <class Net>
auto count_messages(Net& net) {
    using M = typename Net::message_type;
    auto counter = std::make_shared<message_counter<M>>();
    net.drop_if([counter](const auto& env) {
        ++counter->by_type[env.message.index()];
        return false;
    });
    return counter;
}

constexpr std::size_t prepare_i = 0, promise_i = 1, accept_i = 2, accepted_i = 3;

}  // namespace

BOOST_AUTO_TEST_SUITE(paxos_multi_paxos)

BOOST_AUTO_TEST_CASE(a_leader_commits_and_every_replica_applies_in_order) {
    cluster<> c{3};
    c.elect(1);
    BOOST_TEST_REQUIRE(c.at(1).is_leader());
    for (int i = 0; i < 10; ++i) {
        const auto slot = c.at(1).propose("c" + std::to_string(i));
        BOOST_TEST_REQUIRE(slot.has_value());
        BOOST_TEST(*slot == log_index{static_cast<std::uint64_t>(i) + 1});
    }
    c.net.deliver_all();
    BOOST_TEST(c.at(1).commit_index() == log_index{10});
    BOOST_TEST(c.at(1).applied_index() == log_index{10});
    c.net.run_for(1);  // the commit index rides on the next heartbeat
    for (std::uint32_t i = 1; i <= 3; ++i) {
        BOOST_TEST(c.at(i).applied_index() == log_index{10});
        BOOST_TEST(c.applied_payloads(i).size() == 10u);
        BOOST_TEST(c.at(i).leader() == node_id{1});
    }
    BOOST_TEST(c.consistent());
}

// Y1: after phase 1, each slot costs one phase-2 round trip, N - 1 accepts and N - 1 accepted
// replies, and no phase-1 message; the commit notification rides on the next accept.
BOOST_DATA_TEST_CASE(steady_state_is_one_phase_2_round_trip_per_slot, data::make({3u, 5u}), n) {
    cluster<> c{n};
    c.elect(1);
    BOOST_TEST_REQUIRE(c.at(1).propose("warm-up").has_value());
    c.net.deliver_all();
    auto counter = count_messages(c.net);
    constexpr std::size_t slots = 100;
    for (std::size_t i = 0; i < slots; ++i) {
        BOOST_TEST_REQUIRE(c.at(1).propose("c" + std::to_string(i)).has_value());
        c.net.deliver_all();
        BOOST_TEST_REQUIRE(c.at(1).commit_index() == log_index{i + 2});
    }
    const std::size_t per_slot = 2 * (n - 1);
    BOOST_TEST(counter->total() == slots * per_slot);
    BOOST_TEST(counter->by_type[accept_i] == slots * (n - 1));
    BOOST_TEST(counter->by_type[accepted_i] == slots * (n - 1));
    BOOST_TEST(counter->by_type[prepare_i] == 0u);
    BOOST_TEST(counter->by_type[promise_i] == 0u);
    // Followers learned all but the last slot from the piggybacked commit index.
    for (std::uint32_t i = 2; i <= n; ++i) BOOST_TEST(c.at(i).commit_index() == log_index{slots});
    BOOST_TEST_MESSAGE("messages per committed slot, N=" << n << ": "
                                                         << double(counter->total()) / slots);
}

// Batching: a batch of client commands travels in one accept per acceptor.
BOOST_AUTO_TEST_CASE(a_batch_of_commands_costs_one_round_trip) {
    cluster<> c{3};
    c.elect(1);
    auto counter = count_messages(c.net);
    std::vector<P> batch;
    for (int i = 0; i < 64; ++i) batch.push_back("b" + std::to_string(i));
    const auto first = c.at(1).propose_batch(batch);
    BOOST_TEST_REQUIRE(first.has_value());
    BOOST_TEST(*first == log_index{1});
    c.net.deliver_all();
    BOOST_TEST(c.at(1).commit_index() == log_index{64});
    BOOST_TEST(counter->total() == 4u);
}

// Proposals made while the window of in-flight batches is full leave together.
BOOST_AUTO_TEST_CASE(proposals_waiting_for_the_window_are_batched) {
    multi_paxos::settings s;
    s.inflight_batches_max = 1;
    cluster<> c{3, s};
    c.elect(1);
    auto counter = count_messages(c.net);
    for (int i = 0; i < 50; ++i) BOOST_TEST_REQUIRE(c.at(1).propose("p").has_value());
    c.net.deliver_all();
    BOOST_TEST(c.at(1).commit_index() == log_index{50});
    BOOST_TEST(counter->by_type[accept_i] == 4u);  // slot 1 alone, then slots 2..50 together
}

BOOST_AUTO_TEST_CASE(a_non_leader_refuses_and_names_the_leader) {
    cluster<> c{3};
    BOOST_TEST(c.at(2).propose("x").error() == errc::not_leader);
    BOOST_TEST(c.at(2).leader() == no_node);
    c.elect(1);
    const auto r = c.at(2).propose("x");
    BOOST_TEST(r.error() == errc::not_leader);
    BOOST_TEST(c.at(2).leader() == node_id{1});
}

// Y2: L1 has slots 1..10 chosen, 11..15 accepted by itself and node 2 only (slot 13 missing at
// node 2), and 16 accepted by itself alone; then it crashes. Node 2 leads next: it re-proposes the
// values of 11, 12, 14 and 15, fills 13 with a no-op, and client commands follow.
BOOST_AUTO_TEST_CASE(a_new_leader_recovers_in_flight_slots_and_fills_gaps_with_no_ops) {
    cluster<> c{5};
    c.elect(1);
    for (int i = 1; i <= 10; ++i) BOOST_TEST_REQUIRE(c.at(1).propose("c" + std::to_string(i)).has_value());
    c.net.deliver_all();
    c.net.run_for(1);
    BOOST_TEST_REQUIRE(c.at(3).commit_index() == log_index{10});
    for (std::uint32_t i = 3; i <= 5; ++i) c.net.cut(node_id{1}, node_id{i});
    c.net.drop_if([](const auto& env) {  // slot 13 never reaches node 2
        const auto* a = std::get_if<multi_paxos::accept<P>>(&env.message);
        return a && !a->entries.empty() && a->entries.front().value.index == log_index{13};
    });
    for (int i = 11; i <= 15; ++i) BOOST_TEST_REQUIRE(c.at(1).propose("c" + std::to_string(i)).has_value());
    c.net.deliver_all();
    c.net.recover();
    c.net.cut(node_id{1}, node_id{2});
    BOOST_TEST_REQUIRE(c.at(1).propose("c16").has_value());
    c.net.deliver_all();
    BOOST_TEST(c.at(1).commit_index() == log_index{10});
    c.net.recover();
    c.net.detach(node_id{1});  // L1 crashes

    c.elect(2);
    BOOST_TEST_REQUIRE(c.at(2).is_leader());
    BOOST_TEST_REQUIRE(c.at(2).propose("after").has_value());
    c.net.deliver_all();
    c.net.run_for(1);
    const std::vector<P> expected = {"c1", "c2",  "c3",  "c4",  "c5",  "c6",  "c7",
                                     "c8", "c9", "c10", "c11", "c12", "c14", "c15", "after"};
    for (std::uint32_t i = 2; i <= 5; ++i) {
        BOOST_TEST(c.applied_payloads(i) == expected, boost::test_tools::per_element());
        const auto& applied = c.at(i).state_machine().applied;
        BOOST_TEST_REQUIRE(applied.size() == 16u);
        BOOST_TEST((applied[12].kind == entry_kind::noop));  // slot 13
        BOOST_TEST(applied[12].index == log_index{13});
    }
    BOOST_TEST(c.consistent());
}

// Y2, the other way: the new leader's phase-1 quorum excludes everyone who accepted 11..15, so
// none of them can have been chosen, and client commands continue right after slot 10.
BOOST_AUTO_TEST_CASE(slots_no_phase_1_quorum_reports_are_not_resurrected) {
    cluster<> c{5};
    c.elect(1);
    for (int i = 1; i <= 10; ++i) BOOST_TEST_REQUIRE(c.at(1).propose("c" + std::to_string(i)).has_value());
    c.net.deliver_all();
    c.net.run_for(1);
    for (std::uint32_t i = 3; i <= 5; ++i) c.net.cut(node_id{1}, node_id{i});
    for (int i = 11; i <= 15; ++i) BOOST_TEST_REQUIRE(c.at(1).propose("lost").has_value());
    c.net.deliver_all();
    c.net.recover();
    c.net.detach(node_id{1});
    c.net.isolate(node_id{2});
    c.elect(3);
    BOOST_TEST_REQUIRE(c.at(3).is_leader());
    const auto slot = c.at(3).propose("next");
    BOOST_TEST_REQUIRE(slot.has_value());
    BOOST_TEST(*slot == log_index{11});
    c.net.deliver_all();
    c.net.recover();
    c.net.run_for(3);  // node 2 rejoins: its slots 11..15 are overwritten in the new ballot
    for (std::uint32_t i = 2; i <= 5; ++i) {
        const auto payloads = c.applied_payloads(i);
        BOOST_TEST_REQUIRE(payloads.size() == 11u);
        BOOST_TEST(payloads.back() == "next");
    }
    BOOST_TEST(c.consistent());
}

// Y3: node 3 misses the accepts for slots 5 and 6 but gets 7: it applies nothing past 4 until the
// leader's heartbeat-driven retransmission fills 5 and 6, then 5, 6, 7 in order.
BOOST_AUTO_TEST_CASE(a_follower_with_a_gap_applies_in_slot_order_after_repair) {
    cluster<> c{3};
    c.elect(1);
    for (int i = 1; i <= 4; ++i) BOOST_TEST_REQUIRE(c.at(1).propose("c" + std::to_string(i)).has_value());
    c.net.deliver_all();
    c.net.drop_if([](const auto& env) {
        const auto* a = std::get_if<multi_paxos::accept<P>>(&env.message);
        if (!a || env.to != node_id{3} || a->entries.empty()) return false;
        const auto slot = a->entries.front().value.index;
        return slot == log_index{5} || slot == log_index{6};
    });
    for (int i = 5; i <= 7; ++i) {
        BOOST_TEST_REQUIRE(c.at(1).propose("c" + std::to_string(i)).has_value());
        c.net.deliver_all();
    }
    BOOST_TEST(c.at(1).commit_index() == log_index{7});  // nodes 1 and 2 chose 5..7
    c.net.recover();
    c.net.advance(1);  // heartbeat: node 3 learns commit 7, but holds 7 and not 5, 6
    c.net.deliver_one();
    c.net.deliver_one();
    BOOST_TEST(c.at(3).storage().at(log_index{7}).value.payload == "c7");
    BOOST_TEST(c.at(3).applied_index() == log_index{4});
    c.net.deliver_all();
    c.net.run_for(2);
    BOOST_TEST(c.at(3).applied_index() == log_index{7});
    BOOST_TEST((c.applied_payloads(3) ==
                std::vector<P>{"c1", "c2", "c3", "c4", "c5", "c6", "c7"}));
}

// Y4: a replica away for 1000 slots catches up from the log when it comes back.
BOOST_AUTO_TEST_CASE(a_lagging_replica_catches_up) {
    cluster<> c{3};
    c.elect(1);
    c.net.isolate(node_id{3});
    for (int i = 0; i < 1000; ++i) {
        BOOST_TEST_REQUIRE(c.at(1).propose("c" + std::to_string(i)).has_value());
        if (i % 50 == 0) c.net.deliver_all();
    }
    c.net.deliver_all();
    BOOST_TEST(c.at(1).commit_index() == log_index{1000});
    BOOST_TEST(c.at(3).applied_index() == log_index{0});
    c.net.recover();
    c.net.run_for(5);
    BOOST_TEST(c.at(3).applied_index() == log_index{1000});
    BOOST_TEST(c.consistent());
}

// Y4 with compaction: the leader folded its log into a snapshot, so a replica restarted with an
// empty disk gets the snapshot, then the slots after it.
BOOST_AUTO_TEST_CASE(a_replica_behind_the_compacted_prefix_receives_a_snapshot) {
    using traits = test::mp_traits<test::snapshotting_sm>;
    static_assert(multi_paxos::replica<traits>::compacts);
    cluster<traits> c{3};
    c.elect(1);
    c.net.isolate(node_id{3});
    for (int i = 0; i < 300; ++i) BOOST_TEST_REQUIRE(c.at(1).propose("c" + std::to_string(i)).has_value());
    c.net.deliver_all();
    c.net.run_for(1);
    BOOST_TEST(c.at(1).compact() == log_index{300});
    BOOST_TEST(c.at(2).compact() == log_index{300});
    BOOST_TEST(c.at(1).storage().first_index() == log_index{301});
    for (int i = 300; i < 310; ++i) BOOST_TEST_REQUIRE(c.at(1).propose("c" + std::to_string(i)).has_value());
    c.net.deliver_all();
    c.net.detach(node_id{3});
    c.start(node_id{3}, {});  // disk lost: a brand-new empty replica in its place
    c.net.recover();
    auto counter = count_messages(c.net);
    c.net.run_for(5);
    BOOST_TEST(counter->by_type[5] >= 1u);  // install_snapshot
    BOOST_TEST(c.at(3).applied_index() == log_index{310});
    BOOST_TEST(c.at(3).state_machine().applied == c.at(1).state_machine().applied);
    BOOST_TEST(c.consistent());
}

// Y5: L1 is cut off but still believes it leads; node 2 leads a higher ballot. Nothing L1
// proposes is chosen; when the partition heals L1 learns of the higher ballot and steps down.
BOOST_AUTO_TEST_CASE(a_deposed_leader_commits_nothing_and_steps_down) {
    cluster<> c{5};
    c.elect(1);
    BOOST_TEST_REQUIRE(c.at(1).propose("before").has_value());
    c.net.deliver_all();
    c.net.isolate(node_id{1});
    c.elect(2);
    BOOST_TEST_REQUIRE(c.at(2).is_leader());
    BOOST_TEST(c.at(1).is_leader());  // it does not know yet
    for (int i = 0; i < 3; ++i) BOOST_TEST_REQUIRE(c.at(1).propose("stale").has_value());
    BOOST_TEST_REQUIRE(c.at(2).propose("fresh").has_value());
    c.net.deliver_all();
    c.net.recover();
    c.net.run_for(3);
    BOOST_TEST(!c.at(1).is_leader());
    BOOST_TEST(c.at(1).leader() == node_id{2});
    BOOST_TEST(c.at(1).commit_index() >= log_index{2});
    for (std::uint32_t i = 1; i <= 5; ++i)
        for (const auto& p : c.applied_payloads(i)) BOOST_TEST(p != "stale");
    BOOST_TEST(c.consistent());
}

// Leader election and failure detection through the timer policy alone.
BOOST_AUTO_TEST_CASE(election_timeouts_elect_a_leader_and_replace_a_crashed_one) {
    cluster<> c{5};
    c.net.run_for(40);
    const std::uint32_t first = c.leader();
    BOOST_TEST_REQUIRE(first != 0u);
    BOOST_TEST_REQUIRE(c.at(first).propose("one").has_value());
    c.net.run_for(2);
    c.net.detach(node_id{first});
    c.net.run_for(60);
    const std::uint32_t second = c.leader();
    BOOST_TEST_REQUIRE(second != 0u);
    BOOST_TEST(second != first);
    BOOST_TEST_REQUIRE(c.at(second).propose("two").has_value());
    c.net.run_for(2);
    for (std::uint32_t i = 1; i <= 5; ++i) {
        if (i == first) continue;
        BOOST_TEST((c.applied_payloads(i) == std::vector<P>{"one", "two"}));
    }
}

// DESIGN 3 in Multi-Paxos: acceptors acknowledge only durable slots, so nothing commits before
// a phase-2 quorum has it on disk; a restarted acceptor keeps its durable promise.
BOOST_AUTO_TEST_CASE(acknowledgements_wait_for_durable_writes) {
    using traits = test::mp_traits<test::recording_sm, storage::deferred_paxos_log<P>>;
    cluster<traits> c{3};
    const auto sync = [&](std::uint32_t i) {
        c.at(i).storage().complete_all();
        c.net.report_durable(node_id{i});
    };
    (void)c.at(1).campaign();
    c.net.deliver_all();
    BOOST_TEST(!c.at(1).is_leader());  // every promise waits for its write
    sync(2);
    c.net.deliver_all();
    BOOST_TEST(!c.at(1).is_leader());  // node 2 promised, node 1's own promise is not durable
    sync(1);
    c.net.deliver_all();
    BOOST_TEST_REQUIRE(c.at(1).is_leader());
    BOOST_TEST_REQUIRE(c.at(1).propose("x").has_value());
    c.net.deliver_all();
    BOOST_TEST(c.at(1).commit_index() == log_index{0});
    sync(3);  // one follower on disk, the leader not yet
    c.net.deliver_all();
    BOOST_TEST(c.at(1).commit_index() == log_index{0});
    sync(1);
    c.net.deliver_all();
    BOOST_TEST(c.at(1).commit_index() == log_index{1});

    // Node 2 promised ballot b durably and accepted nothing; after a restart a lower ballot's
    // accept is still refused.
    const ballot promised = c.at(2).storage().promised();
    c.restart(node_id{2});
    BOOST_TEST(c.at(2).storage().promised() == promised);
    BOOST_TEST(c.at(2).storage().last_index() == log_index{0});  // its accept of "x" was not durable
    c.at(2).on(typename traits::message_type{
        multi_paxos::accept<P>{node_id{3}, ballot{0, node_id{3}}, log_index{0}, {}}});
    const auto out = c.net.drain();
    BOOST_TEST_REQUIRE(out.size() == 1u);
    BOOST_TEST(std::holds_alternative<multi_paxos::reject>(out[0].message));
}

BOOST_AUTO_TEST_CASE(a_non_voting_learner_follows_the_log_but_never_leads) {
    cluster<> c{3, {}, {}, 1};
    c.elect(1);
    for (int i = 0; i < 5; ++i) BOOST_TEST_REQUIRE(c.at(1).propose("c").has_value());
    c.net.deliver_all();
    c.net.run_for(1);
    BOOST_TEST(c.at(4).applied_index() == log_index{5});
    BOOST_TEST(c.at(4).campaign().error() == errc::not_member);
    c.net.detach(node_id{1});
    c.net.detach(node_id{2});
    BOOST_TEST_REQUIRE(c.at(3).propose("c").error() == errc::not_leader);
    c.net.run_for(100);
    BOOST_TEST(!c.at(4).is_leader());  // a learner never campaigns
}

// A randomized run: random proposals, crashes and restarts that lose unsynced writes, and loss,
// duplication and reordering. Safety (consistent()) is checked after every tick; after healing,
// every replica converges.
BOOST_DATA_TEST_CASE(random_faults_never_apply_two_values_in_one_slot, data::xrange(30), seed) {
    using traits = test::mp_traits<test::recording_sm, storage::deferred_paxos_log<P>>;
    BOOST_TEST_CONTEXT("seed " << seed) {
        cluster<traits> c{5, {}, {}, 0, static_cast<std::uint64_t>(seed) + 1};
        xoshiro256 rng{static_cast<std::uint64_t>(seed)};
        int proposed = 0;
        for (int t = 0; t < 400; ++t) {
            for (std::uint32_t i = 1; i <= 5; ++i) {
                if (!c.net.attached(node_id{i})) continue;
                if (uniform(rng, 0, 1)) {
                    c.at(i).storage().complete_all();
                    c.net.report_durable(node_id{i});
                }
            }
            if (const auto l = c.leader(); l && uniform(rng, 0, 2) == 0)
                if (c.at(l).propose("p" + std::to_string(proposed)).has_value()) ++proposed;
            if (uniform(rng, 0, 40) == 0) c.restart(node_id{static_cast<std::uint32_t>(uniform(rng, 1, 5))});
            test::chaos_round(c.net, rng, 10, 10);
            c.net.advance(1);
            BOOST_TEST_REQUIRE(c.consistent());
        }
        for (int t = 0; t < 200; ++t) {
            for (std::uint32_t i = 1; i <= 5; ++i) {
                c.at(i).storage().complete_all();
                c.net.report_durable(node_id{i});
            }
            c.net.run_for(1);
        }
        const auto l = c.leader();
        BOOST_TEST_REQUIRE(l != 0u);
        BOOST_TEST_REQUIRE(c.at(l).propose("final").has_value());
        for (int t = 0; t < 20; ++t) {
            for (std::uint32_t i = 1; i <= 5; ++i) {
                c.at(i).storage().complete_all();
                c.net.report_durable(node_id{i});
            }
            c.net.run_for(1);
        }
        BOOST_TEST(c.consistent());
        for (std::uint32_t i = 1; i <= 5; ++i) {
            BOOST_TEST(c.at(i).applied_index() == c.at(l).applied_index());
            const auto payloads = c.applied_payloads(i);
            BOOST_TEST_REQUIRE(!payloads.empty());
            BOOST_TEST(payloads.back() == "final");
        }
        BOOST_TEST_MESSAGE("seed " << seed << ": " << proposed << " proposed, "
                                   << c.at(l).applied_index() << " applied");
    }
}

BOOST_AUTO_TEST_SUITE_END()
