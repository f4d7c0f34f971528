#ifndef SYNOD_RUNTIME_ASIO_NODE_HOST_HPP
#define SYNOD_RUNTIME_ASIO_NODE_HOST_HPP

/// \file
/// One consensus node as a real process: the unchanged raft::node or multi_paxos::replica with
/// the asio policies (TCP transport, steady_timer) and file WAL storage whose writes complete
/// later, driven by one io_context.
///
/// Threads: the node, its storage's in-memory state, the transport and the timer live on the
/// io_context's thread (run it from one thread only); the core is never called from two threads
/// at once. Writes go to disk on the sync thread: after every event, if the storage has pending
/// writes and no batch is being written, they leave as one batch (group commit: whatever the
/// node writes meanwhile joins the next). When the batch is synced the storage marks it durable
/// and the node gets writes_durable{} on the io_context's thread. A failed write or fsync is
/// fatal (fail-stop): logged, then on_fatal (by default the process exits with status 70);
/// nothing of that batch is ever reported durable.
///
/// Out of space (storage::wal_full: ENOSPC or EDQUOT while preallocating a segment, writing
/// records or a snapshot, never from fsync) is not fatal: the WAL undid the attempt, so the host
/// keeps the same batch and writes it again every `full_retry` until it fits. Meanwhile
/// storage_full() is true (the application should refuse new writes; synod-kv answers them
/// with an error), nothing of the batch or after it is reported durable, so nothing that needs
/// it is acknowledged, and the node keeps running: a leader still replicates, commits with its
/// followers and serves reads. Both transitions are logged, naming the file. A Raft leader
/// with features.leader_transfer also hands leadership (thesis 3.10) to a follower that has
/// durably stored entries this node could not (a disk with room), so that a cluster with one
/// full node keeps accepting writes; a follower that cannot write acknowledges nothing, so it
/// is never chosen.
///
/// Compaction: with host_options::snapshot_every = N and a state machine that takes snapshots,
/// the host calls node.compact() whenever N entries were applied since the last snapshot.
///
/// A Protocol (raft_protocol, multi_paxos_protocol below) names the node, storage and codec
/// types and how to read a node's role.

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "synod/codec/multi_paxos.hpp"
#include "synod/codec/raft.hpp"
#include "synod/core/configuration.hpp"
#include "synod/core/random.hpp"
#include "synod/paxos/multi_paxos.hpp"
#include "synod/raft/node.hpp"
#include "synod/runtime/asio/log.hpp"
#include "synod/runtime/asio/sync_thread.hpp"
#include "synod/runtime/asio/timer.hpp"
#include "synod/runtime/asio/transport.hpp"
#include "synod/storage/file_storage.hpp"

namespace synod::runtime::asio {

/// What a node is doing, for logs and status.
struct node_status {
    std::string role;        ///< "follower", "candidate", "leader", ...
    std::uint64_t term = 0;  ///< Raft term or Paxos ballot round
    node_id leader{};
    friend bool operator==(const node_status&, const node_status&) = default;
};

/// The Raft features a host uses unless told otherwise: pre-vote and check-quorum, and
/// ReadIndex (linearizable reads without a log entry) when the state machine can serve reads,
/// that is has `on_read(const raft::read_ready&)`.
template <class StateMachine>
constexpr raft::features default_raft_features() {
    return raft::features{
        .pre_vote = true,
        .check_quorum = true,
        .read_index = requires(StateMachine& sm, const raft::read_ready& r) { sm.on_read(r); },
    };
}

/// Raft with payload P and state machine SM on the asio runtime.
template <class Payload, class StateMachine,
          raft::features Features = default_raft_features<StateMachine>()>
struct raft_protocol {
    using codec_type = codec::raft_codec<Payload>;
    using storage_type = storage::file_log<Payload>;
    using settings_type = raft::settings;
    static constexpr const char* name = "raft";
    struct traits {
        using payload = Payload;
        using storage = storage_type;
        using transport = asio::transport<codec_type>;
        using timer = asio::timer;
        using random = xoshiro256;
        using state_machine = StateMachine;
        static constexpr raft::features features = Features;
        /// Acknowledgements wait here for fsync: many arrive during one sync under load.
        static constexpr std::size_t outbox_capacity = 512;
    };
    using node_type = raft::node<traits>;

