#ifndef SYNOD_STORAGE_FILE_STORAGE_HPP
#define SYNOD_STORAGE_FILE_STORAGE_HPP

/// \file
/// Durable storage on the file WAL (storage/file_wal.hpp) whose writes complete later
/// (DESIGN 3):
///  - file_log<P>:            a Raft log and hard state; models raft_log_storage and
///                            raft_snapshot_storage;
///  - file_paxos_log<P, S>:   a Multi-Paxos acceptor's promise, accepted slots and snapshot;
///                            models multi_acceptor_storage and snapshot_storage.
///
/// Reads are served from memory and see every write at once. Writes are encoded into pending
/// records and return their write_id; nothing reaches the disk until someone takes the pending
/// records as a batch and writes it:
///
///     if (s.has_pending()) {
///         wal_batch b = s.take_batch();   // the node's thread
///         s.wal().write(b);               // any one thread at a time: the fsync thread
///         s.completed(b);                 // the node's thread; then node.on(writes_durable{})
///     }
///
/// Writes issued while a batch is being written join the next batch (group commit).
/// flush() does all three inline. runtime/asio drives this from its fsync thread.
///
/// Record types, first payload byte (Raft): 1 checkpoint {hard state, base index, base term},
/// 2 hard state {term u64, vote u32, commit u64}, 3 append {count, entries}, 4 compact
/// {base index, base term, clear u8}. Multi-Paxos: 1 checkpoint {promised, base}, 2 promise
/// {ballot}, 3 accepted {ballot, count, entries}, 4 snapshot {index} (data in the snapshot file).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "synod/codec/bytes.hpp"
#include "synod/core/assert.hpp"
#include "synod/core/concepts/storage.hpp"
#include "synod/core/entry.hpp"
#include "synod/core/ids.hpp"
#include "synod/storage/file_wal.hpp"
#include "synod/storage/paxos_memory.hpp"

namespace synod::storage {

namespace detail {

/// Pending records, write ids and batches: what both file storages share.
class wal_pipeline {
public:
    write_id durable() const noexcept { return durable_; }
    /// The id of the last write issued (durable or not).
    write_id issued() const noexcept { return issued_; }
    /// True if writes wait to be taken as a batch.
    bool has_pending() const noexcept { return !pending_.records.empty() || pending_.snapshot; }
    /// The WAL (write batches with it from one thread at a time).
    storage::wal& wal() noexcept { return *wal_; }

protected:
    wal_pipeline() = default;

    write_id add(std::string payload, std::uint64_t tag) {
        pending_.records.push_back(wal_record{std::move(payload), tag});
        return ++issued_;
    }
    /// Takes every pending write as one batch; `checkpoint_now` is the state after them.
    wal_batch take(wal_record checkpoint_now) {
        wal_batch b = std::move(pending_);
        pending_ = wal_batch{};
        b.checkpoint = std::exchange(checkpoint_, std::move(checkpoint_now));
        b.last_write = issued_.value;
        return b;
    }
    void done(const wal_batch& b) {
        SYNOD_ASSERT(durable_.value <= b.last_write);
        SYNOD_ASSERT(b.last_write <= issued_.value);
        durable_ = write_id{b.last_write};
    }

    std::unique_ptr<storage::wal> wal_;
    wal_batch pending_;
    wal_record checkpoint_;
    write_id issued_{0};
    write_id durable_{0};
};

[[noreturn]] inline void damaged(const recovered_record& r, const std::string& what) {
    throw wal_error("corrupt record in " + r.file + " at offset " + std::to_string(r.offset) +
                    ": " + what + "; refusing to start");
}

}  // namespace detail

// ---- Raft ------------------------------------------------------------------------------------

/// A Raft node's durable state in a WAL directory. Models raft_log_storage; writes complete
/// later (see the file comment). Also: log compaction behind a snapshot file.
template <class Payload>
class file_log : public detail::wal_pipeline {
public:
    using payload_type = Payload;
    using entry_type = entry<Payload>;

    /// Opens (or creates) the log in `options.dir` and recovers it. Throws wal_error when the
    /// log is damaged before its tail or the disk fails.
    explicit file_log(const wal_options& options) {
        std::vector<recovered_record> records;
        wal_ = storage::wal::open(options, records);
        recover(records, options);
        checkpoint_ = checkpoint_record();
    }

