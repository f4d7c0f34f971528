// Leadership transfer (Raft thesis 3.10): the leader brings the target up to date and sends it
// TimeoutNow. Restated from ../shared/SCENARIOS.md section 2.3.
#include <boost/test/unit_test.hpp>

#include "raft/fixture.hpp"

using namespace synod;
using namespace synod::test;
using raft::role;

namespace {
constexpr raft::features lt{.leader_transfer = true};
constexpr raft::features lt_cq{.check_quorum = true, .leader_transfer = true};
using cluster = raft_fixture<lt>;

template <class Cluster>
void started(Cluster& c) {
    c.hup(1);
    c.deliver();
    BOOST_TEST_REQUIRE(c[1].is_leader());
}
}  // namespace

BOOST_AUTO_TEST_SUITE(raft_transfer)

BOOST_AUTO_TEST_CASE(leadership_moves_to_an_up_to_date_follower_and_back) {
    cluster c{3};
    started(c);
    BOOST_TEST(c[1].transfer_leadership(node_id{2}).has_value());
    c.deliver();
    BOOST_TEST(c[1].role() == role::follower);
    BOOST_TEST(c[1].leader() == node_id{2});
    BOOST_TEST(c[2].is_leader());
    BOOST_TEST(c[2].transfer_target() == no_node);
    BOOST_TEST_REQUIRE(c[2].propose(std::string{"x"}).has_value());
    c.deliver();
    BOOST_TEST(c[2].transfer_leadership(node_id{1}).has_value());
    c.deliver();
    BOOST_TEST(c[1].is_leader());
    BOOST_TEST(c[2].role() == role::follower);
}

BOOST_AUTO_TEST_CASE(timeout_now_overrides_leader_stickiness) {
    raft_fixture<lt_cq> c{3};
    started(c);
    BOOST_TEST(c[1].transfer_leadership(node_id{2}).has_value());
    c.deliver();
    BOOST_TEST(c[2].is_leader());
    BOOST_TEST(c[1].role() == role::follower);
}

BOOST_AUTO_TEST_CASE(a_slow_target_is_caught_up_first) {
    cluster c{3};
    started(c);
    c.net().isolate(node_id{3});
    BOOST_TEST_REQUIRE(c[1].propose(std::string{"x"}).has_value());
    c.deliver();
    c.net().recover();
    BOOST_TEST(c[1].progress_of(node_id{3})->match == log_index{1});
    BOOST_TEST(c[1].transfer_leadership(node_id{3}).has_value());
    c.deliver();
    c.tick(1);  // a heartbeat round lets the probe through
    c.deliver();
    BOOST_TEST(c[3].is_leader());
    BOOST_TEST(c[3].last_index() >= log_index{3});
}

BOOST_AUTO_TEST_CASE(transfer_to_self_or_to_a_stranger_changes_nothing) {
    cluster c{3};
    started(c);
    BOOST_TEST(c[1].transfer_leadership(node_id{1}).has_value());
    BOOST_TEST(c[1].is_leader());
    BOOST_TEST(c[1].transfer_target() == no_node);
    const auto r = c[1].transfer_leadership(node_id{4});
    BOOST_TEST_REQUIRE(!r);
    BOOST_TEST(r.error() == errc::not_member);
    BOOST_TEST(c[1].is_leader());
    BOOST_TEST(c[1].transfer_target() == no_node);
}

BOOST_AUTO_TEST_CASE(a_transfer_to_an_unreachable_node_aborts_after_an_election_timeout) {
    cluster c{3};
    started(c);
    c.net().isolate(node_id{3});
    BOOST_TEST(c[1].transfer_leadership(node_id{3}).has_value());
    c.tick(1, 1);
    BOOST_TEST(c[1].transfer_target() == node_id{3});
    // Proposals are refused while the transfer is pending, and nothing is replicated.
    const log_index match = c[1].progress_of(node_id{2})->match;
    const auto r = c[1].propose(std::string{"dropped"});
    BOOST_TEST_REQUIRE(!r);
    BOOST_TEST(r.error() == errc::transfer_in_progress);
    c.deliver();
    BOOST_TEST(c[1].progress_of(node_id{2})->match == match);
    // Asking again for the same target does not extend the deadline.
    BOOST_TEST(c[1].transfer_leadership(node_id{3}).has_value());
    c.tick(1, 10 - 1);
    c.deliver();
    BOOST_TEST(c[1].is_leader());
    BOOST_TEST(c[1].transfer_target() == no_node);
    BOOST_TEST(c[1].propose(std::string{"accepted"}).has_value());
}

BOOST_AUTO_TEST_CASE(a_higher_term_campaign_ends_a_pending_transfer) {
    cluster c{3};
    started(c);
    c.net().isolate(node_id{3});
    BOOST_TEST(c[1].transfer_leadership(node_id{3}).has_value());
    c.net().recover();
    c.net().isolate(node_id{3});
    c.hup(2);
    c.deliver();
    BOOST_TEST(c[1].role() == role::follower);
    BOOST_TEST(c[1].leader() == node_id{2});
    BOOST_TEST(c[1].transfer_target() == no_node);
}

BOOST_AUTO_TEST_CASE(transferring_back_to_the_leader_cancels_the_transfer) {
    cluster c{3};
    started(c);
    c.net().isolate(node_id{3});
    BOOST_TEST(c[1].transfer_leadership(node_id{3}).has_value());
    BOOST_TEST(c[1].transfer_leadership(node_id{1}).has_value());
    BOOST_TEST(c[1].is_leader());
    BOOST_TEST(c[1].transfer_target() == no_node);
    BOOST_TEST(c[1].propose(std::string{"x"}).has_value());
}

BOOST_AUTO_TEST_CASE(a_second_transfer_to_another_node_wins) {
    cluster c{3};
    started(c);
    c.net().isolate(node_id{3});
    BOOST_TEST(c[1].transfer_leadership(node_id{3}).has_value());
    BOOST_TEST(c[1].transfer_leadership(node_id{2}).has_value());
    c.deliver();
    BOOST_TEST(c[2].is_leader());
}

BOOST_AUTO_TEST_CASE(a_node_outside_the_voters_never_campaigns) {
    configuration conf;
    conf.voters = node_set{2u, 3u, 4u};
    conf.learners = node_set{5u};
    cluster c{conf, default_settings()};
    c.start(node_id{1}, storage::memory_log<std::string>{});  // not in the configuration at all
    for (std::uint32_t n : {1u, 5u}) {
        c.hup(n);
        c[n].on(raft_message{raft::timeout_now{term_t{1}, node_id{2}}});
        c[n].on(raft_message{raft::vote_response{term_t{1}, node_id{2}, true, false}});
        c[n].on(raft_message{raft::vote_response{term_t{1}, node_id{3}, true, false}});
        BOOST_TEST(c[n].role() == role::follower, "node " << n);
    }
}

BOOST_AUTO_TEST_SUITE_END()
