#ifndef SYNOD_EXAMPLES_KV_SERVER_HPP
#define SYNOD_EXAMPLES_KV_SERVER_HPP

// synod-kv's server: one consensus node (runtime/asio/node_host.hpp) and a Redis-protocol
// front end, on one io_context thread.
//
// Requests: PING, ECHO, GET, SET, DEL, EXISTS, INCR, MGET, INFO, plus CONFIG GET, COMMAND,
// SELECT, CLIENT, QUIT, DBSIZE and READONLY / READWRITE for the tools.
//
// Writes go through the log: the leader proposes the command and answers when it applies it.
// A follower answers "-MOVED 0 <leader's client address>" (or "-CLUSTERDOWN" while no leader
// is known).
//
// Reads (GET, MGET, EXISTS) are linearizable unless the connection sent READONLY:
//  - Raft: ReadIndex (thesis 6.4), no log entry. Reads that arrive while one ReadIndex round
//    is in flight wait and share the next round (one heartbeat round per batch). Any node
//    serves them: a follower's core asks the leader for the read index and the follower
//    answers from its own state once it has applied that far. A read that cannot be confirmed
//    (leadership changed) gets MOVED to the leader, or CLUSTERDOWN.
//  - Multi-Paxos (no read-index path in its core): through the log, like a write.
//  - A connection's requests take effect in the order it sent them: a read pipelined behind
//    an unanswered write on the same connection goes through the log after it, and a write
//    behind unanswered ReadIndex reads waits for them. `read_path` decides.
// A connection that sent READONLY reads its own node's state instead (possibly stale).
//
// Answers keep request order per connection (pipelining): each request takes a reply slot
// when it arrives, and slots are sent in order as they fill. A request whose outcome cannot be
// known within request_timeout (the leader lost its quorum) gets "-ERR timeout ..."; one whose
// log position was taken by another leader's entry gets "-ERR proposal lost ..." (it was
// definitely not executed).
//
// Compaction: the host snapshots the store every `snapshot_every` applied entries and the WAL
// deletes the segments behind it; a node that lags behind the snapshot receives it
// (InstallSnapshot). Disk full: while the host cannot write its log for want of space
// (node_host::storage_full), writes get "-ERR out of disk space ..." and reads are served.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "resp.hpp"
#include "store.hpp"
#include "synod/runtime/asio/node_host.hpp"

namespace synod_kv {

namespace rt = synod::runtime::asio;
using namespace std::chrono_literals;

/// One member of the cluster.
struct member {
    synod::node_id id;
    std::string host;
    std::uint16_t peer_port = 0;
    std::uint16_t client_port = 0;
};

struct server_options {
    synod::node_id self;
    std::vector<member> members;
    std::string bind = "127.0.0.1";
    std::uint16_t port = 0;  ///< Redis port
    std::string data_dir;
    std::uint64_t cluster_id = 1;
    bool fsync = true;
    std::chrono::milliseconds election_timeout{300};
    std::chrono::milliseconds heartbeat{50};
    std::chrono::milliseconds request_timeout{5000};
    std::chrono::milliseconds client_idle_timeout{30000};  ///< a partial request may stall this long
    std::chrono::milliseconds peer_idle_timeout{600};
    std::size_t clients_max = 4096;
    std::uint64_t snapshot_every = 10000;        ///< applied entries between snapshots; 0 never
    std::uint64_t wal_segment_bytes = 64ull << 20;
    /// Tests only: wal_options::inject_error.
    std::function<int(std::string_view, const std::string&)> inject_storage_error;
};

template <class Protocol>
class server {
public:
    using host_type = rt::node_host<Protocol>;

