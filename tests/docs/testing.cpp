// docs/testing.md, compiled and run: testing your own state machine. Alone (determinism); in a
// Raft cluster on the sync runtime under scripted faults, with the clients' history checked for
// linearizability and the cluster invariants checked after every tick; a planted stale read
// that the checker catches; and the simulator run from a test.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "support/print.hpp"
#include "synod/check/history.hpp"
#include "synod/check/invariants.hpp"
#include "synod/check/linearizability.hpp"
#include "synod/raft/node.hpp"
#include "synod/runtime/sim/raft.hpp"
#include "synod/runtime/sync/network.hpp"
#include "synod/storage/memory.hpp"

namespace testing_guide {

/// Your state machine's command: who asks (client, request number) and what.
struct command {
    std::uint32_t client = 0;
    std::uint64_t request = 0;
    bool put = false;  // put(key, value), else get(key), both through the log
    std::uint32_t key = 0;
    std::string value;
    friend bool operator==(const command&, const command&) = default;
};

/// Your state machine: a key-value store that remembers what each request returned.
struct kv {
    std::map<std::uint32_t, std::string> data;
    std::map<std::pair<std::uint32_t, std::uint64_t>, std::optional<std::string>> answers;

    void apply(const synod::entry<command>& e) {
        if (e.kind != synod::entry_kind::normal) return;
        const command& c = e.payload;
        if (c.put) data[c.key] = c.value;
        const auto it = data.find(c.key);
        answers[{c.client, c.request}] =
            it == data.end() ? std::nullopt : std::optional<std::string>{it->second};
    }
};

using network = synod::runtime::sync::network<synod::raft::message<command>>;
struct traits {
    using payload = command;
    using storage = synod::storage::memory_log<command>;
    using transport = network::transport;
    using timer = network::timer;
    using random = synod::xoshiro256;
    using state_machine = kv;
    static constexpr synod::raft::features features{.pre_vote = true, .check_quorum = true};
};
using node = synod::raft::node<traits>;

/// A 64-bit digest of an entry: equal entries must hash equally on every node.
std::uint64_t hash_of(const synod::entry<command>& e) {
    const command& c = e.payload;
    return std::hash<std::string>{}(c.value) ^ (std::uint64_t{c.client} << 40) ^
           (c.request << 8) ^ (std::uint64_t{c.key} << 1) ^ (c.put ? 1u : 0u) ^
           (static_cast<std::uint64_t>(e.kind) << 60);
}

/// After each step: tell the invariant checker what a node holds, committed and applied.
void observe(synod::check::cluster_observer& obs, node& n, synod::log_index& reported_applied) {
    std::vector<synod::check::log_entry_info> log;
    for (const auto& e : n.storage().all()) log.push_back({e.index, e.term, hash_of(e)});
    (void)obs.log_snapshot(n.id(), log);
    if (n.is_leader()) (void)obs.became_leader(n.id(), n.term());
    (void)obs.committed(n.id(), n.commit_index(), n.term());
    for (synod::log_index i = reported_applied.next(); i <= n.applied_index(); ++i)
        (void)obs.applied(n.id(), i, n.storage().term_at(i), hash_of(n.storage().at(i)));
    reported_applied = n.applied_index();
}

/// Three nodes of your store on one sync network.
std::vector<std::unique_ptr<node>> three_nodes(network& net) {
    synod::configuration config;
    config.voters = synod::node_set{1u, 2u, 3u};
    std::vector<std::unique_ptr<node>> nodes;
    for (std::uint32_t i = 1; i <= 3; ++i) {
        const synod::node_id id{i};
        nodes.push_back(std::make_unique<node>(id, config, synod::raft::settings{}, traits::storage{},
                                               net.transport_for(id), net.timer_for(id),
                                               synod::xoshiro256{i}, kv{}));
        net.attach(id, *nodes.back());
    }
    return nodes;
}

/// One client: at most one request in flight, recorded in the history as it goes.
struct client {
    std::uint32_t id;
    std::uint32_t target = 1;  // the node it believes leads
    std::optional<synod::check::op_id> op;
    std::uint64_t request = 0;
    std::uint64_t sent_at = 0;
};

}  // namespace testing_guide

BOOST_AUTO_TEST_SUITE(docs_testing)

BOOST_AUTO_TEST_CASE(the_state_machine_alone_is_deterministic) {
    using namespace testing_guide;
    std::vector<synod::entry<command>> log;
    for (std::uint64_t i = 1; i <= 100; ++i)
        log.push_back({synod::term_t{1}, synod::log_index{i}, synod::entry_kind::normal,
                       command{1, i, i % 3 != 0, static_cast<std::uint32_t>(i % 7),
                               "v" + std::to_string(i)}});
    kv a, b;
    for (const auto& e : log) a.apply(e);
    for (const auto& e : log) b.apply(e);
    BOOST_TEST((a.data == b.data && a.answers == b.answers));
}

