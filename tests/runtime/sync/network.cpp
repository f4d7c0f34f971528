// The sync runtime: FIFO delivery, filters, a manual clock that fires deadlines in order, and
// messages that borrow entries survive queueing.
#include <boost/test/unit_test.hpp>

#include <span>
#include <string>
#include <vector>

#include "support/print.hpp"
#include "synod/core/entry.hpp"
#include "synod/runtime/sync/network.hpp"

using namespace synod;

namespace demo {
struct batch {
    node_id from;
    int tag = 0;
    std::span<const entry<std::string>> entries;
};
inline std::span<const entry<std::string>> borrowed_entries(const batch& m) { return m.entries; }
inline void rebind_entries(batch& m, std::span<const entry<std::string>> es) { m.entries = es; }

// A node that records what it receives and, when told to, echoes to a peer.
struct recorder {
    runtime::sync::network<batch>::transport transport;
    runtime::sync::network<batch>::timer timer;
    std::vector<std::pair<int, std::vector<std::string>>> received;
    int timeouts = 0;
    node_id echo_to{};
    void on(const batch& m) {
        std::vector<std::string> payloads;
        for (const auto& e : m.entries) payloads.push_back(e.payload);
        received.push_back({m.tag, payloads});
        if (echo_to) transport.send(echo_to, batch{node_id{0}, m.tag + 100, m.entries});
    }
    void on(timeout) { ++timeouts; }
    void on(writes_durable) {}
};
}  // namespace demo

using net_type = runtime::sync::network<demo::batch>;

BOOST_AUTO_TEST_SUITE(runtime_sync_network)

BOOST_AUTO_TEST_CASE(borrowed_entries_are_copied_when_queued) {
    net_type net;
    demo::recorder a{net.transport_for(node_id{1}), net.timer_for(node_id{1}), {}, 0, {}};
    demo::recorder b{net.transport_for(node_id{2}), net.timer_for(node_id{2}), {}, 0, {}};
    net.attach(node_id{1}, a);
    net.attach(node_id{2}, b);
    {
        std::vector<entry<std::string>> log{{term_t{1}, log_index{1}, entry_kind::normal, "x"},
                                            {term_t{1}, log_index{2}, entry_kind::normal, "y"}};
        a.transport.send(node_id{2}, demo::batch{node_id{1}, 1, log});
        log[0].payload = "overwritten";  // the sender's log changes after send
    }
    BOOST_TEST(net.pending() == 1u);
    BOOST_TEST(net.deliver_all() == 1u);
    BOOST_TEST_REQUIRE(b.received.size() == 1u);
    BOOST_TEST((b.received[0].second == std::vector<std::string>{"x", "y"}));
}

BOOST_AUTO_TEST_CASE(messages_are_delivered_in_order_even_while_the_queue_grows) {
    net_type net;
    demo::recorder a{net.transport_for(node_id{1}), net.timer_for(node_id{1}), {}, 0, {}};
    demo::recorder b{net.transport_for(node_id{2}), net.timer_for(node_id{2}), {}, 0, {}};
    net.attach(node_id{1}, a);
    net.attach(node_id{2}, b);
    b.echo_to = node_id{1};  // every delivery to b enqueues a message while b reads its own
    std::vector<entry<std::string>> log{{term_t{1}, log_index{1}, entry_kind::normal, "p"}};
    for (int i = 0; i < 500; ++i) a.transport.send(node_id{2}, demo::batch{node_id{1}, i, log});
    net.deliver_all();
    BOOST_TEST_REQUIRE(b.received.size() == 500u);
    BOOST_TEST_REQUIRE(a.received.size() == 500u);
    for (int i = 0; i < 500; ++i) {
        BOOST_TEST(b.received[static_cast<std::size_t>(i)].first == i);
        BOOST_TEST(a.received[static_cast<std::size_t>(i)].first == i + 100);
        BOOST_TEST(a.received[static_cast<std::size_t>(i)].second.at(0) == "p");
    }
}

BOOST_AUTO_TEST_CASE(filters_drop_messages_until_recovered) {
    net_type net;
    demo::recorder a{net.transport_for(node_id{1}), net.timer_for(node_id{1}), {}, 0, {}};
    demo::recorder b{net.transport_for(node_id{2}), net.timer_for(node_id{2}), {}, 0, {}};
    demo::recorder c{net.transport_for(node_id{3}), net.timer_for(node_id{3}), {}, 0, {}};
    net.attach(node_id{1}, a);
    net.attach(node_id{2}, b);
    net.attach(node_id{3}, c);
    net.cut(node_id{1}, node_id{2});
    a.transport.send(node_id{2}, demo::batch{node_id{1}, 1, {}});
    a.transport.send(node_id{3}, demo::batch{node_id{1}, 2, {}});
    net.isolate(node_id{3});
    a.transport.send(node_id{3}, demo::batch{node_id{1}, 3, {}});
    net.drop_if([](const auto& env) { return env.message.tag == 4; });
    net.recover();
    net.drop_if([](const auto& env) { return env.message.tag == 5; });
    a.transport.send(node_id{2}, demo::batch{node_id{1}, 4, {}});
    a.transport.send(node_id{2}, demo::batch{node_id{1}, 5, {}});
    net.deliver_all();
    BOOST_TEST(net.dropped() == 3u);
    BOOST_TEST_REQUIRE(b.received.size() == 1u);
    BOOST_TEST(b.received[0].first == 4);
    BOOST_TEST_REQUIRE(c.received.size() == 1u);
    BOOST_TEST(c.received[0].first == 2);
    net.detach(node_id{2});
    a.transport.send(node_id{2}, demo::batch{node_id{1}, 6, {}});
    net.deliver_all();
    BOOST_TEST(b.received.size() == 1u);  // a detached (crashed) node receives nothing
}

BOOST_AUTO_TEST_CASE(deadlines_fire_in_time_order_once_each) {
    net_type net;
    demo::recorder a{net.transport_for(node_id{1}), net.timer_for(node_id{1}), {}, 0, {}};
    demo::recorder b{net.transport_for(node_id{2}), net.timer_for(node_id{2}), {}, 0, {}};
    net.attach(node_id{1}, a);
    net.attach(node_id{2}, b);
    a.timer.arm(time_point{5});
    b.timer.arm(time_point{3});
    net.advance(2);
    BOOST_TEST(a.timeouts + b.timeouts == 0);
    net.advance(1);
    BOOST_TEST(b.timeouts == 1);
    BOOST_TEST((net.now() == time_point{3}));
    a.timer.arm(time_point{4});  // re-arming replaces the earlier deadline
    net.advance(10);
    BOOST_TEST(a.timeouts == 1);
    BOOST_TEST(b.timeouts == 1);
    BOOST_TEST((net.now() == time_point{13}));
}

BOOST_AUTO_TEST_CASE(drained_messages_keep_their_entries) {
    net_type net;
    demo::recorder a{net.transport_for(node_id{1}), net.timer_for(node_id{1}), {}, 0, {}};
    net.attach(node_id{1}, a);
    std::vector<entry<std::string>> log{{term_t{2}, log_index{1}, entry_kind::normal, "kept"}};
    a.transport.send(node_id{2}, demo::batch{node_id{1}, 7, log});
    auto out = net.drain();
    log.clear();
    BOOST_TEST(net.pending() == 0u);
    BOOST_TEST_REQUIRE(out.size() == 1u);
    BOOST_TEST(out[0].message.entries[0].payload == "kept");
}

BOOST_AUTO_TEST_SUITE_END()