    synod::hard_state hard_state() const noexcept { return hs_; }
    log_index first_index() const noexcept { return base_.next(); }
    log_index last_index() const noexcept { return base_ + log_.size(); }
    term_t term_at(log_index i) const noexcept {
        if (i == base_) return base_term_;
        SYNOD_ASSERT(base_ < i);
        SYNOD_ASSERT(i <= last_index());
        return log_[i - base_ - 1].term;
    }
    std::span<const entry_type> entries(log_index lo, log_index hi) const noexcept {
        SYNOD_ASSERT(base_ < lo);
        SYNOD_ASSERT(lo <= hi);
        SYNOD_ASSERT(hi <= last_index());
        return {log_.data() + (lo - base_ - 1), static_cast<std::size_t>(hi - lo + 1)};
    }

    write_id save_hard_state(const synod::hard_state& h) {
        hs_ = h;
        return add(encode_hard_state(2, h), 0);
    }
    write_id append(std::span<const entry_type> es) {
        SYNOD_ASSERT(!es.empty());
        SYNOD_ASSERT(base_ < es[0].index);
        SYNOD_ASSERT(es[0].index <= last_index().next());
        truncate_from(es[0].index);
        log_.insert(log_.end(), es.begin(), es.end());
        std::string p;
        codec::writer w{p};
        w.u8(3);
        w.u32(static_cast<std::uint32_t>(es.size()));
        for (const entry_type& e : es) codec::write_entry(w, e);
        return add(std::move(p), es.back().index.value);
    }

    /// Drops entries up to `i` (pre: first_index() - 1 <= i <= last_index()); the caller holds
    /// a snapshot of the state machine through `i`. Segments holding only such entries are
    /// deleted once the batch with this write is durable.
    write_id compact_through(log_index i) {
        SYNOD_ASSERT(base_ <= i);
        SYNOD_ASSERT(i <= last_index());
        const term_t t = term_at(i);
        compact_memory(i, t, false);
        pending_.release_through = std::max(pending_.release_through, i.value);
        return add(encode_compact(i, t, false), 0);
    }

    /// Saves a state-machine snapshot through `i` (term `t`) and compacts the log behind it.
    /// If the log holds `i` with term `t` the entries after it are kept, else the whole log is
    /// dropped (Raft 7, InstallSnapshot). The snapshot file is durable before the log says so.
    write_id save_snapshot(log_index i, term_t t, std::string data) {
        SYNOD_ASSERT(base_ <= i);
        const bool keep = i <= last_index() && term_at(i) == t;
        compact_memory(i, t, !keep);
        snapshot_ = snapshot_file{i.value, t.value, std::move(data)};
        pending_.snapshot = snapshot_;
        pending_.release_through = std::max(pending_.release_through, i.value);
        return add(encode_compact(i, t, !keep), 0);
    }
    /// The newest snapshot (saved, or found at start-up), if any.
    const std::optional<snapshot_file>& snapshot() const noexcept { return snapshot_; }

    // ---- raft_snapshot_storage: what raft::node needs to compact and to send and receive
    // InstallSnapshot. An incoming snapshot is staged in memory until its last chunk.

    log_index snapshot_index() const noexcept {
        return log_index{snapshot_ ? snapshot_->index : 0};
    }
    term_t snapshot_term() const noexcept { return term_t{snapshot_ ? snapshot_->term : 0}; }
    std::span<const std::byte> snapshot_data() const noexcept {
        if (!snapshot_) return {};
        return std::as_bytes(std::span{snapshot_->data.data(), snapshot_->data.size()});
    }
    write_id save_snapshot(log_index i, term_t t, std::span<const std::byte> bytes) {
        std::string data{reinterpret_cast<const char*>(bytes.data()), bytes.size()};
        return save_snapshot(i, t, std::move(data));
    }
    std::uint64_t stage_snapshot_chunk(log_index i, term_t t, std::uint64_t offset,
                                       std::span<const std::byte> bytes) {
        if (!(staged_index_ == i && staged_term_ == t)) {
            staged_.clear();
            staged_index_ = i;
            staged_term_ = t;
        }
        if (offset == staged_.size())
            staged_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
        return staged_.size();
    }
    write_id save_staged_snapshot() {
        std::string data = std::move(staged_);
        const log_index i = staged_index_;
        const term_t t = staged_term_;
        staged_ = std::string{};
        staged_index_ = log_index{0};
        staged_term_ = term_t{0};
        return save_snapshot(i, t, std::move(data));
    }

