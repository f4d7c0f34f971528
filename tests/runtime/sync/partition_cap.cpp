// What CAP means for a consensus cluster (docs/choosing.md), shown on five nodes split 2|3 with
// the leader on the minority side. Consistency is kept and availability given up where it must
// be: the minority side refuses writes and linearizable reads, or never completes them, while
// the majority side elects a leader, commits writes and serves ReadIndex reads. When the
// partition heals, the minority's uncommitted write is gone and every replica applied the same
// commands. Raft with check-quorum, Raft without it, and Multi-Paxos. The sync runtime runs it:
// one thread and one manual clock, so every run is the same, tick for tick.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "support/print.hpp"
#include "synod/core/quorum.hpp"
#include "synod/paxos/multi_paxos.hpp"
#include "synod/raft/node.hpp"
#include "synod/runtime/sync/network.hpp"
#include "synod/storage/memory.hpp"
#include "synod/storage/paxos_memory.hpp"

using namespace synod;

namespace {

using command = std::string;
using strings = std::vector<std::string>;

/// The application: the commands applied, in order, and the reads the node handed back.
struct journal {
    strings applied;
    std::vector<raft::read_ready> reads;
    void apply(const entry<command>& e) {
        if (e.kind == entry_kind::normal) applied.push_back(e.payload);
    }
    void on_read(const raft::read_ready& r) { reads.push_back(r); }

    /// The read with this context, or nullptr if it has not completed.
    const raft::read_ready* read(std::uint64_t context) const {
        for (const raft::read_ready& r : reads)
            if (r.context == context) return &r;
        return nullptr;
    }
};

std::string text(const result<log_index>& r) {
    return r ? "accepted at index " + std::to_string(r->value) : "refused: " + std::string{to_string(r.error())};
}
std::string text(const result<void>& r) {
    return r ? std::string{"accepted"} : "refused: " + std::string{to_string(r.error())};
}
std::string text(const ballot& b) {
    return "(" + std::to_string(b.round) + ", n" + std::to_string(b.proposer.value) + ")";
}
std::string text(const raft::read_ready* r) {
    if (!r) return "not completed";
    if (!r->ok) return "failed";
    return std::string{"served ("} + (r->kind == raft::read_kind::lease ? "lease" : "read_index") +
           ", index " + std::to_string(r->index.value) + ")";
}

/// N nodes on one sync network, node i at nodes[i - 1], and a timeline of what happened.
template <class Node, class Message>
struct cluster {
    using network = runtime::sync::network<Message>;
    network net;
    std::vector<std::unique_ptr<Node>> nodes;
    std::vector<std::uint32_t> minority, majority;

    Node& operator[](std::uint32_t i) { return *nodes[i - 1]; }

