// Regressions (found by tests/fuzz/multi_paxos_replica) in how a replica takes an accept:
//  - a slot index near 2^40 made the heap-backed log allocate every slot up to it (out of
//    memory); logs now say which slots they can hold (bounded_paxos_log_storage::can_accept:
//    memory_paxos_log takes at most holes_max slots past its end, static_paxos_log its capacity)
//    and the replica drops an accept that does not fit, like a lost message;
//  - a batch whose slots were not consecutive was acknowledged as the whole range first..last,
//    slots it never wrote included; such a batch is now dropped;
//  - an accept under the null ballot (which marks holes) was taken and could commit a hole;
//  - a slot already known chosen was overwritten by a later accept with another value.
#include <boost/test/unit_test.hpp>

#include "regressions/paxos_support.hpp"
#include "synod/storage/static.hpp"

namespace synod::test::regression {
namespace {
using message = multi_paxos::message<int>;
pvalue<int> slot(std::uint64_t i, int v, ballot b) {
    return pvalue<int>{b, entry<int>{term_t{b.round}, log_index{i}, entry_kind::normal, v}};
}
}  // namespace

BOOST_AUTO_TEST_SUITE(regressions_multi_paxos_bad_accept)

BOOST_AUTO_TEST_CASE(a_slot_far_beyond_the_log_is_not_allocated_or_acknowledged) {
    one_replica<> x;
    const ballot b{1, node_id{2}};
    const pvalue<int> far[] = {slot(std::uint64_t{1} << 40, 5, b)};
    x.r.on(message{multi_paxos::accept<int>{node_id{2}, b, log_index{0}, far}});
    BOOST_TEST(x.r.storage().last_index() == log_index{0});
    BOOST_TEST(x.sent.empty());
    // Within the limit on holes it is taken (a lagging acceptor fills them later).
    const pvalue<int> near[] = {slot(100, 5, b)};
    x.r.on(message{multi_paxos::accept<int>{node_id{2}, b, log_index{0}, near}});
    BOOST_TEST(x.r.storage().last_index() == log_index{100});
    BOOST_TEST(x.sent.size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_fixed_capacity_log_drops_what_does_not_fit) {
    one_replica<storage::static_paxos_log<int, 4>> x;
    const ballot b{1, node_id{2}};
    const pvalue<int> beyond[] = {slot(4, 1, b), slot(5, 2, b)};
    x.r.on(message{multi_paxos::accept<int>{node_id{2}, b, log_index{0}, beyond}});
    BOOST_TEST(x.r.storage().last_index() == log_index{0});
    BOOST_TEST(x.sent.empty());
    const pvalue<int> fits[] = {slot(3, 1, b), slot(4, 2, b)};
    x.r.on(message{multi_paxos::accept<int>{node_id{2}, b, log_index{0}, fits}});
    BOOST_TEST(x.r.storage().last_index() == log_index{4});
}

BOOST_AUTO_TEST_CASE(a_batch_of_slots_that_are_not_consecutive_is_dropped) {
    one_replica<> x;
    const ballot b{1, node_id{2}};
    const pvalue<int> gappy[] = {slot(1, 1, b), slot(3, 3, b)};
    x.r.on(message{multi_paxos::accept<int>{node_id{2}, b, log_index{0}, gappy}});
    const pvalue<int> backwards[] = {slot(2, 1, b), slot(1, 3, b)};
    x.r.on(message{multi_paxos::accept<int>{node_id{2}, b, log_index{0}, backwards}});
    const pvalue<int> zero[] = {slot(0, 1, b)};
    x.r.on(message{multi_paxos::accept<int>{node_id{2}, b, log_index{0}, zero}});
    BOOST_TEST(x.r.storage().last_index() == log_index{0});
    BOOST_TEST(x.sent.empty());
}

BOOST_AUTO_TEST_CASE(the_null_ballot_is_no_leaders) {
    one_replica<> x;
    const pvalue<int> one[] = {slot(1, 1, ballot{})};
    x.r.on(message{multi_paxos::accept<int>{node_id{2}, ballot{}, log_index{1}, one}});
    BOOST_TEST(x.r.storage().last_index() == log_index{0});
    BOOST_TEST(x.r.commit_index() == log_index{0});
    BOOST_TEST(x.sent.empty());
}

BOOST_AUTO_TEST_CASE(a_slot_known_chosen_keeps_its_value) {
    one_replica<> x;
    const ballot b{1, node_id{2}};
    const pvalue<int> first[] = {slot(1, 10, b)};
    x.r.on(message{multi_paxos::accept<int>{node_id{2}, b, log_index{1}, first}});
    BOOST_TEST_REQUIRE(x.r.commit_index() == log_index{1});
    const ballot c{2, node_id{3}};
    const pvalue<int> other[] = {slot(1, 99, c)};
    x.r.on(message{multi_paxos::accept<int>{node_id{3}, c, log_index{0}, other}});
    BOOST_TEST(x.r.storage().at(log_index{1}).value.payload == 10);
}

BOOST_AUTO_TEST_SUITE_END()
}  // namespace synod::test::regression
