#ifndef SYNOD_RUNTIME_SIM_WORLD_HPP
#define SYNOD_RUNTIME_SIM_WORLD_HPP

/// \file
/// The deterministic simulator: a cluster of unchanged protocol nodes (only their traits
/// differ from the other runtimes) in virtual time, under the fault model of faults.hpp, driven
/// by simulated key-value clients whose history is checked for linearizability, with the
/// cluster invariants checked after every event. One 64-bit seed decides everything: a seed
/// replays bit for bit, and its trace hash is the same on every compiler and optimization level.
///
/// `world<Protocol>` is generic; a Protocol (sim/raft.hpp, sim/multi_paxos.hpp) names the node
/// type, its message and storage types, and how to observe it:
///   using message_type, node_type, storage_type;
///   static constexpr const char* name;
///   static std::unique_ptr<node_type> make(world&, node_id, storage_type);
///   static storage_type fresh_storage(world&, node_id);
///   static void crash(storage_type&, std::size_t torn_entries);
///   static void restarted(world&, node_id, const storage_type&);   // feed the observer
///   static void observe(world&, node_id, const node_type&);        // after each event
///   static void became_leader(world&, node_id, const node_type&);  // a new leadership
///   static void applied(world&, node_id, const entry<std::string>&);
///   static message_info describe(const message_type&);
///   using borrowed_type;  // what messages borrow from the sender's log
///   static std::span<const borrowed_type> borrowed(const message_type&);
///   static void rebind(message_type&, std::span<const borrowed_type>);
///   static node_id leader_hint(const node_type&), bool is_leader(const node_type&),
///          std::uint64_t term_of(const node_type&), log_index commit_of(const node_type&)
///
/// A `recorder` attached with world::attach() sees the run as it happens (messages, node
/// states, faults, client attempts, the verdict), for tools that draw it (tools/timeline_html.hpp).
/// Recording draws no random numbers and schedules nothing: a seed's run and its trace hash
/// are the same with or without one, and without one nothing is recorded.

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "synod/check/history.hpp"
#include "synod/check/invariants.hpp"
#include "synod/check/kv.hpp"
#include "synod/check/linearizability.hpp"
#include "synod/core/concepts/message.hpp"
#include "synod/core/concepts/storage.hpp"
#include "synod/core/concepts/timer.hpp"
#include "synod/core/configuration.hpp"
#include "synod/core/entry.hpp"
#include "synod/core/random.hpp"
#include "synod/runtime/sim/faults.hpp"
#include "synod/runtime/sim/scheduler.hpp"