    /// Recovers the node from its data directory (throws synod::storage::wal_error if it
    /// refuses to start).
    server(boost::asio::io_context& io, server_options o, rt::logger log)
        : io_{io}, options_{std::move(o)}, log_{std::move(log)}, acceptor_{io}, sweep_{io} {
        std::random_device rd;
        origin_ = (std::uint64_t{rd()} << 32) ^ rd() ^ options_.self.value;
        machine m;
        store_ = m.s;
        store_->on_applied = [this](std::uint64_t index, const request_id* id, const std::string& a) {
            applied(index, id, a);
        };
        store_->on_read = [this](std::uint64_t context, bool ok) { read_ready(context, ok); };
        store_->on_restored = [this](std::uint64_t index) { restored(index); };
        rt::host_options<Protocol> h;
        h.self = options_.self;
        for (const member& mb : options_.members) {
            h.config.voters.insert(mb.id);
            h.network.peers.push_back({mb.id, mb.host, mb.peer_port});
        }
        const auto et = static_cast<synod::ticks>(options_.election_timeout.count());
        const auto hb = static_cast<synod::ticks>(options_.heartbeat.count());
        h.settings.election_timeout_ticks = et;
        if constexpr (requires { h.settings.heartbeat_interval_ticks; }) {
            h.settings.heartbeat_interval_ticks = hb;
        } else {
            h.settings.heartbeat_ticks = hb;
        }
        h.network.self = options_.self;
        h.network.cluster_id = options_.cluster_id;
        h.network.idle_timeout = options_.peer_idle_timeout;
        h.wal.dir = options_.data_dir;
        h.wal.sync = options_.fsync;
        h.wal.segment_bytes = options_.wal_segment_bytes;
        h.wal.inject_error = options_.inject_storage_error;
        h.snapshot_every = options_.snapshot_every;
        h.log = log_;
        host_ = std::make_unique<host_type>(io, std::move(h), std::move(m));
    }

    void start() {
        host_->start();
        listen();
        sweep();
    }

    void stop() {
        stopped_ = true;
        boost::system::error_code ec;
        acceptor_.close(ec);
        sweep_.cancel();
        for (auto& w : clients_)
            if (auto c = w.lock()) c->close();
        host_->stop();
    }

    host_type& host() noexcept { return *host_; }

    /// Whether linearizable reads use ReadIndex (Raft) rather than the log (Multi-Paxos).
    static constexpr bool index_reads =
        requires(typename host_type::node_type& n) { n.read_index(std::uint64_t{}); };

private:
    struct client;
    /// How a request is answered, for the per-connection order (see the file comment).
    enum class lane : std::uint8_t { local, index_read, log };
    /// A request waiting for its log entry to apply.
    struct pending {
        std::weak_ptr<client> who;
        std::uint64_t slot = 0;
        request_id id;
        std::chrono::steady_clock::time_point deadline;
    };
    /// A read waiting for a ReadIndex round.
    struct read_waiter {
        std::weak_ptr<client> who;
        std::uint64_t slot = 0;
        op kind = op::get;
        std::vector<std::string> keys;
    };
    /// One ReadIndex round in flight and the reads it serves.
    struct read_round {
        std::vector<read_waiter> waiters;
        std::chrono::steady_clock::time_point deadline;
    };
    /// A log request held back behind the connection's ReadIndex reads.
    struct deferred_op {
        std::uint64_t slot = 0;
        op kind = op::get;
        std::vector<std::string> args;
    };

    struct client : std::enable_shared_from_this<client> {
        client(server* s, boost::asio::ip::tcp::socket so)
            : srv{s}, socket{std::move(so)}, idle{socket.get_executor()},
              remote{rt::remote_text(socket)}, progress{std::chrono::steady_clock::now()} {}

