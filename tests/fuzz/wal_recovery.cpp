// Fuzz target: recovery of the file WAL (storage/file_wal.hpp) and of the Raft log stored in it
// (storage/file_storage.hpp) from arbitrary file contents: the input becomes one or two segment
// files of a fresh data directory, then the log is opened. Checks:
//  - recovery either succeeds or refuses with wal_error naming the damage; nothing else escapes
//    (no crash, no other exception, no out-of-bounds read, no allocation beyond the input's
//    worth: ASan and -rss_limit_mb);
//  - a recovered log is consistent: indices contiguous from first_index(), every term readable,
//    and it can be reopened (the repaired files recover to the same log).
// Needs the file WAL (branch asio): built only when include/synod/storage/file_wal.hpp exists.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "fuzz.hpp"
#include "synod/storage/file_storage.hpp"
#include "synod/storage/file_wal.hpp"

namespace {

using namespace synod;
using log_type = storage::file_log<std::string>;

std::string scratch_dir() {
    const char* base = std::filesystem::exists("/dev/shm") ? "/dev/shm" : "/tmp";
    return std::string{base} + "/synod-fuzz-wal-" + std::to_string(::getpid());
}

void write_file(const std::string& path, std::string_view bytes) {
    std::ofstream f{path, std::ios::binary | std::ios::trunc};
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

storage::wal_options options(const std::string& dir) {
    storage::wal_options o;
    o.dir = dir;
    o.segment_bytes = 4096;
    o.max_record_bytes = 1u << 16;
    o.sync = false;
    return o;
}

struct summary {
    synod::hard_state hs;
    log_index first, last;
    std::vector<entry<std::string>> entries;
    bool operator==(const summary&) const = default;
};

summary check(const log_type& log) {
    summary s{log.hard_state(), log.first_index(), log.last_index(), {}};
    FUZZ_CHECK(s.first <= s.last.next());
    (void)log.term_at(s.first.prev());
    for (log_index i = s.first; i <= s.last; ++i) {
        const auto& e = log.entries(i, i)[0];
        FUZZ_CHECK(e.index == i);
        s.entries.push_back(e);
    }
    return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::string dir = scratch_dir();
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    // Byte 0 splits the rest into two segments (a split of 0 or at the end: one segment).
    const std::string_view bytes{reinterpret_cast<const char*>(data + 1), size - 1};
    const std::size_t split = bytes.size() * data[0] / 256;
    write_file(dir + "/0000000000000001.wal", bytes.substr(0, split == 0 ? bytes.size() : split));
    if (split != 0 && split < bytes.size())
        write_file(dir + "/0000000000000002.wal", bytes.substr(split));
    try {
        summary first;
        {
            const log_type log{options(dir)};
            first = check(log);
        }
        // The repaired directory recovers to the same log.
        const log_type again{options(dir)};
        FUZZ_CHECK(check(again) == first);
    } catch (const storage::wal_error&) {
        // Damage before the tail: refused with a clear error, as designed.
    }
    std::filesystem::remove_all(dir);
    return 0;
}
