#ifndef SYNOD_CHECK_KV_HPP
#define SYNOD_CHECK_KV_HPP

/// \file
/// The replicated key-value store of the simulator's workload, in two halves that share one
/// sequential semantics (kv_execute):
///  - kv_model: its sequential specification, per key, for the linearizability checker;
///  - kv_store: a deterministic state machine the consensus nodes apply committed entries to,
///    with exactly-once execution of retried commands (client id + sequence number).
///
/// Semantics of one key (absent until first written):
///   get()              -> the value, or `absent`
///   put(v)             -> ok; the value becomes v
///   cas(expected, v)   -> ok and the value becomes v iff the key is present and holds
///                         `expected`; otherwise `failed` and nothing changes
///   append(s)          -> ok with the new length; the value becomes value + s ("" if absent)

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "synod/check/history.hpp"
#include "synod/check/model.hpp"
#include "synod/core/entry.hpp"
#include "synod/core/ids.hpp"

namespace synod::check {

/// The state of one key: absent, or present with a value ("" is a value, not absence).
struct kv_register {
    bool present = false;
    std::string value;
    friend bool operator==(const kv_register&, const kv_register&) = default;
};

/// Executes `in` on the key's state `s` and returns the answer: the one sequential semantics of
/// the store, used by the replicated state machine and, read backwards, by the model.
inline kv_output kv_execute(kv_register& s, const kv_input& in) {
    switch (in.kind) {
        case op_kind::get: return s.present ? kv_output::read(s.value) : kv_output::absent();
        case op_kind::put:
            s.present = true;
            s.value = in.value;
            return kv_output::ok();
        case op_kind::cas:
            if (!s.present || s.value != in.expected) return kv_output::failed();
            s.value = in.value;
            return kv_output::ok();
        case op_kind::append:
            s.present = true;
            s.value += in.value;
            return kv_output::appended(s.value.size());
    }
    return kv_output::failed();
}

/// The sequential specification of the store for the linearizability checker: partitioned by
/// key, one kv_register per partition. Models synod::check::sequential_model.
struct kv_model {
    using state_type = kv_register;

    state_type init() const { return {}; }
    std::uint64_t partition(const operation& op) const noexcept { return op.input.key; }

    /// Whether `op` may take effect in `s` with the output it returned. An open operation is
    /// always legal: a read then constrains nothing, a write takes effect (a cas only if it
    /// would succeed), and "never took effect" is the search placing it last.
    step_result step(const state_type& s, const operation& op, state_type& next) const {
        const kv_input& in = op.input;
        const kv_output& out = op.output;
        const bool open = op.open();
        switch (in.kind) {
            case op_kind::get:
                if (open) return step_result::unchanged;
                if (!s.present) return legal_if(out.status == kv_status::absent);
                return legal_if(out.status == kv_status::ok && out.value == s.value);
            case op_kind::put:
                if (!open && out.status != kv_status::ok) return step_result::illegal;
                if (s.present && s.value == in.value) return step_result::unchanged;
                next.present = true;
                next.value = in.value;
                return step_result::changed;
            case op_kind::cas:
                if (!s.present || s.value != in.expected)
                    return open || out.status == kv_status::failed ? step_result::unchanged
                                                                   : step_result::illegal;
                if (!open && out.status != kv_status::ok) return step_result::illegal;
                if (in.value == s.value) return step_result::unchanged;
                next.present = true;
                next.value = in.value;
                return step_result::changed;
            case op_kind::append: {
                const std::size_t length = s.value.size() + in.value.size();
                if (!open && (out.status != kv_status::ok || out.length != length))
                    return step_result::illegal;
                if (s.present && in.value.empty()) return step_result::unchanged;
                next.present = true;
                next.value.reserve(length);
                next.value.assign(s.value);
                next.value += in.value;
                return step_result::changed;
            }
        }
        return step_result::illegal;
    }

