#ifndef SYNOD_STORAGE_FILE_WAL_HPP
#define SYNOD_STORAGE_FILE_WAL_HPP

/// \file
/// A segmented write-ahead log on POSIX files, and the snapshot files beside it. The typed
/// storages built on it (storage/file_storage.hpp) model raft_log_storage and
/// multi_acceptor_storage; this header only moves checksummed records to and from disk.
///
/// Layout of a data directory:
///   0000000000000001.wal ...  segments, numbered without gaps, preallocated (segment_bytes)
///   snapshot-<index>.snap     state-machine snapshots, newest wins
///   *.tmp                     files being created; removed at start-up
///
/// A segment is a sequence of records, each 8-byte aligned, zeros after the last:
///   offset  size  field
///   0       4     CRC32C of bytes 4..23 and the payload
///   4       4     payload length n (>= 1)
///   8       8     batch: the group commit that wrote the record (non-decreasing)
///   16      8     tag: the caller's high-water mark (e.g. last log index) for segment deletion
///   24      n     payload; its first byte is the caller's record type
/// Every segment starts with a checkpoint record (the caller's state as of its creation), so
/// that segments before it can be deleted once compaction made their entries obsolete.
///
/// Group commit: write() writes a whole batch with one pwrite and one fdatasync, and batch k+1
/// is written only after batch k's sync returned. Hence at a crash only the last batch can be
/// incomplete, and recovery tells a torn tail from damage: an invalid record followed by a
/// valid record of a batch two or more later proves that the damaged record had been synced
/// (stop start-up, naming file and offset); otherwise the invalid record and what follows it
/// are the unsynced tail (zero it and carry on, logging the action). A bit flip inside the very
/// last synced batch is indistinguishable from a torn write and is truncated as one.
///
/// Errors: every failure of the operating system (open, write, fsync, rename, ...) throws
/// wal_error; the caller fails-stop (runtime/asio logs it and exits). Nothing is ever reported
/// durable unless its fsync returned success. One exception: running out of space (ENOSPC or
/// EDQUOT) while preallocating a segment, writing records or writing a snapshot file throws
/// wal_full after undoing the attempt (a half-created file is removed, the segment's write
/// position is not advanced), so the same batch can be written again once there is room. A
/// failed fsync is never wal_full, whatever its errno: the kernel may have dropped the pages.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "synod/codec/bytes.hpp"

