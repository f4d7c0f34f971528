// docs/policies.md, compiled and run: one policy of each kind written from scratch, checked
// against its concept, and used by a real node.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "support/print.hpp"
#include "synod/core/concepts/quorum_system.hpp"
#include "synod/core/concepts/random.hpp"
#include "synod/core/concepts/state_machine.hpp"
#include "synod/core/concepts/storage.hpp"
#include "synod/core/concepts/timer.hpp"
#include "synod/core/concepts/transport.hpp"
#include "synod/paxos/multi_paxos.hpp"
#include "synod/raft/node.hpp"
#include "synod/runtime/sync/network.hpp"
#include "synod/storage/paxos_memory.hpp"

namespace policies_guide {

// ---- storage ----------------------------------------------------------------------------------

/// A Raft log in a std::vector whose writes become durable only when sync() runs: the shape of
/// every storage that completes later (an fsync on another thread, a flash page program).
template <class P>
class vector_log {
public:
    synod::write_id durable() const { return durable_; }
    synod::hard_state hard_state() const { return hard_; }
    synod::log_index first_index() const { return synod::log_index{1}; }
    synod::log_index last_index() const { return synod::log_index{log_.size()}; }
    synod::term_t term_at(synod::log_index i) const {
        return i == synod::log_index{0} ? synod::term_t{0} : log_[i.value - 1].term;
    }
    std::span<const synod::entry<P>> entries(synod::log_index lo, synod::log_index hi) const {
        return std::span{log_}.subspan(lo.value - 1, hi - lo + 1);
    }
    synod::write_id save_hard_state(const synod::hard_state& h) {
        hard_ = h;          // reads see the write at once ...
        return ++issued_;   // ... it is durable once durable() reaches this id
    }
    synod::write_id append(std::span<const synod::entry<P>> es) {
        log_.resize(es.front().index.value - 1);  // drop the suffix from the first new index
        log_.insert(log_.end(), es.begin(), es.end());
        return ++issued_;
    }

    /// Your fsync: every write issued so far is durable now (in issue order, all at once).
    void sync() { durable_ = issued_; }
    bool pending() const { return durable_ != issued_; }

private:
    synod::hard_state hard_{};
    std::vector<synod::entry<P>> log_;
    synod::write_id issued_{0};
    synod::write_id durable_{0};
};
static_assert(synod::raft_log_storage<vector_log<std::string>, std::string>);

// ---- transport --------------------------------------------------------------------------------

using message = synod::raft::message<std::string>;

/// A message kept past send(), with its own copy of what it borrowed.
struct kept_message {
    synod::node_id to;
    message m;
    std::vector<synod::entry<std::string>> entries;  // AppendEntries
    std::vector<std::byte> bytes;                    // InstallSnapshot chunks
};

/// A transport that queues messages for your loop to send later. The entries (and snapshot
/// bytes) a message borrows are valid only during send(): copy them and rebind the copy.
struct queue_transport {
    std::deque<kept_message>* out;
    void send(synod::node_id to, const message& m) {
        kept_message& k = out->emplace_back(kept_message{to, m, {}, {}});
        const auto es = borrowed_entries(m);  // found by ADL in synod::raft
        k.entries.assign(es.begin(), es.end());
        rebind_entries(k.m, std::span<const synod::entry<std::string>>{k.entries});
        const auto bs = borrowed_bytes(m);
        k.bytes.assign(bs.begin(), bs.end());
        rebind_bytes(k.m, std::span<const std::byte>{k.bytes});
    }
};
static_assert(synod::transport<queue_transport, message>);

// ---- timer and random -------------------------------------------------------------------------

/// A clock you move by hand and the one deadline the node asked for.
struct manual_timer {
    const std::uint64_t* clock;
    synod::time_point* deadline;
    synod::time_point now() const { return synod::time_point{*clock}; }
    void arm(synod::time_point d) { *deadline = d; }  // replaces the previous deadline
};
static_assert(synod::timer<manual_timer>);

/// std::mt19937_64 is specified bit for bit, so a seed gives the same run everywhere.
struct mt_random {
    std::mt19937_64 engine;
    std::uint64_t operator()() { return engine(); }
};
static_assert(synod::random_source<mt_random>);

// ---- state machine ----------------------------------------------------------------------------

/// A counter that can be snapshotted (log compaction) and serves reads (ReadIndex, leases).
struct counter {
    std::int64_t total = 0;
    std::vector<synod::raft::read_ready> reads;

