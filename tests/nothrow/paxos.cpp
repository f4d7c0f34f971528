// Built with -fno-exceptions -fno-rtti: single-decree Paxos and a Multi-Paxos cluster run in the
// sync runtime and reach the expected results. Exits non-zero on the first failed check.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "synod/core/quorum.hpp"
#include "synod/paxos/multi_paxos.hpp"
#include "synod/paxos/node.hpp"
#include "synod/runtime/sync/network.hpp"
#include "synod/storage/paxos_memory.hpp"

#define CHECK(...)                                                          \
    do {                                                                    \
        if (!(__VA_ARGS__)) {                                               \
            std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,    \
                         __LINE__, #__VA_ARGS__);                           \
            return 1;                                                       \
        }                                                                   \
    } while (0)

namespace {

using namespace synod;

using sd_network = runtime::sync::network<paxos::message<int>>;
struct sd_traits {
    using value_type = int;
    using storage = storage::memory_acceptor<int>;
    using transport = sd_network::transport;
    using timer = sd_network::timer;
    using random = xoshiro256;
    using quorum = majority;
};

using mp_network = runtime::sync::network<multi_paxos::message<int>>;
struct counter {
    std::vector<int> applied;
    std::uint64_t noops = 0;
    void apply(const entry<int>& e) {
        if (e.kind == entry_kind::noop) {
            ++noops;
        } else {
            applied.push_back(e.payload);
        }
    }
};
struct mp_traits {
    using payload_type = int;
    using storage = storage::deferred_paxos_log<int>;
    using transport = mp_network::transport;
    using timer = mp_network::timer;
    using random = xoshiro256;
    using state_machine = counter;
    using quorum = majority;
};

int single_decree() {
    sd_network net;
    const configuration c{node_set{1u, 2u, 3u}, {}, {}};
    std::vector<std::unique_ptr<paxos::node<sd_traits>>> nodes;
    for (std::uint32_t i = 1; i <= 3; ++i) {
        nodes.push_back(std::make_unique<paxos::node<sd_traits>>(
            node_id{i}, c, paxos::proposer_settings{},
            paxos::node<sd_traits>::policies{{}, net.transport_for(node_id{i}),
                                             net.timer_for(node_id{i}), xoshiro256{i}, {}}));
        net.attach(node_id{i}, *nodes.back());
    }
    for (std::uint32_t i = 1; i <= 3; ++i) CHECK(nodes[i - 1]->propose(static_cast<int>(i) * 10));
    net.run_for(300);
    const auto v = nodes[0]->chosen();
    CHECK(v.has_value());
    for (auto& n : nodes) CHECK(n->chosen() == v);
    return 0;
}

int multi_paxos_cluster() {
    mp_network net;
    configuration c;
    for (std::uint32_t i = 1; i <= 3; ++i) c.voters.insert(node_id{i});
    std::vector<std::unique_ptr<multi_paxos::replica<mp_traits>>> rs;
    for (std::uint32_t i = 1; i <= 3; ++i) {
        rs.push_back(std::make_unique<multi_paxos::replica<mp_traits>>(
            node_id{i}, c, multi_paxos::settings{}, mp_traits::storage{},
            net.transport_for(node_id{i}), net.timer_for(node_id{i}), xoshiro256{i}));
        net.attach(node_id{i}, *rs.back());
    }
    const auto tick = [&] {
        for (std::uint32_t i = 1; i <= 3; ++i) {
            if (!net.attached(node_id{i})) continue;
            rs[i - 1]->storage().complete_all();
            net.report_durable(node_id{i});
        }
        net.run_for(1);
    };
    int leader = 0;
    for (int t = 0; t < 100 && !leader; ++t) {
        tick();
        for (std::uint32_t i = 1; i <= 3; ++i)
            if (rs[i - 1]->is_leader()) leader = static_cast<int>(i);
    }
    CHECK(leader != 0);
    int next = 0;
    for (; next < 24; ++next) {
        CHECK(rs[leader - 1]->propose(next).has_value());
        tick();
    }
    // The leader crashes; another takes over and commits more.
    net.detach(node_id{static_cast<std::uint32_t>(leader)});
    int second = 0;
    for (int t = 0; t < 100 && !second; ++t) {
        tick();
        for (std::uint32_t i = 1; i <= 3; ++i)
            if (static_cast<int>(i) != leader && rs[i - 1]->is_leader()) second = static_cast<int>(i);
    }
    CHECK(second != 0);
    for (; next < 40; ++next) {
        CHECK(rs[second - 1]->propose(next).has_value());
        tick();
    }
    for (int t = 0; t < 3; ++t) tick();
    for (std::uint32_t i = 1; i <= 3; ++i) {
        if (static_cast<int>(i) == leader) continue;
        const auto& a = rs[i - 1]->state_machine().applied;
        CHECK(a.size() == 40u);
        for (int k = 0; k < 40; ++k) CHECK(a[static_cast<std::size_t>(k)] == k);
        CHECK(rs[i - 1]->applied_index() == rs[i - 1]->commit_index());
    }
    return 0;
}

}  // namespace

int main() {
    if (single_decree() != 0) return 1;
    if (multi_paxos_cluster() != 0) return 1;
    std::puts("nothrow paxos: ok");
    return 0;
}