BOOST_AUTO_TEST_CASE(the_store_in_a_cluster_under_faults_is_linearizable) {
    using namespace testing_guide;
    network net;
    std::vector<std::unique_ptr<node>> nodes = three_nodes(net);
    synod::check::history h;
    synod::check::cluster_observer obs;
    std::vector<synod::log_index> applied(3);
    std::vector<client> clients{client{1, 1, {}, 0, 0}, client{2, 2, {}, 0, 0},
                                client{3, 3, {}, 0, 0}};
    std::uint32_t next_client = 4;
    synod::xoshiro256 rng{7};
    for (std::uint64_t t = 0; t < 600; ++t) {
        // The fault script: isolate whoever leads at 150, heal at 300; cut 1-2 from 400 to 500.
        if (t == 150)
            for (auto& n : nodes)
                if (n->is_leader()) net.isolate(n->id());
        if (t == 300 || t == 500) net.recover();
        if (t == 400) net.cut(synod::node_id{1}, synod::node_id{2});

        for (client& c : clients) {
            node& n = *nodes[c.target - 1];
            if (c.op) {  // waiting: answered once the node it asked has applied the request
                const auto it = n.state_machine().answers.find({c.id, c.request});
                if (it != n.state_machine().answers.end()) {
                    const auto& in = h[*c.op].input;
                    h.complete(*c.op,
                               in.kind == synod::check::op_kind::put ? synod::check::kv_output::ok()
                               : it->second ? synod::check::kv_output::read(*it->second)
                                            : synod::check::kv_output::absent(),
                               t);
                    c.op.reset();
                } else if (t - c.sent_at > 40) {
                    // Give up: the request may or may not take effect, so it stays open, and
                    // the client goes on under a new id (one open operation per client id).
                    c = client{next_client++, c.target % 3 + 1, {}, 0, 0};
                }
                continue;
            }
            const bool put = synod::uniform(rng, 0, 1) == 1;
            const auto key = static_cast<std::uint32_t>(synod::uniform(rng, 0, 2));
            const std::string value = "v" + std::to_string(t) + "." + std::to_string(c.id);
            const synod::check::kv_input in =
                put ? synod::check::kv_input::put(key, value) : synod::check::kv_input::get(key);
            const synod::check::op_id op = h.invoke(synod::check::client_id{c.id}, in, t);
            ++c.request;
            if (n.propose(command{c.id, c.request, put, key, value})) {
                c.op = op;
                c.sent_at = t;
            } else {
                h.discard(op);  // refused before it was proposed: it never takes effect
                c.target = n.leader() ? n.leader().value : c.target % 3 + 1;
            }
        }
        net.run_for(1);
        for (std::size_t i = 0; i < nodes.size(); ++i) observe(obs, *nodes[i], applied[i]);
    }

    BOOST_TEST(!obs.first_violation().has_value());
    const synod::check::check_result r = synod::check::check_linearizability(h);
    BOOST_TEST_MESSAGE(r.explanation);
    BOOST_TEST(static_cast<bool>(r), r.explanation);  // outcome == verdict::linearizable
    std::size_t completed = 0;
    for (const auto& op : h.operations()) completed += op.open() || op.discarded ? 0 : 1;
    BOOST_TEST(completed > 100u);
}

BOOST_AUTO_TEST_CASE(a_stale_read_from_a_follower_is_caught) {
    // The bug: a get served from a follower's own state, without ReadIndex or the log.
    using namespace testing_guide;
    network net;
    std::vector<std::unique_ptr<node>> nodes = three_nodes(net);
    node* leader = nullptr;
    for (int t = 0; t < 100 && !leader; ++t) {
        net.run_for(1);
        for (auto& n : nodes)
            if (n->is_leader()) leader = n.get();
    }
    BOOST_TEST_REQUIRE(leader != nullptr);
    node& follower = *nodes[leader->id().value % 3];
    synod::check::history h;
    const auto put = [&](std::uint64_t request, const std::string& value) {
        const auto op = h.invoke(synod::check::client_id{1}, synod::check::kv_input::put(3, value),
                                 net.now().value);
        BOOST_TEST_REQUIRE(leader->propose(command{1, request, true, 3, value}).has_value());
        net.run_for(3);
        BOOST_TEST_REQUIRE(leader->state_machine().answers.count({1, request}) == 1u);
        h.complete(op, synod::check::kv_output::ok(), net.now().value);
    };
    put(1, "old");
    net.run_for(3);  // the follower applies "old" too
    net.isolate(follower.id());
    put(2, "new");  // the leader and the other follower commit it
    net.run_for(1);  // then, strictly later (intervals are closed), a client reads
    const auto get = h.invoke(synod::check::client_id{2}, synod::check::kv_input::get(3),
                              net.now().value);
    h.complete(get, synod::check::kv_output::read(follower.state_machine().data.at(3)),
               net.now().value + 1);
    const synod::check::check_result r = synod::check::check_linearizability(h);
    BOOST_TEST_MESSAGE(r.explanation);
    BOOST_TEST((r.outcome == synod::check::verdict::not_linearizable));
}

BOOST_AUTO_TEST_CASE(one_seed_of_the_simulator_from_a_test) {
    synod::runtime::sim::options o;
    o.seed = 42;
    o.nodes = 5;
    BOOST_TEST_REQUIRE(synod::runtime::sim::fault_profile::named("partitions", o.faults));
    synod::runtime::sim::world<synod::runtime::sim::raft_protocol<>> w{o};
    const synod::runtime::sim::result r = w.run();
    BOOST_TEST(r.ok, r.failure << "\n" << r.last_events);
    BOOST_TEST_MESSAGE("seed 42: " << r.events << " events, " << r.ops_completed
                                   << " operations completed, " << r.partitions << " partitions");
}

BOOST_AUTO_TEST_SUITE_END()