namespace synod::runtime::sim {

/// What the trace and the diagnostics say about a message.
struct message_info {
    const char* type = "";
    std::uint64_t term = 0;  ///< Raft term or Paxos ballot round
    std::size_t entries = 0;
};

/// How one simulated run is set up.
struct options {
    std::uint64_t seed = 1;
    std::size_t nodes = 5;
    std::size_t clients = 5;
    std::size_t keys = 10;
    std::size_t ops = 200;              ///< client operations to issue in all
    fault_profile faults{};
    ticks election_timeout = 100;       ///< protocol timers, in ticks (one tick = 1 ms)
    ticks heartbeat = 20;
    ticks client_timeout = 500;         ///< a client retries elsewhere after this
    std::size_t entries_per_message = 0;  ///< protocol batching limit; 0: the protocol's default
    /// How clients' gets are served: through the log, by ReadIndex, or under the leader's lease
    /// (falling back to ReadIndex when the lease is not held). The last two need a protocol
    /// built with reads.
    enum class reads { log, read_index, lease } read_path = reads::log;
    /// Lease reads rest on a bound of how much faster one clock runs than another; the
    /// simulator derives it from the fault profile's skew. Tests set this to plant the bug of
    /// a lease without it.
    bool lease_without_drift_bound = false;
    bool spread_reads = false;  ///< a client sends each get to a random node first
    /// Each node compacts its log once this many entries were applied since its last
    /// snapshot (protocols built with snapshots); 0: never.
    std::size_t compact_every = 0;
    ticks think_ticks = 20;  ///< a client waits up to this long between operations
    ticks liveness_bound = 30'000;      ///< after faults stop, all must finish within this
    bool check_linearizability = true;
    std::FILE* trace = nullptr;         ///< one JSON object a line, if set
    bool timeline = false;              ///< collect human-readable notable events
};

/// The outcome of one run.
struct result {
    std::uint64_t seed = 0;
    bool ok = true;
    std::string failure;      ///< the first broken invariant, with details
    std::string last_events;  ///< the events just before it
    std::uint64_t events = 0;
    std::uint64_t virtual_ticks = 0;
    std::uint64_t trace_hash = 0;
    std::size_t ops_completed = 0;
    std::size_t ops_open = 0;
    bool linearizable = true;
    std::uint64_t elections = 0, crashes = 0, partitions = 0, messages = 0, dropped = 0;
    std::uint64_t committed = 0;  ///< the highest commit index reached
    std::uint64_t snapshot_restores = 0;  ///< state machines restored from a snapshot
    std::uint64_t config_changes = 0;     ///< membership changes the leader accepted
    std::vector<std::string> timeline;
};

template <class Protocol>
class world;

/// What happened to one delivery of a message (a duplicate or a replay is another delivery).
enum class delivery : std::uint8_t {
    delivered,
    receiver_down,  ///< the receiver was crashed
    partitioned,    ///< the link was cut
    cancelled,      ///< the sender crashed in the step that sent it, before it left
};

/// What a client did or was told, besides invoking an operation and getting its result (those
/// are in the history).
enum class client_step : std::uint8_t {
    request,   ///< its current operation reached node `n` (first try or again)
    redirect,  ///< a node answered "not the leader"
    retry,     ///< a node answered "try again"
    timeout,   ///< no answer in time: it will try the next node
};

/// Observes a run of world<Protocol> (see world::attach()). Every time is virtual time, in ticks.
template <class Protocol>
class recorder {
public:
    using message_type = typename Protocol::message_type;
    using node_type = typename Protocol::node_type;
    virtual ~recorder() = default;
    /// `from` sent `m` to `to`; `lost`: the network dropped it at once. Returns an id that
    /// delivered() names.
    virtual std::uint64_t sent(std::uint64_t time, node_id from, node_id to, const message_type& m,
                               bool lost) = 0;
    virtual void delivered(std::uint64_t time, std::uint64_t id, delivery what) = 0;
    /// Node `n` after an event it handled, or at its crash (`node` null: it is down). Called
    /// often: the recorder keeps what changed.
    virtual void node_state(std::uint64_t time, node_id n, const node_type* node) = 0;
    /// Node `n` handles nothing until `until`.
    virtual void paused(std::uint64_t time, node_id n, std::uint64_t until) = 0;
    /// A partition started: the messages from `blocked[i].first` to `blocked[i].second` are
    /// lost until heal(). `what` says which kind.
    virtual void partition(std::uint64_t time, std::string_view what,
                           std::span<const std::pair<std::uint32_t, std::uint32_t>> blocked) = 0;
    virtual void heal(std::uint64_t time) = 0;
    /// A crash, with why (empty: a random crash) and whether the last write was torn.
    virtual void crashed(std::uint64_t time, node_id n, std::string_view why, bool torn) = 0;
    /// Faults stop: from now on the cluster must settle.
    virtual void quiesced(std::uint64_t time) = 0;
    /// Client `c` (1-based, as in the history) about its operation `op`.
    virtual void client(std::uint64_t time, std::uint32_t c, check::op_id op, client_step what,
                        node_id n) = 0;
    /// The first broken check, at `time`; `node` and `other` are the nodes concerned, if known.
    virtual void failed(std::uint64_t time, std::string_view why, node_id node, node_id other) = 0;
    /// The run ended: its result, the clients' history and, if it was checked, the
    /// linearizability verdict.
    virtual void finished(const result& r, const check::history& h,
                          const check::check_result* linearizability) = 0;
};

/// The transport policy of a simulated node.
template <class Protocol>
struct transport {
    world<Protocol>* w;
    node_id self;
    void send(node_id to, const typename Protocol::message_type& m) { w->send(self, to, m); }
};

/// The timer policy of a simulated node: its own clock, which may run fast or slow.
template <class Protocol>
struct timer {
    world<Protocol>* w;
    node_id self;
    time_point now() const noexcept { return w->local_time(self); }
    void arm(time_point deadline) { w->arm(self, deadline); }
};

/// The replicated key-value store, reporting every applied entry to the world, and serving
/// reads the node says may be served.
template <class Protocol>
struct kv_machine {
    world<Protocol>* w;
    node_id self;
    check::kv_store store{};
    void apply(const entry<std::string>& e) {
        store.apply(e);
        w->applied(self, e, store);
    }
    template <class Ready>
    void on_read(const Ready& r) {
        w->read_ready(r.context, r.ok, store);
    }
    /// Snapshots, for protocols built with log compaction.
    std::vector<std::byte> snapshot() const
        requires(Protocol::snapshots)
    {
        return store.snapshot();
    }
    void restore(std::span<const std::byte> bytes)
        requires(Protocol::snapshots)
    {
        SYNOD_ASSERT(store.restore(bytes));  // our own snapshot: it always decodes
        w->restored(self, store.applied_index());
    }
};

namespace detail {
inline std::uint64_t le_read(const char* p, int bytes) noexcept {
    std::uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
    return v;
}
}  // namespace detail

template <class Protocol>
class world {
public:
    using message_type = typename Protocol::message_type;
    using node_type = typename Protocol::node_type;
    using storage_type = typename Protocol::storage_type;
    using entry_type = entry<std::string>;
    using borrowed_type = typename Protocol::borrowed_type;

    explicit world(const options& o) : options_{o}, random_{o.seed} {
        rates_ = fault_rates::draw(o.faults, random_);
        const std::size_t voters = o.faults.initial_voters ? std::min(o.faults.initial_voters, o.nodes) : o.nodes;
        for (std::uint32_t i = 1; i <= voters; ++i) config_.voters.insert(node_id{i});
        nodes_.resize(o.nodes + 1);
        for (std::uint32_t i = 1; i <= o.nodes; ++i) {
            slot& s = nodes_[i];
            const std::uint64_t skew = rates_.skew_ppm;
            s.skew_ppm = static_cast<std::int64_t>(uniform(random_, 0, 2 * skew)) -
                         static_cast<std::int64_t>(skew);
            if (o.faults.one_slow_clock) s.skew_ppm = static_cast<std::int64_t>(skew);
            s.node = Protocol::make(*this, node_id{i}, Protocol::fresh_storage(*this, node_id{i}));
        }
        blocked_.assign((o.nodes + 1) * (o.nodes + 1), false);
        clients_.resize(o.clients);
        for (std::size_t c = 0; c < o.clients; ++c) {
            clients_[c].target = static_cast<std::uint32_t>(c % o.nodes + 1);
            queue_.at(uniform(random_, 0, 50), event_kind::client_wake, 0, c << 32);
        }
        queue_.at(o.faults.fault_ticks, event_kind::quiesce, 0, 0);
        if (o.faults.churn_ticks) queue_.at(o.faults.churn_ticks, event_kind::churn, 0, 0);
        if (rates_.partition_ppm || rates_.crash_ppm || rates_.pause_ppm || rates_.power_loss_ppm)
            schedule_next_fault();
    }

    /// Runs the seed to its end and checks everything.
    result run() {
        while (!queue_.empty() && !failed()) {
            const event e = queue_.pop();
            now_ = e.time;
            ++result_.events;
            record(e);
            step_flights_.clear();
            dispatch(e);
            if (quiesced_) {
                if (all_done()) {
                    if (!final_reads_issued_) {
                        issue_final_reads();
                    } else {
                        break;
                    }
                } else if (now_ > quiesce_time_ + options_.liveness_bound) {
                    fail("liveness: " + stall_description() + " " +
                         std::to_string(options_.liveness_bound) + " ticks after faults stopped");
                }
            }
        }
        if (!failed() && !all_done()) fail("liveness: the run ended with work pending");
        finish();
        return result_;
    }

