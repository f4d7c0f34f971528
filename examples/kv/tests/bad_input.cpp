// Bad input on every port (RELIABILITY 3, malformed input): against each node of a 3-node
// synod-kv cluster, on its peer port random bytes, a truncated frame that then stalls
// (slow-loris), an oversized length, a bad checksum, another cluster's frame, an unknown
// message type, a future version, a sender not in the configuration, and a burst of junk
// connections; on its Redis port malformed requests of every kind. Each connection must be
// closed by the server with a logged error naming it, and afterwards the leader must be the
// same node in the same term, every node alive, and writes and reads must still work.
//
// usage: synod_kv_bad_input_test SYNOD_KV BASE_PORT [raft|multipaxos]

#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "synod/codec/multi_paxos.hpp"
#include "synod/codec/raft.hpp"
#include "tests/harness.hpp"

namespace {

using namespace kv_test;
using namespace synod;

int failures = 0;

void expect(bool ok, const std::string& what) {
    if (!ok) {
        std::printf("FAILED: %s\n", what.c_str());
        ++failures;
    }
}

/// Sends `bytes` on a new connection to `port`; true if the server closes it within 3 s.
bool refused(std::uint16_t port, const std::string& bytes) {
    client c;
    if (!c.connect(port, 3000ms)) return false;
    c.send_raw(bytes);
    return c.closed_by_server();
}

std::string frame_header(std::uint8_t version, std::uint8_t type, std::uint64_t cluster,
                         std::uint32_t length) {
    std::string h = "SYND";
    codec::writer w{h};
    w.u8(version);
    w.u8(type);
    w.u16(0);
    w.u64(cluster);
    w.u32(length);
    w.u32(0);
    return h;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s SYNOD_KV BASE_PORT [raft|multipaxos]\n", argv[0]);
        return 2;
    }
    const std::string protocol = argc > 3 ? argv[3] : "raft";
    cluster cl{argv[1], protocol, static_cast<std::uint16_t>(std::atoi(argv[2])), 3,
               {"--election-timeout-ms", "300", "--heartbeat-ms", "50", "--peer-idle-timeout-ms",
                "500", "--client-idle-timeout-ms", "500", "--cluster-id", "7"}};
    cl.start_all();
    const int leader = wait_leader(cl, 20s);
    if (!leader) {
        std::printf("FAILED: no leader; logs in %s\n", cl.dir.c_str());
        return 1;
    }
    const std::uint16_t leader_port = cl.nodes[static_cast<std::size_t>(leader - 1)].client_port;
    const std::string term_before = info_field(info(leader_port), "term");
    {
        client c;
        c.connect(leader_port);
        expect(c.call({"SET", "before", "1"}).text == "OK", "a write before the attacks");
    }

    // Frames: a valid one of this cluster, then mutations of it.
    const bool raft = protocol == "raft";
    auto valid_frame = [&](std::uint32_t from, std::uint64_t cluster) {
        std::string f;
        if (raft)
            codec::encode<codec::raft_codec<std::string>>(raft::timeout_now{term_t{0}, node_id{from}},
                                                         cluster, f);
        else
            codec::encode<codec::multi_paxos_codec<std::string>>(
                multi_paxos::reject{node_id{from}, ballot{}, ballot{}}, cluster, f);
        return f;
    };
    std::mt19937_64 rng{std::random_device{}()};
    std::string junk(256, '\0');
    for (char& ch : junk) ch = static_cast<char>(rng());
    junk[0] = 'X';

