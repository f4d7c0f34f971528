// docs/variants.md, compiled and run: Raft variants chosen by a constexpr value in the traits,
// and Multi-Paxos over majority, run-time flexible and compile-time flexible quorums.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "support/print.hpp"
#include "synod/core/quorum.hpp"
#include "synod/paxos/multi_paxos.hpp"
#include "synod/raft/node.hpp"
#include "synod/runtime/sync/network.hpp"
#include "synod/storage/memory.hpp"
#include "synod/storage/paxos_memory.hpp"

namespace variants_guide {

using raft_net = synod::runtime::sync::network<synod::raft::message<std::string>>;

/// Every state machine works with every variant; on_read is needed only with read_index.
struct journal {
    std::vector<std::string> applied;
    std::vector<synod::raft::read_ready> reads;
    void apply(const synod::entry<std::string>& e) {
        if (e.kind == synod::entry_kind::normal) applied.push_back(e.payload);
    }
    void on_read(const synod::raft::read_ready& r) { reads.push_back(r); }
};

/// The policies, and the protocol variant as one compile-time value.
template <synod::raft::features F>
struct raft_traits {
    using payload = std::string;
    using storage = synod::storage::memory_log<std::string>;
    using transport = raft_net::transport;
    using timer = raft_net::timer;
    using random = synod::xoshiro256;
    using state_machine = journal;
    static constexpr synod::raft::features features = F;
};
template <synod::raft::features F>
using raft_node = synod::raft::node<raft_traits<F>>;

using plain = raft_node<synod::raft::features{}>;
using sticky = raft_node<synod::raft::features{.pre_vote = true, .check_quorum = true}>;
using transfers = raft_node<synod::raft::features{.leader_transfer = true}>;
using readable = raft_node<synod::raft::features{.check_quorum = true, .read_index = true}>;
using leased = raft_node<synod::raft::features{
    .pre_vote = true, .check_quorum = true, .read_index = true, .lease_read = true}>;

// A command exists only in the variants that have its feature.
template <class N>
concept can_transfer = requires(N& n) { n.transfer_leadership(synod::node_id{2}); };
template <class N>
concept can_read_index = requires(N& n) { n.read_index(1); };
template <class N>
concept can_lease_read = requires(N& n) { n.lease_read(1); };
static_assert(!can_transfer<plain> && can_transfer<transfers>);
static_assert(!can_read_index<sticky> && can_read_index<readable>);
static_assert(!can_lease_read<readable> && can_lease_read<leased>);

// Pre-vote is code only; check-quorum adds two time points.
static_assert(sizeof(raft_node<synod::raft::features{.pre_vote = true}>) == sizeof(plain));
static_assert(sizeof(raft_node<synod::raft::features{.check_quorum = true}>) ==
              sizeof(plain) + 2 * sizeof(synod::time_point));

// ---- Multi-Paxos: the quorum system is a policy ------------------------------------------------

using paxos_net = synod::runtime::sync::network<synod::multi_paxos::message<std::string>>;

template <class Quorum>
struct paxos_traits {
    using payload_type = std::string;
    using storage = synod::storage::memory_paxos_log<std::string>;
    using transport = paxos_net::transport;
    using timer = paxos_net::timer;
    using random = synod::xoshiro256;
    using state_machine = journal;
    using quorum = Quorum;
};
using by_majority = synod::multi_paxos::replica<paxos_traits<synod::majority>>;
using by_flexible = synod::multi_paxos::replica<paxos_traits<synod::flexible>>;  // sizes at run time
using by_static = synod::multi_paxos::replica<paxos_traits<synod::flexible_static<4, 2, 5>>>;

// An empty quorum system costs nothing; flexible carries its two sizes.
static_assert(sizeof(by_static) == sizeof(by_majority));
static_assert(sizeof(by_flexible) > sizeof(by_majority));

/// Five replicas with quorum system `q`.
template <class Replica, class Quorum>
std::vector<std::unique_ptr<Replica>> five(paxos_net& net, Quorum q) {
    synod::configuration config;
    config.voters = synod::node_set{1u, 2u, 3u, 4u, 5u};
    std::vector<std::unique_ptr<Replica>> rs;
    for (std::uint32_t i = 1; i <= 5; ++i) {
        const synod::node_id id{i};
        rs.push_back(std::make_unique<Replica>(id, config, synod::multi_paxos::settings{},
                                               typename Replica::storage_type{},
                                               net.transport_for(id), net.timer_for(id),
                                               synod::xoshiro256{i}, journal{}, q));
        net.attach(id, *rs.back());
    }
    return rs;
}

}  // namespace variants_guide

