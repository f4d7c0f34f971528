// Regressions on a fixed-capacity Raft log (storage/static.hpp):
//  - found by tests/fuzz/raft_node: a node whose log was full stood for election, won, and then
//    failed SYNOD_ASSERT appending the new leader's no-op. It no longer stands while the log has
//    no room (it still votes and follows), and stands again once the owner compacts;
//  - found by examples/embedded (tests/nothrow/no_heap): a new leader whose log the owner had
//    compacted sent heartbeats at match index 0 and read the term of a compacted entry
//    (SYNOD_ASSERT). It now never reads below the compaction point.
#include <boost/test/unit_test.hpp>

#include <optional>

#include "raft/fixture.hpp"
#include "synod/storage/static.hpp"

namespace synod::test {
namespace {
using small_log = storage::static_log<text, 4>;
using static_traits = test_traits<raft::features{}, storage::log_ref<small_log>>;
using static_node = raft::node<static_traits>;

struct static_cluster {
    raft_network net;
    manual_clock clocks[4];
    small_log logs[4];
    std::optional<static_node> nodes[4];
    static_cluster() {
        configuration c;
        c.voters = node_set{1u, 2u, 3u};
        for (std::uint32_t i = 1; i <= 3; ++i) {
            nodes[i].emplace(node_id{i}, c, default_settings(),
                             storage::log_ref<small_log>{logs[i]}, net.transport_for(node_id{i}),
                             manual_timer{&clocks[i]}, xoshiro256{i}, recording_state_machine{});
            net.attach(node_id{i}, *nodes[i]);
        }
    }
    static_node& operator[](std::uint32_t i) { return *nodes[i]; }
};
}  // namespace

BOOST_AUTO_TEST_SUITE(regressions_raft_static_log)

BOOST_AUTO_TEST_CASE(a_node_whose_log_is_full_does_not_stand_until_compacted) {
    static_cluster c;
    c[1].campaign();
    c.net.deliver_all();
    BOOST_TEST_REQUIRE(c[1].is_leader());
    while (c[1].propose(text{"x"}).has_value()) c.net.deliver_all();
    BOOST_TEST_REQUIRE(c.logs[2].full());
    const term_t t = c[2].term();
    c[2].campaign();  // as if its election timer fired
    c[2].on(raft_message{raft::timeout_now{t, node_id{1}}});
    BOOST_TEST(c[2].role() == raft::role::follower);
    BOOST_TEST(c[2].term() == t);
    c.logs[2].compact_through(c[2].applied_index(), c.logs[2].term_at(c[2].applied_index()));
    c[2].campaign();
    BOOST_TEST(c[2].role() == raft::role::candidate);
}

BOOST_AUTO_TEST_CASE(a_new_leader_with_a_compacted_log_heartbeats_from_the_compaction_point) {
    static_cluster c;
    c[1].campaign();
    c.net.deliver_all();
    BOOST_TEST_REQUIRE(c[1].is_leader());
    for (int i = 0; i < 2; ++i) {
        BOOST_TEST_REQUIRE(c[1].propose(text{"x"}).has_value());
        c.net.deliver_all();
    }
    c.net.run_for(1);
    for (std::uint32_t i = 1; i <= 3; ++i) {
        const log_index a = c[i].applied_index();
        BOOST_TEST_REQUIRE(a == log_index{3});
        c.logs[i].compact_through(a, c.logs[i].term_at(a));
    }
    // Node 2 takes over: its view of every follower starts at match 0, below what it holds.
    c[2].campaign();
    c.net.deliver_all();
    BOOST_TEST_REQUIRE(c[2].is_leader());
    for (int k = 0; k < 3; ++k) {
        c.clocks[2].now = c.clocks[2].now + 1;
        c[2].on(timeout{});
        c.net.deliver_all();
    }
    BOOST_TEST_REQUIRE(c[2].propose(text{"y"}).has_value());
    c.net.deliver_all();
    for (std::uint32_t i = 1; i <= 3; ++i) BOOST_TEST(c[i].last_index() == log_index{5});
    BOOST_TEST(c[2].commit_index() == log_index{5});
}

BOOST_AUTO_TEST_SUITE_END()
}  // namespace synod::test
