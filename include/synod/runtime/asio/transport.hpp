#ifndef SYNOD_RUNTIME_ASIO_TRANSPORT_HPP
#define SYNOD_RUNTIME_ASIO_TRANSPORT_HPP

/// \file
/// TCP transport for protocol messages (codec/frame.hpp frames), on one io_context thread.
///
/// Each node listens on its peer port and keeps one outgoing connection per peer: messages to
/// node j always travel on this node's connection to j, and messages from j arrive on j's
/// connection to us. So each direction is one FIFO stream, reconnected on failure with capped
/// exponential back-off.
///
/// Bounds: a peer's send queue holds at most send_queue_bytes_max bytes and
/// send_queue_frames_max frames; past that a message is dropped (to the protocols a lost
/// message, which they tolerate), so memory never grows when a peer is slow or gone. A peer
/// that is down gets nothing queued: when its connection fails the queue is discarded, and
/// messages sent while the link waits out its back-off are dropped (they would be stale by
/// the time it is back; the protocols send what is current again: heartbeats, snapshots). An
/// inbound connection that stalls in the middle of a frame for idle_timeout is closed
/// (slow-loris); one that sends anything the decoder refuses is closed at once; at most
/// inbound_connections_max inbound connections are open. Every close for cause is logged with
/// the peer's address and the error's name.

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "synod/codec/frame.hpp"
#include "synod/core/configuration.hpp"
#include "synod/core/ids.hpp"
#include "synod/runtime/asio/log.hpp"

namespace synod::runtime::asio {

/// Where a node listens for its peers.
struct peer_address {
    node_id id;
    std::string host;
    std::uint16_t port = 0;
    std::string text() const { return host + ":" + std::to_string(port); }
};

/// The transport's configuration.
struct network_options {
    node_id self;
    std::uint64_t cluster_id = 0;
    std::vector<peer_address> peers;  ///< every member, this node included (its listen address)
    std::uint32_t max_frame_bytes = codec::default_max_frame_bytes;
    std::size_t send_queue_bytes_max = 32u << 20;
    std::size_t send_queue_frames_max = 65536;
    std::chrono::milliseconds backoff_initial{50};
    std::chrono::milliseconds backoff_max{1000};  ///< RELIABILITY 3: capped at 1 s
    std::chrono::milliseconds idle_timeout{1000}; ///< a partial frame may stall this long
    std::size_t inbound_connections_max = 64;
};

/// A short, stable name for a socket error, for logs ("connection_refused", "eof", ...).
inline std::string error_name(const boost::system::error_code& ec) {
    namespace e = boost::asio::error;
    if (ec == e::connection_refused) return "connection_refused";
    if (ec == e::connection_reset) return "connection_reset";
    if (ec == e::connection_aborted) return "connection_aborted";
    if (ec == e::eof) return "eof";
    if (ec == e::broken_pipe) return "broken_pipe";
    if (ec == e::timed_out) return "timed_out";
    if (ec == e::host_unreachable) return "host_unreachable";
    if (ec == e::network_unreachable) return "network_unreachable";
    if (ec == e::address_in_use) return "address_in_use";
    if (ec == e::operation_aborted) return "operation_aborted";
    std::string s = ec.message();
    std::replace(s.begin(), s.end(), ' ', '_');
    return s;
}

/// Endpoint text of a socket's remote end, or "?" if unknown.
inline std::string remote_text(const boost::asio::ip::tcp::socket& s) {
    boost::system::error_code ec;
    const auto ep = s.remote_endpoint(ec);
    if (ec) return "?";
    return ep.address().to_string() + ":" + std::to_string(ep.port());
}

/// Counters, for INFO and tests.
struct network_stats {
    std::uint64_t frames_sent = 0;
    std::uint64_t frames_received = 0;
    std::uint64_t frames_dropped = 0;  ///< send queue full, or the peer down
    std::uint64_t connections_refused_input = 0;  ///< closed for bad input or idle timeout
};

/// The messages of one protocol (`Codec`: codec/raft.hpp or codec/multi_paxos.hpp) over TCP.
/// All members run on the io_context's thread.
template <class Codec>
class peer_network {
public:
    using message_type = typename Codec::message_type;
    using owned_type = typename Codec::owned;
    /// Receives each decoded message (on the io_context's thread).
    using deliver_fn = std::function<void(owned_type&&)>;

    peer_network(boost::asio::io_context& io, network_options options, logger log, deliver_fn deliver)
        : io_{io}, options_{std::move(options)}, log_{std::move(log)}, deliver_{std::move(deliver)},
          acceptor_{io} {
        for (const peer_address& p : options_.peers) {
            if (p.id == options_.self) {
                listen_ = p;
                continue;
            }
            senders_.insert(p.id);
            outbound_.push_back(std::make_unique<outbound>(io, p, options_.backoff_initial));
        }
    }
    peer_network(const peer_network&) = delete;
    peer_network& operator=(const peer_network&) = delete;
    ~peer_network() { stop(); }