    static node_status status(const node_type& n) {
        return {raft::to_string(n.role()), n.term().value, n.leader()};
    }
};

/// Multi-Paxos with payload P and state machine SM on the asio runtime.
template <class Payload, class StateMachine>
struct multi_paxos_protocol {
    using codec_type = codec::multi_paxos_codec<Payload, multi_paxos::snapshot_type_of<StateMachine>>;
    using storage_type = storage::file_paxos_log<Payload, multi_paxos::snapshot_type_of<StateMachine>>;
    using settings_type = multi_paxos::settings;
    static constexpr const char* name = "multipaxos";
    struct traits {
        using payload_type = Payload;
        using storage = storage_type;
        using transport = asio::transport<codec_type>;
        using timer = asio::timer;
        using random = xoshiro256;
        using state_machine = StateMachine;
        using quorum = majority;
    };
    using node_type = multi_paxos::replica<traits>;

    static node_status status(const node_type& n) {
        const char* role = n.current_role() == multi_paxos::role::leader      ? "leader"
                           : n.current_role() == multi_paxos::role::candidate ? "candidate"
                                                                              : "follower";
        return {role, n.current_ballot().round, n.leader()};
    }
};

/// How a node_host is set up.
template <class Protocol>
struct host_options {
    node_id self;
    configuration config;
    typename Protocol::settings_type settings{};
    network_options network;   ///< network.self and network.peers must name this cluster
    storage::wal_options wal;  ///< wal.log defaults to the host's logger
    logger log;
    /// Called after a failed write or fsync has been logged; must not return to the node. The
    /// default exits the process with status 70 at once (no destructors: fail-stop).
    std::function<void(const std::string&)> on_fatal;
    /// Called on the io thread after every event (message, timeout, durability), e.g. to answer
    /// clients; what it writes joins the next storage batch. Optional.
    std::function<void()> after_event;
    /// Take a snapshot and compact the log whenever this many entries were applied since the
    /// last snapshot; 0 never. Needs a state machine that takes snapshots (else ignored).
    std::uint64_t snapshot_every = 0;
    /// While the disk is full, how often the host tries to write the waiting batch again.
    std::chrono::milliseconds full_retry{1000};
};

/// One node, its transport, timer and storage, on an io_context.
template <class Protocol>
class node_host {
public:
    using node_type = typename Protocol::node_type;
    using storage_type = typename Protocol::storage_type;
    using codec_type = typename Protocol::codec_type;

    /// Recovers the storage (throws storage::wal_error if it refuses to start) and builds the
    /// node; nothing runs until start().
    template <class StateMachine>
    node_host(boost::asio::io_context& io, host_options<Protocol> options, StateMachine sm)
        : io_{io}, options_{std::move(options)}, timer_{io}, full_timer_{io}, sync_{io} {
        if (!options_.wal.log) options_.wal.log = [l = options_.log](const std::string& s) { l(s); };
        if (!options_.on_fatal)
            options_.on_fatal = [](const std::string&) { std::_Exit(70); };
        network_ = std::make_unique<peer_network<codec_type>>(
            io, options_.network, options_.log,
            [this](typename codec_type::owned&& m) { on_message(std::move(m)); });
        timer_.on_fire = [this] {
            node_->on(timeout{});
            after_event();
        };
        std::random_device rd;
        const std::uint64_t seed = (std::uint64_t{rd()} << 32) ^ rd();
        node_.emplace(options_.self, options_.config, options_.settings,
                      storage_type{options_.wal}, asio::transport<codec_type>{network_.get()},
                      asio::timer{&timer_}, xoshiro256{seed}, std::move(sm));
        status_ = Protocol::status(*node_);
        options_.log(std::string{"started as "} + status_.role + " (" + Protocol::name + ", " +
                     (options_.wal.sync ? "fsync on" : "fsync off") + ")");
    }
    node_host(const node_host&) = delete;
    node_host& operator=(const node_host&) = delete;
    ~node_host() { stop(); }