namespace synod::storage {

/// A failure to read, write or sync the log or a snapshot, or damage that recovery refuses to
/// repair. what() names the file (and offset, for damage).
class wal_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Out of space (ENOSPC, EDQUOT) while allocating or writing, before any fsync of the batch:
/// nothing of the batch is durable, the WAL is as it was before the attempt, and writing the
/// same batch again later is safe. what() names the file and the operation.
class wal_full : public wal_error {
public:
    using wal_error::wal_error;
};

/// How a WAL is opened and written.
struct wal_options {
    std::string dir;                                ///< created if missing
    std::uint64_t segment_bytes = 64ull << 20;      ///< preallocated size of a segment
    std::uint32_t max_record_bytes = 64u << 20;     ///< larger lengths are damage
    /// fdatasync every batch. false trades durability for speed (benchmarks): a batch counts as
    /// durable once written to the page cache.
    bool sync = true;
    /// Recovery actions and notable events, one line each (no newline).
    std::function<void(const std::string&)> log;
    /// Tests: called at every persistence step with its name (see wal::step_names); throwing
    /// from it simulates a crash at that point, leaving the files as they are.
    std::function<void(std::string_view)> crash_point;
    /// Tests: called before each system call that allocates, writes or syncs ("preallocate",
    /// "write", "fsync") with the file's path; a nonzero errno it returns is taken as that
    /// call's failure (ENOSPC to fill the disk, EIO to break it). The error path is the real one.
    std::function<int(std::string_view operation, const std::string& path)> inject_error;
};

/// One record to write: the payload (first byte: the caller's type) and its tag.
struct wal_record {
    std::string payload;
    std::uint64_t tag = 0;
};

/// A record read back at start-up, with where it was found (for error messages).
struct recovered_record {
    std::string payload;
    std::uint64_t tag = 0;
    std::string file;
    std::uint64_t offset = 0;
};

/// A snapshot file's content.
struct snapshot_file {
    std::uint64_t index = 0;
    std::uint64_t term = 0;  ///< Raft: the term at `index`; Multi-Paxos: 0
    std::string data;
};

/// One group commit: what the storage hands to the thread that writes (runtime/asio runs
/// wal::write on its fsync thread; tests call it inline).
struct wal_batch {
    std::vector<wal_record> records;
    /// The caller's state as of the start of this batch: the first record of a new segment.
    wal_record checkpoint;
    /// Written (temporary name, fsync, rename, directory fsync) before the records.
    std::optional<snapshot_file> snapshot;
    /// After the sync: delete the oldest segments whose tags are all <= this (0: none), and
    /// snapshot files older than the newest.
    std::uint64_t release_through = 0;
    /// The storage's write id of the last write in the batch (storage/file_storage.hpp).
    std::uint64_t last_write = 0;
};

namespace detail {

inline std::string errno_text(int e) { return std::strerror(e); }

/// An owned file descriptor.
class fd {
public:
    fd() = default;
    explicit fd(int v) noexcept : v_{v} {}
    fd(fd&& o) noexcept : v_{std::exchange(o.v_, -1)} {}
    fd& operator=(fd&& o) noexcept {
        if (this != &o) {
            reset();
            v_ = std::exchange(o.v_, -1);
        }
        return *this;
    }
    ~fd() { reset(); }
    int get() const noexcept { return v_; }
    explicit operator bool() const noexcept { return v_ >= 0; }
    void reset() noexcept {
        if (v_ >= 0) ::close(v_);
        v_ = -1;
    }

private:
    int v_ = -1;
};

inline bool out_of_space(int e) noexcept { return e == ENOSPC || e == EDQUOT; }

/// A failed allocation or write: wal_full when the disk is full (the caller undoes the
/// attempt), else wal_error.
[[noreturn]] inline void write_failed(const std::string& what, int e) {
    if (out_of_space(e)) throw wal_full(what + ": " + errno_text(e));
    throw wal_error(what + ": " + errno_text(e));
}

inline fd open_file(const std::string& path, int flags) {
    const int v = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
    if (v < 0) write_failed("open " + path, errno);  // creating a file can run out of space
    return fd{v};
}

using injector = std::function<int(std::string_view, const std::string&)>;

/// The errno the test seam injects for this call, or 0.
inline int injected(const injector* inject, std::string_view operation, const std::string& path) {
    return inject && *inject ? (*inject)(operation, path) : 0;
}

inline void write_all(int f, const std::string& path, std::string_view bytes, std::uint64_t at,
                      const injector* inject = nullptr) {
    while (!bytes.empty()) {
        const int e = injected(inject, "write", path);
        const ssize_t n =
            e != 0 ? -1 : ::pwrite(f, bytes.data(), bytes.size(), static_cast<off_t>(at));
        if (n < 0) {
            const int err = e != 0 ? e : errno;
            if (err == EINTR) continue;
            write_failed("write " + path + " at offset " + std::to_string(at), err);
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
        at += static_cast<std::uint64_t>(n);
    }
}

/// Reserves `size` bytes for a new file (posix_fallocate, or ftruncate where the file system
/// cannot preallocate).
inline void preallocate(int f, const std::string& path, std::uint64_t size,
                        const injector* inject = nullptr) {
    const int e = injected(inject, "preallocate", path);
    const int r = e != 0 ? e : ::posix_fallocate(f, 0, static_cast<off_t>(size));
    if (r != 0 && r != EOPNOTSUPP && r != EINVAL) write_failed("preallocate " + path, r);
    if (r != 0 && ::ftruncate(f, static_cast<off_t>(size)) != 0)
        write_failed("truncate " + path, errno);
}

/// fsync (or fdatasync): an error here is fatal, never retried and never wal_full, whatever
/// the errno (the kernel may have dropped the dirty pages already: PostgreSQL's "fsyncgate").
inline void sync_file(int f, const std::string& path, bool data_only,
                      const injector* inject = nullptr) {
    const int e = injected(inject, "fsync", path);
    const int r = e != 0 ? -1 : data_only ? ::fdatasync(f) : ::fsync(f);
    if (r != 0) throw wal_error("fsync " + path + ": " + errno_text(e != 0 ? e : errno));
}

/// fsync of a directory, so that file creations, renames and deletions in it are durable.
inline void sync_dir(const std::string& dir, const injector* inject = nullptr) {
    fd d = open_file(dir, O_RDONLY | O_DIRECTORY);
    sync_file(d.get(), dir, false, inject);
}

inline std::string read_whole(const std::string& path) {
    fd f = open_file(path, O_RDONLY);
    struct stat st {};
    if (::fstat(f.get(), &st) != 0) throw wal_error("stat " + path + ": " + errno_text(errno));
    std::string out(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t at = 0;
    while (at < out.size()) {
        const ssize_t n = ::pread(f.get(), out.data() + at, out.size() - at, static_cast<off_t>(at));
        if (n < 0) {
            if (errno == EINTR) continue;
            throw wal_error("read " + path + ": " + errno_text(errno));
        }
        if (n == 0) break;
        at += static_cast<std::size_t>(n);
    }
    out.resize(at);
    return out;
}

inline std::string hex16(std::uint64_t v) {
    char b[17];
    std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(v));
    return b;
}

inline bool parse_hex16(std::string_view s, std::uint64_t& v) {
    if (s.size() != 16) return false;
    v = 0;
    for (char c : s) {
        v <<= 4;
        if (c >= '0' && c <= '9') v |= static_cast<std::uint64_t>(c - '0');
        else if (c >= 'a' && c <= 'f') v |= static_cast<std::uint64_t>(c - 'a' + 10);
        else return false;
    }
    return true;
}

constexpr std::size_t record_header_bytes = 24;
constexpr std::uint64_t align8(std::uint64_t n) noexcept { return (n + 7) & ~std::uint64_t{7}; }

struct record_header {
    std::uint32_t crc = 0;
    std::uint32_t length = 0;
    std::uint64_t batch = 0;
    std::uint64_t tag = 0;
};

inline record_header parse_header(std::string_view b) {
    codec::reader r{b.substr(0, record_header_bytes)};
    record_header h;
    h.crc = r.u32();
    h.length = r.u32();
    h.batch = r.u64();
    h.tag = r.u64();
    return h;
}

inline std::uint32_t record_crc(std::string_view header, std::string_view payload) {
    return codec::crc32c(payload, codec::crc32c(header.substr(4, record_header_bytes - 4)));
}

inline void append_record(std::string& out, const wal_record& r, std::uint64_t batch) {
    const std::size_t start = out.size();
    std::string header;
    codec::writer w{header};
    w.u32(0);
    w.u32(static_cast<std::uint32_t>(r.payload.size()));
    w.u64(batch);
    w.u64(r.tag);
    const std::uint32_t crc = record_crc(header, r.payload);
    header[0] = static_cast<char>(crc & 0xff);
    header[1] = static_cast<char>((crc >> 8) & 0xff);
    header[2] = static_cast<char>((crc >> 16) & 0xff);
    header[3] = static_cast<char>((crc >> 24) & 0xff);
    out += header;
    out += r.payload;
    out.resize(start + align8(record_header_bytes + r.payload.size()), '\0');
}

/// Whether a valid record starts at `at`, and its header.
inline bool valid_record_at(std::string_view seg, std::uint64_t at, std::uint32_t max_bytes,
                            record_header& h) {
    if (at + record_header_bytes > seg.size()) return false;
    h = parse_header(seg.substr(at));
    if (h.length == 0 || h.length > max_bytes) return false;
    if (at + record_header_bytes + h.length > seg.size()) return false;
    return record_crc(seg.substr(at, record_header_bytes),
                      seg.substr(at + record_header_bytes, h.length)) == h.crc;
}

inline bool all_zero(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c == 0; });
}

}  // namespace detail

