// A full disk and a broken disk under synod-kv (Raft, fsync on). The disk of one node at a time
// fails through the WAL's error seam (SYNOD_KV_TEST_DISK, see main.cpp), deterministically:
//   1. the leader's disk is full (ENOSPC on every preallocation and write): it keeps running,
//      answers writes with "-ERR out of disk space ..." naming the file, still serves
//      linearizable reads, logs it; once space is back it writes the waiting batch and accepts
//      writes again;
//   2. a follower's disk is full: writes go on through the leader and the other follower; once
//      space is back the follower catches up;
//   3. that leader is killed (-9) and restarted: it recovers and catches up;
//   4. a follower's fsync fails (EIO): it stops at once (exit status 70, "FATAL ... fsync
//      <file>"), the others go on; restarted with a working disk it catches up;
//   5. every acknowledged write is read back through the leader and from every node.
//
// usage: synod_kv_disk_test SYNOD_KV BASE_PORT

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <fstream>
#include <map>
#include <string>
#include <thread>

#include "tests/harness.hpp"

namespace {

using namespace kv_test;

bool failed = false;

void check(bool ok, const std::string& what) {
    std::printf("%s: %s\n", ok ? "ok" : "FAILED", what.c_str());
    if (!ok) failed = true;
}

struct disks {
    std::string dir;
    std::string path(int node) const { return dir + "/disk-n" + std::to_string(node); }
    /// "enospc", "eio-fsync", or "" for a working disk.
    void set(int node, const std::string& mode) const {
        if (mode.empty()) {
            std::filesystem::remove(path(node));
        } else {
            std::ofstream{path(node)} << mode << "\n";
        }
    }
    void start(node_process& p) const {
        ::setenv("SYNOD_KV_TEST_DISK", path(p.id).c_str(), 1);
        p.start();
    }
};

/// Writes keys prefix-0..n-1 through the leader, each retried (same value) until acknowledged.
bool write_all(cluster& cl, const std::string& prefix, int n, std::map<std::string, std::string>& acked) {
    client c;
    for (int i = 0; i < n; ++i) {
        const std::string k = prefix + "-" + std::to_string(i);
        const std::string v = "value-of-" + k;
        bool done = false;
        for (int attempt = 0; attempt < 200 && !done; ++attempt) {
            if (!c.connected()) {
                const std::uint16_t port = leader_port(cl);
                if (port == 0 || !c.connect(port)) continue;
            }
            const reply r = c.call({"SET", k, v});
            done = r.type == '+';
            if (!done) {
                c.close();
                std::this_thread::sleep_for(50ms);
            }
        }
        if (!done) return false;
        acked[k] = "value-of-" + k;
    }
    return true;
}

/// Reads every acknowledged key, through the leader or (readonly) from `port`'s own state.
int wrong_reads(std::uint16_t port, bool readonly, const std::map<std::string, std::string>& acked) {
    client c;
    if (!c.connect(port)) return -1;
    if (readonly && c.call({"READONLY"}).type != '+') return -1;
    int bad = 0;
    for (const auto& [k, v] : acked) {
        const reply r = c.call({"GET", k});
        if (r.type != '$' || r.nil || r.text != v) ++bad;
    }
    return bad;
}

bool wait_for(const std::function<bool()>& condition, int tenths = 300) {
    for (int i = 0; i < tenths; ++i) {
        if (condition()) return true;
        std::this_thread::sleep_for(100ms);
    }
    return false;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s SYNOD_KV BASE_PORT\n", argv[0]);
        return 2;
    }
    cluster cl{argv[1], "raft", static_cast<std::uint16_t>(std::atoi(argv[2])), 3,
               {"--election-timeout-ms", "300", "--heartbeat-ms", "50", "--fsync", "on",
                "--snapshot-every", "100", "--wal-segment-bytes", "65536"}};
    const disks disk{cl.dir};
    for (auto& p : cl.nodes) disk.start(p);
    std::map<std::string, std::string> acked;
    check(write_all(cl, "first", 150, acked), "150 writes with every disk working");