    std::uint64_t hash(const state_type& s) const noexcept {
        return s.present ? detail::hash_bytes(s.value, 1) : 0;
    }
    std::string describe(const state_type& s) const {
        return s.present ? "\"" + s.value + "\"" : std::string{"absent"};
    }
    /// What `op` would have returned in `s`.
    std::string expected(const state_type& s, const operation& op) const {
        kv_register copy = s;
        return to_string(kv_execute(copy, op.input), op.input.kind);
    }

private:
    static step_result legal_if(bool ok) noexcept {
        return ok ? step_result::unchanged : step_result::illegal;
    }
};

static_assert(sequential_model<kv_model>);

// ---- the replicated state machine ------------------------------------------------------------

/// One client request as replicated through the log. `sequence` numbers a client's requests
/// from 1; a retry carries the same number, so it is executed at most once.
struct kv_command {
    client_id client{};
    std::uint64_t sequence = 0;
    kv_input input;
    friend bool operator==(const kv_command&, const kv_command&) = default;
};

/// The byte encoding of a kv_command, for byte payloads (std::string, std::vector<std::byte>,
/// a fixed buffer). Little-endian, no padding:
///   offset  size  field
///   0       1     format version, 1
///   1       1     op_kind (0 get, 1 put, 2 cas, 3 append)
///   2       4     client id
///   6       8     sequence number
///   14      4     key
///   18      4     V = length of value
///   22      V     value
///   22+V    4     E = length of expected (0 unless cas)
///   26+V    E     expected
/// Total 26 + V + E bytes. kv_decode() rejects anything else (wrong version or kind, lengths
/// that do not add up to the size exactly).
inline constexpr std::uint8_t kv_command_version = 1;
inline constexpr std::size_t kv_command_header_bytes = 26;

namespace detail {
inline void put_le(std::string& out, std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
inline std::uint64_t get_le(const unsigned char* p, int bytes) noexcept {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v |= std::uint64_t{p[i]} << (8 * i);
    return v;
}
}  // namespace detail

/// Appends the encoding of `c` to `out`.
inline void kv_encode(const kv_command& c, std::string& out) {
    out.reserve(out.size() + kv_command_header_bytes + c.input.value.size() +
                c.input.expected.size());
    out.push_back(static_cast<char>(kv_command_version));
    out.push_back(static_cast<char>(c.input.kind));
    detail::put_le(out, c.client.value, 4);
    detail::put_le(out, c.sequence, 8);
    detail::put_le(out, c.input.key, 4);
    detail::put_le(out, c.input.value.size(), 4);
    out += c.input.value;
    detail::put_le(out, c.input.expected.size(), 4);
    out += c.input.expected;
}
inline std::string kv_encode(const kv_command& c) {
    std::string out;
    kv_encode(c, out);
    return out;
}

/// Decodes exactly one command from `bytes`; nullopt if the bytes are not a valid encoding.
inline std::optional<kv_command> kv_decode(std::string_view bytes) {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    const std::size_t n = bytes.size();
    if (n < kv_command_header_bytes || p[0] != kv_command_version || p[1] > 3) return {};
    kv_command c;
    c.input.kind = static_cast<op_kind>(p[1]);
    c.client = client_id{static_cast<std::uint32_t>(detail::get_le(p + 2, 4))};
    c.sequence = detail::get_le(p + 6, 8);
    c.input.key = static_cast<kv_key>(detail::get_le(p + 14, 4));
    const std::uint64_t value_bytes = detail::get_le(p + 18, 4);
    if (value_bytes > n - kv_command_header_bytes) return {};
    const std::uint64_t expected_bytes = detail::get_le(p + 22 + value_bytes, 4);
    if (expected_bytes != n - kv_command_header_bytes - value_bytes) return {};
    c.input.value.assign(bytes.data() + 22, value_bytes);
    c.input.expected.assign(bytes.data() + 26 + value_bytes, expected_bytes);
    return c;
}

/// A deterministic replicated key-value store: the state machine policy
/// (core/concepts/state_machine.hpp) for the simulator's workload.
///
/// apply(e) executes the command of each normal entry and keeps its answer so the client side
/// can read it with result(). Exactly-once: only the latest sequence number of each client is
/// remembered (bounded memory: one answer per client); a command whose sequence number is not
/// above it is a retry or a stale duplicate and is not executed again. Payloads that do not
/// decode are counted (malformed()) and skipped: bad input is never asserted on.
///
/// The payload type may be kv_command itself, or bytes holding kv_encode()'s format: anything
/// convertible to std::string_view, or a contiguous range of char, unsigned char or std::byte.
/// state_hash() is independent of insertion order, so replicas compare states in O(1).
class kv_store {
public:
    /// The answer kept for one client: its latest executed request.
    struct session {
        std::uint64_t sequence = 0;
        kv_output answer;
    };