    struct peer_case {
        const char* name;
        std::string bytes;
        const char* logged;
    };
    std::string flipped = valid_frame(2, 7);
    flipped.back() ^= 0x40;
    const std::string unknown_type = [&] {
        std::string f = valid_frame(2, 7);
        f[5] = 99;
        return f;
    }();
    const std::vector<peer_case> peer_cases = {
        {"random bytes", junk, "bad_magic"},
        {"truncated frame, then silence", valid_frame(2, 7).substr(0, 15), "idle_timeout"},
        {"length above the limit", frame_header(1, raft ? 3 : 18, 7, 0x7fffffffu), "frame_too_large"},
        {"bad checksum", flipped, "bad_checksum"},
        {"another cluster's frame", valid_frame(2, 8), "wrong_cluster_id"},
        {"unknown message type", unknown_type, "unknown_message_type"},
        {"future version", frame_header(9, 1, 7, 0), "bad_version"},
        {"sender not in the configuration", valid_frame(12, 7), "unknown_sender"},
    };
    struct client_case {
        const char* name;
        std::string bytes;
        const char* logged;
    };
    const std::vector<client_case> client_cases = {
        {"bad multibulk length", "*abc\r\n", "invalid multibulk length"},
        {"huge bulk length", "*1\r\n$99999999999\r\n", "invalid bulk length"},
        {"negative multibulk length", "*-7\r\n", "invalid multibulk length"},
        {"missing $", "*2\r\n$3\r\nGET\r\nxx\r\n", "expected '$'"},
        {"bulk not terminated", "*1\r\n$3\r\nGETXX", "not terminated by CRLF"},
        {"binary junk after *", "*" + junk.substr(1, 40), "Protocol error"},
        {"partial request, then silence", "*2\r\n$3\r\nGE", "idle_timeout"},
        {"inline request with a NUL", std::string("GET a\0b\r\n", 9), "unsupported characters"},
    };

    for (auto& p : cl.nodes) {
        const std::uint16_t peer_port = cl.peer_port(p.id);
        for (const peer_case& c : peer_cases)
            expect(refused(peer_port, c.bytes),
                   "node " + std::to_string(p.id) + " peer port: " + c.name + " not closed");
        for (const client_case& c : client_cases)
            expect(refused(p.client_port, c.bytes),
                   "node " + std::to_string(p.id) + " Redis port: " + c.name + " not closed");
        // A burst of junk connections at once (more than the inbound limit of 64).
        std::vector<std::unique_ptr<client>> burst;
        for (int i = 0; i < 100; ++i) {
            auto c = std::make_unique<client>();
            if (c->connect(peer_port, 3000ms)) {
                c->send_raw(junk);
                burst.push_back(std::move(c));
            }
        }
        int closed = 0;
        for (auto& c : burst) closed += c->closed_by_server() ? 1 : 0;
        expect(closed == static_cast<int>(burst.size()),
               "node " + std::to_string(p.id) + ": " + std::to_string(burst.size() - static_cast<std::size_t>(closed)) +
                   " junk connections left open");
    }
    for (const peer_case& c : peer_cases)
        expect(!cl.grep(c.logged).empty(), std::string{"no log line names "} + c.logged);
    for (const client_case& c : client_cases)
        expect(!cl.grep(c.logged).empty(), std::string{"no log line names "} + c.logged);

    // Same leader, same term, everyone alive, still serving.
    for (auto& p : cl.nodes) expect(p.alive(), "node " + std::to_string(p.id) + " died");
    expect(find_leader(cl) == leader, "leadership moved from node " + std::to_string(leader));
    expect(info_field(info(leader_port), "term") == term_before, "the term changed");
    {
        client c;
        c.connect(leader_port);
        expect(c.call({"SET", "after", "2"}).text == "OK", "a write after the attacks");
        expect(c.call({"GET", "before"}).text == "1", "a read after the attacks");
        expect(c.call({"INCR", "n"}).text == "1", "INCR after the attacks");
    }
    cl.stop_all();
    if (failures == 0) {
        std::filesystem::remove_all(cl.dir);
        std::printf("PASSED: %zu peer-port and %zu Redis-port cases on 3 nodes, leader kept\n",
                    peer_cases.size(), client_cases.size());
        return 0;
    }
    std::printf("%d failures; logs in %s\n", failures, cl.dir.c_str());
    return 1;
}
