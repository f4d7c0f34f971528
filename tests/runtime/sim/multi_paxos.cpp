// The simulator running Multi-Paxos under the same fault model as Raft: at most one value per
// slot, promises never regress across restarts, histories linearizable, seeds replay.
#include <boost/test/unit_test.hpp>

#include "synod/runtime/sim/multi_paxos.hpp"

using namespace synod;
namespace sim = synod::runtime::sim;

BOOST_AUTO_TEST_SUITE(runtime_sim_multi_paxos)

BOOST_AUTO_TEST_CASE(every_seed_of_the_default_profile_keeps_every_invariant) {
    std::size_t ops = 0;
    for (std::uint64_t seed = 1; seed <= 40; ++seed) {
        sim::options o;
        o.seed = seed;
        o.ops = 150;
        BOOST_TEST_REQUIRE(sim::fault_profile::named("default", o.faults));
        sim::world<sim::multi_paxos_protocol> w{o};
        const sim::result r = w.run();
        BOOST_TEST(r.ok, "seed " << seed << ": " << r.failure << "\n" << r.last_events);
        ops += r.ops_completed;
    }
    BOOST_TEST(ops >= 40u * 150u);
}

BOOST_AUTO_TEST_CASE(a_seed_replays_bit_for_bit) {
    sim::options o;
    o.seed = 3;
    BOOST_TEST_REQUIRE(sim::fault_profile::named("brutal", o.faults));
    sim::world<sim::multi_paxos_protocol> a{o}, b{o};
    const auto ra = a.run();
    const auto rb = b.run();
    BOOST_TEST(ra.trace_hash == rb.trace_hash);
    BOOST_TEST(ra.events == rb.events);
}

BOOST_AUTO_TEST_SUITE_END()
