// Linearizable reads (Raft thesis 6.4): ReadIndex on the leader and through followers, a new
// leader's reads postponed until its term commits, stale acknowledgements never confirming a
// newer read, lease reads within the lease only. Restated from ../shared/SCENARIOS.md 2.6.
#include <boost/test/unit_test.hpp>

#include "raft/fixture.hpp"

using namespace synod;
using namespace synod::test;
using raft::read_kind;

namespace {
constexpr raft::features ri{.read_index = true};
constexpr raft::features lease{.check_quorum = true, .read_index = true, .lease_read = true};
constexpr raft::features lease_transfer{
    .check_quorum = true, .leader_transfer = true, .read_index = true, .lease_read = true};
using cluster = raft_fixture<ri>;

template <class C>
void propose_empty(C& c, std::uint32_t leader, int n) {
    for (int i = 0; i < n; ++i) BOOST_TEST_REQUIRE(c[leader].propose(std::string{}).has_value());
}
}  // namespace

BOOST_AUTO_TEST_SUITE(raft_reads)

template <class C>
void reads_everywhere(bool use_lease) {
    C c{3};
    c.hup(1);
    c.deliver();
    const std::uint32_t issuers[] = {1, 2, 3, 1, 2, 3};
    for (std::uint64_t round = 0; round < 6; ++round) {
        propose_empty(c, 1, 10);
        c.deliver();
        const std::uint32_t n = issuers[round];
        const std::size_t before = c[n].state_machine().reads.size();
        if (use_lease && n == 1) {
            if constexpr (requires { c[1].lease_read(0); }) {
                c.tick(1);  // a heartbeat round refreshes the lease
                c.deliver();
                BOOST_TEST_REQUIRE(c[n].lease_read(100 + round).has_value());
            }
        } else {
            BOOST_TEST_REQUIRE(c[n].read_index(100 + round).has_value());
        }
        c.deliver();
        const auto& reads = c[n].state_machine().reads;
        BOOST_TEST_REQUIRE(reads.size() == before + 1, "round " << round);
        const auto& [r, applied] = reads.back();
        BOOST_TEST(r.ok);
        BOOST_TEST(r.context == 100 + round);
        BOOST_TEST(r.index == log_index{11 + 10 * round});  // the leader's commit at the request
        BOOST_TEST(applied >= r.index.value);  // served only once applied there
        BOOST_TEST((r.kind == (use_lease && n == 1 ? read_kind::lease : read_kind::read_index)));
    }
}

BOOST_AUTO_TEST_CASE(r1_every_node_reads_at_the_leaders_commit_index) { reads_everywhere<cluster>(false); }
BOOST_AUTO_TEST_CASE(r1_the_leader_reads_under_its_lease) {
    reads_everywhere<raft_fixture<lease>>(true);
}

BOOST_AUTO_TEST_CASE(r1_a_learner_reads_through_the_leader) {
    configuration conf;
    conf.voters = node_set{1u, 2u, 3u};
    conf.learners = node_set{4u};
    cluster c{conf, default_settings()};
    c.hup(1);
    c.deliver();
    propose_empty(c, 1, 10);
    c.deliver();
    BOOST_TEST_REQUIRE(c[4].read_index(7).has_value());
    c.deliver();
    BOOST_TEST_REQUIRE(c[4].state_machine().reads.size() == 1u);
    BOOST_TEST(c[4].state_machine().reads[0].first.index == log_index{11});
}

BOOST_AUTO_TEST_CASE(r2_a_new_leader_postpones_reads_until_its_term_commits) {
    cluster c{3};
    for (std::uint32_t i = 1; i <= 3; ++i)
        c.restore(i, hard_state{term_t{2}, no_node, log_index{3}}, terms({1, 2, 2}));
    c.net().drop_if([](const auto& e) { return std::holds_alternative<raft_append>(e.message); });
    c.hup(1);
    c.deliver();
    BOOST_TEST_REQUIRE(c[1].is_leader());
    BOOST_TEST(c[1].commit_index() == log_index{3});
    BOOST_TEST_REQUIRE(c[1].read_index(1).has_value());
    c.deliver();
    BOOST_TEST(c[1].state_machine().reads.empty());  // its no-op (index 4) is not committed
    c.net().recover();
    c.tick(1);
    c.deliver();
    BOOST_TEST_REQUIRE(c[1].commit_index() == log_index{4});
    BOOST_TEST_REQUIRE(c[1].read_index(2).has_value());
    c.deliver();
    const auto& reads = c[1].state_machine().reads;
    BOOST_TEST_REQUIRE(reads.size() == 2u);
    BOOST_TEST(reads[0].first.index == log_index{4});
    BOOST_TEST(reads[1].first.index == log_index{4});
}

