// The asio runtime (runtime/asio/): the unchanged Raft and Multi-Paxos cores as three nodes,
// each with its own io_context and thread, real loopback sockets and file WALs whose fsync runs
// off the event loop (DESIGN 3, 7; RELIABILITY 3). They elect a leader, replicate, survive a
// restart from disk, and shrug off junk on their peer ports.

#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "synod/check/kv.hpp"
#include "synod/runtime/asio/node_host.hpp"

namespace {

using namespace synod;
namespace rt = synod::runtime::asio;
using namespace std::chrono_literals;

/// The replicated KV store of the checkers, over byte payloads.
struct kv_machine {
    std::shared_ptr<check::kv_store> store = std::make_shared<check::kv_store>();
    void apply(const entry<std::string>& e) { store->apply(e); }
};

using raft_p = rt::raft_protocol<std::string, kv_machine>;
using paxos_p = rt::multi_paxos_protocol<std::string, kv_machine>;

std::uint16_t free_port() {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor a{io, {boost::asio::ip::make_address("127.0.0.1"), 0}};
    return a.local_endpoint().port();
}

/// Log lines of every node, for assertions on what was logged.
struct log_record {
    std::mutex mutex;
    std::vector<std::string> lines;
    rt::logger for_node(int i) {
        return rt::logger{[this, i](std::string_view l) {
            const std::lock_guard lock{mutex};
            lines.push_back("node " + std::to_string(i) + ": " + std::string{l});
        }};
    }
    bool contains(const std::string& needle) {
        const std::lock_guard lock{mutex};
        for (const auto& l : lines)
            if (l.find(needle) != std::string::npos) return true;
        return false;
    }
    std::string dump() {
        const std::lock_guard lock{mutex};
        std::string out;
        for (const auto& l : lines) out += l + "\n";
        return out;
    }
};

template <class Protocol>
class cluster {
public:
    static constexpr int size = 3;

    cluster() {
        static std::atomic<int> counter{0};
        dir_ = (std::filesystem::temp_directory_path() /
                ("synod-asio-" + std::to_string(::getpid()) + "-" + std::to_string(counter++)))
                   .string();
        std::filesystem::remove_all(dir_);
        for (int i = 1; i <= size; ++i)
            peers_.push_back({node_id{static_cast<std::uint32_t>(i)}, "127.0.0.1", free_port()});
        for (int i = 1; i <= size; ++i) config_.voters.insert(node_id{static_cast<std::uint32_t>(i)});
        for (int i = 0; i < size; ++i) nodes_.push_back(std::make_unique<slot>());
        for (int i = 1; i <= size; ++i) start(i);
    }
    ~cluster() {
        for (int i = 1; i <= size; ++i) stop(i);
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }

    void start(int i) {
        slot& s = *nodes_[static_cast<std::size_t>(i - 1)];
        s.io = std::make_unique<boost::asio::io_context>();
        rt::host_options<Protocol> o;
        o.self = node_id{static_cast<std::uint32_t>(i)};
        o.config = config_;
        o.settings.election_timeout_ticks = 150;
        if constexpr (requires { o.settings.heartbeat_interval_ticks; }) {
            o.settings.heartbeat_interval_ticks = 30;
        } else {
            o.settings.heartbeat_ticks = 30;
        }
        o.network.self = o.self;
        o.network.cluster_id = 77;
        o.network.peers = peers_;
        o.network.idle_timeout = 300ms;
        o.wal.dir = dir_ + "/n" + std::to_string(i);
        o.wal.segment_bytes = 1u << 20;
        o.log = logs.for_node(i);
        s.machine = kv_machine{};
        s.host = std::make_unique<rt::node_host<Protocol>>(*s.io, o, s.machine);
        s.guard.emplace(s.io->get_executor());
        boost::asio::post(*s.io, [h = s.host.get()] { h->start(); });
        s.thread = std::thread{[io = s.io.get()] { io->run(); }};
    }

