// kill -9 under load (RELIABILITY 3, crash durability): three synod-kv processes with fsync on,
// client threads writing and reading through the Redis protocol, and a killer that SIGKILLs a
// random node (the leader half of the time, every node at once now and then) every 1-3 s and
// restarts it after 0-1 s. At the end every key is read through the leader, and the whole
// history (final reads included) must pass the linearizability checker: so every acknowledged
// write is there with its last acknowledged value, and nothing unacknowledged surfaced in a way
// no order explains. Every node must be up again, caught up, and none may have refused to start.
// GETs are part of the checked history (with Raft they are ReadIndex reads, on the leader or
// forwarded by a follower); the test requires many of them answered. The nodes take a snapshot
// every 300 entries, so kills also land during compaction and InstallSnapshot.
//
// usage: synod_kv_crash_test SYNOD_KV raft|multipaxos BASE_PORT [SECONDS]
// (SYNOD_CRASH_SECONDS overrides the default 25 s of load.) Bounded: well under two minutes.

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "synod/check/history.hpp"
#include "synod/check/linearizability.hpp"
#include "tests/harness.hpp"

namespace {

using namespace kv_test;
using namespace synod;
using clock_type = std::chrono::steady_clock;

constexpr int clients = 12;
constexpr int keys = 16;

struct shared_history {
    std::mutex mutex;
    check::history h;
    clock_type::time_point start = clock_type::now();
    std::uint64_t now() const {
        return static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - start).count());
    }
    check::op_id invoke(check::client_id c, check::kv_input in) {
        const std::lock_guard lock{mutex};
        return h.invoke(c, std::move(in), now());
    }
    void complete(check::op_id id, check::kv_output out) {
        const std::lock_guard lock{mutex};
        h.complete(id, std::move(out), now());
    }
    void discard(check::op_id id) {
        const std::lock_guard lock{mutex};
        h.discard(id);
    }
};

struct counters {
    std::atomic<std::uint64_t> ok{0}, reads_ok{0}, open{0}, redirected{0}, lost{0};
};

enum class outcome { done, discarded, open };