    /// Takes the pending writes as one batch (the node's thread).
    wal_batch take_batch() { return take(checkpoint_record()); }
    /// The batch was written and synced: its writes are durable (the node's thread).
    void completed(const wal_batch& b) { done(b); }
    /// Writes and syncs everything pending, inline. Throws wal_error on failure.
    void flush() {
        if (!has_pending()) return;
        wal_batch b = take_batch();
        wal_->write(b);
        completed(b);
    }

    /// Every entry held, for inspection.
    std::span<const entry_type> all() const noexcept { return log_; }

private:
    static std::string encode_hard_state(std::uint8_t type, const synod::hard_state& h) {
        std::string p;
        codec::writer w{p};
        w.u8(type);
        w.term(h.term);
        w.node(h.vote);
        w.index(h.commit);
        return p;
    }
    static std::string encode_compact(log_index i, term_t t, bool clear) {
        std::string p;
        codec::writer w{p};
        w.u8(4);
        w.index(i);
        w.term(t);
        w.boolean(clear);
        return p;
    }
    wal_record checkpoint_record() const {
        std::string p = encode_hard_state(1, hs_);
        codec::writer w{p};
        w.index(base_);
        w.term(base_term_);
        return wal_record{std::move(p), 0};
    }
    void truncate_from(log_index i) {
        const auto keep = static_cast<std::size_t>(i - base_ - 1);
        if (keep < log_.size()) log_.erase(log_.begin() + static_cast<std::ptrdiff_t>(keep), log_.end());
    }
    void compact_memory(log_index i, term_t t, bool clear) {
        if (clear || last_index() <= i) {
            log_.clear();
        } else if (base_ < i) {
            log_.erase(log_.begin(), log_.begin() + static_cast<std::ptrdiff_t>(i - base_));
        }
        if (base_ < i || clear) {
            base_ = i;
            base_term_ = t;
        }
    }

    void recover(const std::vector<recovered_record>& records, const wal_options& options) {
        // Pass 1: the compaction point. Entries at or below it may live in deleted segments.
        log_index base{0};
        term_t base_term{0};
        for (const recovered_record& r : records) {
            codec::reader rd{r.payload};
            const std::uint8_t type = rd.u8();
            if (type == 1) {
                rd.term();
                rd.node();
                rd.index();
            }
            if (type == 1 || type == 4) {
                const log_index i = rd.index();
                const term_t t = rd.term();
                if (!rd.ok()) detail::damaged(r, "short checkpoint or compaction record");
                if (base < i) {
                    base = i;
                    base_term = t;
                }
            }
        }
        base_ = base;
        base_term_ = base_term;
        // Pass 2: replay above it, in write order.
        for (const recovered_record& r : records) {
            codec::reader rd{r.payload};
            switch (rd.u8()) {
                case 1:
                case 2: {
                    synod::hard_state h;
                    h.term = rd.term();
                    h.vote = rd.node();
                    h.commit = rd.index();
                    if (!rd.ok()) detail::damaged(r, "short hard-state record");
                    if (h.term < hs_.term) detail::damaged(r, "term goes backwards");
                    hs_ = h;
                    break;
                }
                case 3: {
                    const std::size_t n = rd.count(codec::entry_header_bytes);
                    std::vector<entry_type> es;
                    es.reserve(n);
                    for (std::size_t k = 0; k < n; ++k) {
                        entry_type e;
                        if (!codec::read_entry(rd, e)) break;
                        es.push_back(std::move(e));
                    }
                    if (!rd.done() || es.empty()) detail::damaged(r, "bad append record");
                    for (std::size_t k = 1; k < es.size(); ++k)
                        if (!(es[k].index == es[k - 1].index.next()))
                            detail::damaged(r, "entries not contiguous");
                    std::size_t skip = 0;
                    while (skip < es.size() && es[skip].index <= base_) ++skip;
                    if (skip == es.size()) break;
                    const log_index first = es[skip].index;
                    if (last_index().next() < first)
                        detail::damaged(r, "entries start at index " + std::to_string(first.value) +
                                               " but the log ends at " +
                                               std::to_string(last_index().value));
                    truncate_from(first);
                    log_.insert(log_.end(), es.begin() + static_cast<std::ptrdiff_t>(skip), es.end());
                    break;
                }
                case 4: {
                    rd.index();
                    rd.term();
                    const bool clear = rd.boolean();
                    if (!rd.ok()) detail::damaged(r, "short compaction record");
                    // The log was dropped at this point (a snapshot that did not match it);
                    // later appends rebuild it above the compaction point.
                    if (clear) log_.clear();
                    break;
                }
                default: detail::damaged(r, "unknown record type");
            }
        }
        // A snapshot renamed into place just before a crash, without its compaction record.
        snapshot_ = read_latest_snapshot(options.dir);
        if (snapshot_ && base_ < log_index{snapshot_->index}) {
            const log_index i{snapshot_->index};
            const term_t t{snapshot_->term};
            const bool keep = i <= last_index() && term_at(i) == t;
            compact_memory(i, t, !keep);
            if (options.log)
                options.log("recovery: adopted snapshot " + snapshot_file_name(i.value) +
                            " newer than the log's compaction point");
        } else if (base_ > log_index{0} && (!snapshot_ || log_index{snapshot_->index} < base_)) {
            throw wal_error("the log in " + options.dir + " is compacted through index " +
                            std::to_string(base_.value) + " but no snapshot file covers it; "
                            "refusing to start");
        }
        if (hs_.commit > last_index()) hs_.commit = last_index();
        if (options.log && (!records.empty() || snapshot_))
            options.log("recovery: " + options.dir + ": term " + std::to_string(hs_.term.value) +
                        ", vote " + std::to_string(hs_.vote.value) + ", log " +
                        std::to_string(first_index().value) + ".." +
                        std::to_string(last_index().value));
    }