        void start() {
            boost::system::error_code ec;
            socket.set_option(boost::asio::ip::tcp::no_delay(true), ec);
            read();
        }
        void close() {
            if (closed) return;
            closed = true;
            boost::system::error_code ec;
            idle.cancel();
            socket.close(ec);
        }
        void read() {
            if (closed || reading) return;
            if (replies.size() > 1024) return;  // back-pressure: resumed by flush()
            reading = true;
            auto self = this->shared_from_this();
            socket.async_read_some(boost::asio::buffer(buf),
                                   [self](const boost::system::error_code& ec, std::size_t n) {
                                       self->reading = false;
                                       self->on_read(ec, n);
                                   });
        }
        void on_read(const boost::system::error_code& ec, std::size_t n) {
            if (closed || srv->stopped_) return;
            if (ec) {
                if (ec != boost::asio::error::eof && ec != boost::asio::error::operation_aborted &&
                    ec != boost::asio::error::connection_reset)
                    srv->log_("client " + remote + ": connection error: " + rt::error_name(ec));
                close();
                return;
            }
            in.append(buf.data(), n);
            std::size_t at = 0;
            std::vector<std::string> args;
            while (!closing) {
                std::size_t used = 0;
                std::string error;
                const parse_status st =
                    parse_request(std::string_view{in}.substr(at), used, args, error);
                if (st == parse_status::incomplete) break;
                if (st == parse_status::error) {
                    srv->log_("client " + remote + ": closing: " + error);
                    closing = true;
                    const std::uint64_t s = take_slot();
                    fill(s, resp_error("ERR " + error));
                    break;
                }
                at += used;
                progress = std::chrono::steady_clock::now();
                if (!args.empty()) srv->handle(*this, args);
            }
            in.erase(0, at);
            if (closing) {
                in.clear();
                flush();
                return;
            }
            if (!in.empty()) arm_idle();
            read();
        }
        void arm_idle() {
            if (idle_armed) return;
            idle_armed = true;
            idle.expires_at(progress + srv->options_.client_idle_timeout);
            auto self = this->shared_from_this();
            idle.async_wait([self](const boost::system::error_code& ec) {
                self->idle_armed = false;
                if (ec || self->closed || self->in.empty()) return;
                if (std::chrono::steady_clock::now() - self->progress <
                    self->srv->options_.client_idle_timeout) {
                    self->arm_idle();
                    return;
                }
                self->srv->log_("client " + self->remote + ": closing: idle_timeout (" +
                                std::to_string(self->in.size()) +
                                " bytes of a request, then silence)");
                self->close();
            });
        }
        std::uint64_t take_slot() {
            replies.push_back({});
            return first_slot + replies.size() - 1;
        }
        /// Marks slot `s` as answered by `k` (counted until it is filled).
        void route(std::uint64_t s, lane k) {
            if (closed || s < first_slot) return;
            reply_slot& r = replies[s - first_slot];
            if (r.ready || r.kind != lane::local) return;
            r.kind = k;
            if (k == lane::log) ++log_ops;
            if (k == lane::index_read) ++index_reads;
        }
        void fill(std::uint64_t s, std::string data) {
            if (closed || s < first_slot) return;
            reply_slot& r = replies[s - first_slot];
            if (r.ready) return;
            r.ready = true;
            r.data = std::move(data);
            bool release = false;
            if (r.kind == lane::log) --log_ops;
            if (r.kind == lane::index_read) release = --index_reads == 0 && !deferred.empty();
            if (release) srv->release_deferred(*this);
            flush();
        }
        void flush() {
            if (closed) return;
            while (!replies.empty() && replies.front().ready) {
                out += replies.front().data;
                replies.pop_front();
                ++first_slot;
            }
            if (out.size() > (64u << 20)) {
                srv->log_("client " + remote + ": closing: output_buffer_overflow");
                close();
                return;
            }
            write();
            if (!closing) read();
        }
        void write() {
            if (writing || out.empty()) {
                if (!writing && out.empty() && closing && replies.empty()) close();
                return;
            }
            writing = true;
            sending.swap(out);
            out.clear();
            auto self = this->shared_from_this();
            boost::asio::async_write(socket, boost::asio::buffer(sending),
                                     [self](const boost::system::error_code& ec, std::size_t) {
                                         self->writing = false;
                                         self->sending.clear();
                                         if (ec) {
                                             self->close();
                                             return;
                                         }
                                         self->write();
                                     });
        }