BOOST_AUTO_TEST_SUITE(docs_variants)

BOOST_AUTO_TEST_CASE(sizes_of_the_raft_variants) {
    using namespace variants_guide;
    BOOST_TEST_MESSAGE("sizeof plain " << sizeof(plain) << ", pre-vote + check-quorum "
                                       << sizeof(sticky) << ", transfer " << sizeof(transfers)
                                       << ", check-quorum + read_index " << sizeof(readable)
                                       << ", + lease " << sizeof(leased));
    BOOST_TEST(sizeof(leased) == sizeof(raft_node<synod::raft::features{
                                     .check_quorum = true, .read_index = true}>));
}

BOOST_AUTO_TEST_CASE(flexible_quorums_commit_with_two_of_five_and_elect_with_four) {
    using namespace variants_guide;
    paxos_net net;
    auto rs = five<by_flexible>(net, synod::flexible{4, 2});
    BOOST_TEST_REQUIRE(rs[0]->campaign().has_value());
    net.deliver_all();
    BOOST_TEST_REQUIRE(rs[0]->is_leader());
    // Three of five down: a majority system would stop; |Q2| = 2 commits on.
    for (std::uint32_t i = 3; i <= 5; ++i) net.detach(synod::node_id{i});
    BOOST_TEST_REQUIRE(rs[0]->propose("x").has_value());
    net.deliver_all();
    BOOST_TEST((rs[0]->state_machine().applied == std::vector<std::string>{"x"}));
    // But no new leader can be elected with 2 of 5: |Q1| = 4.
    BOOST_TEST_REQUIRE(rs[1]->campaign().has_value());
    net.deliver_all();
    BOOST_TEST(!rs[1]->is_leader());
}

BOOST_AUTO_TEST_CASE(non_intersecting_run_time_quorums_leave_the_replica_inert) {
    using namespace variants_guide;
    paxos_net net;
    auto rs = five<by_flexible>(net, synod::flexible{2, 3});  // 2 + 3 = 5: may miss each other
    BOOST_TEST(rs[0]->status() == synod::errc::quorum_not_intersecting);
    BOOST_TEST(rs[0]->campaign().error() == synod::errc::quorum_not_intersecting);
    BOOST_TEST(rs[0]->propose("x").error() == synod::errc::quorum_not_intersecting);
    net.run_for(100);
    for (const auto& r : rs) BOOST_TEST(!r->is_leader());
}

BOOST_AUTO_TEST_CASE(static_flexible_quorums_behave_as_their_run_time_twin) {
    using namespace variants_guide;
    paxos_net net;
    auto rs = five<by_static>(net, synod::flexible_static<4, 2, 5>{});
    BOOST_TEST_REQUIRE(rs[0]->campaign().has_value());
    net.deliver_all();
    BOOST_TEST_REQUIRE(rs[0]->is_leader());
    for (std::uint32_t i = 3; i <= 5; ++i) net.detach(synod::node_id{i});
    BOOST_TEST_REQUIRE(rs[0]->propose("x").has_value());
    net.deliver_all();
    BOOST_TEST((rs[0]->state_machine().applied == std::vector<std::string>{"x"}));
}

BOOST_AUTO_TEST_SUITE_END()