    void apply(const synod::entry<std::string>& e) {
        if (e.kind == synod::entry_kind::normal) total += std::stoll(e.payload);
    }
    std::vector<std::byte> snapshot() const {
        std::vector<std::byte> b(sizeof total);
        std::memcpy(b.data(), &total, sizeof total);
        return b;
    }
    void restore(std::span<const std::byte> b) { std::memcpy(&total, b.data(), sizeof total); }
    void on_read(const synod::raft::read_ready& r) { reads.push_back(r); }
};
static_assert(synod::state_machine<counter, synod::entry<std::string>>);
static_assert(synod::snapshot_state_machine<counter>);

// ---- quorum system ----------------------------------------------------------------------------

/// Voters in a grid of `columns` columns, in id order row by row. A phase-1 quorum is a full
/// column, a phase-2 quorum a full row: every column meets every row. Four voters in 2 x 2
/// commit with 2 acknowledgements where a majority needs 3 (and elect with 2 as well, but only
/// the right 2).
struct grid {
    std::size_t columns = 2;

    synod::result<void> validate(const synod::node_set& voters) const {
        if (columns == 0 || voters.empty() || voters.size() % columns != 0)
            return synod::errc::invalid_configuration;
        return {};
    }
    bool phase1(const synod::node_set& voters, const synod::node_set& acks) const {
        for (std::size_t c = 0; c < columns; ++c) {
            bool full = true;
            for (std::size_t i = c; i < voters.size(); i += columns)
                full = full && acks.contains(voters[i]);
            if (full) return true;
        }
        return false;
    }
    bool phase2(const synod::node_set& voters, const synod::node_set& acks) const {
        for (std::size_t row = 0; row < voters.size(); row += columns) {
            bool full = true;
            for (std::size_t i = row; i < row + columns; ++i) full = full && acks.contains(voters[i]);
            if (full) return true;
        }
        return false;
    }
    /// The largest index held by a phase-2 quorum: try each voter's match index, highest first.
    template <class Match>
    synod::log_index committed(const synod::node_set& voters, Match&& match) const {
        std::vector<synod::log_index> candidates;
        for (synod::node_id v : voters) candidates.push_back(match(v));
        std::sort(candidates.rbegin(), candidates.rend());
        for (synod::log_index i : candidates) {
            synod::node_set holders;
            for (synod::node_id v : voters)
                if (i <= match(v)) holders.insert(v);
            if (phase2(voters, holders)) return i;
        }
        return synod::log_index{0};
    }
};
static_assert(synod::quorum_system<grid>);

// ---- the checks a role runs, usable in your own code ------------------------------------------

static_assert(synod::check_raft_log_storage<vector_log<std::string>, std::string>::value);
static_assert(synod::check_transport<queue_transport, message>::value);
static_assert(synod::check_timer<manual_timer>::value);
static_assert(synod::check_random_source<mt_random>::value);
static_assert(synod::check_state_machine<counter, synod::entry<std::string>>::value);
static_assert(synod::check_quorum_system<grid>::value);

}  // namespace policies_guide

