#ifndef SYNOD_EXAMPLES_KV_STORE_HPP
#define SYNOD_EXAMPLES_KV_STORE_HPP

// synod-kv's replicated state machine: a string-keyed map, and the byte encoding of the
// commands the log carries. Deterministic: every replica computes the same answers, so the
// node that proposed a command answers its client from its own apply.
//
// Command (an entry's payload), little-endian:
//   u8 version (1), u8 op, u64 origin (the proposing server process), u64 request (its number
//   there), u32 argc, argc x (u32 length, bytes)
// Ops: 1 SET k v, 2 DEL k..., 3 INCR k, 4 GET k, 5 MGET k..., 6 EXISTS k...
//
// Snapshot (log compaction; Raft's InstallSnapshot and Multi-Paxos's state transfer carry it):
//   u8 version (1), u64 applied index, u32 count, count x (key bytes, value bytes), each
//   bytes a u32 length and the bytes
//
// No exactly-once table is needed: a server proposes each request once and never retries it,
// and both protocols place a proposed value in at most one log position (Raft appends it once;
// a Multi-Paxos leader re-proposes a recovered value only in the slot it was found in). A
// client that retries after an unknown outcome makes a new request, as with Redis itself.

#include <charconv>
#include <climits>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "synod/codec/bytes.hpp"
#include "synod/core/entry.hpp"
#include "synod/raft/options.hpp"

namespace synod_kv {

enum class op : std::uint8_t { set = 1, del = 2, incr = 3, get = 4, mget = 5, exists = 6 };

/// Who proposed a command: the server process (random per start) and its request number.
struct request_id {
    std::uint64_t origin = 0;
    std::uint64_t number = 0;
    friend bool operator==(const request_id&, const request_id&) = default;
};

struct command {
    op kind = op::get;
    request_id id;
    std::vector<std::string> args;  ///< keys, and for SET the value last
};

inline std::string encode(const command& c) {
    std::string out;
    synod::codec::writer w{out};
    w.u8(1);
    w.u8(static_cast<std::uint8_t>(c.kind));
    w.u64(c.id.origin);
    w.u64(c.id.number);
    w.u32(static_cast<std::uint32_t>(c.args.size()));
    for (const std::string& a : c.args) w.bytes(a);
    return out;
}

inline std::optional<command> decode(std::string_view bytes) {
    synod::codec::reader r{bytes};
    command c;
    const std::uint8_t version = r.u8();
    const std::uint8_t kind = r.u8();
    c.id.origin = r.u64();
    c.id.number = r.u64();
    const std::size_t n = r.count(4);
    for (std::size_t i = 0; i < n && r.ok(); ++i) c.args.emplace_back(r.bytes());
    if (!r.done() || version != 1 || kind < 1 || kind > 6) return std::nullopt;
    c.kind = static_cast<op>(kind);
    return c;
}

// ---- RESP answers ------------------------------------------------------------------------------

inline std::string resp_simple(std::string_view s) { return "+" + std::string{s} + "\r\n"; }
inline std::string resp_error(std::string_view s) { return "-" + std::string{s} + "\r\n"; }
inline std::string resp_integer(long long v) { return ":" + std::to_string(v) + "\r\n"; }
inline std::string resp_bulk(std::string_view s) {
    return "$" + std::to_string(s.size()) + "\r\n" + std::string{s} + "\r\n";
}
inline std::string resp_nil() { return "$-1\r\n"; }

/// The key-value map. apply() executes each committed command and hands its RESP answer to
/// on_applied (also called, with no request, for entries that carry none: no-ops). The node
/// tells it through on_read when a ReadIndex read may be served, and through restore() when a
/// snapshot replaced the state.
class store {
public:
    using applied_fn =
        std::function<void(std::uint64_t index, const request_id* id, const std::string& answer)>;
    using read_fn = std::function<void(std::uint64_t context, bool ok)>;
    using restored_fn = std::function<void(std::uint64_t index)>;

    void apply(std::uint64_t index, synod::entry_kind kind, std::string_view payload) {
        applied_ = index;
        std::string answer;
        std::optional<command> c;
        if (kind == synod::entry_kind::normal) c = decode(payload);
        if (c) answer = execute(*c);
        if (on_applied) on_applied(index, c ? &c->id : nullptr, answer);
    }

    /// A read of the local state (READONLY connections: possibly stale).
    std::string read(op kind, const std::vector<std::string>& keys) const {
        return execute_read(command{kind, {}, keys});
    }

