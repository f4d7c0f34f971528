// Persistence before acknowledgement (DESIGN 3; Raft Figure 2, "persistent state on all
// servers ... updated on stable storage before responding to RPCs"): with storage whose writes
// complete later, nothing that promises state leaves before the state is durable, and a node
// that crashes in the middle of any write restarts without voting twice in a term or losing an
// acknowledged entry. Also the E18 scenarios (self-votes and self-acknowledgements that arrive
// late).
#include <boost/test/unit_test.hpp>

#include <map>
#include <set>

#include "raft/fixture.hpp"

using namespace synod;
using namespace synod::test;
using raft::role;

namespace {
using deferred = storage::deferred_log<text>;
using cluster = raft_fixture<raft::features{}, deferred>;
constexpr raft::features pv{.pre_vote = true};
using pv_cluster = raft_fixture<pv, deferred>;

template <class C>
void sync_all(C& c) {
    for (std::uint32_t i = 1; i <= c.size(); ++i) c.sync(i);
}
}  // namespace

BOOST_AUTO_TEST_SUITE(raft_durability)

BOOST_AUTO_TEST_CASE(a_vote_is_granted_only_once_it_is_durable) {
    cluster c{3};
    c[1].on(raft_message{raft::vote_request{term_t{1}, node_id{2}, {}, {}, false, false}});
    BOOST_TEST(c.net().pending() == 0u);
    BOOST_TEST(c[1].vote() == node_id{2});
    c.sync(1);
    const auto out = of_type<raft::vote_response>(c.drain());
    BOOST_TEST_REQUIRE(out.size() == 1u);
    BOOST_TEST(out[0].second.granted);
}