// ---- snapshot files --------------------------------------------------------------------------

/// snapshot-<16 hex digits of the index>.snap; format: "SYNSNAP1", index u64, term u64,
/// length u64, data, CRC32C u32 of everything before it.
inline std::string snapshot_file_name(std::uint64_t index) {
    return "snapshot-" + detail::hex16(index) + ".snap";
}

/// Writes `s` durably: to a temporary name, fsync, rename, fsync of the directory. Calls
/// `crash_point` (if set) with "snapshot.write", "snapshot.fsync", "snapshot.rename",
/// "snapshot.dir_fsync" before each step. Out of space while writing (or renaming) removes the
/// temporary file and throws wal_full.
inline void write_snapshot_file(const std::string& dir, const snapshot_file& s,
                                const std::function<void(std::string_view)>& crash_point = {},
                                const detail::injector* inject = nullptr) {
    auto step = [&](std::string_view name) {
        if (crash_point) crash_point(name);
    };
    std::string bytes;
    codec::writer w{bytes};
    w.raw("SYNSNAP1");
    w.u64(s.index);
    w.u64(s.term);
    w.u64(s.data.size());
    w.raw(s.data);
    w.u32(codec::crc32c(bytes));
    const std::string tmp = dir + "/snapshot.tmp";
    const std::string final_path = dir + "/" + snapshot_file_name(s.index);
    step("snapshot.write");
    {
        detail::fd f = detail::open_file(tmp, O_WRONLY | O_CREAT | O_TRUNC);
        try {
            if (crash_point) {
                detail::write_all(f.get(), tmp, std::string_view{bytes}.substr(0, bytes.size() / 2),
                                  0, inject);
                step("snapshot.write.half");
                detail::write_all(f.get(), tmp, std::string_view{bytes}.substr(bytes.size() / 2),
                                  bytes.size() / 2, inject);
            } else {
                detail::write_all(f.get(), tmp, bytes, 0, inject);
            }
        } catch (const wal_full&) {
            ::unlink(tmp.c_str());  // the next attempt starts over
            throw;
        }
        step("snapshot.fsync");
        detail::sync_file(f.get(), tmp, false, inject);
    }
    step("snapshot.rename");
    if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
        const int e = errno;
        if (detail::out_of_space(e)) ::unlink(tmp.c_str());
        detail::write_failed("rename " + tmp + " to " + final_path, e);
    }
    step("snapshot.dir_fsync");
    detail::sync_dir(dir, inject);
}

