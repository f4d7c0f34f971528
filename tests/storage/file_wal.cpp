// The file WAL and the storages on it (storage/file_wal.hpp, storage/file_storage.hpp):
// RELIABILITY 3, crash durability. What was flushed survives a restart; a torn tail is
// truncated and logged; damage before the tail stops start-up naming file and offset; a crash
// at every persistence step restarts into a state the writer actually passed through, and the
// log carries on from there.

#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "synod/storage/file_storage.hpp"
#include "synod/storage/file_wal.hpp"
#include "support/print.hpp"

namespace {

using namespace synod;
using storage::file_log;
using storage::file_paxos_log;
using storage::wal_options;
using entry_type = entry<std::string>;

/// A fresh directory, removed afterwards.
struct temp_dir {
    std::string path;
    temp_dir() {
        static std::atomic<int> counter{0};
        path = (std::filesystem::temp_directory_path() /
                ("synod-wal-" + std::to_string(::getpid()) + "-" + std::to_string(counter++)))
                   .string();
        std::filesystem::remove_all(path);
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};

struct options_with_log {
    wal_options o;
    std::vector<std::string> lines;
    explicit options_with_log(const std::string& dir, std::uint64_t segment = 64u << 10) {
        o.dir = dir;
        o.segment_bytes = segment;
        o.log = [this](const std::string& l) { lines.push_back(l); };
    }
    bool logged(const std::string& needle) const {
        for (const auto& l : lines)
            if (l.find(needle) != std::string::npos) return true;
        return false;
    }
};

entry_type make_entry(std::uint64_t index, std::uint64_t term) {
    return {term_t{term}, log_index{index}, entry_kind::normal,
            "e" + std::to_string(index) + "-" + std::to_string(term) + std::string(index % 50, 'x')};
}

std::vector<std::string> segment_files(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        if (e.path().extension() == ".wal") out.push_back(e.path().string());
    std::sort(out.begin(), out.end());
    return out;
}

void overwrite(const std::string& file, std::uint64_t at, const std::string& bytes) {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(at));
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/// Everything a restart must reproduce of a Raft log.
struct raft_state {
    hard_state hs;
    std::uint64_t first = 1;
    std::vector<entry_type> entries;
    std::uint64_t snapshot = 0;
    std::string snapshot_data;
    friend bool operator==(const raft_state&, const raft_state&) = default;
};

raft_state state_of(const file_log<std::string>& l) {
    raft_state s;
    s.hs = l.hard_state();
    s.first = l.first_index().value;
    s.entries.assign(l.all().begin(), l.all().end());
    if (l.snapshot()) {
        s.snapshot = l.snapshot()->index;
        s.snapshot_data = l.snapshot()->data;
    }
    return s;
}

std::string describe(const raft_state& s) {
    std::string out = "term " + std::to_string(s.hs.term.value) + " vote " +
                      std::to_string(s.hs.vote.value) + " first " + std::to_string(s.first) +
                      " entries " + std::to_string(s.entries.size()) + " snapshot " +
                      std::to_string(s.snapshot);
    if (!s.entries.empty())
        out += " last " + std::to_string(s.entries.back().index.value) + "/" +
               std::to_string(s.entries.back().term.value);
    return out;
}

/// Operation `k` of a deterministic workload: term/vote changes, appends, conflicting
/// appends that truncate, snapshots with compaction. Each is one write, flushed alone.
void run_op(file_log<std::string>& l, int k) {
    const std::uint64_t term = l.hard_state().term.value;
    const std::uint64_t last = l.last_index().value;
    switch (k % 7) {
        case 0:
            l.save_hard_state(hard_state{term_t{term + 1}, node_id{static_cast<std::uint32_t>(k % 3 + 1)},
                                         log_index{0}});
            break;
        case 1:
        case 2:
        case 4: {
            std::vector<entry_type> es;
            for (std::uint64_t i = 1; i <= 3 + static_cast<std::uint64_t>(k % 4); ++i)
                es.push_back(make_entry(last + i, std::max<std::uint64_t>(term, 1)));
            l.append(es);
            break;
        }
        case 3:
            if (last >= l.first_index().value + 1) {
                // A new leader overwrites the last two entries.
                l.append(std::vector<entry_type>{make_entry(last - 1, term + 1)});
            } else {
                l.save_hard_state(hard_state{term_t{term}, node_id{2}, log_index{0}});
            }
            break;
        case 5:
            if (last >= l.first_index().value + 4) {
                const log_index at{last - 3};
                l.save_snapshot(at, l.term_at(at), "state through " + std::to_string(at.value));
            } else {
                l.save_hard_state(hard_state{term_t{term}, node_id{3}, log_index{0}});
            }
            break;
        case 6:
            l.save_hard_state(hard_state{term_t{term}, l.hard_state().vote, l.last_index()});
            break;
    }
    l.flush();
}

struct simulated_crash {};

}  // namespace

BOOST_AUTO_TEST_SUITE(storage_file_wal)

BOOST_AUTO_TEST_CASE(flushed_state_survives_a_restart_and_unflushed_writes_do_not) {
    temp_dir d;
    options_with_log opt{d.path};
    raft_state expected;
    {
        file_log<std::string> l{opt.o};
        l.save_hard_state(hard_state{term_t{2}, node_id{1}, log_index{0}});
        std::vector<entry_type> es;
        for (std::uint64_t i = 1; i <= 10; ++i) es.push_back(make_entry(i, 2));
        l.append(es);
        BOOST_TEST(l.durable() == write_id{0});  // completes later
        l.flush();
        BOOST_TEST(l.durable() == write_id{2});
        // A conflicting suffix from a new leader.
        l.save_hard_state(hard_state{term_t{3}, node_id{2}, log_index{5}});
        l.append(std::vector<entry_type>{make_entry(8, 3), make_entry(9, 3)});
        l.flush();
        expected = state_of(l);
        BOOST_TEST(expected.entries.size() == 9u);
        // Issued but never flushed: a crash loses it.
        l.save_hard_state(hard_state{term_t{9}, node_id{3}, log_index{0}});
        l.append(std::vector<entry_type>{make_entry(10, 9)});
    }
    file_log<std::string> again{opt.o};
    BOOST_TEST(describe(state_of(again)) == describe(expected));
    BOOST_TEST((state_of(again) == expected));
    BOOST_TEST(again.durable() == write_id{0});
}

BOOST_AUTO_TEST_CASE(a_torn_tail_is_truncated_and_logged) {
    temp_dir d;
    options_with_log opt{d.path};
    raft_state before_last;
    {
        file_log<std::string> l{opt.o};
        for (int k = 0; k < 12; ++k) run_op(l, k);
        before_last = state_of(l);
        l.append(std::vector<entry_type>{make_entry(l.last_index().value + 1, 7)});
        l.flush();
    }
    // Garble the second half of the last record, as a write cut short by a crash leaves it.
    const auto files = segment_files(d.path);
    const std::string bytes = storage::detail::read_whole(files.back());
    std::uint64_t end = bytes.size();
    while (end > 0 && bytes[end - 1] == 0) --end;
    overwrite(files.back(), end - 10, std::string(10, '\x5a'));
    file_log<std::string> again{opt.o};
    BOOST_TEST(describe(state_of(again)) == describe(before_last));
    BOOST_TEST(opt.logged("truncated torn tail"));
    // The log carries on, and a second restart sees the new write.
    again.append(std::vector<entry_type>{make_entry(again.last_index().value + 1, 8)});
    again.flush();
    const raft_state now = state_of(again);
    file_log<std::string> third{opt.o};
    BOOST_TEST((state_of(third) == now));
}

BOOST_AUTO_TEST_CASE(damage_before_the_tail_refuses_to_start_naming_file_and_offset) {
    temp_dir d;
    options_with_log opt{d.path};
    {
        file_log<std::string> l{opt.o};
        for (int k = 0; k < 20; ++k) run_op(l, k);
    }
    const auto files = segment_files(d.path);
    // Flip a byte inside the first record after the checkpoint: later batches follow it.
    const std::string bytes = storage::detail::read_whole(files.back());
    const std::uint64_t first_len = bytes[4] + 256u * static_cast<unsigned char>(bytes[5]);
    const std::uint64_t second = storage::detail::align8(24 + first_len);
    overwrite(files.back(), second + 30, "\xff\x00\xff");
    try {
        file_log<std::string> again{opt.o};
        BOOST_FAIL("start-up should have been refused");
    } catch (const storage::wal_error& e) {
        const std::string what = e.what();
        BOOST_TEST_MESSAGE(what);
        BOOST_TEST(what.find(files.back()) != std::string::npos);
        BOOST_TEST(what.find("offset " + std::to_string(second)) != std::string::npos);
        BOOST_TEST(what.find("refusing to start") != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(compaction_deletes_old_segments_and_keeps_the_snapshot) {
    temp_dir d;
    options_with_log opt{d.path, 4096};
    raft_state expected;
    std::size_t segments_before = 0;
    {
        file_log<std::string> l{opt.o};
        l.save_hard_state(hard_state{term_t{1}, node_id{1}, log_index{0}});
        for (std::uint64_t i = 1; i <= 400; ++i) {
            l.append(std::vector<entry_type>{make_entry(i, 1)});
            if (i % 10 == 0) l.flush();
        }
        segments_before = segment_files(d.path).size();
        BOOST_TEST(segments_before > 5u);
        l.save_snapshot(log_index{380}, term_t{1}, "snapshot bytes");
        l.flush();
        expected = state_of(l);
        BOOST_TEST(expected.first == 381u);
    }
    BOOST_TEST(segment_files(d.path).size() < segments_before);
    file_log<std::string> again{opt.o};
    BOOST_TEST((state_of(again) == expected));
    BOOST_TEST(again.term_at(log_index{380}) == term_t{1});
    BOOST_TEST(again.snapshot()->data == "snapshot bytes");
}

BOOST_AUTO_TEST_CASE(a_failed_write_is_never_reported_durable) {
    temp_dir d;
    options_with_log opt{d.path};
    opt.o.crash_point = [](std::string_view step) {
        if (step == "wal.fsync") throw storage::wal_error("fsync failed (injected)");
    };
    file_log<std::string> l{opt.o};
    l.save_hard_state(hard_state{term_t{1}, node_id{1}, log_index{0}});
    BOOST_CHECK_THROW(l.flush(), storage::wal_error);
    BOOST_TEST(l.durable() == write_id{0});
}

BOOST_AUTO_TEST_CASE(raft_snapshot_storage_stages_chunks_and_survives_a_restart) {
    static_assert(raft_snapshot_storage<file_log<std::string>>);
    temp_dir d;
    options_with_log opt{d.path};
    const std::string data = "the state machine, in three chunks";
    auto bytes = [&](std::size_t from, std::size_t n) {
        return std::as_bytes(std::span{data.data() + from, std::min(n, data.size() - from)});
    };
    {
        file_log<std::string> l{opt.o};
        std::vector<entry_type> es;
        for (std::uint64_t i = 1; i <= 10; ++i) es.push_back(make_entry(i, 1));
        l.append(es);
        l.flush();
        // A leader's snapshot through 40 (term 3), which this log does not hold: it replaces it.
        BOOST_TEST(l.stage_snapshot_chunk(log_index{40}, term_t{3}, 0, bytes(0, 12)) == 12u);
        BOOST_TEST(l.stage_snapshot_chunk(log_index{40}, term_t{3}, 30, bytes(30, 12)) == 12u);  // a gap: ignored
        BOOST_TEST(l.stage_snapshot_chunk(log_index{40}, term_t{3}, 12, bytes(12, 12)) == 24u);
        BOOST_TEST(l.stage_snapshot_chunk(log_index{40}, term_t{3}, 24, bytes(24, 100)) == data.size());
        l.save_staged_snapshot();
        l.flush();
        BOOST_TEST(l.snapshot_index() == log_index{40});
        BOOST_TEST(l.snapshot_term() == term_t{3});
        BOOST_TEST(l.first_index() == log_index{41});
        BOOST_TEST(l.last_index() == log_index{40});
        l.append(std::vector<entry_type>{make_entry(41, 3)});
        l.flush();
    }
    file_log<std::string> again{opt.o};
    BOOST_TEST(again.snapshot_index() == log_index{40});
    BOOST_TEST(again.term_at(log_index{40}) == term_t{3});
    BOOST_TEST(again.last_index() == log_index{41});
    const auto got = again.snapshot_data();
    BOOST_TEST(std::string(reinterpret_cast<const char*>(got.data()), got.size()) == data);
}

// ---- out of space (ENOSPC, EDQUOT): refused, undone, written later; never lost -----------------

/// A disk that is full while `full` is set: the error seam of wal_options fails the chosen
/// operations with ENOSPC.
struct full_disk {
    bool full = false;
    std::vector<std::string> operations = {"preallocate", "write"};
    std::string only_path;  ///< if set, only files whose path contains it
    int failures = 0;
    void install(wal_options& o) {
        o.inject_error = [this](std::string_view op, const std::string& path) {
            if (!full || std::find(operations.begin(), operations.end(), op) == operations.end())
                return 0;
            if (!only_path.empty() && path.find(only_path) == std::string::npos) return 0;
            ++failures;
            return ENOSPC;
        };
    }
};

std::vector<std::string> temporary_files(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        if (e.path().extension() == ".tmp") out.push_back(e.path().string());
    return out;
}

BOOST_AUTO_TEST_CASE(out_of_space_creating_a_segment_is_undone_and_the_batch_written_later) {
    temp_dir d;
    options_with_log opt{d.path, 4096};
    full_disk disk;
    disk.operations = {"preallocate"};  // only creating a segment fails: the batch needs one
    disk.install(opt.o);
    raft_state expected;
    {
        file_log<std::string> l{opt.o};
        l.save_hard_state(hard_state{term_t{1}, node_id{1}, log_index{0}});
        // Fill the first segment, then run out of space when the next one is needed.
        for (std::uint64_t i = 1; i < 30; ++i) {
            l.append(std::vector<entry_type>{make_entry(i, 1)});
            l.flush();
        }
        const std::size_t segments = segment_files(d.path).size();
        const write_id durable = l.durable();
        std::vector<entry_type> big;
        for (std::uint64_t i = l.last_index().value + 1, n = 0; n < 40; ++i, ++n) big.push_back(make_entry(i, 1));
        l.append(big);
        storage::wal_batch b = l.take_batch();
        disk.full = true;
        BOOST_CHECK_THROW(l.wal().write(b), storage::wal_full);
        BOOST_CHECK_THROW(l.wal().write(b), storage::wal_full);  // still full: same outcome
        BOOST_TEST(disk.failures == 2);
        BOOST_TEST(l.durable() == durable);                      // nothing reported durable
        BOOST_TEST(temporary_files(d.path).empty());             // the half-made segment is gone
        BOOST_TEST(segment_files(d.path).size() == segments);
        // Meanwhile more writes wait for the next batch.
        l.save_hard_state(hard_state{term_t{2}, node_id{2}, log_index{0}});
        disk.full = false;
        l.wal().write(b);
        l.completed(b);
        BOOST_TEST(l.durable().value == b.last_write);
        l.flush();
        BOOST_TEST(segment_files(d.path).size() > segments);
        expected = state_of(l);
    }
    file_log<std::string> again{opt.o};
    BOOST_TEST(describe(state_of(again)) == describe(expected));
    BOOST_TEST((state_of(again) == expected));
}

BOOST_AUTO_TEST_CASE(out_of_space_half_way_through_a_write_is_retried_or_lost_as_a_torn_tail) {
    for (const bool retry : {true, false}) {
        BOOST_TEST_CONTEXT((retry ? "written again" : "crash before writing it again")) {
            temp_dir d;
            options_with_log opt{d.path};
            full_disk disk;
            disk.install(opt.o);
            // With a crash_point hook every write goes in two halves: when armed, the second
            // fails (the first is on disk, unsynced).
            bool armed = false;
            opt.o.crash_point = [&](std::string_view step) {
                if (step == "wal.write.half" && armed) {
                    armed = false;
                    disk.full = true;
                }
            };
            raft_state before, after;
            {
                file_log<std::string> l{opt.o};
                for (int k = 0; k < 10; ++k) run_op(l, k);
                before = state_of(l);
                armed = true;
                std::vector<entry_type> es;
                for (std::uint64_t i = 1; i <= 8; ++i) es.push_back(make_entry(l.last_index().value + i, 5));
                l.append(es);
                storage::wal_batch b = l.take_batch();
                BOOST_CHECK_THROW(l.wal().write(b), storage::wal_full);
                BOOST_TEST(disk.failures == 1);
                disk.full = false;
                if (retry) {
                    l.wal().write(b);
                    l.completed(b);
                    run_op(l, 11);
                    after = state_of(l);
                }
            }
            file_log<std::string> again{opt.o};
            BOOST_TEST(describe(state_of(again)) == describe(retry ? after : before));
            BOOST_TEST((state_of(again) == (retry ? after : before)));
            if (!retry) BOOST_TEST(opt.logged("truncated torn tail"));
        }
    }
}

BOOST_AUTO_TEST_CASE(out_of_space_writing_a_snapshot_removes_the_temporary_file) {
    temp_dir d;
    options_with_log opt{d.path};
    full_disk disk;
    disk.only_path = "snapshot";
    disk.install(opt.o);
    raft_state expected;
    {
        file_log<std::string> l{opt.o};
        std::vector<entry_type> es;
        for (std::uint64_t i = 1; i <= 20; ++i) es.push_back(make_entry(i, 1));
        l.append(es);
        l.flush();
        l.save_snapshot(log_index{15}, term_t{1}, std::string(10000, 's'));
        storage::wal_batch b = l.take_batch();
        disk.full = true;
        BOOST_CHECK_THROW(l.wal().write(b), storage::wal_full);
        BOOST_TEST(temporary_files(d.path).empty());
        BOOST_TEST(storage::list_snapshot_files(d.path).empty());
        disk.full = false;
        l.wal().write(b);
        l.completed(b);
        expected = state_of(l);
    }
    file_log<std::string> again{opt.o};
    BOOST_TEST((state_of(again) == expected));
    BOOST_TEST(again.snapshot_index() == log_index{15});
    BOOST_TEST(again.first_index() == log_index{16});
}

BOOST_AUTO_TEST_CASE(a_failed_fsync_is_fatal_whatever_its_errno) {
    for (const int e : {ENOSPC, EIO}) {
        BOOST_TEST_CONTEXT("errno " << e) {
            temp_dir d;
            options_with_log opt{d.path};
            bool fail = false;
            opt.o.inject_error = [&](std::string_view op, const std::string&) {
                return fail && op == "fsync" ? e : 0;
            };
            file_log<std::string> l{opt.o};
            l.save_hard_state(hard_state{term_t{1}, node_id{1}, log_index{0}});
            l.flush();
            l.save_hard_state(hard_state{term_t{2}, node_id{1}, log_index{0}});
            storage::wal_batch b = l.take_batch();
            fail = true;
            try {
                l.wal().write(b);
                BOOST_FAIL("the fsync should have failed");
            } catch (const storage::wal_full&) {
                BOOST_FAIL("a failed fsync must not be retryable");
            } catch (const storage::wal_error& err) {
                BOOST_TEST(std::string{err.what()}.find("fsync " + d.path) == 0);
            }
            BOOST_TEST(l.durable() == write_id{1});
        }
    }
}

BOOST_AUTO_TEST_CASE(a_crash_at_every_persistence_step_restarts_cleanly) {
    constexpr int ops = 40;
    // The states the writer passes through, op by op, from an uninterrupted run.
    std::vector<raft_state> states;
    std::map<std::string, int> hits;
    {
        temp_dir d;
        options_with_log opt{d.path, 2048};
        opt.o.crash_point = [&](std::string_view step) { ++hits[std::string{step}]; };
        file_log<std::string> l{opt.o};
        states.push_back(state_of(l));
        for (int k = 0; k < ops; ++k) {
            run_op(l, k);
            states.push_back(state_of(l));
        }
    }
    for (const char* step : storage::wal::step_names)
        BOOST_TEST_CONTEXT(step) { BOOST_TEST(hits[step] > 0); }

    int crashes = 0;
    for (const auto& [step_name, count] : hits) {
        const std::string step = step_name;  // a lambda below captures it
        // Up to 6 crash points per step, spread over the run.
        const int stride = std::max(1, count / 6);
        for (int n = 1; n <= count; n += stride) {
            BOOST_TEST_CONTEXT(step << " #" << n) {
                temp_dir d;
                options_with_log opt{d.path, 2048};
                int seen = 0;
                int crashed_in = -1;
                {
                    wal_options o = opt.o;
                    o.crash_point = [&](std::string_view s) {
                        if (s == step && ++seen == n) throw simulated_crash{};
                    };
                    file_log<std::string> l{o};
                    for (int k = 0; k < ops && crashed_in < 0; ++k) {
                        try {
                            run_op(l, k);
                        } catch (const simulated_crash&) {
                            crashed_in = k;
                        }
                    }
                }
                BOOST_TEST_REQUIRE(crashed_in >= 0);
                ++crashes;
                // Restart: the state is the one before the interrupted op or after it.
                file_log<std::string> l{opt.o};
                const raft_state got = state_of(l);
                const auto k = static_cast<std::size_t>(crashed_in);
                const bool before = got == states[k];
                const bool after = got == states[k + 1];
                BOOST_TEST((before || after), "recovered " << describe(got) << "; before op "
                                                            << describe(states[k]) << "; after op "
                                                            << describe(states[k + 1]));
                if (!(before || after)) continue;
                // Carry on to the end of the workload; a second restart agrees.
                for (int j = crashed_in + (after ? 1 : 0); j < ops; ++j) run_op(l, j);
                BOOST_TEST((state_of(l) == states.back()));
                file_log<std::string> third{opt.o};
                BOOST_TEST((state_of(third) == states.back()));
            }
        }
    }
    BOOST_TEST_MESSAGE("crash points exercised: " << crashes);
    BOOST_TEST(crashes > 30);
}

BOOST_AUTO_TEST_CASE(leftover_temporary_files_are_removed_and_logged) {
    temp_dir d;
    options_with_log opt{d.path};
    {
        file_log<std::string> l{opt.o};
        l.save_hard_state(hard_state{term_t{4}, node_id{2}, log_index{0}});
        l.flush();
    }
    std::ofstream(d.path + "/snapshot.tmp") << "half a snapshot";
    file_log<std::string> again{opt.o};
    BOOST_TEST(again.hard_state().term == term_t{4});
    BOOST_TEST(!std::filesystem::exists(d.path + "/snapshot.tmp"));
    BOOST_TEST(opt.logged("removed unfinished file"));
}

BOOST_AUTO_TEST_CASE(a_damaged_snapshot_file_refuses_to_start) {
    temp_dir d;
    options_with_log opt{d.path};
    {
        file_log<std::string> l{opt.o};
        std::vector<entry_type> es;
        for (std::uint64_t i = 1; i <= 10; ++i) es.push_back(make_entry(i, 1));
        l.append(es);
        l.save_snapshot(log_index{5}, term_t{1}, "abcdef");
        l.flush();
    }
    overwrite(d.path + "/" + storage::snapshot_file_name(5), 40, "Z");
    BOOST_CHECK_THROW(file_log<std::string>{opt.o}, storage::wal_error);
}

BOOST_AUTO_TEST_CASE(multi_paxos_log_round_trips_with_holes_snapshot_and_torn_tail) {
    temp_dir d;
    options_with_log opt{d.path, 4096};
    using log_type = file_paxos_log<std::string>;
    auto pv = [](std::uint64_t slot) {
        return pvalue<std::string>{ballot{}, make_entry(slot, 1)};
    };
    std::vector<pvalue<std::string>> expected;
    ballot promised;
    {
        log_type l{opt.o};
        l.save_promise(ballot{1, node_id{2}});
        std::vector<pvalue<std::string>> vs;
        for (std::uint64_t s = 1; s <= 100; ++s) vs.push_back(pv(s));
        l.save_accepted(ballot{1, node_id{2}}, vs);
        l.flush();
        l.save_accepted(ballot{2, node_id{3}}, std::vector{pv(104)});  // slots 101..103: holes
        l.flush();
        l.save_snapshot(log_index{50}, no_snapshot{});
        l.flush();
        expected.assign(l.all().begin(), l.all().end());
        promised = l.promised();
        BOOST_TEST(l.first_index() == log_index{51});
        BOOST_TEST(l.at(log_index{102}).number == ballot{});
        // A torn write after the last flush.
        l.save_promise(ballot{9, node_id{1}});
        l.flush();
    }
    const auto files = segment_files(d.path);
    const std::string bytes = storage::detail::read_whole(files.back());
    std::uint64_t end = bytes.size();
    while (end > 0 && bytes[end - 1] == 0) --end;
    overwrite(files.back(), end - 3, "zzz");
    log_type again{opt.o};
    BOOST_TEST(opt.logged("truncated torn tail"));
    BOOST_TEST(again.promised() == promised);
    BOOST_TEST(again.snapshot_index() == log_index{50});
    BOOST_TEST_REQUIRE(again.all().size() == expected.size());
    BOOST_TEST((std::vector<pvalue<std::string>>(again.all().begin(), again.all().end()) == expected));
}

BOOST_AUTO_TEST_SUITE_END()