    /// Opens the peer port and connects to the peers.
    void start() {
        network_->start();
        boost::asio::post(io_, [this] { after_event(); });
    }

    /// Stops timers and connections (the io_context may then run out of work).
    void stop() {
        if (stopped_) return;
        stopped_ = true;
        timer_.stop();
        full_timer_.cancel();
        network_->stop();
    }

    node_type& node() noexcept { return *node_; }
    const node_type& node() const noexcept { return *node_; }
    const peer_network<codec_type>& network() const noexcept { return *network_; }
    node_status status() const { return Protocol::status(*node_); }
    const logger& log() const noexcept { return options_.log; }
    /// Batches written so far (for INFO and tests).
    std::uint64_t batches_written() const noexcept { return batches_; }
    /// True while a batch waits for disk space (see the file comment).
    bool storage_full() const noexcept { return full_; }
    /// The last out-of-space error (empty if none yet), naming the file.
    const std::string& storage_full_error() const noexcept { return full_error_; }
    /// Snapshots this host had the node take (compaction), since start.
    std::uint64_t snapshots_taken() const noexcept { return snapshots_; }

    /// Call after driving the node directly (a proposal): logs a role change, compacts if due,
    /// runs options.after_event, and starts a storage batch if one is due.
    void after_event() {
        if (stopped_) return;
        note_status();
        maybe_hand_over();
        maybe_compact();
        if (options_.after_event) options_.after_event();
        maybe_sync();
    }

private:
    void on_message(typename codec_type::owned&& m) {
        if (stopped_) return;
        node_->on(m.message);
        after_event();
    }

    void note_status() {
        const node_status s = Protocol::status(*node_);
        if (s == status_) return;
        if (s.role != status_.role || s.term != status_.term)
            options_.log("role: " + s.role + " in " +
                         (std::string{Protocol::name} == "raft" ? "term " : "ballot ") +
                         std::to_string(s.term) + " (was " + status_.role + " in " +
                         std::to_string(status_.term) + ")" +
                         (s.leader ? "; leader is node " + std::to_string(s.leader.value) : ""));
        else if (s.leader != status_.leader && s.leader)
            options_.log("leader is node " + std::to_string(s.leader.value) + " in " +
                         std::to_string(s.term));
        status_ = s;
    }

    /// Compaction (Raft 7, PMMC's state reduction) every snapshot_every applied entries. Not
    /// while the disk is full: the snapshot could not be written either.
    void maybe_compact() {
        if constexpr (requires(node_type& n) { n.compact(); }) {
            if (options_.snapshot_every == 0 || full_) return;
            const std::uint64_t applied = node_->applied_index().value;
            const std::uint64_t base = node_->storage().snapshot_index().value;
            if (applied < base + options_.snapshot_every) return;
            node_->compact();
            ++snapshots_;
            options_.log("compaction: snapshot at index " + std::to_string(applied) + " (" +
                         std::to_string(node_->storage().snapshot_index().value - base) +
                         " entries since the last)");
        }
    }

