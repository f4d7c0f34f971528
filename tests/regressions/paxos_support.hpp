// Shared by the Paxos regression tests: a single-decree acceptor and a Multi-Paxos replica wired
// to a transport that records what they send, driven one message at a time.
#ifndef SYNOD_TESTS_REGRESSIONS_PAXOS_SUPPORT_HPP
#define SYNOD_TESTS_REGRESSIONS_PAXOS_SUPPORT_HPP

#include <cstdint>
#include <vector>

#include "support/print.hpp"
#include "synod/core/quorum.hpp"
#include "synod/core/random.hpp"
#include "synod/paxos/acceptor.hpp"
#include "synod/paxos/multi_paxos.hpp"
#include "synod/storage/paxos_memory.hpp"

namespace synod::test::regression {

template <class Message>
struct recorder {
    std::vector<Message>* sent;
    void send(node_id, const Message& m) { sent->push_back(m); }
};

struct clock {
    time_point now{0};
};
struct fixed_timer {
    clock* c;
    time_point now() const noexcept { return c->now; }
    void arm(time_point) noexcept {}
};

struct acceptor_traits {
    using value_type = int;
    using storage = storage::memory_acceptor<int>;
    using transport = recorder<paxos::message<int>>;
};

struct ignore_entries {
    std::size_t applied = 0;
    void apply(const entry<int>&) { ++applied; }
};

template <class Log = storage::memory_paxos_log<int>>
struct replica_traits {
    using payload_type = int;
    using storage = Log;
    using transport = recorder<multi_paxos::message<int>>;
    using timer = fixed_timer;
    using random = xoshiro256;
    using state_machine = ignore_entries;
    using quorum = majority;
};

/// Replica 1 of voters {1, 2, 3}, recording what it sends.
template <class Log = storage::memory_paxos_log<int>>
struct one_replica {
    using traits = replica_traits<Log>;
    using message = multi_paxos::message<int>;
    std::vector<message> sent;
    clock time;
    multi_paxos::replica<traits> r;
    one_replica()
        : r{node_id{1}, configuration{node_set{1u, 2u, 3u}, {}, {}}, multi_paxos::settings{},
            Log{}, {&sent}, fixed_timer{&time}, xoshiro256{1}} {}
};

}  // namespace synod::test::regression

#endif