/// Reads and checks one snapshot file; throws wal_error naming the file if it is damaged.
inline snapshot_file read_snapshot_file(const std::string& path) {
    const std::string bytes = detail::read_whole(path);
    codec::reader r{bytes};
    const std::string_view magic = r.raw(8);
    snapshot_file s;
    s.index = r.u64();
    s.term = r.u64();
    const std::uint64_t n = r.u64();
    if (!r.ok() || magic != "SYNSNAP1" || n > r.remaining() || r.remaining() - n != 4)
        throw wal_error("snapshot file " + path + " is damaged (bad header or length)");
    s.data.assign(r.raw(static_cast<std::size_t>(n)));
    const std::uint32_t crc = r.u32();
    if (crc != codec::crc32c(std::string_view{bytes}.substr(0, bytes.size() - 4)))
        throw wal_error("snapshot file " + path + " is damaged (bad checksum)");
    return s;
}

/// The snapshot files of `dir` by index, ascending.
inline std::vector<std::uint64_t> list_snapshot_files(const std::string& dir) {
    std::vector<std::uint64_t> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
        const std::string name = e.path().filename().string();
        std::uint64_t index = 0;
        if (name.size() == 9 + 16 + 5 && name.starts_with("snapshot-") && name.ends_with(".snap") &&
            detail::parse_hex16(std::string_view{name}.substr(9, 16), index))
            out.push_back(index);
    }
    if (ec) throw wal_error("list " + dir + ": " + ec.message());
    std::sort(out.begin(), out.end());
    return out;
}

/// The newest snapshot of `dir`, if any (damage throws: it is never silently skipped).
inline std::optional<snapshot_file> read_latest_snapshot(const std::string& dir) {
    const std::vector<std::uint64_t> all = list_snapshot_files(dir);
    if (all.empty()) return std::nullopt;
    return read_snapshot_file(dir + "/" + snapshot_file_name(all.back()));
}

// ---- the log ---------------------------------------------------------------------------------

/// The segmented write-ahead log. Not thread-safe: one thread at a time (runtime/asio hands it
/// to its fsync thread for each batch and back).
class wal {
public:
    /// The persistence steps a crash_point hook sees, in the order they occur.
    static constexpr const char* step_names[] = {
        "segment.create", "segment.rename", "segment.dir_fsync", "wal.write", "wal.write.half",
        "wal.fsync",      "wal.synced",     "snapshot.write",    "snapshot.write.half",
        "snapshot.fsync", "snapshot.rename", "snapshot.dir_fsync", "segment.delete"};

