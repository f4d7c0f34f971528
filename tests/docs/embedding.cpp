// docs/embedding.md, compiled and run: a Raft node inside a runtime of your own. The runtime
// here is an in-process loop (mailboxes of encoded frames, a millisecond counter for a clock,
// and a "disk" that makes writes durable at the end of each turn), so that the test runs
// anywhere; examples/custom_runtime.cpp does the same over UDP sockets with poll().
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/print.hpp"
#include "synod/codec/frame.hpp"
#include "synod/codec/raft.hpp"
#include "synod/raft/node.hpp"
#include "synod/storage/deferred.hpp"

namespace embedding_guide {

/// The application: a map of strings, changed only by committed commands "key=value".
struct store {
    std::map<std::string, std::string> data;
    std::vector<synod::raft::read_ready> ready;  // reads the node says may be served now

    void apply(const synod::entry<std::string>& e) {
        if (e.kind != synod::entry_kind::normal) return;  // no-ops keep the indices dense
        const auto eq = e.payload.find('=');
        if (eq != std::string::npos) data[e.payload.substr(0, eq)] = e.payload.substr(eq + 1);
    }
    void on_read(const synod::raft::read_ready& r) { ready.push_back(r); }
};

using message = synod::raft::message<std::string>;
using codec = synod::codec::raft_codec<std::string>;
constexpr std::uint64_t cluster_id = 7;  // frames of another cluster are refused
struct my_runtime;

/// Transport policy: encode at once (the message, and the entries it borrows, live only during
/// the call), hand the bytes to your I/O, and never call back into a node from here.
struct my_transport {
    my_runtime* rt;
    synod::node_id self;
    void send(synod::node_id to, const message& m);
};

/// Timer policy: your clock, and one deadline per node that your loop watches.
struct my_timer {
    my_runtime* rt;
    synod::node_id self;
    synod::time_point now() const;
    void arm(synod::time_point deadline);
};

struct traits {
    using payload = std::string;
    using storage = synod::storage::deferred_log<std::string>;  // durable when the loop says so
    using transport = my_transport;
    using timer = my_timer;
    using random = synod::xoshiro256;
    using state_machine = store;
    static constexpr synod::raft::features features{
        .pre_vote = true, .check_quorum = true, .read_index = true};
};
using node = synod::raft::node<traits>;

/// The runtime: per node a mailbox of frames and a deadline; one clock; one "disk".
struct my_runtime {
    struct endpoint {
        std::unique_ptr<node> n;
        std::deque<std::string> inbox;  // frames received, not yet handled
        synod::time_point deadline = synod::time_never;
    };
    std::map<std::uint32_t, endpoint> endpoints;
    std::uint64_t clock_ms = 0;  // a real runtime reads std::chrono::steady_clock
    std::size_t bad_frames = 0;

    /// One turn of the event loop: the whole contract, in order.
    void turn() {
        for (auto& [id, e] : endpoints) {
            if (!e.n) continue;  // crashed
            // 1. Deliver what arrived, one message at a time.
            while (!e.inbox.empty()) {
                const std::string frame = std::move(e.inbox.front());
                e.inbox.pop_front();
                deliver(*e.n, frame);
            }
            // 2. Fire the timer once its deadline has passed; the node re-arms it.
            if (e.deadline <= e.n->timer().now()) {
                e.deadline = synod::time_never;
                e.n->on(synod::timeout{});
            }
            // 3. Make what the node wrote durable (your fsync), then say so. Held-back votes
            //    and acknowledgements leave now; a leader counts its own entries now.
            while (e.n->storage().issued() != e.n->storage().durable()) {
                e.n->storage().complete_all();
                e.n->on(synod::writes_durable{});
            }
        }
        ++clock_ms;
    }