BOOST_AUTO_TEST_CASE(a_candidate_asks_for_votes_and_counts_its_own_only_once_durable) {
    cluster c{1};
    c.hup(1);
    BOOST_TEST(c[1].role() == role::candidate);  // alone, but its own vote is not durable
    c.sync(1);
    BOOST_TEST(c[1].role() == role::leader);

    cluster d{3};
    d.hup(1);
    BOOST_TEST(d.net().pending() == 0u);
    d.sync(1);
    BOOST_TEST(of_type<raft::vote_request>(d.drain()).size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_follower_acknowledges_entries_only_once_they_are_durable) {
    cluster c{3};
    c.hup(1);
    sync_all(c);
    for (int i = 0; i < 4; ++i) {
        c.deliver();
        sync_all(c);
    }
    BOOST_TEST_REQUIRE(c[1].is_leader());
    BOOST_TEST_REQUIRE(c[1].propose(std::string{"x"}).has_value());
    c.deliver();  // followers append, but do not answer
    BOOST_TEST(c[2].last_index() == log_index{2});
    BOOST_TEST(c.net().pending() == 0u);
    BOOST_TEST(c[1].commit_index() == log_index{1});
    c.sync(2);
    const auto acks = of_type<raft::append_response>(c.drain());
    BOOST_TEST_REQUIRE(acks.size() == 1u);
    BOOST_TEST(acks[0].second.index == log_index{2});
}

BOOST_AUTO_TEST_CASE(the_leader_counts_itself_only_once_its_own_write_is_durable) {
    cluster c{2};
    c.hup(1);
    for (int i = 0; i < 4; ++i) {
        sync_all(c);
        c.deliver();
    }
    BOOST_TEST_REQUIRE(c[1].is_leader());
    BOOST_TEST_REQUIRE(c[1].commit_index() == log_index{1});
    BOOST_TEST_REQUIRE(c[1].propose(std::string{"x"}).has_value());
    c.deliver();
    c.sync(2);
    c.deliver();  // the follower's acknowledgement arrives
    BOOST_TEST(c[1].commit_index() == log_index{1});  // the leader's copy is not durable yet
    c.sync(1);
    BOOST_TEST(c[1].commit_index() == log_index{2});
}

BOOST_AUTO_TEST_CASE(a_leader_whose_own_writes_never_complete_can_still_hand_over) {
    // A leader whose disk is full: its entries reach the followers, which store them; its own
    // copy never becomes durable. TimeoutNow does not wait for it (it promises nothing).
    raft_fixture<raft::features{.leader_transfer = true}, deferred> c{3};
    c.hup(1);
    for (int i = 0; i < 4; ++i) {
        sync_all(c);
        c.deliver();
    }
    BOOST_TEST_REQUIRE(c[1].is_leader());
    BOOST_TEST_REQUIRE(c[1].propose(std::string{"x"}).has_value());
    c.deliver();
    c.sync(2);
    c.sync(3);
    c.deliver();
    BOOST_TEST(c[1].durable_index() == log_index{1});  // node 1's own write is still pending
    BOOST_TEST(c[1].commit_index() == log_index{2});   // the two followers are a majority
    BOOST_TEST(c[1].progress_of(node_id{2})->match == log_index{2});
    BOOST_TEST_REQUIRE(c[1].transfer_leadership(node_id{2}).has_value());
    const auto sent = of_type<raft::timeout_now>(c.drain());
    BOOST_TEST_REQUIRE(sent.size() == 1u);  // at once, though node 1 has a write pending
    BOOST_TEST(sent[0].first == node_id{2});
    c[2].on(raft_message{sent[0].second});
    for (int i = 0; i < 4; ++i) {
        c.deliver();
        c.sync(2);
        c.sync(3);
    }
    BOOST_TEST(c[2].is_leader());
    BOOST_TEST(c[1].role() == role::follower);
    BOOST_TEST(c[2].commit_index() >= log_index{3});  // its own no-op, on the two with a disk
}

BOOST_AUTO_TEST_CASE(e18_a_late_self_vote_after_a_lost_election_is_not_counted) {
    cluster c{3};
    c.hup(1);  // candidate at term 1; its vote is not durable yet
    c[1].on(append(1, 2, 0, 0, 0));  // node 2 won term 1
    BOOST_TEST(c[1].role() == role::follower);
    c.sync(1);
    BOOST_TEST(c[1].role() == role::follower);
    BOOST_TEST(c[1].leader() == node_id{2});
}

BOOST_AUTO_TEST_CASE(e18_a_pre_candidate_becomes_candidate_then_needs_its_durable_vote) {
    pv_cluster c{3};
    c.hup(1);
    c[1].on(raft_message{raft::vote_response{term_t{1}, node_id{2}, true, true}});
    BOOST_TEST(c[1].role() == role::candidate);
    c[1].on(raft_message{raft::vote_response{term_t{1}, node_id{2}, true, false}});
    BOOST_TEST(c[1].role() == role::candidate);  // one vote of three is not enough
    c.sync(1);
    BOOST_TEST(c[1].role() == role::leader);  // with its own durable vote it is
}

BOOST_AUTO_TEST_CASE(e18_a_late_self_acknowledgement_after_stepping_down_is_ignored) {
    cluster c{3};
    c.hup(1);
    c.sync(1);
    c[1].on(raft_message{raft::vote_response{term_t{1}, node_id{2}, true, false}});
    BOOST_TEST_REQUIRE(c[1].is_leader());
    c[1].on(append(2, 3, 0, 0, 0));  // a higher-term leader appears before the no-op is durable
    c.sync(1);
    BOOST_TEST(c[1].role() == role::follower);
    BOOST_TEST(c[1].term() == term_t{2});
}

BOOST_AUTO_TEST_CASE(a_crash_before_the_vote_is_durable_forgets_it_and_sends_nothing) {
    cluster c{3};
    c[1].on(raft_message{raft::vote_request{term_t{1}, node_id{2}, {}, {}, false, false}});
    c.restart(1);
    BOOST_TEST(c.net().pending() == 0u);
    BOOST_TEST(c[1].term() == term_t{0});
    BOOST_TEST(c[1].vote() == no_node);
    // Free to vote for anyone in term 1 now: it never promised anything.
    c[1].on(raft_message{raft::vote_request{term_t{1}, node_id{3}, {}, {}, false, false}});
    c.sync(1);
    const auto out = of_type<raft::vote_response>(c.drain());
    BOOST_TEST_REQUIRE(out.size() == 1u);
    BOOST_TEST(out[0].first == node_id{3});
    BOOST_TEST(out[0].second.granted);
}

BOOST_AUTO_TEST_CASE(a_crash_after_the_vote_is_durable_keeps_it) {
    cluster c{3};
    c[1].on(raft_message{raft::vote_request{term_t{1}, node_id{2}, {}, {}, false, false}});
    c.sync(1);
    c.drain();
    c.restart(1);
    BOOST_TEST(c[1].vote() == node_id{2});
    c[1].on(raft_message{raft::vote_request{term_t{1}, node_id{3}, {}, {}, false, false}});
    c.sync(1);
    const auto out = of_type<raft::vote_response>(c.drain());
    BOOST_TEST_REQUIRE(out.size() == 1u);
    BOOST_TEST(!out[0].second.granted);
}

BOOST_AUTO_TEST_CASE(a_restarted_node_applies_its_committed_entries_again_in_order) {
    raft_fixture<> c{3};
    c.hup(1);
    c.deliver();
    for (const char* p : {"a", "b", "c"}) BOOST_TEST_REQUIRE(c[1].propose(std::string{p}).has_value());
    c.deliver();
    c.tick(1);
    c.deliver();
    c.restart(2);  // a fresh state machine: it must see every entry once, in order
    BOOST_TEST(c[2].applied_index() <= c[2].commit_index());
    c.tick(1);
    c.deliver();
    BOOST_TEST((c.applied_payloads(2) == std::vector<std::string>{"a", "b", "c"}));
    BOOST_TEST(c[2].state_machine().applied.size() == 4u);  // with the no-op: every index once
}

// Random schedules of delivery, storage completion, crash and restart: no node ever grants two
// votes in one term, and no entry a leader reported committed is ever lost or changed.
BOOST_AUTO_TEST_CASE(crashes_at_any_write_never_double_vote_or_lose_committed_entries) {
    std::size_t checked_entries = 0;
    for (std::uint64_t seed = 1; seed <= 100; ++seed) {
        BOOST_TEST_CONTEXT("seed " << seed) {
            cluster c{3, default_settings(), seed};
            xoshiro256 rng{seed};
            std::map<std::pair<std::uint32_t, std::uint64_t>, std::uint32_t> votes;
            std::map<std::uint64_t, raft_entry> committed;
            bool double_vote = false;
            c.net().drop_if([&](const auto& e) {
                if (const auto* v = std::get_if<raft::vote_response>(&e.message)) {
                    if (v->granted && !v->pre_vote) {
                        auto [it, fresh] = votes.try_emplace({e.from.value, v->term.value}, e.to.value);
                        if (!fresh && it->second != e.to.value) double_vote = true;
                    }
                }
                return uniform(rng, 0, 9) == 0;  // and lose one message in ten
            });
            int proposals = 0;
            for (int step = 0; step < 1500; ++step) {
                const std::uint64_t what = uniform(rng, 0, 99);
                const auto n = static_cast<std::uint32_t>(uniform(rng, 1, 3));
                if (what < 45) {
                    c.net().deliver_one();
                } else if (what < 70) {
                    c.sync(n);
                } else if (what < 80) {
                    c.tick(n);
                } else if (what < 82) {
                    c.restart(n);
                } else if (c[n].is_leader()) {
                    if (c[n].propose("p" + std::to_string(proposals)).has_value()) ++proposals;
                }
                for (std::uint32_t i = 1; i <= 3; ++i) {
                    if (!c[i].is_leader()) continue;
                    for (std::uint64_t k = 1; k <= c[i].commit_index().value; ++k) {
                        const raft_entry& e = c[i].storage().at(log_index{k});
                        auto [it, fresh] = committed.try_emplace(k, e);
                        BOOST_TEST_REQUIRE((it->second == e), "index " << k << " changed");
                    }
                }
            }
            BOOST_TEST(!double_vote);
            // Heal: no loss, everything durable; a leader emerges and holds every committed entry.
            c.net().recover();
            for (int round = 0; round < 200 && !c.leader_id(); ++round) {
                c.tick_all();
                for (std::uint32_t i = 1; i <= 3; ++i) c.sync(i);
                c.deliver();
            }
            const std::uint32_t leader = c.leader_id();
            for (std::uint32_t i = 1; leader == 0 && i <= 3; ++i)
                BOOST_TEST_MESSAGE("node " << i << " " << c[i].role() << " term " << c[i].term()
                                   << " vote " << c[i].vote() << " last " << c[i].last_index()
                                   << " waiting " << c[i].waiting_messages() << " durable "
                                   << c[i].storage().durable() << " deadline " << c.clock(i).deadline
                                   << " now " << c.clock(i).now);
            BOOST_TEST_REQUIRE(leader != 0u);
            checked_entries += committed.size();
            for (const auto& [k, e] : committed) {
                BOOST_TEST_REQUIRE(c[leader].last_index().value >= k);
                BOOST_TEST((c[leader].storage().at(log_index{k}) == e), "index " << k);
            }
        }
    }
    // The schedules must exercise the property: many committed entries crossed crashes.
    BOOST_TEST_MESSAGE("committed entries checked: " << checked_entries);
    BOOST_TEST(checked_entries > 500u);
}

BOOST_AUTO_TEST_SUITE_END()