// Snapshots and log compaction (Raft 7): a node compacts its log behind a state-machine
// snapshot, restarts from snapshot plus log tail, and a leader streams its snapshot in chunks to
// a follower that needs compacted entries: with flow control, resuming after a lost chunk, and
// acknowledged only once durable. Restated from ../shared/SCENARIOS.md section 2.5.
#include <boost/test/unit_test.hpp>

#include "raft/fixture.hpp"

using namespace synod;
using namespace synod::test;

namespace {
using cluster = raft_fixture<>;
static_assert(cluster::node_type::snapshots);

raft::settings small_chunks() {
    raft::settings s = default_settings();
    s.snapshot_chunk_bytes = 16;
    s.snapshot_chunks_inflight = 2;
    return s;
}

template <class C>
void propose_n(C& c, std::uint32_t leader, int n, const char* prefix = "v") {
    for (int i = 0; i < n; ++i)
        BOOST_TEST_REQUIRE(c[leader].propose(prefix + std::to_string(i)).has_value());
}
}  // namespace

BOOST_AUTO_TEST_SUITE(raft_snapshot)

BOOST_AUTO_TEST_CASE(a_compacted_node_restarts_from_its_snapshot_and_log_tail) {
    cluster c{3};
    c.hup(1);
    c.deliver();
    propose_n(c, 1, 10);
    c.deliver();
    const auto before = c.applied_payloads(1);
    c[1].compact();
    BOOST_TEST(c[1].storage().first_index() == log_index{12});
    BOOST_TEST(c[1].storage().snapshot_index() == log_index{11});
    propose_n(c, 1, 2, "tail");
    c.deliver();
    c.restart(1);
    BOOST_TEST(c[1].state_machine().restores == 1u);
    BOOST_TEST(c[1].applied_index() >= log_index{11});
    c.run(40);  // a new election; the tail commits again
    auto expected = before;
    expected.push_back("tail0");
    expected.push_back("tail1");
    BOOST_TEST(c.applied_payloads(1) == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_slow_follower_catches_up_by_snapshot) {
    cluster c{3};
    c.hup(1);
    c.deliver();
    c.net().isolate(node_id{3});
    propose_n(c, 1, 100);
    c.deliver();
    c[1].compact();
    c.net().recover();
    c.run(2);
    propose_n(c, 1, 2, "after");
    c.run(2);
    BOOST_TEST(c[3].commit_index() == c[1].commit_index());
    BOOST_TEST(c.applied_payloads(3) == c.applied_payloads(1), boost::test_tools::per_element());
    BOOST_TEST(c[3].state_machine().restores == 1u);
    BOOST_TEST(c[3].storage().snapshot_index() == c[1].storage().snapshot_index());
}

BOOST_AUTO_TEST_CASE(a_snapshot_streams_in_chunks_and_resumes_after_lost_ones) {
    cluster c{3, small_chunks()};
    c.hup(1);
    c.deliver();
    c.net().isolate(node_id{3});
    propose_n(c, 1, 30);
    c.deliver();
    c[1].compact();
    const std::size_t bytes = c[1].storage().snapshot_data().size();
    BOOST_TEST_REQUIRE(bytes > 16u * 8);
    c.net().recover();
    std::size_t chunks = 0, lost = 0;
    c.net().drop_if([&](const auto& e) {
        const auto* s = std::get_if<raft::install_snapshot>(&e.message);
        if (!s) return false;
        BOOST_TEST(s->data.size() <= 16u);
        ++chunks;
        if (chunks % 3 == 0) {
            ++lost;
            return true;  // every third chunk is lost
        }
        return false;
    });
    c.run(60);
    BOOST_TEST(lost > 0u);
    BOOST_TEST(c[3].commit_index() == c[1].commit_index());
    BOOST_TEST(c.applied_payloads(3) == c.applied_payloads(1), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(chunks_in_flight_never_exceed_the_window) {
    cluster c{3, small_chunks()};
    c.hup(1);
    c.deliver();
    c.net().isolate(node_id{3});
    propose_n(c, 1, 30);
    c.deliver();
    c[1].compact();
    c.net().recover();
    // Node 3's answers to chunks are lost; count the chunks sent to it.
    std::size_t chunks = 0;
    c.net().drop_if([&](const auto& e) {
        if (e.to == node_id{3} && std::holds_alternative<raft::install_snapshot>(e.message)) ++chunks;
        return e.from == node_id{3} && std::holds_alternative<raft::snapshot_response>(e.message);
    });
    c.tick(1);  // heartbeat; its answer shows node 3 needs the snapshot
    c.deliver();
    BOOST_TEST_REQUIRE(c[1].progress_of(node_id{3})->state == raft::progress_state::snapshot);
    BOOST_TEST(chunks == 2u);  // the window
    c.tick(1);
    c.deliver();
    BOOST_TEST(chunks == 4u);  // a silent interval: the window again, from the start
    // And proposals send no AppendEntries to a follower receiving a snapshot.
    propose_n(c, 1, 3, "x");
    for (const auto& e : c.drain())
        if (e.to == node_id{3}) BOOST_TEST(!std::holds_alternative<raft_append>(e.message));
}

BOOST_AUTO_TEST_CASE(a_follower_that_has_the_entries_answers_without_installing) {
    cluster c{3};
    c.hup(1);
    c.deliver();
    propose_n(c, 1, 5);
    c.deliver();
    c.tick(1);
    c.deliver();
    BOOST_TEST_REQUIRE(c[2].commit_index() == log_index{6});
    const std::vector<std::byte> junk(8, std::byte{1});
    c[2].on(raft_message{raft::install_snapshot{c[1].term(), node_id{1}, log_index{4}, term_t{1},
                                                0, junk.size(), junk}});
    BOOST_TEST(c[2].state_machine().restores == 0u);
    BOOST_TEST(c[2].storage().first_index() == log_index{1});
    const auto out = of_type<raft::snapshot_response>(c.drain());
    BOOST_TEST_REQUIRE(out.size() == 1u);
    BOOST_TEST(out[0].second.installed);
}

BOOST_AUTO_TEST_CASE(an_append_acknowledgement_past_the_snapshot_ends_the_stream) {
    cluster c{3, small_chunks()};
    c.hup(1);
    c.deliver();
    c.net().isolate(node_id{3});
    propose_n(c, 1, 30);
    c.deliver();
    c[1].compact();
    c.net().recover();
    c.tick(1);
    c.net().drop_if([](const auto& e) {
        return e.from == node_id{3} && std::holds_alternative<raft::snapshot_response>(e.message);
    });
    c.deliver();  // streaming starts; its answers are lost
    const auto* pr = c[1].progress_of(node_id{3});
    BOOST_TEST_REQUIRE(pr->state == raft::progress_state::snapshot);
    // Whatever state the stream is in, an acknowledgement at the leader's last index moves the
    // follower to replicate.
    c[1].on(raft_message{raft::append_response{c[1].term(), node_id{3}, true, c[1].last_index(),
                                               {}, {}, c[1].last_index(), false, 0}});
    BOOST_TEST(pr->state == raft::progress_state::replicate);
    BOOST_TEST(pr->match == c[1].last_index());
}

BOOST_AUTO_TEST_CASE(an_installed_snapshot_is_acknowledged_only_once_durable) {
    using deferred = raft_fixture<raft::features{}, storage::deferred_log<text>>;
    deferred c{3};
    auto settle = [&](int rounds) {
        for (int i = 0; i < rounds; ++i) {
            for (std::uint32_t n = 1; n <= 3; ++n) c.sync(n);
            c.deliver();
        }
    };
    c.hup(1);
    settle(4);
    BOOST_TEST_REQUIRE(c[1].is_leader());
    c.net().isolate(node_id{3});
    propose_n(c, 1, 10);
    settle(4);
    c[1].compact();
    settle(1);
    BOOST_TEST_REQUIRE(c[1].storage().snapshot_index() == log_index{11});
    c.net().recover();
    c.tick(1);
    c.deliver();  // node 3 answers the heartbeat; the snapshot goes out
    c.sync(1);
    c.deliver();  // node 3 installs it but must not answer before its write is durable
    BOOST_TEST_REQUIRE(c[3].storage().snapshot_index() == log_index{11});
    for (const auto& e : c.drain())
        BOOST_TEST(!(e.from == node_id{3} && std::holds_alternative<raft::snapshot_response>(e.message)));
    // A crash now loses the unsynced snapshot: node 3 restarts from its old log.
    c.restart(3);
    BOOST_TEST(c[3].storage().snapshot_index() == log_index{0});
    BOOST_TEST(c[3].last_index() == log_index{1});
    // Run on: it gets the snapshot again, and acknowledges once durable.
    for (int i = 0; i < 6; ++i) {
        c.tick(1);
        settle(3);
    }
    BOOST_TEST(c[3].commit_index() == c[1].commit_index());
    BOOST_TEST(c[3].storage().snapshot_index() == log_index{11});
}

BOOST_AUTO_TEST_CASE(no_state_is_lost_across_whole_cluster_restarts_after_compaction) {
    cluster c{3};
    c.hup(1);
    c.deliver();
    propose_n(c, 1, 20);
    c.deliver();
    c.tick(1);
    c.deliver();
    for (std::uint32_t i = 1; i <= 3; ++i) c[i].compact();
    const auto before = c.applied_payloads(1);
    for (int round = 0; round < 2; ++round) {
        for (std::uint32_t i = 1; i <= 3; ++i) c.restart(i);
        c.run(40);
        const std::uint32_t leader = c.leader_id();
        BOOST_TEST_REQUIRE(leader != 0u);
        BOOST_TEST_REQUIRE(c[leader].propose("round" + std::to_string(round)).has_value());
        c.run(3);
    }
    auto expected = before;
    expected.push_back("round0");
    expected.push_back("round1");
    for (std::uint32_t i = 1; i <= 3; ++i)
        BOOST_TEST(c.applied_payloads(i) == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
