#ifndef SYNOD_TESTS_RAFT_FIXTURE_HPP
#define SYNOD_TESTS_RAFT_FIXTURE_HPP

// A Raft cluster for scripted tests: nodes on the sync network, each with its own manual clock
// (so a test can tick one node and not another, as the Raft-paper tests do), memory or deferred
// storage, and a state machine that records what it applied.

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "support/print.hpp"
#include "synod/core/random.hpp"
#include "synod/raft/node.hpp"
#include "synod/runtime/sync/network.hpp"
#include "synod/storage/deferred.hpp"
#include "synod/storage/memory.hpp"

namespace synod::raft {
inline std::ostream& operator<<(std::ostream& os, role r) { return os << to_string(r); }
inline std::ostream& operator<<(std::ostream& os, progress_state s) {
    return os << (s == progress_state::probe       ? "probe"
                  : s == progress_state::replicate ? "replicate"
                                                   : "snapshot");
}
}  // namespace synod::raft

namespace synod::test {

using text = std::string;
using raft_message = raft::message<text>;
using raft_network = runtime::sync::network<raft_message>;
using raft_entry = entry<text>;
using raft_append = raft::append_entries<std::string>;

/// A node's own clock: the test moves it; the node arms one deadline on it.
struct manual_clock {
    time_point now{0};
    time_point deadline = time_never;
};
struct manual_timer {
    manual_clock* clock;
    time_point now() const noexcept { return clock->now; }
    void arm(time_point d) noexcept { clock->deadline = d; }
};

/// Records every applied entry, and every read the node says can be served (with the applied
/// index at that moment, so a test can check the read saw the state it should).
struct recording_state_machine {
    std::vector<raft_entry> applied;
    std::vector<std::pair<raft::read_ready, std::size_t>> reads;
    std::size_t restores = 0;
    void apply(const raft_entry& e) { applied.push_back(e); }
    void on_read(const raft::read_ready& r) { reads.push_back({r, applied.size()}); }

    /// The applied entries serialized (kind, payload length, payload), so that a snapshot
    /// restores exactly what was applied.
    std::vector<std::byte> snapshot() const {
        std::vector<std::byte> out;
        for (const raft_entry& e : applied) {
            out.push_back(static_cast<std::byte>(e.kind));
            const auto n = static_cast<std::uint32_t>(e.payload.size());
            for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::byte>(n >> (8 * i)));
            for (char c : e.payload) out.push_back(static_cast<std::byte>(c));
        }
        return out;
    }
    void restore(std::span<const std::byte> bytes) {
        applied.clear();
        ++restores;
        std::size_t at = 0;
        while (at + 5 <= bytes.size()) {
            raft_entry e{};
            e.kind = static_cast<entry_kind>(bytes[at]);
            std::uint32_t n = 0;
            for (int i = 0; i < 4; ++i) n |= std::to_integer<std::uint32_t>(bytes[at + 1 + i]) << (8 * i);
            at += 5;
            for (std::uint32_t k = 0; k < n; ++k) e.payload.push_back(static_cast<char>(bytes[at + k]));
            at += n;
            e.index = log_index{applied.size() + 1};
            applied.push_back(std::move(e));
        }
    }
};

template <raft::features F, class Storage>
struct test_traits {
    using payload = test::text;
    using storage = Storage;
    using transport = raft_network::transport;
    using timer = manual_timer;
    using random = xoshiro256;
    using state_machine = recording_state_machine;
    static constexpr raft::features features = F;
};

inline raft::settings default_settings() {
    raft::settings s;
    s.election_timeout_ticks = 10;
    s.heartbeat_interval_ticks = 1;
    return s;
}

/// Entries with the given terms at indices 1, 2, ... (the scenarios' "terms(a, b, c)").
inline std::vector<raft_entry> terms(std::initializer_list<std::uint64_t> ts) {
    std::vector<raft_entry> out;
    std::uint64_t i = 1;
    for (auto t : ts) out.push_back(raft_entry{term_t{t}, log_index{i++}, entry_kind::normal, {}});
    return out;
}

