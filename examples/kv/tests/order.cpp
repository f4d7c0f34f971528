// What a client may rely on about reads in synod-kv, checked with exact expected answers:
//   - a connection's pipelined requests take effect in the order it sent them, reads and writes
//     mixed (with Raft, reads use ReadIndex, but a read behind an unanswered write of the same
//     connection goes through the log after it, and a write behind unanswered reads waits for
//     them);
//   - a read sent to any node after a write was acknowledged sees that write (linearizable:
//     with Raft a follower asks the leader for the read index and serves it itself);
//   - a follower answers writes with MOVED naming the leader;
//   - READONLY reads the node's own state.
//
// usage: synod_kv_order_test SYNOD_KV raft|multipaxos BASE_PORT

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/harness.hpp"

namespace {

using namespace kv_test;

bool failed = false;

void check(bool ok, const std::string& what) {
    std::printf("%s: %s\n", ok ? "ok" : "FAILED", what.c_str());
    if (!ok) failed = true;
}

std::string command(const std::vector<std::string>& args) {
    std::string req = "*" + std::to_string(args.size()) + "\r\n";
    for (const auto& a : args) req += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
    return req;
}

/// The text of a reply as the checks compare it: bulk strings as they are, nil as "(nil)",
/// integers as ":n", simple strings as "+s", errors as "-e", arrays as "[a,b]".
std::string shown(const reply& r) {
    switch (r.type) {
        case '$': return r.nil ? "(nil)" : r.text;
        case ':': return ":" + r.text;
        case '+': return "+" + r.text;
        case '-': return "-" + r.text;
        case '*': {
            std::string out = "[";
            for (std::size_t i = 0; i < r.items.size(); ++i) out += (i ? "," : "") + shown(r.items[i]);
            return out + "]";
        }
        default: return "(no answer)";
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: %s SYNOD_KV raft|multipaxos BASE_PORT\n", argv[0]);
        return 2;
    }
    const std::string protocol = argv[2];
    cluster cl{argv[1], protocol, static_cast<std::uint16_t>(std::atoi(argv[3])), 3,
               {"--election-timeout-ms", "300", "--heartbeat-ms", "50", "--fsync", "on"}};
    cl.start_all();
    const int leader = wait_leader(cl, 20s);
    check(leader != 0, "a leader");
    if (!leader) return 1;
    const std::uint16_t lp = cl.nodes[static_cast<std::size_t>(leader - 1)].client_port;
    const std::uint16_t fp = cl.nodes[static_cast<std::size_t>(leader % 3)].client_port;

    // 1. One pipelined burst of mixed requests on the leader: each answer exactly as if they
    //    ran one by one.
    {
        std::string burst;
        std::vector<std::string> expected;
        std::string k = "(nil)";
        for (int i = 1; i <= 200; ++i) {
            const std::string v = "a" + std::to_string(i);
            burst += command({"GET", "k"});
            expected.push_back(k);
            burst += command({"SET", "k", v});
            expected.push_back("+OK");
            burst += command({"GET", "k"});
            expected.push_back(v);
            burst += command({"INCR", "n"});
            expected.push_back(":" + std::to_string(i));
            burst += command({"MGET", "k", "n", "none"});
            expected.push_back("[" + v + "," + std::to_string(i) + ",(nil)]");
            burst += command({"EXISTS", "k", "none"});
            expected.push_back(":1");
            k = v;
        }
        client c;
        check(c.connect(lp, 10000ms) && c.send_raw(burst), "send 1200 pipelined requests to the leader");
        int wrong = 0;
        for (std::size_t i = 0; i < expected.size(); ++i) {
            const std::string got = shown(c.read_reply());
            if (got != expected[i] && ++wrong <= 5)
                std::printf("  answer %zu: expected %s, got %s\n", i, expected[i].c_str(), got.c_str());
        }
        check(wrong == 0, "every answer is the one of sequential execution (" + std::to_string(wrong) + " wrong)");
    }

    // 2. A read sent to a follower after a write was acknowledged sees it.
    {
        client w, r;
        check(w.connect(lp) && r.connect(fp), "connect to the leader and a follower");
        int stale = 0;
        for (int i = 0; i < 200; ++i) {
            const std::string v = "b" + std::to_string(i);
            const reply ok = w.call({"SET", "fresh", v});
            const reply got = r.call({"GET", "fresh"});
            if (ok.type != '+' || shown(got) != v) {
                if (++stale <= 5) std::printf("  SET fresh %s: %s; GET on the follower: %s\n", v.c_str(), shown(ok).c_str(), shown(got).c_str());
            }
        }
        if (protocol == "raft")
            check(stale == 0, "reads on a follower after an acknowledged write see it (" + std::to_string(stale) + " did not)");
        else
            check(stale == 200, "Multi-Paxos: a follower redirects reads to the leader");
        const reply moved = r.call({"SET", "x", "1"});
        check(shown(moved).starts_with("-MOVED 0 127.0.0.1:" + std::to_string(lp)), "a follower answers writes with MOVED naming the leader");
        check(r.call({"READONLY"}).type == '+', "READONLY");
        std::string local;
        for (int i = 0; i < 100 && local != "b199"; ++i) {  // applied there soon, if not yet
            local = shown(r.call({"GET", "fresh"}));
            if (local != "b199") std::this_thread::sleep_for(20ms);
        }
        check(local == "b199", "the follower's own state, read locally");
    }
    check(info_field(info(lp), "reads") == (protocol == "raft" ? "readindex" : "log"),
          "INFO says how reads are served");

    cl.stop_all();
    if (failed) {
        std::printf("FAILED; logs kept in %s\n", cl.dir.c_str());
        return 1;
    }
    std::filesystem::remove_all(cl.dir);
    std::printf("PASSED\n");
    return 0;
}
