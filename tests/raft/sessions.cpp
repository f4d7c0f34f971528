// Exactly-once client commands over Raft (thesis 6.3): a client whose leader changed retries
// its command with the same sequence number; the command lands in the log twice but every
// replica executes it once.
#include <boost/test/unit_test.hpp>

#include <memory>
#include <vector>

#include "support/print.hpp"
#include "synod/core/sessions.hpp"
#include "synod/raft/node.hpp"
#include "synod/runtime/sync/network.hpp"
#include "synod/storage/memory.hpp"

using namespace synod;

// Not in an anonymous namespace: the payload's comparison is required by the payload concept
// but never called, which clang would flag in an internal-linkage type.
namespace raft_sessions_test {
struct command {
    std::uint64_t client = 0, sequence = 0;
    long add = 0;
    friend bool operator==(const command&, const command&) = default;
};
struct adder {
    long total = 0;
    long execute(const command& c) { return total += c.add; }
};
struct key_of {
    std::optional<std::pair<std::uint64_t, std::uint64_t>> operator()(const command& c) const {
        return std::pair{c.client, c.sequence};
    }
};
using network = runtime::sync::network<raft::message<command>>;
struct traits {
    using payload = command;
    using storage = storage::memory_log<command>;
    using transport = network::transport;
    using timer = network::timer;
    using random = xoshiro256;
    using state_machine = exactly_once<adder, key_of, long, 16>;
};
}  // namespace raft_sessions_test
using namespace raft_sessions_test;

BOOST_AUTO_TEST_SUITE(raft_sessions)

BOOST_AUTO_TEST_CASE(a_retried_command_is_applied_once_on_every_replica) {
    network net;
    configuration config;
    config.voters = node_set{1u, 2u, 3u};
    std::vector<std::unique_ptr<raft::node<traits>>> nodes;
    for (std::uint32_t i = 1; i <= 3; ++i) {
        nodes.push_back(std::make_unique<raft::node<traits>>(
            node_id{i}, config, raft::settings{}, traits::storage{}, net.transport_for(node_id{i}),
            net.timer_for(node_id{i}), xoshiro256{i}, traits::state_machine{}));
        net.attach(node_id{i}, *nodes.back());
    }
    auto leader = [&]() -> raft::node<traits>* {
        for (auto& n : nodes)
            if (n->is_leader()) return n.get();
        return nullptr;
    };
    net.run_for(30);
    BOOST_TEST_REQUIRE(leader() != nullptr);
    const command c{42, 1, 5};
    BOOST_TEST_REQUIRE(leader()->propose(c).has_value());
    net.run_for(2);
    // The client did not hear back (say its leader crashed) and retries the same command.
    BOOST_TEST_REQUIRE(leader()->propose(c).has_value());
    BOOST_TEST_REQUIRE(leader()->propose(command{42, 2, 10}).has_value());
    net.run_for(2);
    for (auto& n : nodes) {
        BOOST_TEST(n->state_machine().inner().total == 15);
        BOOST_TEST_REQUIRE(n->state_machine().answer(42, 2) != nullptr);
        BOOST_TEST(*n->state_machine().answer(42, 2) == 15);
    }
}

BOOST_AUTO_TEST_SUITE_END()