        struct reply_slot {
            bool ready = false;
            lane kind = lane::local;
            std::string data;
        };
        server* srv;
        boost::asio::ip::tcp::socket socket;
        boost::asio::steady_timer idle;
        std::string remote;
        std::chrono::steady_clock::time_point progress;
        std::array<char, 16u << 10> buf{};
        std::string in, out, sending;
        std::deque<reply_slot> replies;
        std::uint64_t first_slot = 0;
        bool reading = false, writing = false, closing = false, closed = false;
        bool idle_armed = false;
        bool readonly = false;
        std::size_t log_ops = 0;      ///< unanswered requests that go through the log
        std::size_t index_reads = 0;  ///< unanswered ReadIndex reads
        std::vector<deferred_op> deferred;
    };

    // ---- requests --------------------------------------------------------------------------

    static std::string upper(std::string s) {
        for (char& ch : s)
            if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
        return s;
    }

    void handle(client& c, std::vector<std::string>& args) {
        const std::string name = upper(args[0]);
        const std::size_t argc = args.size();
        const std::uint64_t slot = c.take_slot();
        auto answer = [&](std::string s) { c.fill(slot, std::move(s)); };
        auto arity = [&](bool ok) {
            if (!ok) answer(resp_error("ERR wrong number of arguments for '" + args[0] + "' command"));
            return ok;
        };
        std::vector<std::string> keys(args.begin() + 1, args.end());
        if (name == "PING") {
            if (argc == 1) answer(resp_simple("PONG"));
            else if (arity(argc == 2)) answer(resp_bulk(args[1]));
        } else if (name == "ECHO") {
            if (arity(argc == 2)) answer(resp_bulk(args[1]));
        } else if (name == "GET") {
            if (arity(argc == 2)) read_path(c, slot, op::get, std::move(keys));
        } else if (name == "MGET") {
            if (arity(argc >= 2)) read_path(c, slot, op::mget, std::move(keys));
        } else if (name == "EXISTS") {
            if (arity(argc >= 2)) read_path(c, slot, op::exists, std::move(keys));
        } else if (name == "SET") {
            if (argc > 3) answer(resp_error("ERR syntax error (SET options are not supported)"));
            else if (arity(argc == 3)) log_path(c, slot, op::set, std::move(keys));
        } else if (name == "DEL") {
            if (arity(argc >= 2)) log_path(c, slot, op::del, std::move(keys));
        } else if (name == "INCR") {
            if (arity(argc == 2)) log_path(c, slot, op::incr, std::move(keys));
        } else if (name == "INFO") {
            answer(resp_bulk(info()));
        } else if (name == "DBSIZE") {
            answer(resp_integer(static_cast<long long>(store_->keys())));
        } else if (name == "READONLY") {
            c.readonly = true;
            answer(resp_simple("OK"));
        } else if (name == "READWRITE") {
            c.readonly = false;
            answer(resp_simple("OK"));
        } else if (name == "CONFIG") {
            // redis-benchmark asks for "save" and "appendonly" before it starts.
            if (argc == 3 && upper(args[1]) == "GET") {
                const std::string v = upper(args[2]) == "APPENDONLY" ? "no" : "";
                answer("*2\r\n" + resp_bulk(args[2]) + resp_bulk(v));
            } else {
                answer(resp_error("ERR only CONFIG GET is supported"));
            }
        } else if (name == "COMMAND") {
            answer("*0\r\n");
        } else if (name == "SELECT") {
            if (arity(argc == 2)) answer(args[1] == "0" ? resp_simple("OK") : resp_error("ERR DB index is out of range"));
        } else if (name == "CLIENT") {
            answer(resp_simple("OK"));
        } else if (name == "QUIT") {
            c.closing = true;
            answer(resp_simple("OK"));
        } else {
            std::string shown = args[0].substr(0, 64);
            answer(resp_error("ERR unknown command '" + shown + "'"));
        }
    }

