// synod-sim: runs Raft or Multi-Paxos clusters in the deterministic simulator, seed after seed,
// under a fault profile, and checks every invariant after every event and the linearizability
// of the clients' history at the end. A failing seed prints the exact command that replays it.
//
//   synod-sim --protocol raft|multipaxos --nodes N --seeds A..B --faults PROFILE --ops K --jobs J
//             [--trace FILE] [--html FILE] [--verbose] [--demo]
//
// --html FILE writes one run as a timeline page (tools/timeline_html.hpp): the first failing
// seed of the range, or the first seed when none fails.

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "synod/config.hpp"
#include "synod/runtime/sim/multi_paxos.hpp"
#include "synod/runtime/sim/raft.hpp"
#include "timeline_html.hpp"

namespace sim = synod::runtime::sim;

namespace {

// Raft with every option its checks cover; reads use them only with --reads index|lease.
using raft_with_everything = sim::raft_protocol<synod::raft::features{
    .pre_vote = true, .check_quorum = true, .read_index = true, .lease_read = true,
    .membership = true}>;

// Planted bugs, to see what a failure looks like (tests/runtime/sim/raft.cpp catches both):
//   early-ack    storage reports writes durable at once while a crash still loses them;
//   stale-lease  lease reads without the clock drift bound, with the slow election timeout
//                (1 s, heartbeats every 100 ms) under which an old leader serves a stale read.
using raft_early_ack_bug =
    sim::raft_protocol<synod::raft::features{.pre_vote = true, .check_quorum = true},
                       synod::raft::current_term_commit_rule, true>;

struct arguments {
    std::string protocol = "raft";
    std::size_t nodes = 5;
    std::uint64_t first_seed = 1;
    std::uint64_t last_seed = 100;
    std::string faults = "default";
    std::size_t ops = 200;
    std::size_t jobs = std::max(1u, std::thread::hardware_concurrency());
    std::string trace;
    std::string html;
    std::string planted_bug;  ///< empty, "early-ack" or "stale-lease"
    bool verbose = false;
    bool demo = false;
    bool quiet = false;  ///< no progress output
    std::size_t compact = 0;
    sim::options::reads reads = sim::options::reads::log;
};

[[noreturn]] void usage_error(const std::string& why) {
    std::fprintf(stderr,
                 "synod-sim: %s\n"
                 "usage: synod-sim [--protocol raft|multipaxos] [--nodes N] [--seeds A..B | N]\n"
                 "                 [--faults none|default|lossy|partitions|crashes|clocks|brutal|churn]\n"
                 "                 [--ops K] [--jobs J] [--trace FILE] [--html FILE] [--verbose] [--demo]\n"
                 "                 [--compact N] [--reads log|index|lease]   (Raft)\n"
                 "                 [--planted-bug early-ack|stale-lease]   (Raft, to see a failure)\n",
                 why.c_str());
    std::exit(2);
}

std::uint64_t parse_number(std::string_view text, const char* what) {
    if (text.empty()) usage_error(std::string{what} + " needs a number");
    std::uint64_t v = 0;
    for (char c : text) {
        if (c < '0' || c > '9') usage_error(std::string{what} + ": '" + std::string{text} + "' is not a number");
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return v;
}

arguments parse(int argc, char** argv) {
    arguments a;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        auto value = [&]() -> std::string_view {
            if (i + 1 >= argc) usage_error(std::string{arg} + " needs a value");
            return argv[++i];
        };
        if (arg == "--protocol") {
            a.protocol = value();
            if (a.protocol != "raft" && a.protocol != "multipaxos")
                usage_error("unknown protocol '" + a.protocol + "' (raft or multipaxos)");
        } else if (arg == "--nodes") {
            a.nodes = parse_number(value(), "--nodes");
            if (a.nodes < 1 || a.nodes > synod::max_nodes)
                usage_error("--nodes must be in 1.." + std::to_string(synod::max_nodes));
        } else if (arg == "--seeds") {
            const std::string_view v = value();
            const auto dots = v.find("..");
            if (dots == std::string_view::npos) {
                a.first_seed = 1;
                a.last_seed = parse_number(v, "--seeds");
            } else {
                a.first_seed = parse_number(v.substr(0, dots), "--seeds");
                a.last_seed = parse_number(v.substr(dots + 2), "--seeds");
            }
            if (a.last_seed < a.first_seed) usage_error("--seeds: empty range");
        } else if (arg == "--faults") {
            a.faults = value();
            sim::fault_profile p;
            if (!sim::fault_profile::named(a.faults, p)) usage_error("unknown fault profile '" + a.faults + "'");
        } else if (arg == "--ops") {
            a.ops = parse_number(value(), "--ops");
        } else if (arg == "--jobs") {
            a.jobs = std::max<std::uint64_t>(1, parse_number(value(), "--jobs"));
        } else if (arg == "--trace") {
            a.trace = value();
        } else if (arg == "--html") {
            a.html = value();
            if (a.html.empty()) usage_error("--html needs a file name");
        } else if (arg == "--planted-bug") {
            a.planted_bug = value();
            if (a.planted_bug != "early-ack" && a.planted_bug != "stale-lease")
                usage_error("--planted-bug: early-ack or stale-lease");
        } else if (arg == "--compact") {
            a.compact = parse_number(value(), "--compact");
        } else if (arg == "--reads") {
            const std::string_view v = value();
            if (v == "log") {
                a.reads = sim::options::reads::log;
            } else if (v == "index") {
                a.reads = sim::options::reads::read_index;
            } else if (v == "lease") {
                a.reads = sim::options::reads::lease;
            } else {
                usage_error("--reads: log, index or lease");
            }
        } else if (arg == "--verbose") {
            a.verbose = true;
        } else if (arg == "--demo") {
            a.demo = true;
        } else if (arg == "--help" || arg == "-h") {
            usage_error("help");
        } else {
            usage_error("unknown argument '" + std::string{arg} + "'");
        }
    }
    if (!a.trace.empty() && a.first_seed != a.last_seed)
        usage_error("--trace needs a single seed (--seeds S..S)");
    if (a.faults == "churn" && a.protocol != "raft")
        usage_error("--faults churn: membership changes are simulated for Raft only");
    if (!a.planted_bug.empty() && a.protocol != "raft") usage_error("--planted-bug is for --protocol raft");
    return a;
}

sim::options options_for(const arguments& a, std::uint64_t seed) {
    sim::options o;
    o.seed = seed;
    o.nodes = a.nodes;
    o.ops = a.ops;
    sim::fault_profile::named(a.faults, o.faults);
    o.compact_every = a.compact;
    o.timeline = a.first_seed == a.last_seed;  // one seed: say what happened if it fails
    o.read_path = a.reads;
    o.spread_reads = a.reads != sim::options::reads::log;
    if (a.planted_bug == "stale-lease") {
        o.read_path = sim::options::reads::lease;
        o.spread_reads = true;
        o.lease_without_drift_bound = true;
        o.election_timeout = 1000;
        o.heartbeat = 100;
        o.client_timeout = 100;
        o.think_ticks = 100;
    }
    return o;
}

template <class Protocol>
sim::result run_one(const sim::options& o) {
    sim::world<Protocol> w{o};
    return w.run();
}

sim::result run_seed(const arguments& a, const sim::options& o) {
    if (a.planted_bug == "early-ack") return run_one<raft_early_ack_bug>(o);
    return a.protocol == "raft" ? run_one<raft_with_everything>(o)
                                : run_one<sim::multi_paxos_protocol>(o);
}

std::string replay_command(const arguments& a, std::uint64_t seed) {
    return "synod-sim --protocol " + a.protocol + " --nodes " + std::to_string(a.nodes) +
           " --seeds " + std::to_string(seed) + ".." + std::to_string(seed) + " --faults " +
           a.faults + " --ops " + std::to_string(a.ops) +
           (a.compact ? " --compact " + std::to_string(a.compact) : std::string{}) +
           (a.reads == sim::options::reads::read_index ? " --reads index"
            : a.reads == sim::options::reads::lease    ? " --reads lease"
                                                       : "") +
           (a.planted_bug.empty() ? std::string{} : " --planted-bug " + a.planted_bug) +
           " --trace seed-" + std::to_string(seed) + ".jsonl";
}

/// Runs `o.seed` again with a timeline recorder and writes its page to `a.html`. The run is
/// the same as the first one (recording changes nothing): the trace hashes must agree.
template <class Protocol>
int write_html(const arguments& a, const sim::options& o, std::uint64_t expected_hash) {
    synod::tools::timeline_recorder<Protocol> recorder{o.nodes};
    sim::world<Protocol> w{o};
    w.attach(&recorder);
    const sim::result r = w.run();
    if (r.trace_hash != expected_hash) {
        std::fprintf(stderr, "synod-sim: seed %llu ran differently while recorded\n",
                     static_cast<unsigned long long>(o.seed));
        return 1;
    }
    synod::tools::page_info info;
    info.protocol = a.protocol;
    info.faults = a.faults;
    std::string replay = replay_command(a, o.seed);
    replay = replay.substr(0, replay.rfind(" --trace ")) + " --html seed-" +
             std::to_string(o.seed) + ".html";
    info.replay = replay;
    if (a.planted_bug == "early-ack")
        info.note = "planted bug: storage acknowledges writes before they are durable";
    if (a.planted_bug == "stale-lease")
        info.note = "planted bug: lease reads without the clock drift bound";
    const std::string page = recorder.html(info);
    std::FILE* f = std::fopen(a.html.c_str(), "wb");
    if (!f || std::fwrite(page.data(), 1, page.size(), f) != page.size() || std::fclose(f) != 0) {
        std::fprintf(stderr, "synod-sim: cannot write %s\n", a.html.c_str());
        return 1;
    }
    std::printf("html: seed %llu (%s) written to %s: %zu bytes, %zu messages\n",
                static_cast<unsigned long long>(o.seed), r.ok ? "passed" : "failed", a.html.c_str(),
                page.size(), recorder.messages());
    return 0;
}

int write_html_for(const arguments& a, const std::vector<sim::result>& failures,
                   std::uint64_t first_hash) {
    const std::uint64_t seed = failures.empty() ? a.first_seed : failures.front().seed;
    const std::uint64_t hash = failures.empty() ? first_hash : failures.front().trace_hash;
    const sim::options o = options_for(a, seed);
    if (a.planted_bug == "early-ack") return write_html<raft_early_ack_bug>(a, o, hash);
    return a.protocol == "raft" ? write_html<raft_with_everything>(a, o, hash)
                                : write_html<sim::multi_paxos_protocol>(a, o, hash);
}

struct totals {
    std::uint64_t seeds = 0, violations = 0, ops = 0, linearizable = 0, events = 0;
    std::uint64_t virtual_ticks = 0, elections = 0, crashes = 0, partitions = 0;
    std::uint64_t config_changes = 0;
    double busy_seconds = 0;  ///< summed over workers: CPU time spent simulating
    std::uint64_t first_seed_hash = 0;  ///< the trace hash of the range's first seed
};

/// Runs every seed of the range on `jobs` threads; prints progress; returns the totals and the
/// first failing result, if any.
totals run_all(const arguments& a, std::vector<sim::result>& failures) {
    const std::uint64_t count = a.last_seed - a.first_seed + 1;
    std::atomic<std::uint64_t> next{0};
    std::atomic<std::uint64_t> done{0};
    std::mutex lock;
    totals t;
    std::FILE* trace = nullptr;
    if (!a.trace.empty()) {
        trace = std::fopen(a.trace.c_str(), "w");
        if (!trace) usage_error("cannot write " + a.trace);
    }
    const bool tty = !a.quiet && isatty(STDERR_FILENO) != 0;
    auto worker = [&] {
        for (;;) {
            const std::uint64_t i = next.fetch_add(1);
            if (i >= count) return;
            sim::options o = options_for(a, a.first_seed + i);
            o.trace = trace;
            const auto start = std::chrono::steady_clock::now();
            sim::result r = run_seed(a, o);
            const double busy = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            std::lock_guard<std::mutex> g{lock};
            ++t.seeds;
            t.events += r.events;
            t.ops += r.ops_completed;
            t.virtual_ticks += r.virtual_ticks;
            t.elections += r.elections;
            t.crashes += r.crashes;
            t.partitions += r.partitions;
            t.config_changes += r.config_changes;
            t.busy_seconds += busy;
            if (r.linearizable && r.ok) ++t.linearizable;
            if (r.seed == a.first_seed) t.first_seed_hash = r.trace_hash;
            if (a.verbose)
                std::printf("seed=%llu ok=%d events=%llu ops=%zu trace_hash=%016llx\n",
                            static_cast<unsigned long long>(r.seed), r.ok ? 1 : 0,
                            static_cast<unsigned long long>(r.events), r.ops_completed,
                            static_cast<unsigned long long>(r.trace_hash));
            if (!r.ok) {
                ++t.violations;
                failures.push_back(std::move(r));
            }
            const std::uint64_t d = ++done;
            if (tty) {
                const int width = 40;
                const int filled = static_cast<int>(d * width / count);
                std::fprintf(stderr, "\r[%.*s%*s] %llu/%llu seeds, %llu violations", filled,
                             "########################################", width - filled, "",
                             static_cast<unsigned long long>(d), static_cast<unsigned long long>(count),
                             static_cast<unsigned long long>(t.violations));
            } else if (!a.quiet && count >= 20 && d % (count / 10) == 0) {
                std::fprintf(stderr, "progress: %llu/%llu seeds, %llu violations\n",
                             static_cast<unsigned long long>(d), static_cast<unsigned long long>(count),
                             static_cast<unsigned long long>(t.violations));
            }
        }
    };
    std::vector<std::thread> pool;
    const std::size_t jobs = trace ? 1 : std::min<std::size_t>(a.jobs, count);
    for (std::size_t j = 0; j < jobs; ++j) pool.emplace_back(worker);
    for (auto& th : pool) th.join();
    if (tty) std::fputc('\n', stderr);
    if (trace) std::fclose(trace);
    std::sort(failures.begin(), failures.end(),
              [](const sim::result& x, const sim::result& y) { return x.seed < y.seed; });
    return t;
}

void print_summary(const arguments& a, const totals& t, double wall) {
    const double per_core = t.busy_seconds > 0 ? static_cast<double>(t.events) / t.busy_seconds : 0;
    std::printf("protocol=%s nodes=%zu faults=%s seeds=%llu violations=%llu ops=%llu "
                "linearizable=%llu/%llu events=%llu events_per_s=%.0f events_per_s_per_core=%.0f "
                "virtual_s=%.1f wall_s=%.2f virtual_to_wall=%.0f elections=%llu crashes=%llu "
                "partitions=%llu",
                a.protocol.c_str(), a.nodes, a.faults.c_str(),
                static_cast<unsigned long long>(t.seeds), static_cast<unsigned long long>(t.violations),
                static_cast<unsigned long long>(t.ops), static_cast<unsigned long long>(t.linearizable),
                static_cast<unsigned long long>(t.seeds), static_cast<unsigned long long>(t.events),
                wall > 0 ? static_cast<double>(t.events) / wall : 0.0, per_core,
                static_cast<double>(t.virtual_ticks) / 1000.0, wall,
                wall > 0 ? static_cast<double>(t.virtual_ticks) / 1000.0 / wall : 0.0,
                static_cast<unsigned long long>(t.elections), static_cast<unsigned long long>(t.crashes),
                static_cast<unsigned long long>(t.partitions));
    if (t.config_changes)
        std::printf(" config_changes=%llu", static_cast<unsigned long long>(t.config_changes));
    std::printf("\n");
}

int report_failures(const arguments& a, const std::vector<sim::result>& failures) {
    if (failures.empty()) return 0;
    const sim::result& f = failures.front();
    std::printf("\nVIOLATION at seed %llu: %s\nlast events before it:\n%s\n",
                static_cast<unsigned long long>(f.seed), f.failure.c_str(), f.last_events.c_str());
    if (!f.timeline.empty()) {
        std::printf("what happened in that run:\n");
        for (const std::string& line : f.timeline) std::printf("  %s\n", line.c_str());
    }
    std::printf("replay: %s\n", replay_command(a, f.seed).c_str());
    if (failures.size() > 1) {
        std::printf("other failing seeds:");
        for (std::size_t i = 1; i < failures.size() && i < 20; ++i)
            std::printf(" %llu", static_cast<unsigned long long>(failures[i].seed));
        std::printf("\n");
    }
    return 1;
}

int demo() {
    int status = 0;
    for (const char* protocol : {"raft", "multipaxos"}) {
        arguments a;
        a.protocol = protocol;
        a.nodes = 5;
        a.faults = "default";
        a.ops = 300;
        std::printf("=== %s, 5 nodes, one seed under faults: what happened ===\n", protocol);
        sim::options o = options_for(a, 11);
        o.faults.fault_ticks = 12'000;
        o.faults.partition_ppm = {300, 300};
        o.faults.crash_ppm = {150, 150};
        o.faults.loss_ppm = {20'000, 20'000};
        o.timeline = true;
        const sim::result r = run_seed(a, o);
        for (const std::string& line : r.timeline) std::printf("  %s\n", line.c_str());
        std::printf("  -> %s: %zu client operations completed, commit index %llu, %llu messages "
                    "(%llu lost), history %s\n\n",
                    r.ok ? "all invariants held" : r.failure.c_str(), r.ops_completed,
                    static_cast<unsigned long long>(r.committed),
                    static_cast<unsigned long long>(r.messages),
                    static_cast<unsigned long long>(r.dropped),
                    r.linearizable ? "linearizable" : "NOT linearizable");
        if (!r.ok) status = 1;
        std::printf("=== %s, 5 nodes, 200 seeds of the default fault profile ===\n", protocol);
        a.first_seed = 1;
        a.last_seed = 200;
        a.ops = 200;
        a.quiet = true;
        std::vector<sim::result> failures;
        const auto start = std::chrono::steady_clock::now();
        const totals t = run_all(a, failures);
        print_summary(a, t, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        status |= report_failures(a, failures);
        std::printf("\n");
    }
    {
        // Members come and go: Raft's membership changes under crashes and partitions.
        arguments a;
        a.protocol = "raft";
        a.faults = "churn";
        a.ops = 200;
        a.first_seed = 1;
        a.last_seed = 200;
        a.quiet = true;
        std::printf("=== raft, 5 nodes, 200 seeds of membership churn (learners added and "
                    "promoted, voters demoted and removed) ===\n");
        std::vector<sim::result> failures;
        const auto start = std::chrono::steady_clock::now();
        const totals t = run_all(a, failures);
        print_summary(a, t, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        status |= report_failures(a, failures);
    }
    return status;
}

}  // namespace

int main(int argc, char** argv) {
    const arguments a = parse(argc, argv);
    if (a.demo) return demo();
    if (!a.html.empty()) {  // fail now rather than after every seed ran
        std::FILE* f = std::fopen(a.html.c_str(), "wb");
        if (!f) usage_error("cannot write " + a.html);
        std::fclose(f);
    }
    std::vector<sim::result> failures;
    const auto start = std::chrono::steady_clock::now();
    const totals t = run_all(a, failures);
    print_summary(a, t, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    const int status = report_failures(a, failures);
    if (!a.html.empty() && write_html_for(a, failures, t.first_seed_hash) != 0) return 1;
    return status;
}
