// Compile-time options cost nothing when off (DESIGN 4): pre-vote is code only, check-quorum and
// leadership transfer add their few fields only when enabled.
#include <boost/test/unit_test.hpp>

#include "raft/fixture.hpp"

using namespace synod;
using namespace synod::test;

namespace {
template <raft::features F>
using node_with = typename raft_fixture<F>::node_type;

using plain = node_with<raft::features{}>;
using pre_vote = node_with<raft::features{.pre_vote = true}>;
using check_quorum = node_with<raft::features{.check_quorum = true}>;
using transfer = node_with<raft::features{.leader_transfer = true}>;
using everything =
    node_with<raft::features{.pre_vote = true, .check_quorum = true, .leader_transfer = true}>;

static_assert(sizeof(pre_vote) == sizeof(plain), "pre-vote must add no data member");
static_assert(sizeof(check_quorum) > sizeof(plain));
static_assert(sizeof(check_quorum) - sizeof(plain) <= 2 * sizeof(time_point),
              "check-quorum adds two time points, nothing else");
static_assert(sizeof(transfer) > sizeof(plain));
static_assert(sizeof(transfer) - sizeof(plain) <= sizeof(raft::transfer_state) + alignof(plain));
static_assert(sizeof(everything) - sizeof(plain) <=
              2 * sizeof(time_point) + sizeof(raft::transfer_state) + alignof(plain));

// The transfer command exists only when the option is on.
template <class N>
concept can_transfer = requires(N& n) { n.transfer_leadership(node_id{1}); };
static_assert(!can_transfer<plain>);
static_assert(can_transfer<transfer>);
}  // namespace

BOOST_AUTO_TEST_SUITE(raft_options)

BOOST_AUTO_TEST_CASE(a_disabled_option_changes_no_behaviour) {
    BOOST_TEST_MESSAGE("sizeof(node) plain=" << sizeof(plain) << " pre_vote=" << sizeof(pre_vote)
                                             << " check_quorum=" << sizeof(check_quorum)
                                             << " transfer=" << sizeof(transfer)
                                             << " all=" << sizeof(everything));
    // Without check-quorum an isolated leader keeps leading; with it, it steps down.
    raft_fixture<raft::features{}> off{3};
    raft_fixture<raft::features{.check_quorum = true}> on{3};
    elect(off, 1);
    elect(on, 1);
    off.tick(1, 50);
    on.tick(1, 50);
    BOOST_TEST(off[1].is_leader());
    BOOST_TEST(!on[1].is_leader());
    // Without pre-vote a campaign raises the term at once; with it, not until a quorum agrees.
    raft_fixture<raft::features{.pre_vote = true}> pv{3};
    off.hup(2);
    pv.hup(2);
    BOOST_TEST(off[2].term() == term_t{1});
    BOOST_TEST(pv[2].term() == term_t{0});
}

BOOST_AUTO_TEST_SUITE_END()
