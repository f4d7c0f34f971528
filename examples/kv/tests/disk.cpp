// A full disk and a broken disk under synod-kv (Raft, fsync on). A node's disk fails through
// the WAL's error seam (SYNOD_KV_TEST_DISK, see main.cpp), deterministically:
//   A. a single node whose disk is full (ENOSPC on every preallocation and write): the write
//      that needs the disk waits, later writes get "-ERR out of disk space ..." naming the
//      file, linearizable reads are still served; once space is back the waiting write is
//      stored and acknowledged and writes are accepted again;
//   B. three nodes:
//      1. the leader's disk is full: it hands leadership to a follower with room, writes go on
//         without an error; once space is back it catches up;
//      2. a follower's disk is full: writes go on through the others; it catches up later;
//      3. the node that was full is killed (-9) and restarted: it recovers and catches up;
//      4. a follower's fsync fails (EIO): it stops at once (exit status 70, "FATAL ... fsync
//         <file>"), the others go on; restarted with a working disk it catches up;
//      5. every acknowledged write is read back through the leader and from every node.
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
    const std::string binary = argv[1];
    const auto base = static_cast<std::uint16_t>(std::atoi(argv[2]));

    // A. One node: its own disk is the quorum.
    {
        cluster one{binary, "raft", base, 1,
                    {"--fsync", "on", "--request-timeout-ms", "30000", "--snapshot-every", "100"},
                    "-single"};
        const disks disk{one.dir};
        node_process& n = one.nodes[0];
        disk.start(n);
        std::map<std::string, std::string> acked;
        check(write_all(one, "solo", 120, acked), "A: 120 writes with a working disk");
        disk.set(1, "enospc");
        reply waiting;
        std::thread writer{[&] {
            client c;
            if (c.connect(n.client_port, 30000ms)) waiting = c.call({"SET", "waited", "for space"});
        }};
        check(wait_for([&] { return info_field(info(n.client_port), "storage_full") == "1"; }),
              "A: the write that needs the disk finds it full: storage_full:1");
        client c;
        check(c.connect(n.client_port), "A: connect");
        const reply refused = c.call({"SET", "refused", "x"});
        std::printf("  %s\n", refused.text.c_str());
        check(refused.type == '-' && refused.text.starts_with("ERR out of disk space on node 1 (") &&
                  refused.text.find(one.dir + "/n1/") != std::string::npos &&
                  refused.text.find("No space left on device") != std::string::npos,
              "A: a new write is refused with an error naming the file and the cause");
        check(wrong_reads(n.client_port, false, acked) == 0,
              "A: linearizable reads of every acknowledged write are still served");
        const auto logged = one.grep("storage full: ");
        check(!logged.empty(), "A: the full disk is logged");
        if (!logged.empty()) std::printf("  %s\n", logged.front().c_str());
        disk.set(1, "");
        writer.join();
        check(waiting.type == '+', "A: space back: the waiting write is stored and acknowledged");
        acked["waited"] = "for space";
        check(info_field(info(n.client_port), "storage_full") == "0" &&
                  !one.grep("accepting writes again").empty(),
              "A: storage_full:0, and logged");
        check(write_all(one, "solo-after", 50, acked), "A: writes accepted again");
        check(wrong_reads(n.client_port, false, acked) == 0 && n.alive() && one.grep("FATAL").empty(),
              "A: every acknowledged write is there; the node never stopped");
        one.stop_all();
        if (!failed) std::filesystem::remove_all(one.dir);
    }

    // B. Three nodes.
    cluster cl{binary, "raft", base, 3,
               {"--election-timeout-ms", "300", "--heartbeat-ms", "50", "--fsync", "on",
                "--snapshot-every", "100", "--wal-segment-bytes", "65536"}};
    const disks disk{cl.dir};
    for (auto& p : cl.nodes) disk.start(p);
    std::map<std::string, std::string> acked;
    check(write_all(cl, "first", 150, acked), "B: 150 writes with every disk working");

    // 1. The leader's disk is full: leadership moves to a follower with room.
    const int leader = wait_leader(cl, 20s);
    node_process& l = cl.nodes[static_cast<std::size_t>(leader - 1)];
    disk.set(leader, "enospc");
    check(write_all(cl, "leader-full", 150, acked), "B: 150 writes while the leader's disk is full");
    check(wait_for([&] { const int now = find_leader(cl); return now != 0 && now != leader; }),
          "B: leadership moved away from the full node");
    const auto handed = cl.grep("node " + std::to_string(leader) + ": storage full: handing leadership");
    check(!handed.empty(), "B: it logged the hand-over");
    if (!handed.empty()) std::printf("  %s\n", handed.front().c_str());
    check(l.alive() && info_field(info(l.client_port), "storage_full") == "1",
          "B: the full node keeps running and says storage_full:1");
    disk.set(leader, "");
    check(wait_for([&] { return info_field(info(l.client_port), "storage_full") == "0"; }),
          "B: space back: storage_full:0");
    check(caught_up(l, info_number(leader_port(cl), "commit_index")), "B: it catches up");

    // 2. A follower's disk is full: the others carry on.
    const int now = wait_leader(cl, 20s);
    const int follower = now % 3 + 1;
    node_process& f = cl.nodes[static_cast<std::size_t>(follower - 1)];
    disk.set(follower, "enospc");
    check(write_all(cl, "follower-full", 150, acked), "B: 150 writes while a follower's disk is full");
    check(info_field(info(f.client_port), "storage_full") == "1", "B: the follower says storage_full:1");
    disk.set(follower, "");
    const std::uint64_t commit = info_number(leader_port(cl), "commit_index");
    check(caught_up(f, commit), "B: space back: the follower catches up to " + std::to_string(commit));

    // 3. The node that was full first: kill -9 and restart.
    l.kill9();
    check(write_all(cl, "down", 100, acked), "B: 100 writes while it is down");
    disk.start(l);
    check(caught_up(l, info_number(leader_port(cl), "commit_index")), "B: restarted, it catches up");

    // 4. A follower's fsync fails: fail-stop.
    const int now2 = wait_leader(cl, 20s);
    const int broken = now2 % 3 + 1;
    node_process& b = cl.nodes[static_cast<std::size_t>(broken - 1)];
    disk.set(broken, "eio-fsync");
    check(write_all(cl, "fsync-broken", 100, acked), "B: 100 writes while a follower's fsync fails");
    check(wait_for([&] { return !b.alive(); }), "B: that follower stopped");
    check(WIFEXITED(b.last_status) && WEXITSTATUS(b.last_status) == 70, "B: with exit status 70");
    const auto fatal = cl.grep("node " + std::to_string(broken) + ": FATAL: storage write failed: fsync " + cl.dir);
    check(!fatal.empty(), "B: and logged FATAL naming the file");
    if (!fatal.empty()) std::printf("  %s\n", fatal.front().c_str());
    disk.set(broken, "");
    disk.start(b);
    check(caught_up(b, info_number(leader_port(cl), "commit_index")),
          "B: restarted with a working disk, it catches up");

    // 5. Every acknowledged write, through the leader and from every node.
    check(wrong_reads(leader_port(cl), false, acked) == 0,
          "B: " + std::to_string(acked.size()) + " acknowledged writes read back through the leader");
    const std::uint64_t final_commit = info_number(leader_port(cl), "commit_index");
    for (auto& p : cl.nodes) {
        check(caught_up(p, final_commit), "B: node " + std::to_string(p.id) + " caught up");
        check(wrong_reads(p.client_port, true, acked) == 0,
              "B: node " + std::to_string(p.id) + " holds every acknowledged write");
    }
    check(cl.grep("FATAL").size() == fatal.size() && cl.grep("refusing to start").empty(),
          "B: no other fatal error, no refusal to start");
    cl.stop_all();
    if (failed) {
        std::printf("FAILED; logs and data kept in %s\n", cl.dir.c_str());
        return 1;
    }
    std::filesystem::remove_all(cl.dir);
    std::printf("PASSED\n");
    return 0;
}