    // 1. The leader's disk is full.
    const int leader = wait_leader(cl, 20s);
    node_process& l = cl.nodes[static_cast<std::size_t>(leader - 1)];
    disk.set(leader, "enospc");
    std::string refusal;
    {
        client c;
        check(c.connect(l.client_port), "connect to the leader");
        for (int i = 0; i < 200 && refusal.empty(); ++i) {
            const std::string k = "during-" + std::to_string(i);
            const reply r = c.call({"SET", k, "value-of-" + k});
            if (r.type == '+') acked[k] = "value-of-" + k;  // committed by the followers
            else if (r.type == '-' && r.text.find("out of disk space") != std::string::npos) refusal = r.text;
            else break;
            std::this_thread::sleep_for(10ms);
        }
    }
    std::printf("  %s\n", refusal.c_str());
    check(refusal.find("No space left on device") != std::string::npos &&
              refusal.find(cl.dir + "/n" + std::to_string(leader) + "/") != std::string::npos,
          "the full leader refuses writes with an error that names the file and the cause");
    check(l.alive() && info_field(info(l.client_port), "storage_full") == "1",
          "it keeps running and says storage_full:1");
    check(wrong_reads(l.client_port, false, acked) == 0,
          "it still serves linearizable reads of every acknowledged write");
    check(!cl.grep("node " + std::to_string(leader) + ": storage full: ").empty(), "it logged the full disk");
    disk.set(leader, "");
    check(wait_for([&] { return info_field(info(l.client_port), "storage_full") == "0"; }),
          "space back: storage_full:0");
    check(!cl.grep("accepting writes again").empty(), "it logged that it accepts writes again");
    check(write_all(cl, "after", 150, acked), "150 writes after space came back");

    // 2. A follower's disk is full: the others carry on.
    const int now = wait_leader(cl, 20s);
    const int follower = now % 3 + 1;
    node_process& f = cl.nodes[static_cast<std::size_t>(follower - 1)];
    disk.set(follower, "enospc");
    check(write_all(cl, "follower-full", 150, acked), "150 writes while a follower's disk is full");
    check(info_field(info(f.client_port), "storage_full") == "1", "the follower says storage_full:1");
    disk.set(follower, "");
    const std::uint64_t commit = info_number(leader_port(cl), "commit_index");
    check(caught_up(f, commit), "space back: the follower catches up to " + std::to_string(commit));

    // 3. The leader that was full: kill -9 and restart.
    l.kill9();
    check(write_all(cl, "leader-down", 100, acked), "100 writes while it is down");
    disk.start(l);
    check(caught_up(l, info_number(leader_port(cl), "commit_index")), "restarted, it catches up");

    // 4. A follower's fsync fails: fail-stop.
    const int now2 = wait_leader(cl, 20s);
    const int broken = now2 % 3 + 1;
    node_process& b = cl.nodes[static_cast<std::size_t>(broken - 1)];
    disk.set(broken, "eio-fsync");
    check(write_all(cl, "fsync-broken", 100, acked), "100 writes while a follower's fsync fails");
    check(wait_for([&] { return !b.alive(); }), "that follower stopped");
    check(WIFEXITED(b.last_status) && WEXITSTATUS(b.last_status) == 70, "with exit status 70");
    const auto fatal = cl.grep("node " + std::to_string(broken) + ": FATAL: storage write failed: fsync " + cl.dir);
    check(!fatal.empty(), "and logged FATAL naming the file");
    if (!fatal.empty()) std::printf("  %s\n", fatal.front().c_str());
    disk.set(broken, "");
    disk.start(b);
    check(caught_up(b, info_number(leader_port(cl), "commit_index")), "restarted with a working disk, it catches up");

    // 5. Every acknowledged write, through the leader and from every node.
    check(wrong_reads(leader_port(cl), false, acked) == 0,
          std::to_string(acked.size()) + " acknowledged writes read back through the leader");
    const std::uint64_t final_commit = info_number(leader_port(cl), "commit_index");
    for (auto& p : cl.nodes) {
        check(caught_up(p, final_commit), "node " + std::to_string(p.id) + " caught up");
        check(wrong_reads(p.client_port, true, acked) == 0,
              "node " + std::to_string(p.id) + " holds every acknowledged write");
    }
    check(cl.grep("FATAL").size() == fatal.size() && cl.grep("refusing to start").empty(),
          "no other fatal error, no refusal to start");
    cl.stop_all();
    if (failed) {
        std::printf("FAILED; logs and data kept in %s\n", cl.dir.c_str());
        return 1;
    }
    std::filesystem::remove_all(cl.dir);
    std::printf("PASSED\n");
    return 0;
}