    /// Listens on this node's peer port (retrying for a while if it is still taken) and starts
    /// connecting to every peer.
    void start() {
        open_acceptor();
        for (auto& o : outbound_) connect(*o);
    }

    /// Closes every connection and the listener; pending handlers see operation_aborted.
    void stop() {
        if (stopped_) return;
        stopped_ = true;
        boost::system::error_code ec;
        acceptor_.close(ec);
        for (auto& o : outbound_) {
            o->retry.cancel();
            o->socket.close(ec);
        }
        for (auto& weak : inbound_) {
            if (auto c = weak.lock()) c->close();
        }
    }

    /// The transport policy's send: encodes `m` now (it may borrow entries) and queues it for
    /// `to`; drops it if the queue is full, `to` is down or not a peer.
    void send(node_id to, const message_type& m) {
        outbound* o = find(to);
        if (!o || stopped_) return;
        if (o->state == link_state::waiting) {
            ++stats_.frames_dropped;
            return;
        }
        std::string frame;
        codec::encode<Codec>(m, options_.cluster_id, frame);
        if (o->queued_bytes + frame.size() > options_.send_queue_bytes_max ||
            o->queue.size() >= options_.send_queue_frames_max) {
            ++stats_.frames_dropped;
            if (!o->dropping) {
                o->dropping = true;
                log_("send queue to node " + std::to_string(to.value) + " (" + o->address.text() +
                     ") full: dropping messages");
            }
            return;
        }
        o->dropping = false;
        o->queued_bytes += frame.size();
        o->queue.push_back(std::move(frame));
        if (o->state == link_state::connected) {
            write(*o);
        } else if (o->state == link_state::idle) {
            connect(*o);
        }
    }

    const network_stats& stats() const noexcept { return stats_; }
    /// The port actually listened on (useful with port 0).
    std::uint16_t listening_port() const {
        boost::system::error_code ec;
        const auto ep = acceptor_.local_endpoint(ec);
        return ec ? 0 : ep.port();
    }
    /// True if the outgoing connection to `n` is up.
    bool connected(node_id n) const {
        for (const auto& o : outbound_)
            if (o->address.id == n) return o->state == link_state::connected;
        return false;
    }

private:
    enum class link_state { idle, connecting, connected, waiting };

    struct outbound {
        outbound(boost::asio::io_context& io, peer_address a, std::chrono::milliseconds b)
            : address{std::move(a)}, socket{io}, retry{io}, backoff{b} {}
        peer_address address;
        boost::asio::ip::tcp::socket socket;
        boost::asio::steady_timer retry;
        std::chrono::milliseconds backoff;
        link_state state = link_state::idle;
        std::deque<std::string> queue;
        std::size_t queued_bytes = 0;
        std::size_t in_flight = 0;  ///< frames of queue's front being written
        bool dropping = false;
        std::string last_error;     ///< to log a repeated failure once
        std::uint64_t failures = 0;
        std::uint64_t generation = 0;
        std::array<char, 64> sink{};
    };

    /// One accepted connection: frames in, nothing out.
    struct inbound : std::enable_shared_from_this<inbound> {
        inbound(peer_network* n, boost::asio::ip::tcp::socket s)
            : net{n}, socket{std::move(s)}, idle{socket.get_executor()},
              reader{codec::limits_for<Codec>(n->options_.cluster_id, n->options_.max_frame_bytes)},
              remote{remote_text(socket)}, progress{std::chrono::steady_clock::now()} {}

