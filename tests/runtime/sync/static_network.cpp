// The fixed-capacity sync runtime (runtime/sync/static_network.hpp): the same FIFO delivery,
// entry copies and filters as network, with its capacity contract (a message that does not fit
// is counted in overflowed(), not queued), and without the heap-only drop_if() and drain().
#include <boost/test/unit_test.hpp>

#include <span>
#include <utility>
#include <vector>

#include "support/print.hpp"
#include "synod/core/entry.hpp"
#include "synod/runtime/sync/static_network.hpp"

using namespace synod;

namespace fixed_demo {
struct batch {
    node_id from;
    int tag = 0;
    std::span<const entry<int>> entries;
};
inline std::span<const entry<int>> borrowed_entries(const batch& m) { return m.entries; }
inline void rebind_entries(batch& m, std::span<const entry<int>> es) { m.entries = es; }

using net_type = runtime::sync::static_network<batch, 4, 2, 3>;

// Records what it receives and, when told to, echoes to a peer while reading.
struct recorder {
    net_type::transport transport;
    net_type::timer timer;
    std::vector<std::pair<int, std::vector<int>>> received;
    node_id echo_to{};
    void on(const batch& m) {
        std::vector<int> payloads;
        for (const auto& e : m.entries) payloads.push_back(e.payload);
        received.push_back({m.tag, payloads});
        if (echo_to) transport.send(echo_to, batch{node_id{0}, m.tag + 100, m.entries});
    }
    void on(timeout) {}
    void on(writes_durable) {}
};

// Nodes 1, 2 and 3 on one network.
struct three_nodes {
    net_type net;
    recorder a{net.transport_for(node_id{1}), net.timer_for(node_id{1}), {}, {}};
    recorder b{net.transport_for(node_id{2}), net.timer_for(node_id{2}), {}, {}};
    recorder c{net.transport_for(node_id{3}), net.timer_for(node_id{3}), {}, {}};
    three_nodes() {
        net.attach(node_id{1}, a);
        net.attach(node_id{2}, b);
        net.attach(node_id{3}, c);
    }
};

entry<int> item(int payload) {
    return entry<int>{term_t{1}, log_index{static_cast<std::uint64_t>(payload)},
                      entry_kind::normal, payload};
}
}  // namespace fixed_demo

using fixed_demo::net_type;

// The heap-only extras exist on network and not on static_network; overflowed() the other way.
template <class N>
concept has_drain = requires(N& n) { n.drain(); };
template <class N>
concept has_drop_if = requires(N& n) { n.drop_if([](const auto&) { return false; }); };
template <class N>
concept has_overflowed = requires(const N& n) { n.overflowed(); };
using heap_net_type = runtime::sync::network<fixed_demo::batch>;
static_assert(has_drain<heap_net_type> && has_drop_if<heap_net_type>);
static_assert(!has_drain<net_type> && !has_drop_if<net_type>);
static_assert(has_overflowed<net_type> && !has_overflowed<heap_net_type>);
static_assert(net_type::capacity() == 4 && net_type::entries_max() == 2);

BOOST_AUTO_TEST_SUITE(runtime_sync_static_network)

BOOST_FIXTURE_TEST_CASE(borrowed_entries_are_copied_when_queued, fixed_demo::three_nodes) {
    std::vector<entry<int>> log{fixed_demo::item(7), fixed_demo::item(8)};
    a.transport.send(node_id{2}, fixed_demo::batch{node_id{1}, 1, log});
    log[0].payload = 70;  // the sender's log changes after send
    BOOST_TEST(net.pending() == 1u);
    BOOST_TEST(net.peek().message.entries[0].payload == 7);
    BOOST_TEST(net.deliver_all() == 1u);
    BOOST_TEST_REQUIRE(b.received.size() == 1u);
    BOOST_TEST((b.received[0].second == std::vector<int>{7, 8}));
}

BOOST_FIXTURE_TEST_CASE(what_does_not_fit_is_counted_not_queued, fixed_demo::three_nodes) {
    const std::vector<entry<int>> three{fixed_demo::item(1), fixed_demo::item(2),
                                        fixed_demo::item(3)};
    a.transport.send(node_id{2}, fixed_demo::batch{node_id{1}, 1, three});  // > EntriesMax
    BOOST_TEST(net.overflowed() == 1u);
    BOOST_TEST(net.pending() == 0u);
    for (int tag = 2; tag < 8; ++tag)  // 6 sends into a queue of 4
        a.transport.send(node_id{2}, fixed_demo::batch{node_id{1}, tag, {}});
    BOOST_TEST(net.pending() == 4u);
    BOOST_TEST(net.overflowed() == 3u);
    BOOST_TEST(net.dropped() == 0u);
    net.deliver_all();
    BOOST_TEST_REQUIRE(b.received.size() == 4u);
    for (std::size_t i = 0; i < 4; ++i) BOOST_TEST(b.received[i].first == static_cast<int>(i) + 2);
}

BOOST_FIXTURE_TEST_CASE(a_handler_may_send_while_the_ring_wraps, fixed_demo::three_nodes) {
    b.echo_to = node_id{1};  // each delivery to b sends one message back, reusing queue slots
    for (int round = 0; round < 5; ++round) {
        const std::vector<entry<int>> log{fixed_demo::item(round), fixed_demo::item(round + 1)};
        a.transport.send(node_id{2}, fixed_demo::batch{node_id{1}, round, log});
        a.transport.send(node_id{2}, fixed_demo::batch{node_id{1}, round + 10, log});
        net.deliver_all();
    }
    BOOST_TEST(net.overflowed() == 0u);
    BOOST_TEST(net.delivered() == 20u);
    BOOST_TEST_REQUIRE(a.received.size() == 10u);
    for (int round = 0; round < 5; ++round) {
        const auto& echoed = a.received[static_cast<std::size_t>(2 * round)];
        BOOST_TEST(echoed.first == round + 100);
        BOOST_TEST((echoed.second == std::vector<int>{round, round + 1}));
    }
}

BOOST_FIXTURE_TEST_CASE(cuts_and_isolation_drop_until_recovered, fixed_demo::three_nodes) {
    net.cut(node_id{1}, node_id{2});
    net.cut_one_way(node_id{3}, node_id{1});
    a.transport.send(node_id{2}, fixed_demo::batch{node_id{1}, 1, {}});
    b.transport.send(node_id{1}, fixed_demo::batch{node_id{2}, 2, {}});
    c.transport.send(node_id{1}, fixed_demo::batch{node_id{3}, 3, {}});
    a.transport.send(node_id{3}, fixed_demo::batch{node_id{1}, 4, {}});  // the other way passes
    net.isolate(node_id{3});
    b.transport.send(node_id{3}, fixed_demo::batch{node_id{2}, 5, {}});
    BOOST_TEST(net.dropped() == 4u);
    net.recover();
    a.transport.send(node_id{2}, fixed_demo::batch{node_id{1}, 6, {}});
    net.deliver_all();
    BOOST_TEST(net.dropped() == 4u);
    BOOST_TEST_REQUIRE(c.received.size() == 1u);
    BOOST_TEST(c.received[0].first == 4);
    BOOST_TEST_REQUIRE(b.received.size() == 1u);
    BOOST_TEST(b.received[0].first == 6);
    BOOST_TEST(a.received.empty());
}

BOOST_AUTO_TEST_SUITE_END()