    template <class Payload>
    void apply(const entry<Payload>& e) {
        applied_ = e.index;
        if (e.kind != entry_kind::normal) return;
        if constexpr (std::same_as<Payload, kv_command>) {
            execute(e.payload);
        } else {
            if (std::optional<kv_command> c = kv_decode(bytes_view(e.payload))) {
                execute(*c);
            } else {
                ++malformed_;
            }
        }
    }

    /// Executes `c` unless its sequence number was already executed for its client. Returns
    /// true if it was executed.
    bool execute(const kv_command& c) {
        session& s = sessions_[c.client.value];
        if (c.sequence <= s.sequence) {
            ++duplicates_;
            return false;
        }
        kv_register& reg = keys_[c.input.key];
        const std::uint64_t before = entry_hash(c.input.key, reg);
        s.answer = kv_execute(reg, c.input);
        s.sequence = c.sequence;
        state_hash_ ^= before ^ entry_hash(c.input.key, reg);
        ++executed_;
        return true;
    }

    /// The answer to request `sequence` of `client`, if it is that client's latest executed
    /// request; nullptr if it was not executed yet or a later one replaced it.
    const kv_output* result(client_id client, std::uint64_t sequence) const noexcept {
        const auto it = sessions_.find(client.value);
        if (it == sessions_.end() || it->second.sequence != sequence) return nullptr;
        return &it->second.answer;
    }
    /// The latest sequence number executed for `client`, 0 if none.
    std::uint64_t last_sequence(client_id client) const noexcept {
        const auto it = sessions_.find(client.value);
        return it == sessions_.end() ? 0 : it->second.sequence;
    }

    /// The value of `key`, or nullptr if absent.
    const std::string* find(kv_key key) const noexcept {
        const auto it = keys_.find(key);
        return it == keys_.end() || !it->second.present ? nullptr : &it->second.value;
    }

    /// The whole store (keys, client sessions, counters, applied index) as bytes, in a
    /// canonical order, for log compaction; restore() reads it back.
    std::vector<std::byte> snapshot() const {
        std::vector<std::byte> out;
        auto u64 = [&](std::uint64_t v) {
            for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::byte>(v >> (8 * i)));
        };
        auto str = [&](const std::string& v) {
            u64(v.size());
            for (char c : v) out.push_back(static_cast<std::byte>(c));
        };
        std::vector<kv_key> keys;
        for (const auto& [k, r] : keys_) keys.push_back(k);
        std::sort(keys.begin(), keys.end());
        u64(applied_.value);
        u64(executed_);
        u64(duplicates_);
        u64(malformed_);
        u64(keys.size());
        for (kv_key k : keys) {
            const kv_register& r = keys_.at(k);
            u64(k);
            u64(r.present ? 1 : 0);
            str(r.value);
        }
        std::vector<std::uint32_t> clients;
        for (const auto& [c, s] : sessions_) clients.push_back(c);
        std::sort(clients.begin(), clients.end());
        u64(clients.size());
        for (std::uint32_t c : clients) {
            const session& s = sessions_.at(c);
            u64(c);
            u64(s.sequence);
            u64(static_cast<std::uint64_t>(s.answer.status));
            str(s.answer.value);
            u64(s.answer.length);
        }
        return out;
    }

