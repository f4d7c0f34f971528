// Persistence before acknowledgement (DESIGN 3): the outbox releases a message only once the
// write it depends on is durable, in order, and stays bounded.
#include <boost/test/unit_test.hpp>

#include <vector>

#include "support/print.hpp"
#include "synod/core/outbox.hpp"

using namespace synod;

namespace {
struct recording_transport {
    std::vector<std::pair<node_id, int>>* sent;
    void send(node_id to, const int& m) { sent->push_back({to, m}); }
};
}  // namespace

BOOST_AUTO_TEST_SUITE(core_outbox)

BOOST_AUTO_TEST_CASE(a_message_waits_for_its_write) {
    std::vector<std::pair<node_id, int>> sent;
    outbox<recording_transport, int, 4> box{recording_transport{&sent}};
    BOOST_TEST(box.send_after(write_id{0}, write_id{0}, node_id{2}, 1));  // nothing to wait for
    BOOST_TEST(sent.size() == 1u);
    BOOST_TEST(box.send_after(write_id{3}, write_id{1}, node_id{2}, 2));
    BOOST_TEST(box.send_after(write_id{2}, write_id{1}, node_id{3}, 3));
    BOOST_TEST(sent.size() == 1u);
    box.release_through(write_id{2});
    BOOST_TEST(sent.size() == 2u);
    BOOST_TEST(sent.back().second == 3);
    box.release_through(write_id{3});
    BOOST_TEST(sent.size() == 3u);
    BOOST_TEST(sent.back().second == 2);
    BOOST_TEST(box.waiting() == 0u);
}

BOOST_AUTO_TEST_CASE(a_full_outbox_drops_rather_than_grows) {
    std::vector<std::pair<node_id, int>> sent;
    outbox<recording_transport, int, 2> box{recording_transport{&sent}};
    BOOST_TEST(box.send_after(write_id{5}, write_id{0}, node_id{2}, 1));
    BOOST_TEST(box.send_after(write_id{5}, write_id{0}, node_id{2}, 2));
    BOOST_TEST(!box.send_after(write_id{5}, write_id{0}, node_id{2}, 3));
    BOOST_TEST(box.dropped() == 1u);
    box.clear();
    box.release_through(write_id{5});
    BOOST_TEST(sent.empty());
}

BOOST_AUTO_TEST_SUITE_END()