        void start() { read(); }
        void close() {
            closed = true;
            boost::system::error_code ec;
            idle.cancel();
            socket.close(ec);
        }
        void read() {
            auto self = this->shared_from_this();
            socket.async_read_some(boost::asio::buffer(buffer),
                                   [self](const boost::system::error_code& ec, std::size_t n) {
                                       self->on_read(ec, n);
                                   });
        }
        void on_read(const boost::system::error_code& ec, std::size_t n) {
            if (closed || net->stopped_) return;
            if (ec) {
                if (ec != boost::asio::error::eof && ec != boost::asio::error::operation_aborted)
                    net->log_("connection from " + remote + " closed: " + error_name(ec));
                else if (ec == boost::asio::error::eof && reader.partial())
                    net->log_("connection from " + remote + " closed mid-frame: truncated_header");
                close();
                return;
            }
            reader.feed(std::string_view{buffer.data(), n});
            codec::frame_view f;
            while (true) {
                const auto st = reader.next(f);
                if (st == codec::frame_reader::status::need_more) break;
                if (st == codec::frame_reader::status::failed) {
                    refuse(std::string{codec::to_string(reader.last_error())});
                    return;
                }
                owned_type m;
                const codec::error e = codec::decode<Codec>(f, net->senders_, m);
                if (e != codec::error::none) {
                    refuse(std::string{codec::to_string(e)});
                    return;
                }
                const node_id from = std::visit([](const auto& x) { return x.from; }, m.message);
                if (bound && bound != from) {
                    refuse("unknown_sender (node " + std::to_string(from.value) +
                           " on the connection of node " + std::to_string(bound.value) + ")");
                    return;
                }
                if (!bound) net->peer_is_up(from);
                bound = from;
                progress = std::chrono::steady_clock::now();
                ++net->stats_.frames_received;
                net->deliver_(std::move(m));
                if (closed || net->stopped_) return;
            }
            if (reader.partial()) arm_idle();
            read();
        }
        void arm_idle() {
            if (idle_armed) return;
            idle_armed = true;
            idle.expires_at(progress + net->options_.idle_timeout);
            auto self = this->shared_from_this();
            idle.async_wait([self](const boost::system::error_code& ec) {
                self->idle_armed = false;
                if (ec || self->closed || self->net->stopped_) return;
                if (!self->reader.partial()) return;
                if (std::chrono::steady_clock::now() - self->progress < self->net->options_.idle_timeout) {
                    self->arm_idle();
                    return;
                }
                self->refuse("idle_timeout (" + std::to_string(self->reader.buffered()) +
                             " bytes of a frame, then silence)");
            });
        }
        void refuse(const std::string& why) {
            ++net->stats_.connections_refused_input;
            net->log_("closing connection from " + remote + ": " + why);
            close();
        }

        peer_network* net;
        boost::asio::ip::tcp::socket socket;
        boost::asio::steady_timer idle;
        codec::frame_reader reader;
        std::string remote;
        std::chrono::steady_clock::time_point progress;
        std::array<char, 64u << 10> buffer{};
        node_id bound{};
        bool idle_armed = false;
        bool closed = false;
    };

    /// Node `n` connected to us, so it is up: if our connection to it waits out a back-off,
    /// reconnect now (a restarted node hears from the leader at once, not a second later).
    void peer_is_up(node_id n) {
        outbound* o = find(n);
        if (!o || o->state != link_state::waiting || stopped_) return;
        o->retry.cancel();
        o->backoff = options_.backoff_initial;
        connect(*o);
    }

    outbound* find(node_id n) {
        for (auto& o : outbound_)
            if (o->address.id == n) return o.get();
        return nullptr;
    }

    void open_acceptor(int attempt = 0) {
        using tcp = boost::asio::ip::tcp;
        boost::system::error_code ec;
        const auto address = boost::asio::ip::make_address(listen_.host, ec);
        if (ec) {
            log_("bad listen address " + listen_.text() + ": " + error_name(ec));
            return;
        }
        const tcp::endpoint ep{address, listen_.port};
        acceptor_.open(ep.protocol(), ec);
        if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
        if (!ec) acceptor_.bind(ep, ec);
        if (!ec) acceptor_.listen(boost::asio::socket_base::max_listen_connections, ec);
        if (ec) {
            boost::system::error_code ignored;
            acceptor_.close(ignored);
            if (attempt == 0 || attempt % 10 == 0)
                log_("cannot listen on " + listen_.text() + ": " + error_name(ec) + "; retrying");
            auto t = std::make_shared<boost::asio::steady_timer>(io_, std::chrono::milliseconds(200));
            t->async_wait([this, t, attempt](const boost::system::error_code& e) {
                if (!e && !stopped_) open_acceptor(attempt + 1);
            });
            return;
        }
        log_("listening for peers on " + listen_.text());
        accept();
    }

    void accept() {
        acceptor_.async_accept([this](const boost::system::error_code& ec,
                                      boost::asio::ip::tcp::socket s) {
            if (stopped_) return;
            if (ec) {
                if (ec == boost::asio::error::operation_aborted) return;
                log_("accept failed: " + error_name(ec));
            } else {
                inbound_.erase(std::remove_if(inbound_.begin(), inbound_.end(),
                                              [](const std::weak_ptr<inbound>& w) {
                                                  auto c = w.lock();
                                                  return !c || c->closed;
                                              }),
                               inbound_.end());
                if (inbound_.size() >= options_.inbound_connections_max) {
                    log_("refusing connection from " + remote_text(s) +
                         ": too_many_connections");
                    ++stats_.connections_refused_input;
                    boost::system::error_code ignored;
                    s.close(ignored);
                } else {
                    auto c = std::make_shared<inbound>(this, std::move(s));
                    inbound_.push_back(c);
                    c->start();
                }
            }
            accept();
        });
    }

