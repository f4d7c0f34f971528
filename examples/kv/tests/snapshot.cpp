// Log compaction in synod-kv (Raft 7; Multi-Paxos's state reduction): three processes with
// fsync on, a snapshot every 200 applied entries and 32 KiB WAL segments. The test writes
// enough to compact many times, then
//   1. kill -9 a follower, writes on (the leader compacts past everything the follower holds),
//      restarts it: it recovers from its own snapshot plus log tail and catches up by
//      InstallSnapshot (its log says "installed a snapshot");
//   2. kill -9 the leader, writes on through the new one, restarts the old leader: it recovers
//      from snapshot plus log tail;
//   3. every acknowledged write is read back through the leader (linearizable GET) and from
//      every node's own state (READONLY, once caught up);
//   4. on disk: every data directory holds one snapshot file and a few segments, the first
//      segments are gone, and the logs say which were deleted.
// Each SET is retried with the same value until acknowledged, so the final value of every key
// is known whatever the outcome of a retried attempt.
//
// usage: synod_kv_snapshot_test SYNOD_KV raft|multipaxos BASE_PORT

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "tests/harness.hpp"

namespace {

using namespace kv_test;
using clock_type = std::chrono::steady_clock;

constexpr int keys = 1450;  // not a multiple of 200: a restart finds a log tail after the snapshot

bool failed = false;

void check(bool ok, const std::string& what) {
    std::printf("%s: %s\n", ok ? "ok" : "FAILED", what.c_str());
    if (!ok) failed = true;
}

/// Writes `key-i = v<round>-i` for every key through the leader, pipelined in chunks, each SET
/// retried with the same value until acknowledged. Returns false if it cannot finish.
bool write_round(cluster& cl, int round, std::map<std::string, std::string>& acked) {
    std::vector<int> unread(keys);
    for (int i = 0; i < keys; ++i) unread[static_cast<std::size_t>(i)] = i;
    const auto end = clock_type::now() + 60s;
    client c;
    while (!unread.empty()) {
        if (clock_type::now() > end) return false;
        const std::uint16_t port = leader_port(cl);
        if (port == 0 || !c.connect(port)) {
            std::this_thread::sleep_for(100ms);
            continue;
        }
        std::vector<int> again;
        for (std::size_t at = 0; at < unread.size(); at += 100) {
            const std::size_t n = std::min<std::size_t>(100, unread.size() - at);
            std::string req;
            for (std::size_t k = 0; k < n; ++k) {
                const int i = unread[at + k];
                const std::string key = "key-" + std::to_string(i);
                const std::string value = "v" + std::to_string(round) + "-" + std::to_string(i);
                req += "*3\r\n$3\r\nSET\r\n$" + std::to_string(key.size()) + "\r\n" + key + "\r\n$" +
                       std::to_string(value.size()) + "\r\n" + value + "\r\n";
            }
            std::size_t answered = 0;
            if (c.send_raw(req)) {
                for (; answered < n; ++answered) {
                    const reply r = c.read_reply();
                    if (r.type == 0) break;
                    const int i = unread[at + answered];
                    if (r.type == '+' && r.text == "OK")
                        acked["key-" + std::to_string(i)] = "v" + std::to_string(round) + "-" + std::to_string(i);
                    else
                        again.push_back(i);
                }
            }
            if (answered < n) {
                for (std::size_t k = answered; k < n; ++k) again.push_back(unread[at + k]);
                c.close();
                for (std::size_t k = at + n; k < unread.size(); ++k) again.push_back(unread[k]);
                break;
            }
        }
        unread = std::move(again);
        if (!unread.empty()) std::this_thread::sleep_for(100ms);
    }
    return true;
}

struct wal_dir {
    std::vector<std::uint64_t> segments;
    int snapshots = 0;
};

wal_dir look_at(const std::string& dir) {
    wal_dir w;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        const std::string name = e.path().filename().string();
        if (name.ends_with(".wal")) w.segments.push_back(std::stoull(name.substr(0, 16), nullptr, 16));
        if (name.ends_with(".snap")) ++w.snapshots;
    }
    std::sort(w.segments.begin(), w.segments.end());
    return w;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: %s SYNOD_KV raft|multipaxos BASE_PORT\n", argv[0]);
        return 2;
    }
    const std::string binary = argv[1];
    const std::string protocol = argv[2];
    const auto base = static_cast<std::uint16_t>(std::atoi(argv[3]));
    cluster cl{binary, protocol, base, 3,
               {"--election-timeout-ms", "300", "--heartbeat-ms", "50", "--fsync", "on",
                "--snapshot-every", "200", "--wal-segment-bytes", "32768"}};
    cl.start_all();
    std::map<std::string, std::string> acked;
    int round = 0;
    auto write = [&](const char* when) {
        const bool ok = write_round(cl, ++round, acked);
        check(ok, std::string{"round "} + std::to_string(round) + " of " + std::to_string(keys) +
                      " writes " + when);
        return ok;
    };

    if (!write("with all nodes up") || !write("again")) return 1;
    int leader = wait_leader(cl, 20s);
    int follower = leader % 3 + 1;
    node_process& f = cl.nodes[static_cast<std::size_t>(follower - 1)];
    const std::uint64_t follower_applied = info_number(f.client_port, "applied_index");
    f.kill9();
    std::printf("killed follower %d at applied index %llu\n", follower,
                static_cast<unsigned long long>(follower_applied));
    if (!write("with the follower down") || !write("again")) return 1;
    leader = wait_leader(cl, 20s);
    const std::uint16_t lp = cl.nodes[static_cast<std::size_t>(leader - 1)].client_port;
    const std::uint64_t leader_snapshot = info_number(lp, "snapshot_index");
    check(leader_snapshot > follower_applied + 200,
          "the leader compacted past the follower (snapshot at " + std::to_string(leader_snapshot) + ")");

    f.start();
    const std::uint64_t commit = info_number(lp, "commit_index");
    check(caught_up(f, commit), "the restarted follower caught up to " + std::to_string(commit));
    const bool installed =
        !cl.grep("node " + std::to_string(follower) + ": installed a snapshot").empty();
    check(installed, "it caught up by InstallSnapshot (its log says \"installed a snapshot\")");
    check(info_number(f.client_port, "snapshots_restored") >= 2,
          "it restored its own snapshot at start-up and then the leader's");

    // The leader: kill -9, write through the new leader, restart.
    node_process& old = cl.nodes[static_cast<std::size_t>(leader - 1)];
    old.kill9();
    std::printf("killed leader %d\n", leader);
    if (!write("through the new leader")) return 1;
    old.start();
    if (!write("with every node up again")) return 1;
    // Its recovery line: "recovery: DIR: term T, vote V, log A..B" (Raft) or "... slots A..B".
    {
        std::string line;
        for (const std::string& l : cl.grep("node " + std::to_string(leader) + ": recovery: ")) line = l;
        std::size_t at = line.rfind(" log ");
        if (at == std::string::npos) at = line.rfind(" slots ");
        const std::size_t dots = at == std::string::npos ? at : line.find("..", at);
        std::uint64_t first = 0, last = 0;
        if (dots != std::string::npos) {
            const std::size_t num = line.find_first_of("0123456789", at);
            first = std::stoull(line.substr(num, dots - num));
            last = std::stoull(line.substr(dots + 2));
        }
        check(first > 1 && last >= first,
              "the old leader recovered from its snapshot (through " + std::to_string(first - 1) +
                  ") plus a log tail (" + std::to_string(first) + ".." + std::to_string(last) + ")");
    }

    // Every acknowledged write, through the leader (linearizable) and from every node.
    const std::uint16_t now_leader = leader_port(cl);
    const std::uint64_t final_commit = info_number(now_leader, "commit_index");
    int wrong = 0;
    {
        // Multi-Paxos has no pre-vote: the restarted node may depose the leader meanwhile.
        // A redirected or refused read has no effect: follow MOVED and retry.
        client c;
        std::uint16_t port = now_leader;
        for (const auto& [k, v] : acked) {
            reply r;
            for (int attempt = 0; attempt < 100; ++attempt) {
                if (!c.connected() && !c.connect(port)) {
                    std::this_thread::sleep_for(50ms);
                    continue;
                }
                r = c.call({"GET", k});
                if (r.type == '$') break;
                if (r.type == '-' && r.text.starts_with("MOVED"))
                    port = static_cast<std::uint16_t>(std::stoi(r.text.substr(r.text.rfind(':') + 1)));
                c.close();
                std::this_thread::sleep_for(50ms);
            }
            if (r.type != '$' || r.nil || r.text != v) {
                if (++wrong <= 5) std::printf("  GET %s: expected %s, got '%s'\n", k.c_str(), v.c_str(), r.text.c_str());
            }
        }
    }
    check(wrong == 0 && acked.size() == static_cast<std::size_t>(keys),
          std::to_string(acked.size()) + " keys read back through the leader, " +
              std::to_string(wrong) + " wrong");
    for (auto& p : cl.nodes) {
        check(caught_up(p, final_commit), "node " + std::to_string(p.id) + " caught up");
        client c;
        int bad = 0;
        if (c.connect(p.client_port) && c.call({"READONLY"}).type == '+') {
            for (const auto& [k, v] : acked) {
                const reply r = c.call({"GET", k});
                if (r.type != '$' || r.nil || r.text != v) ++bad;
            }
        } else {
            bad = -1;
        }
        check(bad == 0, "node " + std::to_string(p.id) + " holds every acknowledged write (" +
                            std::to_string(bad) + " wrong)");
    }

    // On disk.
    for (auto& p : cl.nodes) {
        const wal_dir w = look_at(cl.dir + "/n" + std::to_string(p.id));
        std::string list;
        for (auto s : w.segments) list += " " + std::to_string(s);
        check(w.snapshots == 1, "node " + std::to_string(p.id) + ": one snapshot file (" +
                                    std::to_string(w.snapshots) + ")");
        check(!w.segments.empty() && w.segments.front() > 1 && w.segments.size() <= 4,
              "node " + std::to_string(p.id) + ": old segments deleted, segments on disk:" + list);
    }
    check(cl.grep("compaction: deleted segment").size() >= 6, "the logs name deleted segments");
    check(cl.grep("FATAL").empty() && cl.grep("refusing to start").empty(),
          "no fatal error, no refusal to start");
    for (const std::string& line : cl.grep("recovery: "))
        if (line.find(" log ") != std::string::npos || line.find(" slots ") != std::string::npos)
            std::printf("  %s\n", line.c_str());
    cl.stop_all();
    if (failed) {
        std::printf("FAILED; logs and data kept in %s\n", cl.dir.c_str());
        return 1;
    }
    std::filesystem::remove_all(cl.dir);
    std::printf("PASSED\n");
    return 0;
}