    /// How a read is served: locally on a READONLY connection; else by ReadIndex where the
    /// protocol has it and no write of this connection is still unanswered; else through the
    /// log, in order with the connection's writes.
    void read_path(client& c, std::uint64_t slot, op kind, std::vector<std::string> keys) {
        if (c.readonly) {
            c.fill(slot, store_->read(kind, keys));
            return;
        }
        if constexpr (index_reads) {
            if (c.log_ops == 0) {
                c.route(slot, lane::index_read);
                read_batch_.push_back(read_waiter{c.weak_from_this(), slot, kind, std::move(keys)});
                schedule_reads();
                return;
            }
        }
        log_path(c, slot, kind, std::move(keys));
    }

    /// A request that goes through the log; held back while ReadIndex reads sent before it on
    /// the same connection are unanswered (they must not see it).
    void log_path(client& c, std::uint64_t slot, op kind, std::vector<std::string> args) {
        c.route(slot, lane::log);
        if (c.index_reads > 0) {
            c.deferred.push_back(deferred_op{slot, kind, std::move(args)});
            return;
        }
        propose(c, slot, kind, std::move(args));
    }

    /// The connection's ReadIndex reads are all answered: propose what waited behind them.
    void release_deferred(client& c) {
        std::vector<deferred_op> ops = std::move(c.deferred);
        c.deferred.clear();
        for (deferred_op& d : ops) propose(c, d.slot, d.kind, std::move(d.args));
    }

    std::string redirect() const {
        const synod::node_id l = host_->status().leader;
        if (l && l != options_.self)
            for (const member& m : options_.members)
                if (m.id == l) return resp_error("MOVED 0 " + m.host + ":" + std::to_string(m.client_port));
        return resp_error("CLUSTERDOWN no leader known; retry later");
    }

    /// A read whose round failed (leadership changed): send it where it can be served.
    std::string read_failed() const {
        if (host_->status().leader == options_.self)
            return resp_error("TRYAGAIN the read could not be confirmed; retry");
        return redirect();
    }

    void propose(client& c, std::uint64_t slot, op kind, std::vector<std::string> args) {
        if (host_->status().role != "leader") {
            c.fill(slot, redirect());
            return;
        }
        if (host_->storage_full()) {
            c.fill(slot, resp_error("ERR out of disk space on node " +
                                    std::to_string(options_.self.value) + " (" +
                                    host_->storage_full_error() +
                                    "); writes are refused until space is freed, reads are served"));
            return;
        }
        command cmd{kind, request_id{origin_, ++requests_}, std::move(args)};
        batch_.push_back(encode(cmd));
        batch_pending_.push_back(pending{c.weak_from_this(), slot, cmd.id,
                                         std::chrono::steady_clock::now() + options_.request_timeout});
        if (!flush_posted_) {
            flush_posted_ = true;
            boost::asio::post(io_, [this] { flush_proposals(); });
        }
    }

    // ---- ReadIndex -------------------------------------------------------------------------

    /// One round at a time: the reads that arrive meanwhile share the next one. A read must
    /// not join a round already in flight: that round's heartbeats left before the read
    /// arrived, so they cannot prove leadership at a moment after it.
    void schedule_reads() {
        if (reads_posted_ || !reads_.empty() || read_batch_.empty()) return;
        reads_posted_ = true;
        boost::asio::post(io_, [this] { flush_reads(); });
    }

    void flush_reads() {
        if constexpr (index_reads) {
            reads_posted_ = false;
            if (read_batch_.empty() || !reads_.empty() || stopped_) return;
            const std::uint64_t context = ++read_rounds_;
            read_round& r = reads_[context];
            r.waiters = std::move(read_batch_);
            read_batch_.clear();
            r.deadline = std::chrono::steady_clock::now() + options_.request_timeout;
            // May serve the reads at once (a single-node cluster): read_ready() runs inside.
            const auto result = host_->node().read_index(context);
            if (!result) {
                const std::string why = result.error() == synod::errc::queue_full
                                            ? resp_error("TRYAGAIN too many reads pending; retry")
                                            : redirect();
                finish_round(context, [&](const read_waiter&) { return why; });
            }
            host_->after_event();
        }
    }