    synod::hard_state hs_{};
    std::vector<entry_type> log_;
    log_index base_{0};
    term_t base_term_{0};
    std::optional<snapshot_file> snapshot_;
    std::string staged_;
    log_index staged_index_{0};
    term_t staged_term_{0};
};

// ---- Multi-Paxos -----------------------------------------------------------------------------

/// A Multi-Paxos acceptor's durable state in a WAL directory. Models multi_acceptor_storage and
/// snapshot_storage<Snapshot> (Snapshot needs a codec::value_codec); writes complete later.
template <class Payload, class Snapshot = no_snapshot>
class file_paxos_log : public detail::wal_pipeline {
public:
    using payload_type = Payload;
    using pvalue_type = pvalue<Payload>;
    using snapshot_type = Snapshot;

    explicit file_paxos_log(const wal_options& options) {
        std::vector<recovered_record> records;
        wal_ = storage::wal::open(options, records);
        recover(records, options);
        checkpoint_ = checkpoint_record();
    }

    ballot promised() const noexcept { return mem_.promised(); }
    log_index first_index() const noexcept { return mem_.first_index(); }
    log_index last_index() const noexcept { return mem_.last_index(); }
    std::span<const pvalue_type> entries(log_index lo, log_index hi) const noexcept {
        return mem_.entries(lo, hi);
    }
    const pvalue_type& at(log_index i) const noexcept { return mem_.at(i); }
    std::span<const pvalue_type> all() const noexcept { return mem_.all(); }
    log_index snapshot_index() const noexcept { return mem_.snapshot_index(); }
    const Snapshot& snapshot() const noexcept { return mem_.snapshot(); }

    write_id save_promise(ballot b) {
        mem_.save_promise(b);
        std::string p;
        codec::writer w{p};
        w.u8(2);
        w.ballot(b);
        return add(std::move(p), 0);
    }
    write_id save_accepted(ballot b, std::span<const pvalue_type> vs) {
        mem_.save_accepted(b, vs);
        std::string p;
        codec::writer w{p};
        w.u8(3);
        w.ballot(b);
        w.u32(static_cast<std::uint32_t>(vs.size()));
        std::uint64_t top = 0;
        for (const pvalue_type& v : vs) {
            codec::write_entry(w, v.value);
            top = std::max(top, v.value.index.value);
        }
        return add(std::move(p), top);
    }
    write_id save_snapshot(log_index i, const Snapshot& snap) {
        mem_.save_snapshot(i, snap);
        std::string data;
        codec::writer sw{data};
        codec::value_codec<Snapshot>::write(sw, snap);
        pending_.snapshot = snapshot_file{i.value, 0, std::move(data)};
        pending_.release_through = std::max(pending_.release_through, i.value);
        std::string p;
        codec::writer w{p};
        w.u8(4);
        w.index(i);
        return add(std::move(p), 0);
    }