    /// Opens (creating) the directory and recovers every record, in write order, into
    /// `records`. Repairs a torn tail (logged); throws wal_error on damage before the tail.
    static std::unique_ptr<wal> open(const wal_options& options,
                                     std::vector<recovered_record>& records) {
        std::unique_ptr<wal> w{new wal{options}};
        w->recover(records);
        return w;
    }

    wal(const wal&) = delete;
    wal& operator=(const wal&) = delete;

    /// Writes one batch durably (see wal_batch): snapshot file, then the records (in a new
    /// segment, after the checkpoint, when the current one lacks room), one fdatasync, then
    /// deletion of released segments and old snapshots. Throws wal_full when out of space before
    /// the sync (nothing changed: write the same batch again later), and wal_error on any other
    /// failure: the batch must then be considered not durable and the process must stop.
    void write(const wal_batch& b) {
        if (b.snapshot) {
            write_snapshot_file(options_.dir, *b.snapshot, options_.crash_point,
                                &options_.inject_error);
            newest_snapshot_ = b.snapshot->index;
        }
        if (!b.records.empty()) {
            // The batch number is taken only once the batch is written: a batch that failed
            // for want of space is written again with the same number and bytes.
            const std::uint64_t batch = batch_ + 1;
            std::string bytes;
            for (const wal_record& r : b.records) detail::append_record(bytes, r, batch);
            const std::uint64_t need = bytes.size();
            std::string first;
            detail::append_record(first, b.checkpoint, batch);
            if (!current_ || current_->used + need > current_->size)
                roll(std::max<std::uint64_t>(options_.segment_bytes, first.size() + need));
            segment& s = *current_;
            // Every segment starts with a checkpoint (also one created by an attempt that
            // then ran out of space before writing anything).
            if (s.used == 0) bytes.insert(0, first);
            step("wal.write");
            if (options_.crash_point) {
                const std::size_t half = bytes.size() / 2;
                detail::write_all(s.file.get(), s.path, std::string_view{bytes}.substr(0, half),
                                  s.used, &options_.inject_error);
                step("wal.write.half");
                detail::write_all(s.file.get(), s.path, std::string_view{bytes}.substr(half),
                                  s.used + half, &options_.inject_error);
            } else {
                detail::write_all(s.file.get(), s.path, bytes, s.used, &options_.inject_error);
            }
            if (s.used == 0) s.max_tag = std::max(s.max_tag, b.checkpoint.tag);
            s.used += bytes.size();
            for (const wal_record& r : b.records) s.max_tag = std::max(s.max_tag, r.tag);
            batch_ = batch;
            if (options_.sync) {
                step("wal.fsync");
                detail::sync_file(s.file.get(), s.path, true, &options_.inject_error);
            }
            step("wal.synced");
        }
        if (b.release_through > 0) release(b.release_through);
    }

    /// Segments on disk (for tests and diagnostics).
    std::size_t segments() const noexcept { return closed_.size() + (current_ ? 1 : 0); }
    const wal_options& options() const noexcept { return options_; }

private:
    struct segment {
        std::uint64_t number = 0;
        std::string path;
        detail::fd file;
        std::uint64_t size = 0;
        std::uint64_t used = 0;
        std::uint64_t max_tag = 0;
    };
    struct closed_segment {
        std::uint64_t number;
        std::string path;
        std::uint64_t max_tag;
    };

    explicit wal(const wal_options& o) : options_{o} {}

    void step(std::string_view name) {
        if (options_.crash_point) options_.crash_point(name);
    }
    void note(const std::string& line) {
        if (options_.log) options_.log(line);
    }
    std::string path_of(std::uint64_t number) const {
        return options_.dir + "/" + detail::hex16(number) + ".wal";
    }