    /// A full leader hands leadership to the follower holding the most entries beyond what
    /// this node could make durable, if any (see the file comment).
    void maybe_hand_over() {
        if constexpr (requires(node_type& n) { n.transfer_leadership(node_id{}); }) {
            if (!full_ || !node_->is_leader() || node_->transfer_target()) return;
            node_id best = no_node;
            log_index best_match = node_->durable_index();
            for (const node_id n : node_->config().voters) {
                if (n == options_.self) continue;
                const auto* pr = node_->progress_of(n);
                if (pr && best_match < pr->match) {
                    best = n;
                    best_match = pr->match;
                }
            }
            if (!best || !node_->transfer_leadership(best)) return;
            // A transfer that does not complete is aborted after an election timeout and tried
            // again: log the first attempt per target, then every 20th.
            if (best != hand_over_target_ || ++hand_over_attempts_ % 20 == 0)
                options_.log("storage full: handing leadership to node " +
                             std::to_string(best.value) + ", which stored entries through " +
                             std::to_string(best_match.value) + " (this node: through " +
                             std::to_string(node_->durable_index().value) + ")");
            if (best != hand_over_target_) hand_over_attempts_ = 0;
            hand_over_target_ = best;
        }
    }

    void maybe_sync() {
        storage_type& st = node_->storage();
        if (syncing_ || !st.has_pending()) return;
        syncing_ = true;
        write(std::make_shared<storage::wal_batch>(st.take_batch()));
    }

    void write(std::shared_ptr<storage::wal_batch> batch) {
        storage::wal* w = &node_->storage().wal();
        sync_.submit([w, batch] { w->write(*batch); },
                     [this, batch](std::exception_ptr error) { synced(batch, error); });
    }

    void synced(const std::shared_ptr<storage::wal_batch>& batch, std::exception_ptr error) {
        if (error) {
            std::string what = "unknown error";
            bool full = false;
            try {
                std::rethrow_exception(error);
            } catch (const storage::wal_full& e) {
                what = e.what();
                full = true;
            } catch (const std::exception& e) {
                what = e.what();
            } catch (...) {
            }
            if (full && !stopped_) {
                out_of_space(batch, what);
                return;
            }
            options_.log("FATAL: storage write failed: " + what +
                         "; stopping (fail-stop: the batch is not durable and is never acknowledged)");
            stop();
            options_.on_fatal(what);
            return;
        }
        ++batches_;
        syncing_ = false;
        if (full_) {
            full_ = false;
            options_.log("storage: the waiting batch is written after " +
                         std::to_string(full_attempts_) + " attempts; accepting writes again");
            full_attempts_ = 0;
        }
        if (stopped_) return;
        node_->storage().completed(*batch);
        node_->on(writes_durable{});
        after_event();
    }

    /// The disk is full: keep the batch (the WAL undid the attempt) and try again later.
    void out_of_space(std::shared_ptr<storage::wal_batch> batch, const std::string& what) {
        ++full_attempts_;
        if (!full_ || what != full_error_ || full_attempts_ % 60 == 0)
            options_.log("storage full: " + what + "; " + std::to_string(full_attempts_) +
                         (full_attempts_ == 1 ? " attempt" : " attempts") +
                         "; nothing of this batch is durable or acknowledged; refusing new writes "
                         "and trying again every " + std::to_string(options_.full_retry.count()) +
                         " ms");
        full_ = true;
        full_error_ = what;
        full_timer_.expires_after(options_.full_retry);
        full_timer_.async_wait([this, batch](const boost::system::error_code& ec) {
            if (ec || stopped_) return;
            write(batch);
        });
    }

    boost::asio::io_context& io_;
    host_options<Protocol> options_;
    deadline_timer timer_;
    std::unique_ptr<peer_network<codec_type>> network_;
    std::optional<node_type> node_;
    node_status status_;
    bool syncing_ = false;
    bool stopped_ = false;
    bool full_ = false;
    std::string full_error_;
    std::uint64_t full_attempts_ = 0;
    node_id hand_over_target_{};
    std::uint64_t hand_over_attempts_ = 0;
    std::uint64_t batches_ = 0;
    std::uint64_t snapshots_ = 0;
    boost::asio::steady_timer full_timer_;
    sync_thread sync_;
};

}  // namespace synod::runtime::asio

#endif
