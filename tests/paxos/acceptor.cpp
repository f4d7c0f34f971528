// The single-decree acceptor (Paxos Made Simple 2.2-2.3, P1a): stale prepares and accepts are
// rejected with the promised ballot (SCENARIOS X5); promises and accepted replies leave only once
// durable (DESIGN 3); a crash loses nothing promised (X6).
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include "paxos/support.hpp"

using namespace synod;
namespace data = boost::unit_test::data;

namespace {

template <class Storage>
struct acceptor_traits {
    using value_type = std::string;
    using storage = Storage;
    using transport = test::recording_transport<paxos::message<std::string>>;
};

template <class Storage = storage::memory_acceptor<std::string>>
struct acceptor_fixture {
    std::vector<std::pair<node_id, paxos::message<std::string>>> out;
    paxos::acceptor<acceptor_traits<Storage>> a;
    explicit acceptor_fixture(Storage s = {}, node_set learners = {})
        : a{node_id{1}, learners, std::move(s),
            test::recording_transport<paxos::message<std::string>>{&out}} {}
    template <class M>
    void deliver(const M& m) {
        a.on(paxos::message<std::string>{m});
    }
    std::vector<std::pair<node_id, paxos::message<std::string>>> take() {
        return std::exchange(out, {});
    }
};

const node_id proposer{2};

struct ballot_case {
    const char* name;
    std::uint64_t promised_round;
    std::uint64_t proposed_round;
    bool granted;
};
std::ostream& operator<<(std::ostream& os, const ballot_case& c) { return os << c.name; }

const ballot_case prepare_cases[] = {
    {"higher ballot is promised", 3, 4, true},
    {"retransmitted ballot is promised again", 4, 4, true},
    {"lower ballot is rejected with the promised one", 4, 3, false},
    {"first ballot on a fresh acceptor is promised", 0, 1, true},
};

const ballot_case accept_cases[] = {
    {"accept at exactly the promised ballot is accepted", 5, 5, true},
    {"accept above the promised ballot is accepted and raises the promise", 5, 7, true},
    {"accept below the promised ballot is rejected", 5, 4, false},
};

}  // namespace

BOOST_AUTO_TEST_SUITE(paxos_acceptor)

BOOST_DATA_TEST_CASE(prepare_is_judged_against_the_promised_ballot, data::make(prepare_cases), c) {
    storage::memory_acceptor<std::string> s;
    if (c.promised_round) (void)s.save_promise(ballot{c.promised_round, proposer});
    acceptor_fixture f{s};
    f.deliver(paxos::prepare{proposer, ballot{c.proposed_round, proposer}});
    const auto sent = f.take();
    BOOST_TEST_REQUIRE(sent.size() == 1u);
    BOOST_TEST(sent[0].first == proposer);
    if (c.granted) {
        const auto* p = std::get_if<paxos::promise<std::string>>(&sent[0].second);
        BOOST_TEST_REQUIRE(p != nullptr);
        BOOST_TEST(p->promised == (ballot{c.proposed_round, proposer}));
        BOOST_TEST(f.a.promised() == (ballot{c.proposed_round, proposer}));
    } else {
        const auto* r = std::get_if<paxos::reject>(&sent[0].second);
        BOOST_TEST_REQUIRE(r != nullptr);
        BOOST_TEST(r->promised == (ballot{c.promised_round, proposer}));
        BOOST_TEST(r->rejected == (ballot{c.proposed_round, proposer}));
        BOOST_TEST(f.a.promised() == (ballot{c.promised_round, proposer}));
    }
}

BOOST_DATA_TEST_CASE(accept_is_judged_against_the_promised_ballot, data::make(accept_cases), c) {
    storage::memory_acceptor<std::string> s;
    (void)s.save_promise(ballot{c.promised_round, proposer});
    acceptor_fixture f{s};
    const proposal<std::string> p{ballot{c.proposed_round, proposer}, "v"};
    f.deliver(paxos::accept<std::string>{proposer, p});
    const auto sent = f.take();
    BOOST_TEST_REQUIRE(sent.size() == 1u);
    if (c.granted) {
        const auto* a = std::get_if<paxos::accepted<std::string>>(&sent[0].second);
        BOOST_TEST_REQUIRE(a != nullptr);
        BOOST_TEST(a->voted == p);
        BOOST_TEST(f.a.promised() == p.number);
        BOOST_TEST((f.a.accepted_proposal() == p));
        // X5: the accepted ballot is now the promise: a prepare just below it is stale.
        f.deliver(paxos::prepare{node_id{1}, ballot{c.proposed_round, node_id{1}}});
        const auto again = f.take();
        BOOST_TEST_REQUIRE(again.size() == 1u);
        BOOST_TEST(std::holds_alternative<paxos::reject>(again[0].second));
    } else {
        const auto* r = std::get_if<paxos::reject>(&sent[0].second);
        BOOST_TEST_REQUIRE(r != nullptr);
        BOOST_TEST(r->promised == (ballot{c.promised_round, proposer}));
        BOOST_TEST(!f.a.accepted_proposal().has_value());
    }
}