    /// Starts a new segment of `size` bytes. The current one stays current until the new one
    /// exists: out of space while creating it removes the half-made file and throws wal_full
    /// with the WAL unchanged. An unused current segment (created by an attempt that then ran
    /// out of space writing) is replaced rather than closed, so no segment lacks a checkpoint.
    void roll(std::uint64_t size) {
        const bool reuse = current_ && current_->used == 0;
        const std::uint64_t number = reuse ? current_->number : next_segment_;
        const std::string path = path_of(number);
        const std::string tmp = path + ".tmp";
        step("segment.create");
        {
            detail::fd f = detail::open_file(tmp, O_RDWR | O_CREAT | O_TRUNC);
            try {
                detail::preallocate(f.get(), tmp, size, &options_.inject_error);
            } catch (const wal_full&) {
                ::unlink(tmp.c_str());
                throw;
            }
            detail::sync_file(f.get(), tmp, false, &options_.inject_error);
        }
        step("segment.rename");
        if (::rename(tmp.c_str(), path.c_str()) != 0) {
            const int e = errno;
            if (detail::out_of_space(e)) ::unlink(tmp.c_str());
            detail::write_failed("rename " + tmp, e);
        }
        step("segment.dir_fsync");
        detail::sync_dir(options_.dir, &options_.inject_error);
        if (current_ && !reuse)
            closed_.push_back({current_->number, current_->path, current_->max_tag});
        if (!reuse) ++next_segment_;
        current_ = std::make_unique<segment>();
        current_->number = number;
        current_->path = path;
        current_->file = detail::open_file(path, O_RDWR);
        current_->size = size;
    }

    void release(std::uint64_t through) {
        bool removed = false;
        while (!closed_.empty() && closed_.front().max_tag <= through) {
            step("segment.delete");
            if (::unlink(closed_.front().path.c_str()) != 0 && errno != ENOENT)
                throw wal_error("delete " + closed_.front().path + ": " + detail::errno_text(errno));
            note("compaction: deleted segment " + closed_.front().path);
            closed_.erase(closed_.begin());
            removed = true;
        }
        for (std::uint64_t index : list_snapshot_files(options_.dir)) {
            if (index >= newest_snapshot_) continue;
            const std::string p = options_.dir + "/" + snapshot_file_name(index);
            if (::unlink(p.c_str()) != 0 && errno != ENOENT)
                throw wal_error("delete " + p + ": " + detail::errno_text(errno));
            removed = true;
        }
        if (removed) detail::sync_dir(options_.dir);
    }

    void recover(std::vector<recovered_record>& records) {
        std::error_code ec;
        std::filesystem::create_directories(options_.dir, ec);
        if (ec) throw wal_error("create directory " + options_.dir + ": " + ec.message());
        std::vector<std::uint64_t> numbers;
        bool removed = false;
        for (const auto& e : std::filesystem::directory_iterator(options_.dir, ec)) {
            const std::string name = e.path().filename().string();
            std::uint64_t n = 0;
            if (name.ends_with(".tmp")) {
                std::filesystem::remove(e.path(), ec);
                note("recovery: removed unfinished file " + e.path().string());
                removed = true;
            } else if (name.size() == 20 && name.ends_with(".wal") &&
                       detail::parse_hex16(std::string_view{name}.substr(0, 16), n)) {
                numbers.push_back(n);
            }
        }
        if (ec) throw wal_error("list " + options_.dir + ": " + ec.message());
        if (removed) detail::sync_dir(options_.dir);
        std::sort(numbers.begin(), numbers.end());
        for (std::size_t i = 1; i < numbers.size(); ++i)
            if (numbers[i] != numbers[i - 1] + 1)
                throw wal_error("segment " + path_of(numbers[i - 1] + 1) +
                                " is missing (segments must be numbered without gaps); "
                                "refusing to start");
        const std::vector<std::uint64_t> snaps = list_snapshot_files(options_.dir);
        newest_snapshot_ = snaps.empty() ? 0 : snaps.back();

        std::vector<std::string> contents;
        contents.reserve(numbers.size());
        for (std::uint64_t n : numbers) contents.push_back(detail::read_whole(path_of(n)));

        std::uint64_t last_batch = 0;
        for (std::size_t i = 0; i < numbers.size(); ++i) {
            const std::string& seg = contents[i];
            std::uint64_t at = 0;
            std::uint64_t max_tag = 0;
            std::string damage;
            while (true) {
                // A last record padded to 8 bytes may end past the file's end.
                if (at >= seg.size()) break;
                if (at + detail::record_header_bytes > seg.size()) {
                    if (!detail::all_zero(std::string_view{seg}.substr(at))) damage = "partial header";
                    break;
                }
                const std::string_view head = std::string_view{seg}.substr(at, detail::record_header_bytes);
                if (detail::all_zero(head)) {
                    if (!detail::all_zero(std::string_view{seg}.substr(at)))
                        damage = "zeroed record followed by data";
                    break;
                }
                detail::record_header h;
                if (!detail::valid_record_at(seg, at, options_.max_record_bytes, h)) {
                    damage = "bad checksum or length";
                    break;
                }
                if (h.batch < last_batch) {
                    damage = "batch number goes backwards";
                    break;
                }
                last_batch = h.batch;
                max_tag = std::max(max_tag, h.tag);
                records.push_back(recovered_record{
                    seg.substr(at + detail::record_header_bytes, h.length), h.tag, path_of(numbers[i]),
                    at});
                at += detail::align8(detail::record_header_bytes + h.length);
            }
            if (!damage.empty()) {
                handle_damage(numbers, contents, i, at, last_batch, damage);
                // Everything from here on was the unsynced tail: zeroed, later segments gone.
                closed_.push_back({numbers[i], path_of(numbers[i]), max_tag});
                next_segment_ = numbers[i] + 1;
                batch_ = last_batch + 1;
                drop_empty_tail_segment();
                return;
            }
            closed_.push_back({numbers[i], path_of(numbers[i]), max_tag});
        }
        next_segment_ = numbers.empty() ? 1 : numbers.back() + 1;
        batch_ = last_batch;
        drop_empty_tail_segment();
    }