    /// Reports this run to `r` from now on (call before run()); `r` must outlive the run.
    void attach(recorder<Protocol>* r) {
        recorder_ = r;
        if (r)
            for (std::uint32_t i = 1; i < nodes_.size(); ++i)
                r->node_state(now_, node_id{i}, nodes_[i].node.get());
    }

    // ---- used by the policies ----------------------------------------------------------------

    void send(node_id from, node_id to, const message_type& m) {
        ++result_.messages;
        if (to.value == 0 || to.value >= nodes_.size()) return;
        if (chance(rates_.loss_ppm)) {
            ++result_.dropped;
            if (recorder_) recorder_->sent(now_, from, to, m, true);
            return;
        }
        const std::uint32_t f = allocate_flight(from, to, m);
        if (recorder_) flights_[f].recorded = recorder_->sent(now_, from, to, m, false);
        step_flights_.push_back(f);
        std::uint64_t delay = options_.faults.delay_ticks.draw(random_);
        if (chance(rates_.tail_ppm)) delay *= uniform(random_, 10, 50);
        schedule_delivery(now_ + delay, f);
        if (chance(rates_.duplicate_ppm)) schedule_delivery(now_ + delay + uniform(random_, 0, 20), f);
        if (chance(rates_.replay_ppm)) schedule_delivery(now_ + uniform(random_, 200, 3000), f);
    }

    /// A node's clock: continuous, running at (1 + skew) times virtual time since its last
    /// change of rate.
    time_point local_time(node_id n) const noexcept { return time_point{local_at(nodes_[n.value], now_)}; }

    void arm(node_id n, time_point deadline) {
        slot& s = nodes_[n.value];
        s.deadline = deadline;
        if (deadline == time_never) return;
        const std::uint64_t at = global_time_of(n, deadline);
        if (s.timer_pending && s.timer_at <= at) return;  // the earlier event re-checks
        s.timer_pending = true;
        s.timer_at = at;
        queue_.at(at, event_kind::timer, n.value, ++s.timer_generation);
    }

    /// Storage of node `n` issued a write; it becomes durable after the fsync latency, grouped
    /// with every other write issued before the sync runs.
    void storage_write(node_id n) {
        slot& s = nodes_[n.value];
        if (s.sync_pending) return;
        s.sync_pending = true;
        queue_.at(now_ + options_.faults.fsync_ticks.draw(random_), event_kind::storage_sync,
                  n.value, s.incarnation);
    }

    /// Node `n` applied `e`: check it, and answer the client waiting for it.
    void applied(node_id n, const entry_type& e, const check::kv_store& store) {
        // The node raised its commit index before applying: tell the checker in that order.
        // (While a restarting node is being built it applies only what it recovered as
        // committed, which the checker already knows.)
        if (const node_type* node = nodes_[n.value].node.get()) Protocol::observe(*this, n, *node);
        slot& sl = nodes_[n.value];
        if (!(e.index == sl.last_applied.next()) && !failed())
            fail("apply order: n" + std::to_string(n.value) + " applied index " +
                 std::to_string(e.index.value) + " after index " +
                 std::to_string(sl.last_applied.value), n);
        sl.last_applied = e.index;
        Protocol::applied(*this, n, e);
        if (e.kind != entry_kind::normal || e.payload.size() < check::kv_command_header_bytes) return;
        const auto client = static_cast<std::uint32_t>(detail::le_read(e.payload.data() + 2, 4));
        const std::uint64_t seq = detail::le_read(e.payload.data() + 6, 8);
        if (client == 0 || client > clients_.size()) return;
        client_state& c = clients_[client - 1];
        if (!c.waiting || c.seq != seq) return;
        if (const check::kv_output* out = store.result(check::client_id{client}, seq))
            reply(client - 1, seq, reply_kind::done, *out, no_node);
    }

    /// Node `n` replaced its state machine with a snapshot through `index`.
    void restored(node_id n, log_index index) {
        slot& sl = nodes_[n.value];
        sl.last_applied = index;
        ++result_.snapshot_restores;
        if (sl.node) report(observer_.installed_snapshot(n, index));
    }

    /// A read started for a client can be served from `store` now (or failed).
    void read_ready(std::uint64_t context, bool ok, const check::kv_store& store) {
        const std::size_t c = context >> 32;
        if (c >= clients_.size()) return;
        client_state& cl = clients_[c];
        if (!cl.waiting || (cl.seq & 0xffffffffULL) != (context & 0xffffffffULL)) return;
        if (!ok) {
            reply(c, cl.seq, reply_kind::retry, {}, no_node);
            return;
        }
        const check::kv_key key = history_[cl.op].input.key;
        const std::string* v = store.find(key);
        reply(c, cl.seq, reply_kind::done, v ? check::kv_output::read(*v) : check::kv_output::absent(),
              no_node);
    }