/// Runs one operation against `c` and records it. Updates `target` on a redirect.
outcome run_op(client& c, shared_history& hist, check::client_id id, const check::kv_input& in,
               std::uint16_t& target, counters& n) {
    const check::op_id op = hist.invoke(id, in);
    const std::string key = "k" + std::to_string(in.key);
    const reply r = in.kind == check::op_kind::put ? c.call({"SET", key, in.value})
                                                   : c.call({"GET", key});
    if (r.type == '+' && in.kind == check::op_kind::put && r.text == "OK") {
        hist.complete(op, check::kv_output::ok());
        ++n.ok;
        return outcome::done;
    }
    if (r.type == '$' && in.kind == check::op_kind::get) {
        hist.complete(op, r.nil ? check::kv_output::absent() : check::kv_output::read(r.text));
        ++n.ok;
        ++n.reads_ok;
        return outcome::done;
    }
    if (r.type == '-') {
        // MOVED / CLUSTERDOWN: refused before proposing. "proposal lost": its log position
        // went to another leader's entry. Neither was executed.
        if (r.text.starts_with("MOVED")) {
            const auto colon = r.text.rfind(':');
            target = static_cast<std::uint16_t>(std::stoi(r.text.substr(colon + 1)));
            hist.discard(op);
            ++n.redirected;
            return outcome::discarded;
        }
        // TRYAGAIN: a read that could not be confirmed, or a write refused while leadership
        // moves; neither was executed.
        if (r.text.starts_with("CLUSTERDOWN") || r.text.find("proposal lost") != std::string::npos ||
            r.text.starts_with("TRYAGAIN")) {
            hist.discard(op);
            ++n.lost;
            return outcome::discarded;
        }
    }
    // A timeout, a closed connection, "outcome unknown": it may or may not have happened.
    ++n.open;
    return outcome::open;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: %s SYNOD_KV raft|multipaxos BASE_PORT [SECONDS]\n", argv[0]);
        return 2;
    }
    const std::string binary = argv[1];
    const std::string protocol = argv[2];
    const auto base = static_cast<std::uint16_t>(std::atoi(argv[3]));
    int seconds = argc > 4 ? std::atoi(argv[4]) : 25;
    if (const char* s = std::getenv("SYNOD_CRASH_SECONDS")) seconds = std::atoi(s);
    const std::uint64_t seed = static_cast<std::uint64_t>(std::random_device{}());
    std::printf("crash test: %s, %d s of load, %d clients, %d keys, seed %llu\n", protocol.c_str(),
                seconds, clients, keys, static_cast<unsigned long long>(seed));

    cluster cl{binary, protocol, base, 3,
               {"--election-timeout-ms", "300", "--heartbeat-ms", "50", "--request-timeout-ms",
                "2000", "--fsync", "on", "--snapshot-every", "300", "--wal-segment-bytes", "262144"}};
    cl.start_all();
    if (!wait_leader(cl, 20s)) {
        std::printf("FAILED: no leader within 20 s; logs in %s\n", cl.dir.c_str());
        return 1;
    }

    shared_history hist;
    counters n;
    std::atomic<bool> stop{false};
    std::atomic<std::uint32_t> next_client{1};
    std::vector<std::thread> threads;
    for (int t = 0; t < clients; ++t) {
        threads.emplace_back([&, t] {
            std::mt19937_64 rng{seed + static_cast<std::uint64_t>(t)};
            check::client_id id{next_client++};
            client c;
            std::uint16_t target = cl.nodes[static_cast<std::size_t>(t) % 3].client_port;
            std::uint64_t seq = 0;
            while (!stop) {
                if (!c.connected() || c.port() != target) {
                    if (!c.connect(target, 2000ms)) {
                        target = cl.nodes[rng() % 3].client_port;
                        std::this_thread::sleep_for(20ms);
                        continue;
                    }
                }
                const auto key = static_cast<check::kv_key>(rng() % keys);
                const check::kv_input in =
                    rng() % 10 < 6 ? check::kv_input::put(key, "c" + std::to_string(id.value) + "-" +
                                                                   std::to_string(++seq))
                                   : check::kv_input::get(key);
                const outcome o = run_op(c, hist, id, in, target, n);
                if (o == outcome::open) {
                    // The session's last operation is open forever: continue as a new client.
                    id = check::client_id{next_client++};
                    c.close();
                    target = cl.nodes[rng() % 3].client_port;
                } else if (o == outcome::discarded && c.port() == target) {
                    std::this_thread::sleep_for(20ms);  // no leader yet
                }
            }
        });
    }

    // The killer.
    std::mt19937_64 rng{seed ^ 0x5eed};
    int kills = 0, leader_kills = 0, all_kills = 0;
    const auto end = clock_type::now() + std::chrono::seconds(seconds);
    while (clock_type::now() < end) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1000 + rng() % 2000));
        if (clock_type::now() >= end) break;
        if (rng() % 10 == 0) {
            for (auto& p : cl.nodes) p.kill9();
            ++all_kills;
            std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 1000));
            for (auto& p : cl.nodes) p.start();
            continue;
        }
        int victim = 0;
        if (rng() % 2 == 0) victim = find_leader(cl);
        if (victim != 0) ++leader_kills;
        if (victim == 0) victim = static_cast<int>(rng() % 3) + 1;
        node_process& p = cl.nodes[static_cast<std::size_t>(victim - 1)];
        p.kill9();
        ++kills;
        std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 1000));
        p.start();
    }
    stop = true;
    for (auto& t : threads) t.join();

    // Final reads through the leader, recorded in the same history.
    bool ok = true;
    const int leader = wait_leader(cl, 20s);
    if (!leader) {
        std::printf("FAILED: no leader after the last restart; logs in %s\n", cl.dir.c_str());
        return 1;
    }
    const check::client_id reader{next_client++};
    for (int k = 0; k < keys; ++k) {
        bool read = false;
        for (int attempt = 0; attempt < 50 && !read; ++attempt) {
            client c;
            std::uint16_t target = cl.nodes[static_cast<std::size_t>(find_leader(cl) ? find_leader(cl) - 1 : 0)].client_port;
            if (!c.connect(target)) {
                std::this_thread::sleep_for(100ms);
                continue;
            }
            const outcome o = run_op(c, hist, check::client_id{next_client++},
                                     check::kv_input::get(static_cast<check::kv_key>(k)), target, n);
            read = o == outcome::done;
            if (!read) std::this_thread::sleep_for(100ms);
        }
        if (!read) {
            std::printf("FAILED: key k%d could not be read at the end\n", k);
            ok = false;
        }
    }
    (void)reader;

    // Every node up, and caught up with the leader's commit index.
    const std::uint64_t commit =
        std::stoull("0" + info_field(info(cl.nodes[static_cast<std::size_t>(leader - 1)].client_port), "commit_index"));
    for (auto& p : cl.nodes) {
        bool caught_up = false;
        for (int i = 0; i < 100 && !caught_up; ++i) {
            const std::string applied = info_field(info(p.client_port), "applied_index");
            const std::string last = info_field(info(p.client_port), "commit_index");
            caught_up = p.alive() && !applied.empty() && std::stoull(last) >= commit;
            if (!caught_up) std::this_thread::sleep_for(100ms);
        }
        if (!caught_up) {
            std::printf("FAILED: node %d did not catch up to commit index %llu\n", p.id,
                        static_cast<unsigned long long>(commit));
            ok = false;
        }
    }
    for (const std::string& line : cl.grep("refusing to start")) {
        std::printf("FAILED: %s\n", line.c_str());
        ok = false;
    }
    for (const std::string& line : cl.grep("FATAL")) {
        std::printf("FAILED: %s\n", line.c_str());
        ok = false;
    }
    cl.stop_all();

    const auto t0 = clock_type::now();
    const check::check_result result = check::check_linearizability(hist.h);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - t0).count();
    std::printf("kills: %d single (%d of the leader), %d whole-cluster; operations: %zu "
                "(%llu answered, of them %llu GETs; %llu open, %llu redirected, %llu refused or "
                "lost); recovery log lines: %zu; snapshots installed: %zu\n",
                kills, leader_kills, all_kills, hist.h.size(),
                static_cast<unsigned long long>(n.ok.load()),
                static_cast<unsigned long long>(n.reads_ok.load()), static_cast<unsigned long long>(n.open.load()),
                static_cast<unsigned long long>(n.redirected.load()),
                static_cast<unsigned long long>(n.lost.load()), cl.grep("recovery:").size(),
                cl.grep("installed a snapshot").size());
    std::printf("linearizability: %s (%zu partitions, %llu steps, %lld ms)\n",
                std::string{check::to_string(result.outcome)}.c_str(), result.partitions,
                static_cast<unsigned long long>(result.steps), static_cast<long long>(ms));
    if (result.outcome != check::verdict::linearizable) {
        std::printf("%s\n", result.explanation.c_str());
        ok = false;
    }
    if (n.ok < 500) {
        std::printf("FAILED: only %llu operations answered\n", static_cast<unsigned long long>(n.ok.load()));
        ok = false;
    }
    if (n.reads_ok < 200) {
        std::printf("FAILED: only %llu GETs answered: too few reads in the checked history\n",
                    static_cast<unsigned long long>(n.reads_ok.load()));
        ok = false;
    }
    if (ok) {
        std::filesystem::remove_all(cl.dir);
        std::printf("PASSED\n");
        return 0;
    }
    std::printf("FAILED; logs and data kept in %s\n", cl.dir.c_str());
    return 1;
}