    /// The node's read_ready for round `context`.
    void read_ready(std::uint64_t context, bool ok) {
        if (ok) {
            finish_round(context, [&](const read_waiter& w) { return store_->read(w.kind, w.keys); });
        } else {
            const std::string why = read_failed();
            finish_round(context, [&](const read_waiter&) { return why; });
        }
    }

    template <class Answer>
    void finish_round(std::uint64_t context, Answer answer) {
        const auto it = reads_.find(context);
        if (it == reads_.end()) return;  // timed out already
        std::vector<read_waiter> waiters = std::move(it->second.waiters);
        reads_.erase(it);
        for (const read_waiter& w : waiters)
            if (auto c = w.who.lock()) c->fill(w.slot, answer(w));
        schedule_reads();
    }

    /// The store was replaced by a snapshot through `index`: our requests at or below it were
    /// not applied here one by one, so their outcome is unknown to this node.
    void restored(std::uint64_t index) {
        if (host_) log_("installed a snapshot through index " + std::to_string(index) + " (" +
                        std::to_string(store_->keys()) + " keys)");
        for (auto it = at_index_.begin(); it != at_index_.end();) {
            if (it->first > index) {
                ++it;
                continue;
            }
            for (const std::uint64_t number : it->second) {
                const auto p = pending_.find(number);
                if (p == pending_.end()) continue;
                if (auto c = p->second.who.lock())
                    c->fill(p->second.slot,
                            resp_error("ERR outcome unknown: this node caught up from a snapshot "
                                       "and cannot tell whether the request was executed"));
                pending_.erase(p);
            }
            it = at_index_.erase(it);
        }
    }

    /// Proposes every request gathered since the last flush in one call (one storage write,
    /// one message per follower).
    void flush_proposals() {
        flush_posted_ = false;
        if (batch_.empty() || stopped_) return;
        std::vector<std::string> payloads = std::move(batch_);
        std::vector<pending> waiting = std::move(batch_pending_);
        batch_.clear();
        batch_pending_.clear();
        auto& node = host_->node();
        const std::uint64_t first = node.storage().last_index().value + 1;
        for (std::size_t k = 0; k < waiting.size(); ++k) {
            pending_[waiting[k].id.number] = waiting[k];
            at_index_[first + k].push_back(waiting[k].id.number);
        }
        synod::errc error = synod::errc::ok;
        if constexpr (requires { node.propose_batch(std::span<const std::string>{}); }) {
            const auto r = node.propose_batch(std::span<const std::string>{payloads});
            if (!r) error = r.error();
        } else {
            const auto r = node.propose(std::span<const std::string>{payloads});
            if (!r) error = r.error();
        }
        if (error != synod::errc::ok) {
            const std::string why =
                error == synod::errc::not_leader ? redirect()
                : error == synod::errc::transfer_in_progress
                    ? resp_error("TRYAGAIN leadership is moving to another node; retry")
                    : resp_error("ERR " + std::string{synod::to_string(error)});
            for (std::size_t k = 0; k < waiting.size(); ++k) {
                pending_.erase(waiting[k].id.number);
                auto& ids = at_index_[first + k];
                std::erase(ids, waiting[k].id.number);
                if (ids.empty()) at_index_.erase(first + k);
                if (auto c = waiting[k].who.lock()) c->fill(waiting[k].slot, why);
            }
        }
        host_->after_event();
    }