    void stop(int i) {
        slot& s = *nodes_[static_cast<std::size_t>(i - 1)];
        if (!s.host) return;
        on(i, [](auto& h) { h.stop(); return 0; });
        s.guard.reset();
        s.io->stop();
        s.thread.join();
        s.host.reset();
        s.io.reset();
    }

    /// Runs `f(host)` on node i's thread and returns its result.
    template <class F>
    auto on(int i, F f) {
        slot& s = *nodes_[static_cast<std::size_t>(i - 1)];
        using R = decltype(f(*s.host));
        std::promise<R> p;
        boost::asio::post(*s.io, [&] { p.set_value(f(*s.host)); });
        return p.get_future().get();
    }

    /// The leader every running node agrees on, waiting up to `limit`.
    int leader(std::chrono::milliseconds limit = 10s) {
        const auto end = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < end) {
            for (int i = 1; i <= size; ++i) {
                if (!nodes_[static_cast<std::size_t>(i - 1)]->host) continue;
                if (on(i, [](auto& h) { return h.status().role == "leader"; })) return i;
            }
            std::this_thread::sleep_for(20ms);
        }
        return 0;
    }

    /// Proposes a put through the leader; true if it was accepted for replication.
    bool put(int leader, std::uint32_t client, std::uint64_t seq, std::uint32_t key, std::string v) {
        const std::string cmd =
            check::kv_encode(check::kv_command{check::client_id{client}, seq, check::kv_input::put(key, v)});
        return on(leader, [&](auto& h) {
            const bool ok = h.node().propose(cmd).has_value();
            h.after_event();
            return ok;
        });
    }

    std::uint64_t executed(int i) {
        return on(i, [](auto& h) { return h.node().state_machine().store->executed(); });
    }
    std::uint64_t state_hash(int i) {
        return on(i, [](auto& h) { return h.node().state_machine().store->state_hash(); });
    }

    /// Waits until every running node executed `n` commands.
    bool wait_executed(std::uint64_t n, std::chrono::milliseconds limit = 10s) {
        const auto end = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < end) {
            bool all = true;
            for (int i = 1; i <= size; ++i)
                if (nodes_[static_cast<std::size_t>(i - 1)]->host && executed(i) < n) all = false;
            if (all) return true;
            std::this_thread::sleep_for(20ms);
        }
        return false;
    }

    const rt::peer_address& address(int i) const { return peers_[static_cast<std::size_t>(i - 1)]; }
    log_record logs;

private:
    struct slot {
        std::unique_ptr<boost::asio::io_context> io;
        std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard;
        std::unique_ptr<rt::node_host<Protocol>> host;
        kv_machine machine;
        std::thread thread;
    };
    std::string dir_;
    std::vector<rt::peer_address> peers_;
    configuration config_;
    std::vector<std::unique_ptr<slot>> nodes_;
};

template <class Protocol>
void replicate_and_restart() {
    cluster<Protocol> c;
    const int leader = c.leader();
    BOOST_TEST_REQUIRE(leader != 0, c.logs.dump());
    int accepted = 0;
    for (std::uint64_t k = 1; k <= 200; ++k)
        if (c.put(leader, 1, k, static_cast<std::uint32_t>(k % 10), "v" + std::to_string(k)))
            ++accepted;
    BOOST_TEST(accepted == 200);
    BOOST_TEST_REQUIRE(c.wait_executed(200), c.logs.dump());
    const std::uint64_t hash = c.state_hash(1);
    BOOST_TEST(c.state_hash(2) == hash);
    BOOST_TEST(c.state_hash(3) == hash);
    BOOST_TEST(c.logs.contains("role: leader"));

    // A follower restarts from its WAL and catches up; then the whole cluster restarts.
    const int follower = leader % 3 + 1;
    c.stop(follower);
    for (std::uint64_t k = 201; k <= 220; ++k)
        c.put(leader, 1, k, static_cast<std::uint32_t>(k % 10), "w" + std::to_string(k));
    c.start(follower);
    BOOST_TEST_REQUIRE(c.wait_executed(220), c.logs.dump());
    for (int i = 1; i <= 3; ++i) c.stop(i);
    for (int i = 1; i <= 3; ++i) c.start(i);
    const int again = c.leader();
    BOOST_TEST_REQUIRE(again != 0);
    // A new command commits, and with it everything before (Raft replays its log; Multi-Paxos
    // learns the chosen slots again from the new leader).
    c.put(again, 2, 1, 99, "after restart");
    BOOST_TEST_REQUIRE(c.wait_executed(221), c.logs.dump());
    BOOST_TEST(c.state_hash(1) == c.state_hash(2));
    BOOST_TEST(c.state_hash(1) == c.state_hash(3));
    BOOST_TEST(c.logs.contains("recovery:"));
}