    void connect(outbound& o) {
        if (stopped_) return;
        o.state = link_state::connecting;
        boost::system::error_code ec;
        const auto address = boost::asio::ip::make_address(o.address.host, ec);
        if (ec) {
            fail(o, ec, "connect");
            return;
        }
        const boost::asio::ip::tcp::endpoint ep{address, o.address.port};
        const std::uint64_t g = ++o.generation;
        o.socket.async_connect(ep, [this, &o, g](const boost::system::error_code& e) {
            if (stopped_ || g != o.generation) return;
            if (e) {
                fail(o, e, "connect");
                return;
            }
            boost::system::error_code ignored;
            o.socket.set_option(boost::asio::ip::tcp::no_delay(true), ignored);
            if (o.failures > 0)
                log_("connected to node " + std::to_string(o.address.id.value) + " (" +
                     o.address.text() + ") after " + std::to_string(o.failures) +
                     " failed attempts");
            o.state = link_state::connected;
            o.failures = 0;
            o.last_error.clear();
            o.backoff = options_.backoff_initial;
            watch(o, g);
            write(o);
        });
    }

    /// Reads from an outgoing connection only to notice that the peer closed it.
    void watch(outbound& o, std::uint64_t g) {
        o.socket.async_read_some(boost::asio::buffer(o.sink),
                                 [this, &o, g](const boost::system::error_code& ec, std::size_t) {
                                     if (stopped_ || g != o.generation) return;
                                     fail(o, ec ? ec : boost::asio::error::make_error_code(
                                                           boost::asio::error::connection_aborted),
                                          "read");
                                 });
    }

    void write(outbound& o) {
        if (o.in_flight > 0 || o.queue.empty() || o.state != link_state::connected) return;
        std::vector<boost::asio::const_buffer> buffers;
        const std::size_t n = std::min<std::size_t>(o.queue.size(), 256);
        buffers.reserve(n);
        for (std::size_t i = 0; i < n; ++i) buffers.push_back(boost::asio::buffer(o.queue[i]));
        o.in_flight = n;
        const std::uint64_t g = o.generation;
        boost::asio::async_write(o.socket, buffers,
                                 [this, &o, g](const boost::system::error_code& ec, std::size_t) {
                                     if (stopped_ || g != o.generation) return;
                                     const std::size_t done = o.in_flight;
                                     o.in_flight = 0;
                                     for (std::size_t i = 0; i < done && !o.queue.empty(); ++i) {
                                         o.queued_bytes -= o.queue.front().size();
                                         o.queue.pop_front();
                                     }
                                     if (ec) {
                                         fail(o, ec, "write");
                                         return;
                                     }
                                     stats_.frames_sent += done;
                                     write(o);
                                 });
    }

    /// A connection attempt or an open connection failed: discard what was queued, log (once per
    /// distinct error), close, and retry after the back-off, which doubles up to backoff_max.
    void fail(outbound& o, const boost::system::error_code& ec, const char* what) {
        ++o.generation;
        o.in_flight = 0;
        stats_.frames_dropped += o.queue.size();
        o.queue.clear();
        o.queued_bytes = 0;
        boost::system::error_code ignored;
        o.socket.close(ignored);
        const std::string name = error_name(ec);
        if (name != o.last_error)
            log_(std::string{what} + " to node " + std::to_string(o.address.id.value) + " (" +
                 o.address.text() + ") failed: " + name + "; retrying with back-off up to " +
                 std::to_string(options_.backoff_max.count()) + " ms");
        o.last_error = name;
        ++o.failures;
        o.state = link_state::waiting;
        o.retry.expires_after(o.backoff);
        o.backoff = std::min(o.backoff * 2, options_.backoff_max);
        o.retry.async_wait([this, &o](const boost::system::error_code& e) {
            // A reconnect may have started meanwhile (peer_is_up): then this wait is stale.
            if (e || stopped_ || o.state != link_state::waiting) return;
            connect(o);
        });
    }

    boost::asio::io_context& io_;
    network_options options_;
    logger log_;
    deliver_fn deliver_;
    peer_address listen_;
    node_set senders_;
    boost::asio::ip::tcp::acceptor acceptor_;
    std::vector<std::unique_ptr<outbound>> outbound_;
    std::vector<std::weak_ptr<inbound>> inbound_;
    network_stats stats_;
    bool stopped_ = false;
};

/// The transport policy (core/concepts/transport.hpp): a pointer to the node's peer_network.
template <class Codec>
struct transport {
    peer_network<Codec>* net = nullptr;
    void send(node_id to, const typename Codec::message_type& m) { net->send(to, m); }
};

}  // namespace synod::runtime::asio

#endif