    /// Entry `index` was applied with request `id` (null for entries without one). Answers our
    /// request if it is ours; every other request we proposed at `index` is definitely lost:
    /// each was proposed once, at that position only, and the position holds something else.
    void applied(std::uint64_t index, const request_id* id, const std::string& answer) {
        const bool ours = id && id->origin == origin_;
        if (ours) {
            if (const auto it = pending_.find(id->number); it != pending_.end()) {
                if (auto c = it->second.who.lock()) c->fill(it->second.slot, answer);
                pending_.erase(it);
            }
        }
        const auto at = at_index_.find(index);
        if (at == at_index_.end()) return;
        for (const std::uint64_t number : at->second) {
            if (ours && number == id->number) continue;
            const auto it = pending_.find(number);
            if (it == pending_.end()) continue;
            if (auto c = it->second.who.lock())
                c->fill(it->second.slot,
                        resp_error("ERR proposal lost: another leader's entry took its log "
                                   "position; it was not executed, retry"));
            pending_.erase(it);
        }
        at_index_.erase(at);
    }

    void sweep() {
        sweep_.expires_after(200ms);
        sweep_.async_wait([this](const boost::system::error_code& ec) {
            if (ec || stopped_) return;
            const auto now = std::chrono::steady_clock::now();
            for (auto it = pending_.begin(); it != pending_.end();) {
                if (it->second.deadline <= now) {
                    if (auto c = it->second.who.lock())
                        c->fill(it->second.slot,
                                resp_error("ERR timeout: no answer from a quorum; the outcome is unknown"));
                    it = pending_.erase(it);
                } else {
                    ++it;
                }
            }
            // A round the node never answered (it answers every round it accepts, so this is a
            // safety net): a read has no effect, so the client can simply retry.
            std::vector<std::uint64_t> expired;
            for (const auto& [context, r] : reads_)
                if (r.deadline <= now) expired.push_back(context);
            for (const std::uint64_t context : expired)
                finish_round(context, [](const read_waiter&) {
                    return resp_error("TRYAGAIN timeout: the read could not be confirmed by a quorum");
                });
            sweep();
        });
    }

    std::string info() const {
        const auto s = host_->status();
        const auto& n = host_->node();
        std::string leader_address;
        for (const member& m : options_.members)
            if (m.id == s.leader) leader_address = m.host + ":" + std::to_string(m.client_port);
        std::uint64_t commit = 0, applied = 0;
        if constexpr (requires { n.commit_index(); }) commit = n.commit_index().value;
        if constexpr (requires { n.applied_index(); }) applied = n.applied_index().value;
        std::string out;
        out += "# Server\r\nredis_version:7.0.0\r\nsynod_version:0.1.0\r\n";
        out += "tcp_port:" + std::to_string(options_.port) + "\r\n";
        out += "# Replication\r\nrole:" + std::string{s.role == "leader" ? "master" : "slave"} + "\r\n";
        out += "# Synod\r\nprotocol:" + std::string{Protocol::name} + "\r\n";
        out += "node_id:" + std::to_string(options_.self.value) + "\r\n";
        out += "synod_role:" + s.role + "\r\n";
        out += "term:" + std::to_string(s.term) + "\r\n";
        out += "leader_id:" + std::to_string(s.leader.value) + "\r\n";
        out += "leader_address:" + leader_address + "\r\n";
        out += "commit_index:" + std::to_string(commit) + "\r\n";
        out += "applied_index:" + std::to_string(applied) + "\r\n";
        out += "last_index:" + std::to_string(n.storage().last_index().value) + "\r\n";
        std::uint64_t snapshot = 0;
        if constexpr (requires { n.storage().snapshot_index(); }) snapshot = n.storage().snapshot_index().value;
        out += "keys:" + std::to_string(store_->keys()) + "\r\n";
        out += "reads:" + std::string{index_reads ? "readindex" : "log"} + "\r\n";
        out += "fsync:" + std::string{options_.fsync ? "on" : "off"} + "\r\n";
        out += "storage_full:" + std::string{host_->storage_full() ? "1" : "0"} + "\r\n";
        out += "wal_batches:" + std::to_string(host_->batches_written()) + "\r\n";
        out += "snapshot_index:" + std::to_string(snapshot) + "\r\n";
        out += "snapshots_taken:" + std::to_string(host_->snapshots_taken()) + "\r\n";
        out += "snapshots_restored:" + std::to_string(store_->restores()) + "\r\n";
        out += "pending_requests:" + std::to_string(pending_.size()) + "\r\n";
        out += "pending_read_rounds:" + std::to_string(reads_.size()) + "\r\n";
        const auto& st = host_->network().stats();
        out += "frames_sent:" + std::to_string(st.frames_sent) + "\r\n";
        out += "frames_received:" + std::to_string(st.frames_received) + "\r\n";
        out += "frames_dropped:" + std::to_string(st.frames_dropped) + "\r\n";
        out += "peer_connections_refused:" + std::to_string(st.connections_refused_input) + "\r\n";
        return out;
    }