    wal_batch take_batch() { return take(checkpoint_record()); }
    void completed(const wal_batch& b) { done(b); }
    void flush() {
        if (!has_pending()) return;
        wal_batch b = take_batch();
        wal_->write(b);
        completed(b);
    }

private:
    wal_record checkpoint_record() const {
        std::string p;
        codec::writer w{p};
        w.u8(1);
        w.ballot(mem_.promised());
        w.index(mem_.snapshot_index());
        return wal_record{std::move(p), 0};
    }

    void recover(const std::vector<recovered_record>& records, const wal_options& options) {
        log_index base{0};
        for (const recovered_record& r : records) {
            codec::reader rd{r.payload};
            const std::uint8_t type = rd.u8();
            if (type == 1) rd.ballot();
            if (type == 1 || type == 4) {
                const log_index i = rd.index();
                if (!rd.ok()) detail::damaged(r, "short checkpoint or snapshot record");
                base = std::max(base, i);
            }
        }
        std::optional<snapshot_file> file = read_latest_snapshot(options.dir);
        if (base > log_index{0} && (!file || log_index{file->index} < base))
            throw wal_error("the log in " + options.dir + " is compacted through slot " +
                            std::to_string(base.value) + " but no snapshot file covers it; "
                            "refusing to start");
        if (file) {
            Snapshot snap{};
            codec::reader sr{file->data};
            if (!codec::value_codec<Snapshot>::read(sr, snap) || !sr.done())
                throw wal_error("snapshot file " + options.dir + "/" +
                                snapshot_file_name(file->index) + " does not decode");
            if (base < log_index{file->index} && options.log)
                options.log("recovery: adopted snapshot " + snapshot_file_name(file->index) +
                            " newer than the log's compaction point");
            base = log_index{file->index};
            mem_.save_snapshot(base, snap);
        }
        for (const recovered_record& r : records) {
            codec::reader rd{r.payload};
            switch (rd.u8()) {
                case 1:
                case 2: {
                    const ballot b = rd.ballot();
                    if (!rd.ok()) detail::damaged(r, "short promise record");
                    if (b < mem_.promised()) detail::damaged(r, "promise goes backwards");
                    mem_.save_promise(b);
                    break;
                }
                case 3: {
                    const ballot b = rd.ballot();
                    const std::size_t n = rd.count(codec::entry_header_bytes);
                    std::vector<pvalue_type> vs;
                    vs.reserve(n);
                    for (std::size_t k = 0; k < n; ++k) {
                        pvalue_type v;
                        v.number = b;
                        if (!codec::read_entry(rd, v.value)) break;
                        if (v.value.index > base) vs.push_back(std::move(v));
                    }
                    if (!rd.done()) detail::damaged(r, "bad accepted record");
                    if (b < mem_.promised()) detail::damaged(r, "accepted below the promise");
                    for (std::size_t k = 1; k < vs.size(); ++k)
                        if (!(vs[k - 1].value.index < vs[k].value.index))
                            detail::damaged(r, "slots not ascending");
                    if (!vs.empty()) mem_.save_accepted(b, vs);
                    break;
                }
                case 4: {
                    rd.index();
                    if (!rd.ok()) detail::damaged(r, "short snapshot record");
                    break;
                }
                default: detail::damaged(r, "unknown record type");
            }
        }
        if (options.log && (!records.empty() || file))
            options.log("recovery: " + options.dir + ": promised ballot " +
                        std::to_string(mem_.promised().round) + "." +
                        std::to_string(mem_.promised().proposer.value) + ", slots " +
                        std::to_string(first_index().value) + ".." +
                        std::to_string(last_index().value));
    }

    memory_paxos_log<Payload, Snapshot> mem_;
};

static_assert(raft_log_storage<file_log<std::string>, std::string>);
static_assert(raft_snapshot_storage<file_log<std::string>>);
static_assert(multi_acceptor_storage<file_paxos_log<std::string>, std::string>);
static_assert(snapshot_storage<file_paxos_log<std::string>, no_snapshot>);

}  // namespace synod::storage

#endif