namespace {

using net_type = synod::runtime::sync::network<policies_guide::message>;
struct sync_traits {
    using payload = std::string;
    using storage = policies_guide::vector_log<std::string>;
    using transport = net_type::transport;
    using timer = net_type::timer;
    using random = policies_guide::mt_random;
    using state_machine = policies_guide::counter;
};

struct queue_traits {
    using payload = std::string;
    using storage = policies_guide::vector_log<std::string>;
    using transport = policies_guide::queue_transport;
    using timer = policies_guide::manual_timer;
    using random = synod::xoshiro256;
    using state_machine = policies_guide::counter;
    static constexpr synod::raft::features features{.check_quorum = true, .read_index = true};
};

using paxos_net = synod::runtime::sync::network<synod::multi_paxos::message<std::string>>;
struct sum {
    std::int64_t total = 0;
    void apply(const synod::entry<std::string>& e) {
        if (e.kind == synod::entry_kind::normal) total += std::stoll(e.payload);
    }
};
struct grid_traits {
    using payload_type = std::string;
    using storage = synod::storage::memory_paxos_log<std::string>;
    using transport = paxos_net::transport;
    using timer = paxos_net::timer;
    using random = synod::xoshiro256;
    using state_machine = sum;
    using quorum = policies_guide::grid;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(docs_policies)

BOOST_AUTO_TEST_CASE(storage_that_completes_later_holds_votes_until_synced) {
    net_type net;
    synod::configuration config;
    config.voters = synod::node_set{1u, 2u, 3u};
    std::vector<std::unique_ptr<synod::raft::node<sync_traits>>> nodes;
    for (std::uint32_t i = 1; i <= 3; ++i) {
        const synod::node_id id{i};
        nodes.push_back(std::make_unique<synod::raft::node<sync_traits>>(
            id, config, synod::raft::settings{}, policies_guide::vector_log<std::string>{},
            net.transport_for(id), net.timer_for(id), policies_guide::mt_random{std::mt19937_64{i}},
            policies_guide::counter{}));
        net.attach(id, *nodes.back());
    }
    // Node 1 campaigns: its vote requests wait until its new term and vote are durable.
    nodes[0]->campaign();
    BOOST_TEST(nodes[0]->waiting_messages() == 2u);
    BOOST_TEST(net.pending() == 0u);
    nodes[0]->storage().sync();
    net.report_durable(synod::node_id{1});
    BOOST_TEST(net.pending() == 2u);
    // The others grant their votes, which wait for their own disks in turn.
    net.deliver_all();
    BOOST_TEST(nodes[1]->waiting_messages() == 1u);
    BOOST_TEST(nodes[2]->waiting_messages() == 1u);
    BOOST_TEST(net.pending() == 0u);
    BOOST_TEST(!nodes[0]->is_leader());
    const auto sync_all = [&] {
        for (auto& n : nodes)
            if (n->storage().pending()) {
                n->storage().sync();
                net.report_durable(n->id());
            }
    };
    for (int i = 0; i < 5; ++i) {
        sync_all();
        net.deliver_all();
    }
    BOOST_TEST(nodes[0]->is_leader());
    BOOST_TEST_REQUIRE(nodes[0]->propose("5").has_value());
    for (int i = 0; i < 5; ++i) {
        sync_all();
        net.deliver_all();
    }
    net.run_for(2);
    sync_all();
    net.run_for(2);
    for (auto& n : nodes) BOOST_TEST(n->state_machine().total == 5);
}

BOOST_AUTO_TEST_CASE(a_queue_transport_keeps_borrowed_entries_alive) {
    std::deque<policies_guide::kept_message> out;
    std::uint64_t clock = 0;
    synod::time_point deadline = synod::time_never;
    synod::configuration config;
    config.voters = synod::node_set{1u};  // alone: it elects itself and commits alone
    config.learners = synod::node_set{2u};
    synod::raft::node<queue_traits> n{synod::node_id{1},
                                      config,
                                      synod::raft::settings{},
                                      policies_guide::vector_log<std::string>{},
                                      policies_guide::queue_transport{&out},
                                      policies_guide::manual_timer{&clock, &deadline},
                                      synod::xoshiro256{1},
                                      policies_guide::counter{}};
    clock = deadline.value;
    n.on(synod::timeout{});
    n.storage().sync();
    n.on(synod::writes_durable{});
    BOOST_TEST_REQUIRE(n.is_leader());
    // The learner's first AppendEntries (the leader's no-op) waits in the queue ...
    BOOST_TEST_REQUIRE(out.size() == 1u);
    // ... while the leader's log grows and moves in memory ...
    for (int i = 0; i < 1000; ++i) BOOST_TEST_REQUIRE(n.propose("7").has_value());
    n.storage().sync();
    n.on(synod::writes_durable{});
    BOOST_TEST(n.state_machine().total == 7000);
    // ... and its copy of the entries is still the one that was sent.
    const policies_guide::kept_message k = std::move(out.front());
    const auto es = borrowed_entries(k.m);
    BOOST_TEST(k.to == synod::node_id{2});
    BOOST_TEST_REQUIRE(es.size() == 1u);
    BOOST_TEST(es[0].index == synod::log_index{1});
    BOOST_TEST((es[0].kind == synod::entry_kind::noop));
}

BOOST_AUTO_TEST_CASE(a_grid_commits_with_one_full_row) {
    paxos_net net;
    synod::configuration config;
    config.voters = synod::node_set{1u, 2u, 3u, 4u};  // rows {1, 2} {3, 4}; columns {1, 3} {2, 4}
    std::vector<std::unique_ptr<synod::multi_paxos::replica<grid_traits>>> rs;
    for (std::uint32_t i = 1; i <= 4; ++i) {
        const synod::node_id id{i};
        rs.push_back(std::make_unique<synod::multi_paxos::replica<grid_traits>>(
            id, config, synod::multi_paxos::settings{}, grid_traits::storage{},
            net.transport_for(id), net.timer_for(id), synod::xoshiro256{i}, sum{}, policies_guide::grid{2}));
        net.attach(id, *rs.back());
    }
    BOOST_TEST_REQUIRE(rs[0]->campaign().has_value());
    net.deliver_all();
    BOOST_TEST_REQUIRE(rs[0]->is_leader());
    // Only node 1's row is left: 2 of 4 voters, short of a majority, still a phase-2 quorum.
    net.detach(synod::node_id{3});
    net.detach(synod::node_id{4});
    BOOST_TEST_REQUIRE(rs[0]->propose("3").has_value());
    net.deliver_all();
    BOOST_TEST(rs[0]->commit_index() == synod::log_index{1});
    BOOST_TEST(rs[0]->state_machine().total == 3);
    BOOST_TEST(policies_guide::grid{3}.validate(config.voters).error() == synod::errc::invalid_configuration);
}

BOOST_AUTO_TEST_SUITE_END()