/// Connects to `port`, sends `bytes`, and reports whether the server closed the connection
/// within `limit`.
bool closed_after(std::uint16_t port, const std::string& bytes, std::chrono::milliseconds limit) {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket s{io};
    s.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    boost::asio::write(s, boost::asio::buffer(bytes));
    bool closed = false;
    char b[64];
    s.async_read_some(boost::asio::buffer(b), [&](const boost::system::error_code& ec, std::size_t) {
        closed = static_cast<bool>(ec);
    });
    io.run_for(limit);
    return closed;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(runtime_asio)

BOOST_AUTO_TEST_CASE(raft_elects_replicates_and_restarts_from_disk) { replicate_and_restart<raft_p>(); }

BOOST_AUTO_TEST_CASE(multi_paxos_elects_replicates_and_restarts_from_disk) {
    replicate_and_restart<paxos_p>();
}

BOOST_AUTO_TEST_CASE(bad_input_on_the_peer_port_closes_the_connection_and_the_leader_stays) {
    cluster<raft_p> c;
    const int leader = c.leader();
    BOOST_TEST_REQUIRE(leader != 0);
    const auto before = c.on(leader, [](auto& h) { return h.status(); });
    const std::uint16_t port = c.address(leader).port;

    BOOST_TEST(closed_after(port, "GET / HTTP/1.1\r\n\r\n", 2s));
    std::string frame;
    codec::encode<raft_p::codec_type>(raft::timeout_now{term_t{1}, node_id{2}}, 12345, frame);
    BOOST_TEST(closed_after(port, frame, 2s));  // another cluster
    std::string bad;
    codec::encode<raft_p::codec_type>(raft::timeout_now{term_t{1}, node_id{9}}, 77, bad);
    BOOST_TEST(closed_after(port, bad, 2s));  // unknown sender
    std::string flipped;
    codec::encode<raft_p::codec_type>(raft::timeout_now{term_t{1}, node_id{2}}, 77, flipped);
    flipped.back() ^= 1;
    BOOST_TEST(closed_after(port, flipped, 2s));  // bad checksum
    // Slow-loris: half a header, then silence: closed after the idle timeout (300 ms).
    BOOST_TEST(closed_after(port, flipped.substr(0, 10), 2s));

    BOOST_TEST(c.logs.contains("wrong_cluster_id"));
    BOOST_TEST(c.logs.contains("unknown_sender"));
    BOOST_TEST(c.logs.contains("bad_checksum"));
    BOOST_TEST(c.logs.contains("bad_magic"));
    BOOST_TEST(c.logs.contains("idle_timeout"));
    // Still the leader of the same term, and still committing.
    const auto after = c.on(leader, [](auto& h) { return h.status(); });
    BOOST_TEST((after == before));
    BOOST_TEST(c.put(leader, 3, 1, 1, "still serving"));
    BOOST_TEST(c.wait_executed(1));
}

BOOST_AUTO_TEST_SUITE_END()