/// `Traits` may extend test_traits<F, Storage> (another quorum system, say).
template <raft::features F = raft::features{}, class Storage = storage::memory_log<text>,
          class Traits = test_traits<F, Storage>>
class raft_fixture {
public:
    using traits = Traits;
    using node_type = raft::node<traits>;
    using envelope_type = runtime::sync::envelope<raft_message>;

    /// Nodes 1..n, all voters, fresh storage.
    explicit raft_fixture(std::size_t n, raft::settings s = default_settings(),
                          std::uint64_t seed = 1)
        : settings_{s}, seed_{seed} {
        for (std::uint32_t i = 1; i <= n; ++i) config_.voters.insert(node_id{i});
        slots_.reserve(max_nodes + 1);  // timers point at the clocks: never reallocate
        slots_.resize(n + 1);
        for (std::uint32_t i = 1; i <= n; ++i) start(node_id{i}, Storage{});
    }

    node_type& operator[](std::uint32_t id) { return *slots_.at(id).node; }
    node_type& at(node_id id) { return *slots_.at(id.value).node; }
    manual_clock& clock(std::uint32_t id) { return slots_.at(id).clock; }
    raft_network& net() { return net_; }
    const configuration& config() const { return config_; }
    std::size_t size() const { return slots_.size() - 1; }

    /// Every node named in `config` (ids 1..max), fresh storage.
    raft_fixture(const configuration& config, raft::settings s, std::uint64_t seed = 1)
        : settings_{s}, seed_{seed}, config_{config} {
        std::uint32_t top = 0;
        config_.for_each_member([&](node_id n) { top = std::max(top, n.value); });
        slots_.reserve(max_nodes + 1);  // timers point at the clocks: never reallocate
        slots_.resize(top + 1);
        config_.for_each_member([&](node_id n) { start(n, Storage{}); });
    }

    /// Starts node `id` (the next id after the last one) outside the configuration, as a new
    /// server that a membership change will add: it knows the cluster's initial configuration.
    void add_node(node_id id) {
        SYNOD_ASSERT(id.value == slots_.size() && slots_.size() < slots_.capacity());
        slots_.resize(slots_.size() + 1);
        start(id, Storage{});
    }

    /// (Re)starts node `id` from `storage` (a restart keeps its clock).
    void start(node_id id, Storage storage, std::uint64_t seed_offset = 0) {
        slot& s = slots_.at(id.value);
        s.node.reset();
        s.clock.deadline = time_never;
        s.node = std::make_unique<node_type>(
            id, config_, settings_, std::move(storage), net_.transport_for(id),
            manual_timer{&s.clock}, xoshiro256{(seed_ << 32) ^ (std::uint64_t{id.value} << 20) ^ seed_offset},
            recording_state_machine{});
        net_.attach(id, *s.node);
    }
    /// Replaces node `id` with one whose durable state is `hs` and `log`.
    void restore(std::uint32_t id, hard_state hs, std::vector<raft_entry> log) {
        start(node_id{id}, Storage{hs, std::move(log)});
    }
    /// Crashes node `id` (unsynced writes lost with deferred storage) and restarts it.
    void restart(std::uint32_t id) {
        Storage copy = (*this)[id].storage();
        if constexpr (requires { copy.crash(); }) copy.crash();
        start(node_id{id}, std::move(copy), ++restarts_);
    }