    /// Replaces the store with the one `bytes` (from snapshot()) describes. Returns false, and
    /// leaves the store empty, if the bytes are not such a snapshot.
    bool restore(std::span<const std::byte> bytes) {
        keys_.clear();
        sessions_.clear();
        state_hash_ = 0;
        std::size_t at = 0;
        bool ok = true;
        auto u64 = [&]() -> std::uint64_t {
            if (at + 8 > bytes.size()) {
                ok = false;
                return 0;
            }
            std::uint64_t v = 0;
            for (int i = 0; i < 8; ++i) v |= std::to_integer<std::uint64_t>(bytes[at + i]) << (8 * i);
            at += 8;
            return v;
        };
        auto str = [&]() -> std::string {
            const std::uint64_t n = u64();
            if (!ok || n > bytes.size() - at) {
                ok = false;
                return {};
            }
            std::string v(reinterpret_cast<const char*>(bytes.data() + at), n);
            at += n;
            return v;
        };
        applied_ = log_index{u64()};
        executed_ = u64();
        duplicates_ = u64();
        malformed_ = u64();
        const std::uint64_t nkeys = u64();
        for (std::uint64_t i = 0; ok && i < nkeys; ++i) {
            const auto k = static_cast<kv_key>(u64());
            kv_register r;
            r.present = u64() != 0;
            r.value = str();
            state_hash_ ^= entry_hash(k, r);
            keys_[k] = std::move(r);
        }
        const std::uint64_t nclients = u64();
        for (std::uint64_t i = 0; ok && i < nclients; ++i) {
            const auto c = static_cast<std::uint32_t>(u64());
            session s;
            s.sequence = u64();
            s.answer.status = static_cast<kv_status>(u64());
            s.answer.value = str();
            s.answer.length = u64();
            sessions_[c] = std::move(s);
        }
        if (!ok || at != bytes.size()) {
            *this = kv_store{};
            return false;
        }
        return true;
    }

    /// A hash of all keys and values (not sessions), equal for equal contents in any order.
    std::uint64_t state_hash() const noexcept { return state_hash_; }
    /// The index of the last entry applied.
    log_index applied_index() const noexcept { return applied_; }
    std::uint64_t executed() const noexcept { return executed_; }
    std::uint64_t duplicates() const noexcept { return duplicates_; }
    std::uint64_t malformed() const noexcept { return malformed_; }

private:
    static std::uint64_t entry_hash(kv_key key, const kv_register& r) noexcept {
        if (!r.present) return 0;
        return detail::hash_bytes(r.value, detail::mix64(key + 0x5bd1e995ULL));
    }

    template <class Payload>
    static std::string_view bytes_view(const Payload& p) noexcept {
        if constexpr (std::is_convertible_v<const Payload&, std::string_view>) {
            return std::string_view{p};
        } else {
            using byte_type = std::remove_cvref_t<decltype(*std::data(p))>;
            static_assert(std::is_same_v<byte_type, char> ||
                              std::is_same_v<byte_type, unsigned char> ||
                              std::is_same_v<byte_type, std::byte>,
                          "synod::check::kv_store: the payload must be kv_command or contiguous "
                          "bytes holding kv_encode()'s format");
            return std::string_view{reinterpret_cast<const char*>(std::data(p)), std::size(p)};
        }
    }

    std::unordered_map<kv_key, kv_register> keys_;
    std::unordered_map<std::uint32_t, session> sessions_;
    std::uint64_t state_hash_ = 0;
    log_index applied_{};
    std::uint64_t executed_ = 0;
    std::uint64_t duplicates_ = 0;
    std::uint64_t malformed_ = 0;
};

}  // namespace synod::check

#endif