    void note(const std::string& what) {
        std::ostringstream line;
        line << "t=" << net.now().value << "  " << what;
        BOOST_TEST_MESSAGE(line.str());
    }
    /// Runs tick by tick until some node leads; its id, or 0 after `ticks_max`.
    std::uint32_t elect(ticks ticks_max = 200) {
        for (ticks t = 0; t < ticks_max; ++t) {
            net.run_for(1);
            if (const std::uint32_t l = leader_among({1, 2, 3, 4, 5})) return l;
        }
        return 0;
    }
    std::uint32_t leader_among(const std::vector<std::uint32_t>& ids) {
        for (std::uint32_t i : ids)
            if ((*this)[i].is_leader()) return i;
        return 0;
    }
    /// Cuts every link between the old leader plus one follower and the other three.
    void split(std::uint32_t old_leader) {
        const std::uint32_t other = old_leader == 1 ? 2 : 1;
        minority = {old_leader, other};
        majority.clear();
        for (std::uint32_t i = 1; i <= 5; ++i)
            if (i != old_leader && i != other) majority.push_back(i);
        for (std::uint32_t a : minority)
            for (std::uint32_t b : majority) net.cut(node_id{a}, node_id{b});
    }
    std::string sides() const {
        std::string s = "partition {";
        for (std::uint32_t i : minority) s += " n" + std::to_string(i);
        s += " } | {";
        for (std::uint32_t i : majority) s += " n" + std::to_string(i);
        return s + " }";
    }
};

// ---- Raft ------------------------------------------------------------------------------------

using raft_message = raft::message<command>;
using raft_network = runtime::sync::network<raft_message>;

template <raft::features F>
struct raft_traits {
    using payload = command;
    using storage = storage::memory_log<command>;
    using transport = raft_network::transport;
    using timer = raft_network::timer;
    using random = xoshiro256;
    using state_machine = journal;
    static constexpr raft::features features = F;
};

template <raft::features F>
struct raft_cluster : cluster<raft::node<raft_traits<F>>, raft_message> {
    raft_cluster() {
        configuration config;
        config.voters = node_set{1u, 2u, 3u, 4u, 5u};
        for (std::uint32_t i = 1; i <= 5; ++i) {
            const node_id id{i};
            this->nodes.push_back(std::make_unique<raft::node<raft_traits<F>>>(
                id, config, raft::settings{}, storage::memory_log<command>{},
                this->net.transport_for(id), this->net.timer_for(id), xoshiro256{i}, journal{}));
            this->net.attach(id, *this->nodes.back());
        }
    }
    bool logged_anywhere(const std::string& payload) {
        for (auto& n : this->nodes)
            for (const auto& e : n->storage().all())
                if (e.payload == payload) return true;
        return false;
    }
};

constexpr raft::features sticky{
    .pre_vote = true, .check_quorum = true, .read_index = true, .lease_read = true};
constexpr raft::features plain_reads{.read_index = true};

// ---- Multi-Paxos -----------------------------------------------------------------------------

using paxos_message = multi_paxos::message<command>;
using paxos_network = runtime::sync::network<paxos_message>;

struct paxos_traits {
    using payload_type = command;
    using storage = storage::memory_paxos_log<command>;
    using transport = paxos_network::transport;
    using timer = paxos_network::timer;
    using random = xoshiro256;
    using state_machine = journal;
    using quorum = majority;
};
using replica = multi_paxos::replica<paxos_traits>;

struct paxos_cluster : cluster<replica, paxos_message> {
    paxos_cluster() {
        configuration config;
        config.voters = node_set{1u, 2u, 3u, 4u, 5u};
        for (std::uint32_t i = 1; i <= 5; ++i) {
            const node_id id{i};
            nodes.push_back(std::make_unique<replica>(id, config, multi_paxos::settings{},
                                                      paxos_traits::storage{},
                                                      net.transport_for(id), net.timer_for(id),
                                                      xoshiro256{i}));
            net.attach(id, *nodes.back());
        }
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(runtime_sync_partition_cap)

BOOST_AUTO_TEST_CASE(raft_with_check_quorum_refuses_on_the_minority_and_serves_the_majority) {
    BOOST_TEST_MESSAGE("Raft, pre-vote + check-quorum + ReadIndex + lease, 5 nodes:");
    raft_cluster<sticky> c;
    const std::uint32_t old = c.elect();
    BOOST_TEST_REQUIRE(old != 0u);
    const term_t old_term = c[old].term();
    BOOST_TEST_REQUIRE(c[old].propose("before").has_value());
    c.net.run_for(3);
    const log_index before = c[old].commit_index();
    for (std::uint32_t i = 1; i <= 5; ++i) BOOST_TEST((c[i].state_machine().applied == strings{"before"}));
    c.note("n" + std::to_string(old) + " leads term " + std::to_string(old_term.value) +
           "; \"before\" committed at index " + std::to_string(before.value));

    c.split(old);
    const std::uint32_t other = c.minority[1];
    c.note(c.sides());

    // The old leader does not know yet: it takes a write and reads, which cannot complete.
    const auto minority_write = c[old].propose("minority write");
    BOOST_TEST(minority_write.has_value());
    c.note("n" + std::to_string(old) + " propose(\"minority write\"): " + text(minority_write));
    BOOST_TEST(c[old].read_index(1).has_value());
    BOOST_TEST(c[other].read_index(2).has_value());  // forwarded to the old leader
    // Its lease still runs: a lease read is served, from state the majority cannot have
    // changed, since its followers will not elect anyone while the lease lasts.
    BOOST_TEST(c[old].lease_read(3).has_value());
    c.note("n" + std::to_string(old) + " lease_read: " + text(c[old].state_machine().read(3)));

    time_point lease_refused = time_never, stepped_down = time_never, elected = time_never;
    std::uint32_t fresh = 0;
    for (int t = 0; t < 60 && (!fresh || stepped_down == time_never); ++t) {
        c.net.run_for(1);
        if (lease_refused == time_never && c[old].is_leader()) {
            const auto r = c[old].lease_read(100 + static_cast<std::uint64_t>(t));
            if (!r) {
                lease_refused = c.net.now();
                c.note("n" + std::to_string(old) + " lease_read: " + text(r) + " (lease lapsed)");
            }
        }
        if (stepped_down == time_never && !c[old].is_leader()) {
            stepped_down = c.net.now();
            c.note("n" + std::to_string(old) + " steps down (check-quorum)");
        }
        if (elected == time_never && (fresh = c.leader_among(c.majority)) != 0) {
            elected = c.net.now();
            c.note("n" + std::to_string(fresh) + " leads term " +
                   std::to_string(c[fresh].term().value) + " on the majority side");
        }
    }
    BOOST_TEST_REQUIRE(fresh != 0u);
    BOOST_TEST(lease_refused < elected);  // no moment with two leaders serving lease reads
    BOOST_TEST(stepped_down < time_never);
    c.note("the reads started at the split: read_index on n" + std::to_string(old) + " " +
           text(c[old].state_machine().read(1)) + ", on n" + std::to_string(other) + " " +
           text(c[other].state_machine().read(2)));

    // Minority side, once its follower too has given up on the old leader (an election timeout
    // without hearing from it): refused outright; nothing it took was committed.
    c.net.run_for(20);
    const auto refused_write = c[old].propose("second minority write");
    const auto refused_read = c[old].read_index(4);
    const auto refused_follower_read = c[other].read_index(5);
    BOOST_TEST(refused_write.error() == errc::not_leader);
    BOOST_TEST(refused_read.error() == errc::not_leader);
    BOOST_TEST(refused_follower_read.error() == errc::not_leader);
    c.note("minority: propose " + text(refused_write));
    c.note("minority: read_index on n" + std::to_string(old) + " " + text(refused_read) + ", on n" +
           std::to_string(other) + " " + text(refused_follower_read));
    for (std::uint32_t i : c.minority) {
        BOOST_TEST(c[i].commit_index() == before);
        BOOST_TEST(c[i].term() == old_term);  // pre-vote: failed campaigns raise no term
        for (const raft::read_ready& r : c[i].state_machine().reads)
            BOOST_TEST((!r.ok || r.kind == raft::read_kind::lease));
    }
    BOOST_TEST_REQUIRE(c[old].state_machine().read(1));
    BOOST_TEST_REQUIRE(c[other].state_machine().read(2));
    BOOST_TEST(!c[old].state_machine().read(1)->ok);
    BOOST_TEST(!c[other].state_machine().read(2)->ok);

    // Majority side: writes commit, ReadIndex reads are served, on the leader and a follower.
    const auto majority_write = c[fresh].propose("majority write");
    BOOST_TEST_REQUIRE(majority_write.has_value());
    c.net.run_for(3);
    for (std::uint32_t i : c.majority)
        BOOST_TEST((c[i].state_machine().applied == strings{"before", "majority write"}));
    // Reads that start after the write committed see it, on the leader and on a follower.
    const std::uint32_t majority_follower = c.majority[0] == fresh ? c.majority[1] : c.majority[0];
    BOOST_TEST(c[fresh].read_index(6).has_value());
    BOOST_TEST(c[majority_follower].read_index(7).has_value());
    c.net.run_for(3);
    const raft::read_ready* leader_read = c[fresh].state_machine().read(6);
    const raft::read_ready* follower_read = c[majority_follower].state_machine().read(7);
    BOOST_TEST_REQUIRE(leader_read);
    BOOST_TEST_REQUIRE(follower_read);
    BOOST_TEST(leader_read->ok);
    BOOST_TEST(follower_read->ok);
    BOOST_TEST(*majority_write <= leader_read->index);
    BOOST_TEST(*majority_write <= follower_read->index);
    c.note("majority: propose(\"majority write\") " + text(majority_write) +
           ", committed on all three");
    c.note("majority: read_index on n" + std::to_string(fresh) + " (leader) " + text(leader_read));
    c.note("majority: read_index on n" + std::to_string(majority_follower) + " (follower) " +
           text(follower_read));

    c.net.recover();
    c.net.run_for(30);
    BOOST_TEST(c[fresh].is_leader());  // pre-vote: the rejoining nodes do not depose it
    for (std::uint32_t i = 1; i <= 5; ++i)
        BOOST_TEST((c[i].state_machine().applied == strings{"before", "majority write"}));
    BOOST_TEST(!c.logged_anywhere("minority write"));
    c.note("healed: n" + std::to_string(fresh) + " still leads term " +
           std::to_string(c[fresh].term().value));
    c.note("all five applied [before, majority write]; \"minority write\" is in no log");
}

BOOST_AUTO_TEST_CASE(raft_without_check_quorum_never_completes_on_the_minority) {
    BOOST_TEST_MESSAGE("Raft, ReadIndex only (no check-quorum, no pre-vote), 5 nodes:");
    raft_cluster<plain_reads> c;
    const std::uint32_t old = c.elect();
    BOOST_TEST_REQUIRE(old != 0u);
    BOOST_TEST_REQUIRE(c[old].propose("before").has_value());
    c.net.run_for(3);
    const log_index before = c[old].commit_index();
    c.note("n" + std::to_string(old) + " leads term " + std::to_string(c[old].term().value) +
           "; \"before\" committed at index " + std::to_string(before.value));

    c.split(old);
    const std::uint32_t other = c.minority[1];
    c.note(c.sides());
    const auto minority_write = c[old].propose("minority write");
    BOOST_TEST(minority_write.has_value());
    c.note("n" + std::to_string(old) + " propose(\"minority write\"): " + text(minority_write));
    BOOST_TEST(c[old].read_index(1).has_value());
    BOOST_TEST(c[other].read_index(2).has_value());

    std::uint32_t fresh = 0;
    for (int t = 0; t < 100; ++t) {
        c.net.run_for(1);
        if (!fresh && (fresh = c.leader_among(c.majority)) != 0)
            c.note("n" + std::to_string(fresh) + " leads term " +
                   std::to_string(c[fresh].term().value) + " on the majority side");
    }
    BOOST_TEST_REQUIRE(fresh != 0u);
    // Nothing tells the old leader it lost its quorum: it goes on taking writes that never
    // commit, and its read waits.
    BOOST_TEST(c[old].is_leader());
    const auto still_taken = c[old].propose("second minority write");
    BOOST_TEST(still_taken.has_value());
    BOOST_TEST(c[old].commit_index() == before);
    BOOST_TEST(!c[old].state_machine().read(1));
    // A follower's forwarded read gives up after an election timeout without an answer.
    BOOST_TEST_REQUIRE(c[other].state_machine().read(2));
    BOOST_TEST(!c[other].state_machine().read(2)->ok);
    c.note("n" + std::to_string(old) + " still leads term " + std::to_string(c[old].term().value) +
           ": propose " + text(still_taken) + ", commit index still " +
           std::to_string(c[old].commit_index().value));
    c.note("n" + std::to_string(old) + "'s read_index " + text(c[old].state_machine().read(1)) +
           "; n" + std::to_string(other) + "'s read_index " +
           text(c[other].state_machine().read(2)) + " (no answer for an election timeout)");

    BOOST_TEST_REQUIRE(c[fresh].propose("majority write").has_value());
    BOOST_TEST(c[fresh].read_index(6).has_value());
    c.net.run_for(3);
    for (std::uint32_t i : c.majority)
        BOOST_TEST((c[i].state_machine().applied == strings{"before", "majority write"}));
    BOOST_TEST_REQUIRE(c[fresh].state_machine().read(6));
    BOOST_TEST(c[fresh].state_machine().read(6)->ok);

    c.net.recover();
    c.net.run_for(30);
    BOOST_TEST(!c[old].is_leader());
    BOOST_TEST_REQUIRE(c[old].state_machine().read(1));
    BOOST_TEST(!c[old].state_machine().read(1)->ok);  // failed once it learned the new term
    for (std::uint32_t i = 1; i <= 5; ++i)
        BOOST_TEST((c[i].state_machine().applied == strings{"before", "majority write"}));
    BOOST_TEST(!c.logged_anywhere("minority write"));
    BOOST_TEST(!c.logged_anywhere("second minority write"));
    c.note("healed: n" + std::to_string(old) + " steps down, its read_index " +
           text(c[old].state_machine().read(1)));
    c.note("all five applied [before, majority write]; both minority writes are in no log");
}

BOOST_AUTO_TEST_CASE(multi_paxos_commits_only_on_the_majority) {
    BOOST_TEST_MESSAGE("Multi-Paxos, majority quorums, 5 replicas:");
    paxos_cluster c;
    const std::uint32_t old = c.elect();
    BOOST_TEST_REQUIRE(old != 0u);
    BOOST_TEST_REQUIRE(c[old].propose("before").has_value());
    c.net.run_for(3);
    const log_index before = c[old].commit_index();
    for (std::uint32_t i = 1; i <= 5; ++i) BOOST_TEST((c[i].state_machine().applied == strings{"before"}));
    c.note("n" + std::to_string(old) + " leads ballot " + text(c[old].current_ballot()) +
           "; \"before\" committed in slot " + std::to_string(before.value));

    c.split(old);
    const std::uint32_t other = c.minority[1];
    c.note(c.sides());
    const auto minority_write = c[old].propose("minority write");
    BOOST_TEST(minority_write.has_value());
    c.note("n" + std::to_string(old) + " propose(\"minority write\"): " + text(minority_write));

    std::uint32_t fresh = 0;
    for (int t = 0; t < 100; ++t) {
        c.net.run_for(1);
        if (!fresh && (fresh = c.leader_among(c.majority)) != 0)
            c.note("n" + std::to_string(fresh) + " leads ballot " +
                   text(c[fresh].current_ballot()) + " on the majority side");
    }
    BOOST_TEST_REQUIRE(fresh != 0u);
    BOOST_TEST(c[old].current_ballot() < c[fresh].current_ballot());
    // Multi-Paxos here has no check-quorum: the old leader learns of the new ballot only when
    // a message of it arrives. Its slot never reaches a phase-2 quorum.
    BOOST_TEST(c[old].is_leader());
    BOOST_TEST(c[old].commit_index() == before);
    const auto redirected = c[other].propose("via the minority follower");
    BOOST_TEST(redirected.error() == errc::not_leader);
    BOOST_TEST(c[other].leader() == node_id{old});  // a stale redirect: clients time out
    c.note("n" + std::to_string(old) + " still leads ballot " + text(c[old].current_ballot()) +
           ", commit index still " + std::to_string(c[old].commit_index().value));
    c.note("n" + std::to_string(other) + " propose " + text(redirected) + ", leader() = n" +
           std::to_string(c[other].leader().value));

    const auto majority_write = c[fresh].propose("majority write");
    BOOST_TEST_REQUIRE(majority_write.has_value());
    c.net.run_for(3);
    for (std::uint32_t i : c.majority)
        BOOST_TEST((c[i].state_machine().applied == strings{"before", "majority write"}));
    c.note("majority: propose(\"majority write\") " + text(majority_write) +
           ", committed on all three");

    c.net.recover();
    c.net.run_for(30);
    BOOST_TEST(!c[old].is_leader());
    BOOST_TEST(c[fresh].is_leader());
    for (std::uint32_t i = 1; i <= 5; ++i)
        BOOST_TEST((c[i].state_machine().applied == strings{"before", "majority write"}));
    c.note("healed: n" + std::to_string(old) + " follows ballot " + text(c[old].current_ballot()));
    c.note("all five applied [before, majority write]; the minority write was never chosen");
}

BOOST_AUTO_TEST_SUITE_END()