    /// An invalid record at (segment i, offset at): either the torn tail (truncate) or damage
    /// to synced data (refuse).
    void handle_damage(const std::vector<std::uint64_t>& numbers,
                       const std::vector<std::string>& contents, std::size_t i, std::uint64_t at,
                       std::uint64_t last_batch, const std::string& what) {
        const std::string file = path_of(numbers[i]);
        for (std::size_t j = i; j < numbers.size(); ++j) {
            const std::string& seg = contents[j];
            for (std::uint64_t p = (j == i ? at + 8 : 0); p + detail::record_header_bytes <= seg.size();
                 p += 8) {
                detail::record_header h;
                if (!detail::valid_record_at(seg, p, options_.max_record_bytes, h)) continue;
                if (h.batch >= last_batch + 2)
                    throw wal_error("corrupt record in " + file + " at offset " + std::to_string(at) +
                                    " (" + what + "), followed by a valid later record in " +
                                    path_of(numbers[j]) + " at offset " + std::to_string(p) +
                                    ": the log is damaged before its tail; refusing to start");
            }
        }
        // The torn tail of the last (unsynced) batch: zero it so it can never be read again.
        const std::uint64_t size = contents[i].size();
        {
            detail::fd f = detail::open_file(file, O_RDWR);
            const std::string zeros(64u << 10, '\0');
            for (std::uint64_t p = at; p < size; p += zeros.size())
                detail::write_all(f.get(), file,
                                  std::string_view{zeros}.substr(0, std::min<std::uint64_t>(zeros.size(), size - p)),
                                  p);
            detail::sync_file(f.get(), file, false);
        }
        note("recovery: truncated torn tail of " + file + " at offset " + std::to_string(at) +
             " (" + what + "); " + std::to_string(size - at) + " bytes zeroed");
        for (std::size_t j = i + 1; j < numbers.size(); ++j) {
            const std::string p = path_of(numbers[j]);
            if (::unlink(p.c_str()) != 0)
                throw wal_error("delete " + p + ": " + detail::errno_text(errno));
            note("recovery: deleted segment " + p + " (after the torn tail)");
        }
        if (i + 1 < numbers.size()) detail::sync_dir(options_.dir);
    }

    /// A last segment without one valid record (created, then the crash) holds no checkpoint:
    /// remove it so that every segment starts with one.
    void drop_empty_tail_segment() {
        if (closed_.empty()) return;
        const closed_segment& last = closed_.back();
        const std::string bytes = detail::read_whole(last.path);
        detail::record_header h;
        if (detail::valid_record_at(bytes, 0, options_.max_record_bytes, h)) return;
        if (::unlink(last.path.c_str()) != 0)
            throw wal_error("delete " + last.path + ": " + detail::errno_text(errno));
        detail::sync_dir(options_.dir);
        note("recovery: deleted empty segment " + last.path);
        closed_.pop_back();
    }

    wal_options options_;
    std::vector<closed_segment> closed_;
    std::unique_ptr<segment> current_;
    std::uint64_t next_segment_ = 1;
    std::uint64_t batch_ = 0;
    std::uint64_t newest_snapshot_ = 0;
};

}  // namespace synod::storage

#endif