BOOST_AUTO_TEST_CASE(r3_stale_acknowledgements_never_confirm_a_newer_read) {
    cluster c{3};
    c.hup(1);
    c.deliver();
    // Read A: its heartbeat round goes out; hold every answer.
    BOOST_TEST_REQUIRE(c[1].read_index(1).has_value());
    c.net().drop_if([](const auto& e) { return e.to == node_id{1}; });
    c.deliver();  // followers answer round A, but the answers are lost
    c.net().recover();
    c.net().isolate(node_id{1});
    c.hup(2);
    c.deliver();
    BOOST_TEST_REQUIRE(c[2].is_leader());
    BOOST_TEST_REQUIRE(c[2].propose(std::string{"op"}).has_value());
    c.deliver();
    const log_index new_commit = c[2].commit_index();
    // Read B on the deposed leader, which has not heard of the new term yet.
    BOOST_TEST_REQUIRE(c[1].is_leader());
    BOOST_TEST_REQUIRE(c[1].read_index(2).has_value());
    // Replay answers to round A (duplicated, late): they must not confirm B.
    c[1].on(raft_message{raft::append_response{term_t{1}, node_id{2}, true, log_index{1}, {}, {},
                                               log_index{1}, true, 1}});
    c[1].on(raft_message{raft::append_response{term_t{1}, node_id{3}, true, log_index{1}, {}, {},
                                               log_index{1}, true, 1}});
    for (const auto& [r, applied] : c[1].state_machine().reads)
        BOOST_TEST((!r.ok || r.context != 2 || new_commit <= r.index));
    c.net().recover();
    c.tick(1);
    c.deliver();
    // Once it hears of the new term, the old leader fails its pending reads.
    BOOST_TEST(!c[1].is_leader());
    for (const auto& [r, applied] : c[1].state_machine().reads)
        if (r.context == 2) BOOST_TEST((!r.ok || new_commit <= r.index));
}

BOOST_AUTO_TEST_CASE(r4_a_confirmed_read_frees_its_slot) {
    cluster c{3};
    c.hup(1);
    c.deliver();
    for (std::uint64_t k = 0; k < 3 * raft::capacities::reads; ++k) {
        BOOST_TEST_REQUIRE(c[1].read_index(k).has_value());
        c.deliver();
    }
    BOOST_TEST(c[1].state_machine().reads.size() == 3 * raft::capacities::reads);
}

BOOST_AUTO_TEST_CASE(too_many_pending_reads_are_refused_with_an_error) {
    cluster c{3};
    c.hup(1);
    c.deliver();
    c.net().isolate(node_id{2});
    c.net().isolate(node_id{3});
    for (std::uint64_t k = 0; k < raft::capacities::reads; ++k)
        BOOST_TEST_REQUIRE(c[1].read_index(k).has_value());
    const auto r = c[1].read_index(999);
    BOOST_TEST_REQUIRE(!r);
    BOOST_TEST(r.error() == errc::queue_full);
}

BOOST_AUTO_TEST_CASE(r6_a_single_voter_reads_at_once) {
    cluster c{1};
    c.hup(1);
    BOOST_TEST_REQUIRE(c[1].read_index(5).has_value());
    BOOST_TEST_REQUIRE(c[1].state_machine().reads.size() == 1u);
    BOOST_TEST(c[1].state_machine().reads[0].first.index == log_index{1});
}

BOOST_AUTO_TEST_CASE(a_follower_without_a_leader_refuses_reads) {
    cluster c{3};
    const auto r = c[2].read_index(1);
    BOOST_TEST_REQUIRE(!r);
    BOOST_TEST(r.error() == errc::not_leader);
}

BOOST_AUTO_TEST_CASE(a_lease_lapses_without_heartbeat_answers_and_never_outlives_the_bound) {
    raft_fixture<lease> c{3};
    c.hup(1);
    c.deliver();
    c.tick(1);
    c.deliver();
    BOOST_TEST(c[1].lease_read(1).has_value());
    c.net().isolate(node_id{1});
    // ET = 10, drift bound 10%: the lease lasts 10 - 1 - 1 = 8 ticks after the round it rests on.
    c.tick(1, 7);
    BOOST_TEST(c[1].lease_read(2).has_value());
    c.tick(1, 1);
    const auto r = c[1].lease_read(3);
    BOOST_TEST_REQUIRE(!r);
    BOOST_TEST(r.error() == errc::unavailable);
    // ReadIndex cannot be confirmed either while isolated: nothing is served.
    BOOST_TEST(c[1].read_index(4).has_value());
    const std::size_t served = c[1].state_machine().reads.size();
    c.tick(1, 1);
    BOOST_TEST(c[1].state_machine().reads.size() == served);
}

BOOST_AUTO_TEST_CASE(a_new_leader_has_no_lease_before_its_term_commits) {
    raft_fixture<lease> c{3};
    elect(c, 1);  // its no-op is not replicated yet
    const auto r = c[1].lease_read(1);
    BOOST_TEST_REQUIRE(!r);
    BOOST_TEST(r.error() == errc::unavailable);
}

BOOST_AUTO_TEST_CASE(a_leadership_transfer_ends_the_lease) {
    raft_fixture<lease_transfer> c{3};
    c.hup(1);
    c.deliver();
    c.tick(1);
    c.deliver();
    BOOST_TEST_REQUIRE(c[1].lease_read(1).has_value());
    BOOST_TEST_REQUIRE(c[1].transfer_leadership(node_id{2}).has_value());
    BOOST_TEST(!c[1].lease_read(2));
}

BOOST_AUTO_TEST_SUITE_END()
