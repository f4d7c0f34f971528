#ifndef SYNOD_TESTS_SUPPORT_ARCHETYPES_HPP
#define SYNOD_TESTS_SUPPORT_ARCHETYPES_HPP

// The smallest type that models each synod policy concept: a reference for anyone writing a
// policy, and a check (below) that the concepts ask for no more than they document.

#include <cstdint>
#include <span>

#include "synod/core/concepts/message.hpp"
#include "synod/core/concepts/quorum_system.hpp"
#include "synod/core/concepts/random.hpp"
#include "synod/core/concepts/state_machine.hpp"
#include "synod/core/concepts/storage.hpp"
#include "synod/core/concepts/timer.hpp"
#include "synod/core/concepts/transport.hpp"
#include "synod/core/entry.hpp"

namespace synod::test {

struct archetype_message {};

struct transport_archetype {
    void send(node_id, const archetype_message&) {}
};

struct timer_archetype {
    time_point now() const { return time_point{}; }
    void arm(time_point) {}
};

struct random_archetype {
    std::uint64_t operator()() { return 4; }  // chosen by fair dice roll
};

struct payload_archetype {
    friend bool operator==(const payload_archetype&, const payload_archetype&) = default;
};

struct state_machine_archetype {
    void apply(const entry<payload_archetype>&) {}
};

struct quorum_archetype {
    result<void> validate(const node_set&) const { return {}; }
    bool phase1(const node_set&, const node_set&) const { return false; }
    bool phase2(const node_set&, const node_set&) const { return false; }
    template <class Match>
    log_index committed(const node_set&, Match&&) const {
        return log_index{};
    }
};

struct raft_storage_archetype {
    write_id durable() const { return write_id{}; }
    synod::hard_state hard_state() const { return {}; }
    log_index first_index() const { return log_index{1}; }
    log_index last_index() const { return log_index{}; }
    term_t term_at(log_index) const { return term_t{}; }
    std::span<const entry<payload_archetype>> entries(log_index, log_index) const { return {}; }
    write_id save_hard_state(const synod::hard_state&) { return write_id{}; }
    write_id append(std::span<const entry<payload_archetype>>) { return write_id{}; }
};

struct borrowing_archetype {
    std::span<const entry<payload_archetype>> entries;
};
inline std::span<const entry<payload_archetype>> borrowed_entries(const borrowing_archetype& m) {
    return m.entries;
}
inline void rebind_entries(borrowing_archetype& m, std::span<const entry<payload_archetype>> es) {
    m.entries = es;
}

static_assert(transport<transport_archetype, archetype_message>);
static_assert(timer<timer_archetype>);
static_assert(random_source<random_archetype>);
static_assert(payload<payload_archetype>);
static_assert(state_machine<state_machine_archetype, entry<payload_archetype>>);
static_assert(quorum_system<quorum_archetype>);
static_assert(raft_log_storage<raft_storage_archetype, payload_archetype>);
static_assert(borrowing_message<borrowing_archetype>);
static_assert(!borrowing_message<archetype_message>);

}  // namespace synod::test

#endif