    /// The whole state, for a snapshot (see the file comment for the format).
    std::string snapshot() const {
        std::string out;
        synod::codec::writer w{out};
        w.u8(1);
        w.u64(applied_);
        w.u32(static_cast<std::uint32_t>(map_.size()));
        for (const auto& [k, v] : map_) {
            w.bytes(k);
            w.bytes(v);
        }
        return out;
    }

    /// Replaces the state with a snapshot's. The bytes come from a checksummed snapshot file or
    /// frame that this program wrote, so a snapshot that does not decode is a bug: it throws.
    void restore(std::string_view bytes) {
        synod::codec::reader r{bytes};
        const std::uint8_t version = r.u8();
        const std::uint64_t applied = r.u64();
        const std::size_t n = r.count(8);
        std::unordered_map<std::string, std::string> map;
        map.reserve(n);
        for (std::size_t i = 0; i < n && r.ok(); ++i) {
            std::string k{r.bytes()};
            map[std::move(k)] = std::string{r.bytes()};
        }
        if (!r.done() || version != 1)
            throw std::runtime_error("synod-kv: a snapshot of " + std::to_string(bytes.size()) +
                                     " bytes does not decode");
        map_ = std::move(map);
        applied_ = applied;
        ++restores_;
        if (on_restored) on_restored(applied_);
    }

    /// The node's read_ready: reads with this context may be served now (ok), or must be
    /// retried (leadership changed).
    void read_ready(std::uint64_t context, bool ok) {
        if (on_read) on_read(context, ok);
    }

    std::size_t keys() const noexcept { return map_.size(); }
    /// Snapshots restored since the process started (at start-up included).
    std::uint64_t restores() const noexcept { return restores_; }
    std::uint64_t applied() const noexcept { return applied_; }
    const std::string* find(const std::string& k) const {
        const auto it = map_.find(k);
        return it == map_.end() ? nullptr : &it->second;
    }

    applied_fn on_applied;
    read_fn on_read;
    restored_fn on_restored;

private:
    std::string execute(const command& c) {
        switch (c.kind) {
            case op::set:
                if (c.args.size() != 2) return resp_error("ERR wrong number of arguments for 'set'");
                map_[c.args[0]] = c.args[1];
                return resp_simple("OK");
            case op::del: {
                long long n = 0;
                for (const std::string& k : c.args) n += static_cast<long long>(map_.erase(k));
                return resp_integer(n);
            }
            case op::incr: {
                if (c.args.size() != 1) return resp_error("ERR wrong number of arguments for 'incr'");
                std::string& v = map_[c.args[0]];
                long long n = 0;
                if (!v.empty()) {
                    const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
                    if (ec != std::errc{} || p != v.data() + v.size() || n == INT64_MAX)
                        return resp_error("ERR value is not an integer or out of range");
                }
                v = std::to_string(++n);
                return resp_integer(n);
            }
            default: return execute_read(c);
        }
    }
    std::string execute_read(const command& c) const {
        switch (c.kind) {
            case op::get: {
                if (c.args.size() != 1) return resp_error("ERR wrong number of arguments for 'get'");
                const std::string* v = find(c.args[0]);
                return v ? resp_bulk(*v) : resp_nil();
            }
            case op::mget: {
                std::string out = "*" + std::to_string(c.args.size()) + "\r\n";
                for (const std::string& k : c.args) {
                    const std::string* v = find(k);
                    out += v ? resp_bulk(*v) : resp_nil();
                }
                return out;
            }
            case op::exists: {
                long long n = 0;
                for (const std::string& k : c.args) n += find(k) ? 1 : 0;
                return resp_integer(n);
            }
            default: return resp_error("ERR not a read");
        }
    }

    std::unordered_map<std::string, std::string> map_;
    std::uint64_t applied_ = 0;
    std::uint64_t restores_ = 0;
};

/// The state machine policy: the node holds it by value; the store lives on the heap so the
/// server can read it and receive answers. Snapshots are bytes: Raft's node streams them
/// (snapshot() / restore(span of bytes)), Multi-Paxos's replica passes them as a std::string
/// value (snapshot() / restore(string)).
struct machine {
    std::shared_ptr<store> s = std::make_shared<store>();
    void apply(const synod::entry<std::string>& e) { s->apply(e.index.value, e.kind, e.payload); }
    std::string snapshot() const { return s->snapshot(); }
    void restore(std::span<const std::byte> bytes) {
        s->restore(std::string_view{reinterpret_cast<const char*>(bytes.data()), bytes.size()});
    }
    void restore(const std::string& bytes) { s->restore(bytes); }
    void on_read(const synod::raft::read_ready& r) { s->read_ready(r.context, r.ok); }
};

}  // namespace synod_kv

#endif