BOOST_AUTO_TEST_CASE(promise_reports_the_highest_accepted_proposal) {
    acceptor_fixture f;
    f.deliver(paxos::accept<std::string>{proposer, {ballot{2, proposer}, "x"}});
    f.deliver(paxos::accept<std::string>{node_id{3}, {ballot{3, node_id{3}}, "y"}});
    f.take();
    f.deliver(paxos::prepare{node_id{4}, ballot{9, node_id{4}}});
    const auto sent = f.take();
    BOOST_TEST_REQUIRE(sent.size() == 1u);
    const auto& p = std::get<paxos::promise<std::string>>(sent[0].second);
    BOOST_TEST_REQUIRE(p.accepted.has_value());
    BOOST_TEST(*p.accepted == (proposal<std::string>{ballot{3, node_id{3}}, "y"}));
}

BOOST_AUTO_TEST_CASE(accepted_goes_to_the_proposer_and_every_learner_once) {
    acceptor_fixture f{{}, node_set{2u, 5u, 6u}};
    f.deliver(paxos::accept<std::string>{proposer, {ballot{1, proposer}, "v"}});
    const auto sent = f.take();
    BOOST_TEST_REQUIRE(sent.size() == 3u);
    BOOST_TEST(sent[0].first == proposer);
    BOOST_TEST(sent[1].first == node_id{5});
    BOOST_TEST(sent[2].first == node_id{6});
}

BOOST_AUTO_TEST_CASE(no_reply_leaves_before_its_write_is_durable) {
    using deferred = storage::deferred_acceptor<std::string>;
    acceptor_fixture<deferred> f{deferred{}, node_set{3u}};
    f.deliver(paxos::prepare{proposer, ballot{1, proposer}});
    BOOST_TEST(f.out.empty());
    BOOST_TEST(f.a.waiting() == 1u);
    f.deliver(paxos::accept<std::string>{proposer, {ballot{1, proposer}, "v"}});
    BOOST_TEST(f.out.empty());
    // A reject promises nothing: it leaves at once.
    f.deliver(paxos::prepare{node_id{3}, ballot{0, node_id{3}}});
    BOOST_TEST_REQUIRE(f.out.size() == 1u);
    BOOST_TEST(std::holds_alternative<paxos::reject>(f.take()[0].second));
    // The promise is durable, the acceptance not yet: only the promise is released.
    f.a.storage().complete_through(write_id{1});
    f.a.on(writes_durable{});
    auto sent = f.take();
    BOOST_TEST_REQUIRE(sent.size() == 1u);
    BOOST_TEST(std::holds_alternative<paxos::promise<std::string>>(sent[0].second));
    f.a.storage().complete_all();
    f.a.on(writes_durable{});
    sent = f.take();
    BOOST_TEST_REQUIRE(sent.size() == 2u);  // the proposer and learner 3
    BOOST_TEST(std::holds_alternative<paxos::accepted<std::string>>(sent[0].second));
    BOOST_TEST(sent[1].first == node_id{3});
    BOOST_TEST(f.a.waiting() == 0u);
}

// X6: A2 promises b = 5 to P2, crashes and restarts; a slow accept(b = 4) from P1 is rejected.
BOOST_AUTO_TEST_CASE(a_restarted_acceptor_keeps_its_durable_promise) {
    using deferred = storage::deferred_acceptor<std::string>;
    acceptor_fixture<deferred> f;
    f.deliver(paxos::prepare{node_id{2}, ballot{5, node_id{2}}});
    f.a.storage().complete_all();
    f.a.on(writes_durable{});
    BOOST_TEST_REQUIRE(f.take().size() == 1u);  // the promise, sent once durable
    deferred disk = f.a.storage();
    disk.crash();
    acceptor_fixture<deferred> restarted{disk};
    restarted.deliver(paxos::accept<std::string>{node_id{3}, {ballot{4, node_id{3}}, "late"}});
    const auto sent = restarted.take();
    BOOST_TEST_REQUIRE(sent.size() == 1u);
    const auto* r = std::get_if<paxos::reject>(&sent[0].second);
    BOOST_TEST_REQUIRE(r != nullptr);
    BOOST_TEST(r->promised == (ballot{5, node_id{2}}));
}

// The counterpart: a promise that was never durable was never sent, so losing it breaks nothing.
BOOST_AUTO_TEST_CASE(a_crash_before_the_promise_is_durable_loses_an_unsent_promise) {
    using deferred = storage::deferred_acceptor<std::string>;
    acceptor_fixture<deferred> f;
    f.deliver(paxos::prepare{node_id{2}, ballot{5, node_id{2}}});
    BOOST_TEST(f.out.empty());
    deferred disk = f.a.storage();
    disk.crash();
    BOOST_TEST(disk.promised() == ballot{});
    acceptor_fixture<deferred> restarted{disk};
    restarted.deliver(paxos::accept<std::string>{node_id{3}, {ballot{4, node_id{3}}, "v"}});
    restarted.a.storage().complete_all();
    restarted.a.on(writes_durable{});
    const auto sent = restarted.take();
    BOOST_TEST_REQUIRE(sent.size() == 1u);
    BOOST_TEST(std::holds_alternative<paxos::accepted<std::string>>(sent[0].second));
}

BOOST_AUTO_TEST_SUITE_END()
