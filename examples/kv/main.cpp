// synod-kv: a replicated key-value server speaking the Redis protocol, on synod's Raft (default)
// or Multi-Paxos, with TCP between the nodes and a file WAL on disk.
//
//   synod-kv --id 1 --peers 127.0.0.1:7101:7001,127.0.0.1:7102:7002,127.0.0.1:7103:7003
//            --data-dir data/n1 [--port 7001] [--protocol raft|multipaxos] [--fsync on|off]
//            [--snapshot-every 10000] [--wal-segment-bytes 67108864]
//
// --peers lists every member as host:peer_port:client_port; member i (from 1) is node i.
// scripts/cluster starts a local cluster; docs/runtime-asio.md describes the whole runtime.
//
// Shows the cores as a real service: the same raft::node and multi_paxos::replica as the
// in-process examples, under runtime/asio (TCP transport, steady_timer, file WAL with fsync off
// the event loop), with linearizable reads and writes for unmodified Redis clients.

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "server.hpp"

namespace {

[[noreturn]] void usage(const std::string& error) {
    std::fprintf(stderr,
                 "synod-kv: %s\n"
                 "usage: synod-kv --id N --peers HOST:PEER_PORT:CLIENT_PORT,... --data-dir DIR\n"
                 "                [--port P] [--bind ADDR] [--protocol raft|multipaxos]\n"
                 "                [--cluster-id N] [--fsync on|off] [--election-timeout-ms MS]\n"
                 "                [--heartbeat-ms MS] [--request-timeout-ms MS]\n"
                 "                [--client-idle-timeout-ms MS] [--peer-idle-timeout-ms MS]\n"
                 "                [--snapshot-every N (0: never)] [--wal-segment-bytes N]\n",
                 error.c_str());
    std::exit(2);
}

unsigned long long number(std::string_view flag, const std::string& v, unsigned long long lo,
                          unsigned long long hi) {
    char* end = nullptr;
    errno = 0;
    const unsigned long long n = std::strtoull(v.c_str(), &end, 10);
    if (v.empty() || errno != 0 || *end != '\0' || n < lo || n > hi)
        usage(std::string{flag} + " expects a number in " + std::to_string(lo) + ".." +
              std::to_string(hi) + ", got '" + v + "'");
    return n;
}

std::vector<synod_kv::member> parse_peers(const std::string& s) {
    std::vector<synod_kv::member> out;
    std::size_t at = 0;
    while (at <= s.size()) {
        const std::size_t comma = std::min(s.find(',', at), s.size());
        const std::string item = s.substr(at, comma - at);
        const std::size_t c2 = item.rfind(':');
        const std::size_t c1 = c2 == std::string::npos || c2 == 0 ? std::string::npos : item.rfind(':', c2 - 1);
        if (c1 == std::string::npos)
            usage("--peers: '" + item + "' is not HOST:PEER_PORT:CLIENT_PORT");
        synod_kv::member m;
        m.id = synod::node_id{static_cast<std::uint32_t>(out.size() + 1)};
        m.host = item.substr(0, c1);
        m.peer_port = static_cast<std::uint16_t>(number("--peers", item.substr(c1 + 1, c2 - c1 - 1), 1, 65535));
        m.client_port = static_cast<std::uint16_t>(number("--peers", item.substr(c2 + 1), 1, 65535));
        out.push_back(m);
        at = comma + 1;
    }
    if (out.empty() || out.size() > synod::max_nodes) usage("--peers: 1 to 16 members");
    return out;
}

template <class Protocol>
int run(const synod_kv::server_options& o, const synod::runtime::asio::logger& log) {
    boost::asio::io_context io{1};
    std::unique_ptr<synod_kv::server<Protocol>> s;
    try {
        s = std::make_unique<synod_kv::server<Protocol>>(io, o, log);
    } catch (const std::exception& e) {
        log(std::string{"refusing to start: "} + e.what());
        return 1;
    }
    boost::asio::signal_set signals{io, SIGINT, SIGTERM};
    signals.async_wait([&](const boost::system::error_code& ec, int sig) {
        if (ec) return;
        log("signal " + std::to_string(sig) + ": shutting down");
        s->stop();
        io.stop();
    });
    s->start();
    io.run();
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    synod_kv::server_options o;
    std::string protocol = "raft";
    std::string peers;
    bool have_id = false;
    long port = -1;
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        if (flag == "--help" || flag == "-h") usage("help");
        if (i + 1 >= argc) usage(flag + " needs a value");
        const std::string v = argv[++i];
        if (flag == "--id") {
            o.self = synod::node_id{static_cast<std::uint32_t>(number(flag, v, 1, synod::max_nodes))};
            have_id = true;
        } else if (flag == "--peers") {
            peers = v;
        } else if (flag == "--data-dir") {
            o.data_dir = v;
        } else if (flag == "--port") {
            port = static_cast<long>(number(flag, v, 1, 65535));
        } else if (flag == "--bind") {
            o.bind = v;
        } else if (flag == "--protocol") {
            if (v != "raft" && v != "multipaxos") usage("--protocol is raft or multipaxos");
            protocol = v;
        } else if (flag == "--cluster-id") {
            o.cluster_id = number(flag, v, 0, ~0ull);
        } else if (flag == "--fsync") {
            if (v != "on" && v != "off") usage("--fsync is on or off");
            o.fsync = v == "on";
        } else if (flag == "--election-timeout-ms") {
            o.election_timeout = std::chrono::milliseconds(number(flag, v, 10, 60000));
        } else if (flag == "--heartbeat-ms") {
            o.heartbeat = std::chrono::milliseconds(number(flag, v, 1, 60000));
        } else if (flag == "--request-timeout-ms") {
            o.request_timeout = std::chrono::milliseconds(number(flag, v, 10, 3600000));
        } else if (flag == "--client-idle-timeout-ms") {
            o.client_idle_timeout = std::chrono::milliseconds(number(flag, v, 10, 3600000));
        } else if (flag == "--peer-idle-timeout-ms") {
            o.peer_idle_timeout = std::chrono::milliseconds(number(flag, v, 10, 3600000));
        } else if (flag == "--snapshot-every") {
            o.snapshot_every = number(flag, v, 0, ~0ull);
        } else if (flag == "--wal-segment-bytes") {
            o.wal_segment_bytes = number(flag, v, 4096, 1ull << 36);
        } else {
            usage("unknown option " + flag);
        }
    }
    if (!have_id) usage("--id is required");
    if (peers.empty()) usage("--peers is required");
    if (o.data_dir.empty()) usage("--data-dir is required");
    o.members = parse_peers(peers);
    if (o.self.value > o.members.size()) usage("--id is beyond the members named by --peers");
    if (o.heartbeat >= o.election_timeout) usage("--heartbeat-ms must be below --election-timeout-ms");
    const synod_kv::member& me = o.members[o.self.value - 1];
    o.port = port > 0 ? static_cast<std::uint16_t>(port) : me.client_port;
    if (o.peer_idle_timeout == std::chrono::milliseconds{600})
        o.peer_idle_timeout = 2 * o.election_timeout;  // RELIABILITY 3: at most 2 x ET
    // Tests only: with SYNOD_KV_TEST_DISK=PATH in the environment, the WAL's system calls fail
    // while the file PATH exists, as its first word says: "enospc" fails every preallocation
    // and write with ENOSPC (a disk that is full until PATH is removed), "eio-fsync" every
    // fsync with EIO (a disk that breaks).
    if (const char* p = std::getenv("SYNOD_KV_TEST_DISK"); p && *p) {
        o.inject_storage_error = [path = std::string{p}](std::string_view operation, const std::string&) {
            std::ifstream f{path};
            std::string mode;
            if (!(f >> mode)) return 0;
            if (mode == "enospc" && operation != "fsync") return ENOSPC;
            if (mode == "eio-fsync" && operation == "fsync") return EIO;
            return 0;
        };
    }
    const synod::runtime::asio::logger log{"node " + std::to_string(o.self.value)};
    // ReadIndex for linearizable reads; leadership transfer so that a leader whose disk is full
    // can hand over to a follower with room (node_host.hpp).
    constexpr synod::raft::features raft_features{
        .pre_vote = true, .check_quorum = true, .leader_transfer = true, .read_index = true};
    if (protocol == "raft")
        return run<synod::runtime::asio::raft_protocol<std::string, synod_kv::machine, raft_features>>(o, log);
    return run<synod::runtime::asio::multi_paxos_protocol<std::string, synod_kv::machine>>(o, log);
}