    check::cluster_observer& observer() noexcept { return observer_; }
    void report(std::optional<check::violation> v) {
        if (v && !failed())
            fail(std::string{to_string(v->broken)} + ": " + v->description,
                 v->node ? v->node : node_id{last_event_.node}, v->other);
    }
    const options& opts() const noexcept { return options_; }
    /// The clock drift bound that covers this run's skew: two clocks at -s and +s differ in
    /// rate by 2s / (1 - s); at least 10%.
    std::uint32_t clock_drift_bound_ppm() const noexcept {
        if (options_.lease_without_drift_bound) return 0;
        const std::uint64_t s = options_.faults.skew_ppm.hi;
        const std::uint64_t bound = 2 * s * 1'000'000 / (1'000'000 - s) + 1'000;
        return static_cast<std::uint32_t>(std::max<std::uint64_t>(bound, 100'000));
    }
    const configuration& config() const noexcept { return config_; }
    std::uint64_t seed_for(node_id n) const noexcept {
        return options_.seed * 0x9e3779b97f4a7c15ULL + n.value * 1000003ULL +
               nodes_[n.value].incarnation;
    }
    /// A human-readable note for the demo timeline.
    void note(std::string text) {
        if (options_.timeline)
            result_.timeline.push_back("t=" + std::to_string(now_) + "ms  " + std::move(text));
    }
    result& outcome() noexcept { return result_; }
    static std::uint64_t hash_of(const entry_type& e) noexcept {
        return check::detail::hash_bytes(e.payload, static_cast<std::uint64_t>(e.kind) + 1);
    }

private:
    enum class reply_kind : std::uint8_t { done, redirect, retry };
    struct reply_record {
        std::size_t client;
        std::uint64_t seq;
        reply_kind kind;
        check::kv_output output;
        node_id leader;
    };
    struct slot {
        std::unique_ptr<node_type> node;
        std::optional<storage_type> saved;  ///< durable storage while the node is down
        std::int64_t skew_ppm = 0;
        std::uint64_t rate_since_global = 0;  ///< when the current rate began (virtual time)
        std::uint64_t rate_since_local = 0;   ///< the node's clock then
        time_point deadline = time_never;
        std::uint64_t timer_at = 0;
        std::uint64_t timer_generation = 0;
        bool timer_pending = false;
        bool sync_pending = false;
        std::uint64_t incarnation = 0;
        std::uint64_t paused_until = 0;
        std::uint64_t reported_leader_term = 0;
        log_index reported_commit{};
        log_index last_applied{};
    };
    struct flight {
        node_id from, to;
        message_type message;
        std::vector<borrowed_type> entries;
        std::vector<std::byte> bytes;
        std::uint32_t refs = 0;
        bool cancelled = false;
        std::uint64_t recorded = 0;  ///< the recorder's id of the message
    };
    struct client_state {
        std::uint32_t target = 1;
        std::uint64_t seq = 0;
        bool waiting = false;
        bool final_read = false;
        check::op_id op{};
        std::string encoded;
        std::uint64_t generation = 0;
        std::size_t retries = 0;
    };
    struct recorded {
        event e;
        message_info info;
        std::uint32_t from = 0;
    };

    // ---- dispatch ----------------------------------------------------------------------------

    void dispatch(const event& e) {
        switch (e.kind) {
            case event_kind::deliver: return on_deliver(e);
            case event_kind::timer: return on_timer(e);
            case event_kind::storage_sync: return on_sync(e);
            case event_kind::crash: return on_crash(e.node);
            case event_kind::restart: return on_restart(e.node);
            case event_kind::pause: return start_pause(e.node, e.ref);
            case event_kind::fault: return schedule_next_fault();
            case event_kind::partition: return on_partition(e.ref);
            case event_kind::heal: return on_heal();
            case event_kind::client_wake: return on_client_wake(e);
            case event_kind::client_reply: return on_client_reply(e.ref);
            case event_kind::request: return on_request(e);
            case event_kind::quiesce: return on_quiesce();
            case event_kind::churn: return on_churn();
        }
    }

    bool up(std::uint32_t n) const noexcept { return static_cast<bool>(nodes_[n].node); }

    /// A paused node takes nothing until it resumes: the event waits.
    bool deferred(const event& e) {
        const slot& s = nodes_[e.node];
        if (s.paused_until <= now_) return false;
        queue_.at(s.paused_until, e.kind, e.node, e.ref);
        return true;
    }

    void on_deliver(const event& e) {
        const auto f = static_cast<std::uint32_t>(e.ref);
        flight& fl = flights_[f];
        if (fl.cancelled || !up(fl.to.value) || blocked(fl.from.value, fl.to.value)) {
            ++result_.dropped;
            if (recorder_)
                recorder_->delivered(now_, fl.recorded,
                                     fl.cancelled          ? delivery::cancelled
                                     : !up(fl.to.value)    ? delivery::receiver_down
                                                           : delivery::partitioned);
            release_flight(f);
            return;
        }
        if (deferred(e)) return;
        if (recorder_) recorder_->delivered(now_, fl.recorded, delivery::delivered);
        // The handler may send, and so grow flights_: hand it a copy of the message (its
        // borrowed entries live in the flight's own buffer, which a move keeps in place).
        const message_type message = fl.message;
        nodes_[e.node].node->on(message);
        release_flight(f);
        after_step(e.node);
    }

    void on_timer(const event& e) {
        slot& s = nodes_[e.node];
        if (!up(e.node) || e.ref != s.timer_generation) return;
        if (deferred(e)) return;
        s.timer_pending = false;
        if (s.deadline == time_never) return;
        const std::uint64_t due = global_time_of(node_id{e.node}, s.deadline);
        if (due > now_) {  // re-armed later since this event was scheduled
            s.timer_pending = true;
            s.timer_at = due;
            queue_.at(due, event_kind::timer, e.node, ++s.timer_generation);
            return;
        }
        s.node->on(timeout{});
        after_step(e.node);
    }

    void on_sync(const event& e) {
        slot& s = nodes_[e.node];
        if (!up(e.node) || e.ref != s.incarnation) return;
        if (deferred(e)) return;
        s.sync_pending = false;
        Protocol::complete_writes(*this, node_id{e.node}, s.node->storage());
        s.node->on(writes_durable{});
        after_step(e.node);
    }

    void after_step(std::uint32_t n) {
        slot& s = nodes_[n];
        if (!s.node) return;
        const node_type& node = *s.node;
        if (Protocol::is_leader(node) && Protocol::term_of(node) != s.reported_leader_term) {
            s.reported_leader_term = Protocol::term_of(node);
            ++result_.elections;
            Protocol::became_leader(*this, node_id{n}, node);
            if (options_.faults.one_slow_clock) {
                // Adversarial clocks: the new leader's clock slows down, every other runs fast.
                const auto skew = static_cast<std::int64_t>(rates_.skew_ppm);
                for (std::uint32_t i = 1; i < nodes_.size(); ++i) set_skew(i, i == n ? -skew : skew);
            }
            note("n" + std::to_string(n) + " becomes leader (" + Protocol::term_word() + " " +
                 std::to_string(s.reported_leader_term) + ")");
            if (!quiesced_ && chance(rates_.election_crash_ppm)) {
                crash_now(n, "right after winning");
                return;
            }
        }
        Protocol::observe(*this, node_id{n}, node);
        if (options_.compact_every) Protocol::maybe_compact(*s.node, options_.compact_every);
        const log_index c = Protocol::commit_of(node);
        if (c.value > result_.committed) {
            if (options_.timeline && c.value / 100 > result_.committed / 100)
                note("commit index reaches " + std::to_string(c.value / 100 * 100) + " (n" +
                     std::to_string(n) + ")");
            result_.committed = c.value;
        }
        const bool advanced = s.reported_commit < c;
        s.reported_commit = c;
        if (recorder_) recorder_->node_state(now_, node_id{n}, &node);
        if (advanced && Protocol::is_leader(node) && !quiesced_ && chance(rates_.commit_crash_ppm)) {
            crash_now(n, "right after committing " + std::to_string(c.value));
        }
    }

    /// Crashes `n` before anything it sent while handling this event leaves the process.
    void crash_now(std::uint32_t n, const std::string& when) {
        for (std::uint32_t f : step_flights_)
            if (flights_[f].from.value == n) flights_[f].cancelled = true;
        on_crash(n, " " + when);
    }

    // ---- faults ------------------------------------------------------------------------------

    void schedule_next_fault() {
        // One fault process: the next fault after a geometric gap with the combined rate.
        const std::uint64_t rate =
            rates_.partition_ppm + rates_.crash_ppm + rates_.pause_ppm + rates_.power_loss_ppm;
        if (rate == 0) return;
        const std::uint64_t gap = uniform(random_, 1, 2'000'000 / rate);
        const std::uint64_t at = now_ + gap;
        if (at >= options_.faults.fault_ticks) return;
        const std::uint64_t pick = uniform(random_, 1, rate);
        const auto n = static_cast<std::uint32_t>(uniform(random_, 1, options_.nodes));
        if (pick <= rates_.partition_ppm) {
            queue_.at(at, event_kind::partition, 0, uniform(random_, 0, 3));
        } else if (pick <= rates_.partition_ppm + rates_.crash_ppm) {
            queue_.at(at, event_kind::crash, n, 0);
        } else if (pick <= rates_.partition_ppm + rates_.crash_ppm + rates_.power_loss_ppm) {
            queue_.at(at, event_kind::crash, 0, 0);  // node 0: every node
        } else {
            queue_.at(at, event_kind::pause, n, at + options_.faults.pause_ticks.draw(random_));
        }
        queue_.at(at, event_kind::fault, 0, 0);  // then draw the one after
    }

    void on_partition(std::uint64_t kind) {
        if (quiesced_) return;
        ++result_.partitions;
        std::fill(blocked_.begin(), blocked_.end(), false);
        const std::size_t n = options_.nodes;
        std::string what;
        if (kind == 0) {  // random halves
            std::vector<bool> side(n + 1);
            for (std::size_t i = 1; i <= n; ++i) side[i] = uniform(random_, 0, 1) == 1;
            for (std::size_t a = 1; a <= n; ++a)
                for (std::size_t b = 1; b <= n; ++b)
                    if (side[a] != side[b]) block(a, b);
            what = "splits the cluster in two";
        } else if (kind == 1 || kind == 2) {  // isolate one node, or the leader
            std::uint32_t victim = static_cast<std::uint32_t>(uniform(random_, 1, n));
            if (kind == 2)
                for (std::uint32_t i = 1; i <= n; ++i)
                    if (up(i) && Protocol::is_leader(*nodes_[i].node)) victim = i;
            for (std::size_t b = 1; b <= n; ++b) {
                block(victim, b);
                block(b, victim);
            }
            what = (kind == 2 ? "isolates the leader n" : "isolates n") + std::to_string(victim);
        } else {  // one-way: a node can send but not receive
            const auto victim = static_cast<std::uint32_t>(uniform(random_, 1, n));
            for (std::size_t b = 1; b <= n; ++b) block(b, victim);
            what = "cuts every link into n" + std::to_string(victim) + " (one way)";
        }
        note("partition " + what);
        if (recorder_) {
            std::vector<std::pair<std::uint32_t, std::uint32_t>> links;
            for (std::uint32_t a = 1; a <= n; ++a)
                for (std::uint32_t b = 1; b <= n; ++b)
                    if (blocked(a, b)) links.emplace_back(a, b);
            recorder_->partition(now_, what, links);
        }
        queue_.at(now_ + options_.faults.partition_ticks.draw(random_), event_kind::heal, 0, 0);
    }

    void on_heal() {
        if (std::find(blocked_.begin(), blocked_.end(), true) != blocked_.end()) {
            note("partition heals");
            if (recorder_) recorder_->heal(now_);
        }
        std::fill(blocked_.begin(), blocked_.end(), false);
    }

    void start_pause(std::uint32_t n, std::uint64_t until) {
        if (quiesced_ || !up(n)) return;
        nodes_[n].paused_until = std::max(nodes_[n].paused_until, until);
        if (recorder_) recorder_->paused(now_, node_id{n}, nodes_[n].paused_until);
        note("n" + std::to_string(n) + " pauses for " + std::to_string(until - now_) + "ms");
    }

    void on_crash(std::uint32_t n, const std::string& when = {}) {
        if (n == 0) {
            note("power loss: every node crashes");
            for (std::uint32_t i = 1; i < nodes_.size(); ++i) on_crash(i, " in a power loss");
            return;
        }
        if (quiesced_ || !up(n)) return;
        ++result_.crashes;
        slot& s = nodes_[n];
        storage_type st = s.node->storage();
        std::size_t torn = 0;
        if (chance(rates_.torn_ppm)) torn = uniform(random_, 1, 8);
        Protocol::crash(st, torn);
        s.saved.emplace(std::move(st));
        s.node.reset();
        s.timer_pending = false;
        s.sync_pending = false;
        s.deadline = time_never;
        ++s.timer_generation;
        ++s.incarnation;
        s.paused_until = 0;
        note("n" + std::to_string(n) + " crashes" + when +
             (torn ? " (tearing its last write)" : ""));
        if (recorder_) {
            recorder_->crashed(now_, node_id{n}, when, torn != 0);
            recorder_->node_state(now_, node_id{n}, nullptr);
        }
        queue_.at(now_ + options_.faults.down_ticks.draw(random_), event_kind::restart, n, 0);
    }

    void on_restart(std::uint32_t n) {
        slot& s = nodes_[n];
        if (up(n) || !s.saved) return;
        storage_type st = std::move(*s.saved);
        s.saved.reset();
        s.reported_leader_term = 0;
        s.reported_commit = log_index{};
        s.last_applied = log_index{};
        Protocol::restarted(*this, node_id{n}, st);
        s.node = Protocol::make(*this, node_id{n}, std::move(st));
        note("n" + std::to_string(n) + " restarts from its durable state");
        after_step(n);
    }

    void on_quiesce() {
        quiesced_ = true;
        quiesce_time_ = now_;
        if (recorder_) {
            if (std::find(blocked_.begin(), blocked_.end(), true) != blocked_.end())
                recorder_->heal(now_);
            recorder_->quiesced(now_);
        }
        std::fill(blocked_.begin(), blocked_.end(), false);
        for (std::uint32_t i = 1; i < nodes_.size(); ++i) {
            nodes_[i].paused_until = 0;
            if (!up(i)) on_restart(i);
        }
        note("faults stop; the cluster must settle and finish every operation");
    }

    /// Membership churn: the newest leader is asked for a random change (which it may refuse:
    /// a change in progress, a learner not caught up); then the next attempt is drawn.
    void on_churn() {
        if (quiesced_) return;
        std::uint32_t leader = 0;
        for (std::uint32_t i = 1; i < nodes_.size(); ++i)
            if (up(i) && Protocol::is_leader(*nodes_[i].node) &&
                (!leader || Protocol::term_of(*nodes_[leader].node) < Protocol::term_of(*nodes_[i].node)))
                leader = i;
        if (leader && nodes_[leader].paused_until <= now_) {
            if constexpr (requires(node_type& n) { Protocol::change_membership(n, options_.nodes, random_); }) {
                const std::string what = Protocol::change_membership(*nodes_[leader].node, options_.nodes, random_);
                if (!what.empty()) {
                    ++result_.config_changes;
                    note("n" + std::to_string(leader) + " starts a membership change: " + what);
                }
                after_step(leader);
            }
        }
        const std::uint64_t t = options_.faults.churn_ticks;
        queue_.at(now_ + uniform(random_, t / 2, t + t / 2), event_kind::churn, 0, 0);
    }

    // ---- clients -----------------------------------------------------------------------------

    void on_client_wake(const event& e) {
        const std::size_t c = e.ref >> 32;
        client_state& cl = clients_[c];
        const std::uint64_t generation = e.ref & 0xffffffffULL;
        if (cl.waiting) {
            if (generation != (cl.generation & 0xffffffffULL)) return;  // a stale timeout
            // Timed out: try the next node with the same request (same sequence number).
            record_client(c, client_step::timeout, node_id{cl.target});
            ++cl.retries;
            cl.target = static_cast<std::uint32_t>(cl.target % options_.nodes + 1);
            send_request(c);
            return;
        }
        if (issued_ >= options_.ops) return;
        ++issued_;
        issue(c, random_input());
    }

    check::kv_input random_input() {
        const auto key = static_cast<check::kv_key>(uniform(random_, 0, options_.keys - 1));
        const std::string value = "v" + std::to_string(++values_);
        switch (uniform(random_, 0, 9)) {
            case 0: case 1: case 2: return check::kv_input::get(key);
            case 3: case 4: case 5: return check::kv_input::put(key, value);
            case 6: case 7: return check::kv_input::append(key, value);
            default: {
                // Compare-and-set against a recent value, so that some succeed.
                const std::string expected = "v" + std::to_string(values_ > 3 ? values_ - uniform(random_, 1, 3) : 1);
                return check::kv_input::cas(key, expected, value);
            }
        }
    }

    void issue(std::size_t c, check::kv_input in) {
        client_state& cl = clients_[c];
        if (options_.spread_reads && in.kind == check::op_kind::get)
            cl.target = static_cast<std::uint32_t>(uniform(random_, 1, options_.nodes));
        cl.op = history_.invoke(check::client_id{static_cast<std::uint32_t>(c + 1)}, in, now_);
        ++cl.seq;
        cl.waiting = true;
        cl.retries = 0;
        cl.encoded.clear();
        check::kv_encode(check::kv_command{check::client_id{static_cast<std::uint32_t>(c + 1)},
                                           cl.seq, std::move(in)},
                         cl.encoded);
        send_request(c);
    }

    void send_request(std::size_t c) {
        client_state& cl = clients_[c];
        ++cl.generation;
        queue_.at(now_ + options_.faults.delay_ticks.draw(random_), event_kind::request, cl.target,
                  (std::uint64_t{c} << 32) | (cl.seq & 0xffffffffULL));
        queue_.at(now_ + options_.client_timeout, event_kind::client_wake, 0,
                  (std::uint64_t{c} << 32) | (cl.generation & 0xffffffffULL));
    }

    void on_request(const event& e) {
        const std::size_t c = e.ref >> 32;
        client_state& cl = clients_[c];
        if (!cl.waiting || (cl.seq & 0xffffffffULL) != (e.ref & 0xffffffffULL)) return;
        if (!up(e.node)) return;  // lost: the client times out
        if (deferred(e)) return;
        record_client(c, client_step::request, node_id{e.node});
        node_type& n = *nodes_[e.node].node;
        const bool is_get = history_[cl.op].input.kind == check::op_kind::get;
        const auto r = (is_get && options_.read_path != options::reads::log)
                           ? Protocol::read(n, (std::uint64_t{c} << 32) | (cl.seq & 0xffffffffULL),
                                            options_.read_path == options::reads::lease)
                           : Protocol::propose(n, cl.encoded);
        if (!r) {
            if (r.error() == errc::not_leader) {
                reply(c, cl.seq, reply_kind::redirect, {}, Protocol::leader_hint(n));
            } else {
                reply(c, cl.seq, reply_kind::retry, {}, no_node);
            }
        }
        after_step(e.node);
    }

    void record_client(std::size_t c, client_step what, node_id n) {
        if (recorder_)
            recorder_->client(now_, static_cast<std::uint32_t>(c + 1), clients_[c].op, what, n);
    }

    void reply(std::size_t c, std::uint64_t seq, reply_kind kind, check::kv_output out, node_id leader) {
        replies_.push_back(reply_record{c, seq, kind, std::move(out), leader});
        queue_.at(now_ + options_.faults.delay_ticks.draw(random_), event_kind::client_reply, 0,
                  replies_.size() - 1);
    }

    void on_client_reply(std::uint64_t r) {
        const reply_record& rep = replies_[r];
        client_state& cl = clients_[rep.client];
        if (!cl.waiting || cl.seq != rep.seq) return;
        switch (rep.kind) {
            case reply_kind::done:
                history_.complete(cl.op, rep.output, now_);
                cl.waiting = false;
                ++completed_;
                queue_.at(now_ + uniform(random_, 0, options_.think_ticks), event_kind::client_wake, 0,
                          rep.client << 32);
                return;
            case reply_kind::redirect:
                record_client(rep.client, client_step::redirect, rep.leader);
                cl.target = rep.leader ? rep.leader.value
                                       : static_cast<std::uint32_t>(cl.target % options_.nodes + 1);
                break;
            case reply_kind::retry:
                record_client(rep.client, client_step::retry, no_node);
                break;
        }
        // Ask again after a short back-off (the leader may still be settling).
        ++cl.generation;
        const std::size_t c = rep.client;
        const std::uint64_t seq = cl.seq;
        queue_.at(now_ + uniform(random_, 5, 30), event_kind::request, cl.target,
                  (std::uint64_t{c} << 32) | (seq & 0xffffffffULL));
        queue_.at(now_ + options_.client_timeout, event_kind::client_wake, 0,
                  (std::uint64_t{c} << 32) | (cl.generation & 0xffffffffULL));
    }

    void issue_final_reads() {
        // Durability: once everything settled, every key is read back through the log, so the
        // linearizability check also covers "every acknowledged write survived".
        final_reads_issued_ = true;
        for (std::size_t k = 0; k < options_.keys; ++k) {
            const std::size_t c = k % clients_.size();
            final_reads_.push_back({c, static_cast<check::kv_key>(k)});
        }
        pump_final_reads();
    }
    void pump_final_reads() {
        for (std::size_t c = 0; c < clients_.size(); ++c) {
            if (clients_[c].waiting) continue;
            for (auto it = final_reads_.begin(); it != final_reads_.end(); ++it) {
                if (it->first != c) continue;
                const check::kv_key key = it->second;
                final_reads_.erase(it);
                issue(c, check::kv_input::get(key));
                break;
            }
        }
    }

    bool all_done() {
        if (final_reads_issued_) pump_final_reads();
        if (issued_ < options_.ops) return false;
        for (const client_state& c : clients_)
            if (c.waiting) return false;
        return !final_reads_issued_ || final_reads_.empty();
    }

    std::string stall_description() const {
        std::size_t waiting = 0;
        for (const client_state& c : clients_) waiting += c.waiting ? 1 : 0;
        std::uint32_t leader = 0;
        for (std::uint32_t i = 1; i < nodes_.size(); ++i)
            if (up(i) && Protocol::is_leader(*nodes_[i].node)) leader = i;
        std::string nodes;
        if constexpr (requires(const node_type& n) { Protocol::describe_node(n); }) {
            for (std::uint32_t i = 1; i < nodes_.size(); ++i)
                nodes += "; n" + std::to_string(i) + " " +
                         (up(i) ? Protocol::describe_node(*nodes_[i].node) : std::string{"down"});
        }
        return std::to_string(waiting) + " client operations still pending and " +
               (leader ? "leader n" + std::to_string(leader) : std::string{"no leader"}) + nodes;
    }

    // ---- the end -------------------------------------------------------------------------------

    void finish() {
        result_.seed = options_.seed;
        result_.virtual_ticks = now_;
        result_.ops_completed = completed_;
        result_.ops_open = history_.size() - completed_;
        std::optional<check::check_result> lin;
        if (!failed() && options_.check_linearizability) {
            lin = check::check_linearizability(history_);
            result_.linearizable = lin->outcome == check::verdict::linearizable;
            if (lin->outcome == check::verdict::not_linearizable)
                fail("linearizability: " + lin->explanation);
        }
        if (failed()) result_.last_events = describe_recent();
        if (recorder_) recorder_->finished(result_, history_, lin ? &*lin : nullptr);
    }

    bool failed() const noexcept { return !result_.ok; }
    void fail(std::string why, node_id node = no_node, node_id other = no_node) {
        if (!result_.ok) return;
        result_.ok = false;
        result_.failure = std::move(why);
        if (recorder_) recorder_->failed(now_, result_.failure, node, other);
    }

    // ---- plumbing ------------------------------------------------------------------------------

    bool chance(std::uint64_t ppm) { return ppm != 0 && uniform(random_, 0, 999'999) < ppm; }
    void block(std::size_t from, std::size_t to) {
        if (from != to) blocked_[from * (options_.nodes + 1) + to] = true;
    }
    bool blocked(std::size_t from, std::size_t to) const {
        return blocked_[from * (options_.nodes + 1) + to];
    }

    static std::uint64_t local_at(const slot& s, std::uint64_t g) noexcept {
        const auto d = static_cast<std::int64_t>(g - s.rate_since_global);
        return static_cast<std::uint64_t>(static_cast<std::int64_t>(s.rate_since_local) + d +
                                          d * s.skew_ppm / 1'000'000);
    }

    /// The first virtual time (not before now) at which node `n`'s clock reads `local`.
    std::uint64_t global_time_of(node_id n, time_point local) const noexcept {
        const slot& s = nodes_[n.value];
        if (local.value <= local_at(s, now_)) return now_;
        const auto want = static_cast<std::int64_t>(local.value - s.rate_since_local);
        std::int64_t d = want * 1'000'000 / (1'000'000 + s.skew_ppm);
        while (d + d * s.skew_ppm / 1'000'000 < want) ++d;
        while (d > 0 && (d - 1) + (d - 1) * s.skew_ppm / 1'000'000 >= want) --d;
        return std::max(now_, s.rate_since_global + static_cast<std::uint64_t>(d));
    }

    /// Changes node `n`'s clock rate from now on, keeping its clock continuous.
    void set_skew(std::uint32_t n, std::int64_t skew_ppm) {
        slot& s = nodes_[n];
        s.rate_since_local = local_at(s, now_);
        s.rate_since_global = now_;
        s.skew_ppm = skew_ppm;
        if (s.node && s.timer_pending) {  // the pending deadline now falls at another time
            s.timer_pending = false;
            arm(node_id{n}, s.deadline);
        }
    }

    std::uint32_t allocate_flight(node_id from, node_id to, const message_type& m) {
        std::uint32_t f;
        if (!free_flights_.empty()) {
            f = free_flights_.back();
            free_flights_.pop_back();
        } else {
            f = static_cast<std::uint32_t>(flights_.size());
            flights_.emplace_back();
        }
        flight& fl = flights_[f];
        fl.from = from;
        fl.to = to;
        fl.message = m;
        const auto borrowed = Protocol::borrowed(m);
        fl.entries.assign(borrowed.begin(), borrowed.end());
        Protocol::rebind(fl.message, std::span<const borrowed_type>{fl.entries});
        if constexpr (borrowing_bytes_message<message_type>) {
            const auto b = borrowed_bytes(m);
            fl.bytes.assign(b.begin(), b.end());
            rebind_bytes(fl.message, std::span<const std::byte>{fl.bytes});
        }
        fl.refs = 0;
        fl.cancelled = false;
        return f;
    }
    void schedule_delivery(std::uint64_t at, std::uint32_t f) {
        ++flights_[f].refs;
        queue_.at(at, event_kind::deliver, flights_[f].to.value, f);
    }
    void release_flight(std::uint32_t f) {
        if (--flights_[f].refs == 0) free_flights_.push_back(f);
    }

    void record(const event& e) {
        last_event_ = e;
        recorded r{e, {}, 0};
        if (e.kind == event_kind::deliver) {
            const flight& fl = flights_[e.ref];
            r.info = Protocol::describe(fl.message);
            r.from = fl.from.value;
        }
        std::uint64_t h = result_.trace_hash;
        h = check::detail::hash_combine(h, e.time);
        h = check::detail::hash_combine(h, (static_cast<std::uint64_t>(e.kind) << 32) | e.node);
        h = check::detail::hash_combine(h, (std::uint64_t{r.from} << 32) | r.info.term);
        result_.trace_hash = h;
        recent_[recent_next_++ % recent_.size()] = r;
        if (options_.trace) write_trace(r);
    }

    static const char* kind_name(event_kind k) noexcept {
        switch (k) {
            case event_kind::deliver: return "deliver";
            case event_kind::timer: return "timer";
            case event_kind::storage_sync: return "sync";
            case event_kind::crash: return "crash";
            case event_kind::restart: return "restart";
            case event_kind::pause: return "pause";
            case event_kind::fault: return "fault";
            case event_kind::partition: return "partition";
            case event_kind::heal: return "heal";
            case event_kind::client_wake: return "client";
            case event_kind::client_reply: return "reply";
            case event_kind::request: return "request";
            case event_kind::quiesce: return "quiesce";
            case event_kind::churn: return "churn";
        }
        return "?";
    }

    std::string describe(const recorded& r) const {
        std::string s = "t=" + std::to_string(r.e.time) + " " + kind_name(r.e.kind);
        if (r.e.node) s += " n" + std::to_string(r.e.node);
        if (r.e.kind == event_kind::deliver)
            s += std::string{" "} + r.info.type + " from n" + std::to_string(r.from) + " " +
                 Protocol::term_word() + " " + std::to_string(r.info.term) +
                 (r.info.entries ? " entries " + std::to_string(r.info.entries) : std::string{});
        return s;
    }

    std::string describe_recent() const {
        std::string out;
        const std::size_t n = std::min<std::size_t>(recent_next_, recent_.size());
        for (std::size_t i = recent_next_ - n; i < recent_next_; ++i)
            out += "  " + describe(recent_[i % recent_.size()]) + "\n";
        return out;
    }

    void write_trace(const recorded& r) {
        std::fprintf(options_.trace, "{\"t\":%llu,\"ev\":\"%s\",\"node\":%u",
                     static_cast<unsigned long long>(r.e.time), kind_name(r.e.kind), r.e.node);
        if (r.e.kind == event_kind::deliver)
            std::fprintf(options_.trace, ",\"from\":%u,\"msg\":\"%s\",\"term\":%llu,\"entries\":%zu",
                         r.from, r.info.type, static_cast<unsigned long long>(r.info.term),
                         r.info.entries);
        std::fputs("}\n", options_.trace);
    }

    options options_;
    xoshiro256 random_;
    fault_rates rates_{};
    configuration config_;
    scheduler queue_;
    std::uint64_t now_ = 0;
    std::vector<slot> nodes_;
    std::vector<flight> flights_;
    std::vector<std::uint32_t> free_flights_;
    std::vector<std::uint32_t> step_flights_;  ///< sent during the event being handled
    std::vector<bool> blocked_;
    std::vector<client_state> clients_;
    std::vector<reply_record> replies_;
    std::vector<std::pair<std::size_t, check::kv_key>> final_reads_;
    check::history history_;
    check::cluster_observer observer_{check::observer_options{.commit_index_durable = false}};
    result result_;
    recorder<Protocol>* recorder_ = nullptr;
    event last_event_{};
    std::array<recorded, 24> recent_{};
    std::size_t recent_next_ = 0;
    std::size_t issued_ = 0;
    std::size_t completed_ = 0;
    std::uint64_t values_ = 0;
    std::uint64_t quiesce_time_ = 0;
    bool quiesced_ = false;
    bool final_reads_issued_ = false;
};

}  // namespace synod::runtime::sim

#endif