    void hup(std::uint32_t id) { (*this)[id].campaign(); }
    /// Deferred storage: completes every write of node `id` and tells the node.
    void sync(std::uint32_t id) {
        (*this)[id].storage().complete_all();
        net_.report_durable(node_id{id});
    }
    /// Advances node `id`'s clock one tick at a time, firing its deadline when reached.
    void tick(std::uint32_t id, std::size_t n = 1) {
        slot& s = slots_.at(id);
        for (std::size_t i = 0; i < n; ++i) {
            s.clock.now = s.clock.now + 1;
            if (s.clock.deadline <= s.clock.now) {
                s.clock.deadline = time_never;
                s.node->on(timeout{});
            }
        }
    }
    void tick_all(std::size_t n = 1) {
        for (std::size_t k = 0; k < n; ++k)
            for (std::uint32_t id = 1; id <= size(); ++id) tick(id);
    }
    std::size_t deliver() { return net_.deliver_all(); }
    std::vector<envelope_type> drain() { return net_.drain(); }

    /// Ticks every node and delivers, `n` times.
    void run(std::size_t n) {
        for (std::size_t k = 0; k < n; ++k) {
            tick_all();
            deliver();
        }
    }

    /// The node currently leading, or 0.
    std::uint32_t leader_id() {
        for (std::uint32_t id = 1; id <= size(); ++id)
            if ((*this)[id].is_leader()) return id;
        return 0;
    }

    /// Payloads of the normal entries node `id` applied, in order.
    std::vector<std::string> applied_payloads(std::uint32_t id) {
        std::vector<std::string> out;
        for (const auto& e : (*this)[id].state_machine().applied)
            if (e.kind == entry_kind::normal) out.push_back(e.payload);
        return out;
    }
    /// (index, term, payload) of every entry node `id` holds.
    std::vector<raft_entry> log_of(std::uint32_t id) {
        auto es = (*this)[id].storage().all();
        return {es.begin(), es.end()};
    }

private:
    struct slot {
        manual_clock clock;
        std::unique_ptr<node_type> node;
    };
    raft::settings settings_;
    std::uint64_t seed_;
    std::uint64_t restarts_ = 0;
    configuration config_;
    raft_network net_;
    std::vector<slot> slots_;
};

/// Makes node `id` leader at once: campaigns, then is handed granted votes from every other
/// voter. Its vote requests are dropped; what it sends as leader stays queued.
template <class Fixture>
void elect(Fixture& c, std::uint32_t id) {
    c.hup(id);
    c.net().clear();
    if constexpr (Fixture::node_type::features.pre_vote) {
        for (std::uint32_t p = 1; p <= c.size(); ++p)
            if (p != id && !c[id].is_leader() && c[id].role() == raft::role::pre_candidate)
                c[id].on(raft_message{raft::vote_response{c[id].term().next(), node_id{p}, true, true}});
    }
    for (std::uint32_t p = 1; p <= c.size(); ++p)
        if (p != id && !c[id].is_leader())
            c[id].on(raft_message{raft::vote_response{c[id].term(), node_id{p}, true, false}});
}

/// An AppendEntries from `from` (entries are copied into `keep`, which must outlive delivery).
inline raft_message append(std::uint64_t term, std::uint32_t from, std::uint64_t prev_index,
                           std::uint64_t prev_term, std::uint64_t commit,
                           const std::vector<raft_entry>& keep = {}) {
    return raft::append_entries<text>{term_t{term}, node_id{from}, log_index{prev_index},
                                         term_t{prev_term}, log_index{commit}, keep};
}
/// Entries (index@term with a payload) for building messages.
inline raft_entry ent(std::uint64_t index, std::uint64_t term, std::string data = {}) {
    return raft_entry{term_t{term}, log_index{index}, entry_kind::normal, std::move(data)};
}

/// Messages of type M among `out`, in order.
template <class M>
std::vector<std::pair<node_id, M>> of_type(const std::vector<runtime::sync::envelope<raft_message>>& out) {
    std::vector<std::pair<node_id, M>> r;
    for (const auto& e : out)
        if (const M* m = std::get_if<M>(&e.message)) r.push_back({e.to, *m});
    return r;
}

}  // namespace synod::test

#endif