    // ---- listening -------------------------------------------------------------------------

    void listen(int attempt = 0) {
        using tcp = boost::asio::ip::tcp;
        boost::system::error_code ec;
        const auto address = boost::asio::ip::make_address(options_.bind, ec);
        const tcp::endpoint ep{address, options_.port};
        if (!ec) acceptor_.open(ep.protocol(), ec);
        if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
        if (!ec) acceptor_.bind(ep, ec);
        if (!ec) acceptor_.listen(boost::asio::socket_base::max_listen_connections, ec);
        if (ec) {
            boost::system::error_code ignored;
            acceptor_.close(ignored);
            if (attempt % 10 == 0)
                log_("cannot listen for clients on " + options_.bind + ":" +
                     std::to_string(options_.port) + ": " + rt::error_name(ec) + "; retrying");
            auto t = std::make_shared<boost::asio::steady_timer>(io_, 200ms);
            t->async_wait([this, t, attempt](const boost::system::error_code& e) {
                if (!e && !stopped_) listen(attempt + 1);
            });
            return;
        }
        log_("serving the Redis protocol on " + options_.bind + ":" + std::to_string(options_.port));
        accept();
    }

    void accept() {
        acceptor_.async_accept([this](const boost::system::error_code& ec,
                                      boost::asio::ip::tcp::socket s) {
            if (stopped_ || ec == boost::asio::error::operation_aborted) return;
            if (ec) {
                log_("accept failed: " + rt::error_name(ec));
            } else {
                std::erase_if(clients_, [](const std::weak_ptr<client>& w) {
                    auto c = w.lock();
                    return !c || c->closed;
                });
                if (clients_.size() >= options_.clients_max) {
                    log_("refusing client " + rt::remote_text(s) + ": too_many_connections");
                    boost::system::error_code ignored;
                    s.close(ignored);
                } else {
                    auto c = std::make_shared<client>(this, std::move(s));
                    clients_.push_back(c);
                    c->start();
                }
            }
            accept();
        });
    }

    boost::asio::io_context& io_;
    server_options options_;
    rt::logger log_;
    std::shared_ptr<store> store_;
    std::unique_ptr<host_type> host_;
    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::steady_timer sweep_;
    std::vector<std::weak_ptr<client>> clients_;
    std::unordered_map<std::uint64_t, pending> pending_;  ///< by request number
    /// The request numbers proposed at each log position not yet applied.
    std::unordered_map<std::uint64_t, std::vector<std::uint64_t>> at_index_;
    std::vector<std::string> batch_;
    std::vector<pending> batch_pending_;
    std::vector<read_waiter> read_batch_;                   ///< reads for the next round
    std::unordered_map<std::uint64_t, read_round> reads_;   ///< the round in flight, by context
    std::uint64_t read_rounds_ = 0;
    std::uint64_t origin_ = 0;
    std::uint64_t requests_ = 0;
    bool flush_posted_ = false;
    bool reads_posted_ = false;
    bool stopped_ = false;
};

}  // namespace synod_kv

#endif
