// Built with -fno-exceptions -fno-rtti: a Raft cluster on the sync runtime elects a leader,
// commits a few hundred entries, loses a follower and keeps committing, then takes the
// follower back and converges. Exits non-zero on the first failed check.
#include <cstdio>
#include <memory>
#include <vector>

#include "synod/raft/node.hpp"
#include "synod/runtime/sync/network.hpp"
#include "synod/storage/memory.hpp"

#define CHECK(...)                                                                            \
    do {                                                                                      \
        if (!(__VA_ARGS__)) {                                                                 \
            std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #__VA_ARGS__); \
            return 1;                                                                         \
        }                                                                                     \
    } while (0)

using network = synod::runtime::sync::network<synod::raft::message<int>>;

struct sum {
    long total = 0;
    long applied = 0;
    void apply(const synod::entry<int>& e) {
        ++applied;
        if (e.kind == synod::entry_kind::normal) total += e.payload;
    }
};

struct traits {
    using payload = int;
    using storage = synod::storage::memory_log<int>;
    using transport = network::transport;
    using timer = network::timer;
    using random = synod::xoshiro256;
    using state_machine = sum;
    static constexpr synod::raft::features features{.pre_vote = true, .check_quorum = true};
};
using node = synod::raft::node<traits>;

int main() {
    network net;
    synod::configuration config;
    config.voters = synod::node_set{1u, 2u, 3u};
    std::vector<std::unique_ptr<node>> nodes;
    for (std::uint32_t i = 1; i <= 3; ++i) {
        nodes.push_back(std::make_unique<node>(synod::node_id{i}, config, synod::raft::settings{},
                                               traits::storage{}, net.transport_for(synod::node_id{i}),
                                               net.timer_for(synod::node_id{i}),
                                               synod::xoshiro256{i}, sum{}));
        net.attach(synod::node_id{i}, *nodes.back());
    }
    auto leader = [&]() -> node* {
        for (auto& n : nodes)
            if (n->is_leader()) return n.get();
        return nullptr;
    };
    net.run_for(40);
    CHECK(leader() != nullptr);
    long expected = 0;
    for (int i = 1; i <= 300; ++i) {
        CHECK(leader()->propose(i).has_value());
        expected += i;
        net.deliver_all();
    }
    const synod::node_id follower = leader()->id() == synod::node_id{3} ? synod::node_id{2}
                                                                         : synod::node_id{3};
    net.isolate(follower);
    for (int i = 1; i <= 50; ++i) {
        CHECK(leader()->propose(i).has_value());
        expected += i;
        net.deliver_all();
    }
    net.recover();
    net.run_for(5);
    for (auto& n : nodes) {
        CHECK(n->state_machine().total == expected);
        CHECK(n->commit_index() == leader()->last_index());
    }
    std::printf("nothrow raft: %ld applied on each node\n", nodes[0]->state_machine().applied);
    return 0;
}