    /// Bytes from the network: checked and decoded, or dropped. Never hand a node a message
    /// you did not decode with bounds checks.
    void deliver(node& n, const std::string& frame) {
        synod::codec::frame_view f;
        codec::owned m;  // owns the entries the message borrows
        if (synod::codec::read_frame(frame, synod::codec::limits_for<codec>(cluster_id), f) !=
                synod::codec::error::none ||
            synod::codec::decode<codec>(f, n.config().voters, m) != synod::codec::error::none) {
            ++bad_frames;
            return;
        }
        n.on(m.message);
    }
};

void my_transport::send(synod::node_id to, const message& m) {
    auto it = rt->endpoints.find(to.value);
    if (it == rt->endpoints.end() || !it->second.n) return;  // a lost message: Raft retries
    std::string frame;
    synod::codec::encode<codec>(m, cluster_id, frame);
    it->second.inbox.push_back(std::move(frame));
}
synod::time_point my_timer::now() const { return synod::time_point{rt->clock_ms}; }
void my_timer::arm(synod::time_point deadline) { rt->endpoints[self.value].deadline = deadline; }

/// Starts node `id`, or restarts it from the storage that survived its crash.
void start(my_runtime& rt, std::uint32_t id, traits::storage disk = {}) {
    synod::configuration config;
    config.voters = synod::node_set{1u, 2u, 3u};
    synod::raft::settings s;
    s.election_timeout_ticks = 10;  // ticks of my_timer: milliseconds here
    s.heartbeat_interval_ticks = 2;
    const synod::node_id self{id};
    rt.endpoints[id].n = std::make_unique<node>(self, config, s, std::move(disk),
                                                my_transport{&rt, self}, my_timer{&rt, self},
                                                synod::xoshiro256{id}, store{});
}

/// A client's write: propose on the leader, remember (index, term), and wait for the apply.
struct pending_write {
    synod::log_index index;
    synod::term_t term;
};
std::optional<pending_write> write(node& n, const std::string& command) {
    const synod::result<synod::log_index> r = n.propose(command);
    if (!r) return std::nullopt;  // errc::not_leader: retry at n.leader(), if it names one
    return pending_write{*r, n.term()};
}
/// Done once applied; it took effect only if the entry applied at its index is of its term
/// (another leader's entry may have taken that index: then the write is definitely lost).
std::optional<bool> outcome(const node& n, const pending_write& w) {
    if (n.applied_index() < w.index) return std::nullopt;  // not yet
    return n.storage().term_at(w.index) == w.term;
}

node* leader_of(my_runtime& rt) {
    for (auto& [id, e] : rt.endpoints)
        if (e.n && e.n->is_leader()) return e.n.get();
    return nullptr;
}

}  // namespace embedding_guide

BOOST_AUTO_TEST_SUITE(docs_embedding)

BOOST_AUTO_TEST_CASE(the_guide_runtime_elects_commits_reads_and_restarts) {
    using namespace embedding_guide;
    my_runtime rt;
    for (std::uint32_t id = 1; id <= 3; ++id) start(rt, id);
    node* l = nullptr;
    for (int t = 0; t < 200 && !(l = leader_of(rt)); ++t) rt.turn();
    BOOST_TEST_REQUIRE(l != nullptr);

    // A write: proposed on the leader, answered once applied.
    const auto w = write(*l, "greeting=hello");
    BOOST_TEST_REQUIRE(w.has_value());
    std::optional<bool> done;
    for (int t = 0; t < 50 && !(done = outcome(*l, *w)); ++t) rt.turn();
    BOOST_TEST_REQUIRE(done.has_value());
    BOOST_TEST(*done);

    // A follower refuses the write and names the leader.
    node& follower = *rt.endpoints[l->id().value == 1 ? 2 : 1].n;
    for (int t = 0; t < 5; ++t) rt.turn();
    BOOST_TEST(!write(follower, "greeting=ignored"));
    BOOST_TEST(follower.leader() == l->id());

    // A linearizable read on the follower: ReadIndex through the leader, then on_read.
    BOOST_TEST_REQUIRE(follower.read_index(42).has_value());
    for (int t = 0; t < 20 && follower.state_machine().ready.empty(); ++t) rt.turn();
    BOOST_TEST_REQUIRE(follower.state_machine().ready.size() == 1u);
    const synod::raft::read_ready r = follower.state_machine().ready.front();
    BOOST_TEST(r.ok);
    BOOST_TEST(r.context == 42u);
    BOOST_TEST(follower.state_machine().data.at("greeting") == "hello");

    // The follower crashes: writes not yet durable are lost, and it restarts from its storage
    // with an empty state machine (settings.applied = 0), re-applying what is committed.
    const std::uint32_t f = follower.id().value;
    traits::storage disk = std::move(rt.endpoints[f].n->storage());
    disk.crash();
    rt.endpoints[f].n.reset();
    BOOST_TEST_REQUIRE(write(*l, "greeting=again").has_value());
    for (int t = 0; t < 5; ++t) rt.turn();
    start(rt, f, std::move(disk));
    for (int t = 0; t < 30; ++t) rt.turn();
    BOOST_TEST(rt.endpoints[f].n->state_machine().data.at("greeting") == "again");
    BOOST_TEST(rt.bad_frames == 0u);

    // Bad bytes never reach a node.
    rt.endpoints[f].inbox.push_back("not a frame");
    rt.turn();
    BOOST_TEST(rt.bad_frames == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
