#ifndef SYNOD_CHECK_HISTORY_HPP
#define SYNOD_CHECK_HISTORY_HPP

/// \file
/// A client operation history of a replicated key-value store: what each client asked, what it
/// was told, and when (virtual time), as the input of the linearizability checker
/// (check/linearizability.hpp). Operations that never returned stay "open": they may or may
/// not have taken effect, at any time after they were invoked (RELIABILITY.md 4.1).

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "synod/core/assert.hpp"
#include "synod/core/ids.hpp"

namespace synod::check {

/// Identifies one client of the store (one session: at most one operation in flight).
struct client_id : strong_value<client_id, std::uint32_t> {
    using strong_value::strong_value;
};

/// Identifies one operation of a history: its position in invocation order, from 0.
struct op_id : strong_value<op_id, std::uint32_t> {
    using strong_value::strong_value;
};

/// A key of the store. Integers, not strings: the simulator draws them from a small range.
using kv_key = std::uint32_t;

/// The return time of an operation that never returned.
inline constexpr std::uint64_t time_open = std::numeric_limits<std::uint64_t>::max();

/// The operations of the key-value workload (Jepsen's and Porcupine's KV workload).
enum class op_kind : std::uint8_t {
    get,     ///< read the value of `key`
    put,     ///< set `key` to `value`
    cas,     ///< compare-and-set: set `key` to `value` iff its value is `expected`
    append,  ///< append `value` to the value of `key` (an absent key counts as "")
};

/// What a client asks for.
struct kv_input {
    op_kind kind = op_kind::get;
    kv_key key = 0;
    std::string value;     ///< put, cas: the new value; append: the suffix
    std::string expected;  ///< cas only: the value the key must hold

    static kv_input get(kv_key k) { return {op_kind::get, k, {}, {}}; }
    static kv_input put(kv_key k, std::string v) { return {op_kind::put, k, std::move(v), {}}; }
    static kv_input cas(kv_key k, std::string expected_value, std::string v) {
        return {op_kind::cas, k, std::move(v), std::move(expected_value)};
    }
    static kv_input append(kv_key k, std::string suffix) {
        return {op_kind::append, k, std::move(suffix), {}};
    }
    friend bool operator==(const kv_input&, const kv_input&) = default;
};

/// The status half of an answer.
enum class kv_status : std::uint8_t {
    ok,      ///< get found a value; put, append and a successful cas took effect
    absent,  ///< get: the key holds no value
    failed,  ///< cas: the key did not hold `expected` (absent included); nothing changed
};

/// What a client is told. get: `ok` and `value`, or `absent`. put: `ok`. cas: `ok` or
/// `failed`. append: `ok` and `length`, the length of the value after the append (as Redis's
/// APPEND answers), which orders concurrent appends without returning the whole value.
struct kv_output {
    kv_status status = kv_status::ok;
    std::string value;        ///< get: the value read
    std::uint64_t length = 0; ///< append: the length of the value after the append

    static kv_output ok() { return {}; }
    static kv_output read(std::string v) { return {kv_status::ok, std::move(v), 0}; }
    static kv_output absent() { return {kv_status::absent, {}, 0}; }
    static kv_output failed() { return {kv_status::failed, {}, 0}; }
    static kv_output appended(std::uint64_t new_length) { return {kv_status::ok, {}, new_length}; }
    friend bool operator==(const kv_output&, const kv_output&) = default;
};

/// One operation of a history. Intervals are closed: [10, 20] and [20, 30] overlap, because a
/// monotonic clock may return the same value twice (RELIABILITY.md 4.1).
struct operation {
    op_id id{};
    client_id client{};
    kv_input input;
    kv_output output;                   ///< meaningless while the operation is open
    std::uint64_t invoked = 0;          ///< when the client sent the request
    std::uint64_t returned = time_open; ///< when the client got the answer; time_open if never
    bool discarded = false;             ///< failed definitely (never proposed): not checked

    /// True if the operation never returned: it may or may not have taken effect.
    bool open() const noexcept { return returned == time_open; }
};

/// Records a history as it happens: invoke() when a client sends a request, complete() when it
/// gets the answer, discard() when the request definitely never took effect (for example
/// rejected with "not leader" before being proposed). Anything else stays open.
class history {
public:
    /// Records that `client` asked for `input` at `time`. Returns the operation's id (ids are
    /// dense, in invocation order).
    op_id invoke(client_id client, kv_input input, std::uint64_t time) {
        const op_id id{static_cast<std::uint32_t>(ops_.size())};
        ops_.push_back(operation{id, client, std::move(input), {}, time, time_open, false});
        return id;
    }

    /// Records that operation `id` returned `output` at `time`.
    /// pre: `id` was invoked, is open, and `time` >= its invocation time.
    void complete(op_id id, kv_output output, std::uint64_t time) {
        SYNOD_ASSERT(id.value < ops_.size());
        operation& op = ops_[id.value];
        SYNOD_ASSERT(op.open());
        SYNOD_ASSERT(!op.discarded);
        SYNOD_ASSERT(time >= op.invoked);
        SYNOD_ASSERT(time != time_open);
        op.output = std::move(output);
        op.returned = time;
    }

    /// Records that operation `id` definitely did not take effect: the checker ignores it.
    /// pre: `id` was invoked and is open.
    void discard(op_id id) {
        SYNOD_ASSERT(id.value < ops_.size());
        SYNOD_ASSERT(ops_[id.value].open());
        ops_[id.value].discarded = true;
    }

    const operation& operator[](op_id id) const noexcept {
        SYNOD_ASSERT(id.value < ops_.size());
        return ops_[id.value];
    }
    /// Every operation, in invocation order; `operations()[i].id == op_id{i}`.
    std::span<const operation> operations() const noexcept { return ops_; }
    std::size_t size() const noexcept { return ops_.size(); }
    void reserve(std::size_t n) { ops_.reserve(n); }
    void clear() noexcept { ops_.clear(); }

private:
    std::vector<operation> ops_;
};

/// "c2 put(k3, "x") -> ok [10, 20]": one operation, for diagnostics.
inline std::string to_string(const kv_input& in) {
    const std::string key = "k" + std::to_string(in.key);
    switch (in.kind) {
        case op_kind::get: return "get(" + key + ")";
        case op_kind::put: return "put(" + key + ", \"" + in.value + "\")";
        case op_kind::cas:
            return "cas(" + key + ", \"" + in.expected + "\", \"" + in.value + "\")";
        case op_kind::append: return "append(" + key + ", \"" + in.value + "\")";
    }
    return "?";
}

/// The answer as a client would read it for an operation of kind `kind`.
inline std::string to_string(const kv_output& out, op_kind kind) {
    switch (out.status) {
        case kv_status::absent: return "absent";
        case kv_status::failed: return "failed";
        case kv_status::ok: break;
    }
    if (kind == op_kind::get) return "\"" + out.value + "\"";
    if (kind == op_kind::append) return "ok (length " + std::to_string(out.length) + ")";
    return "ok";
}

inline std::string to_string(const operation& op) {
    std::string s = "#" + std::to_string(op.id.value) + " c" + std::to_string(op.client.value) +
                    " " + to_string(op.input) + " -> ";
    if (op.discarded) return s + "discarded [" + std::to_string(op.invoked) + ", -]";
    if (op.open()) return s + "? (open) [" + std::to_string(op.invoked) + ", -]";
    return s + to_string(op.output, op.input.kind) + " [" + std::to_string(op.invoked) + ", " +
           std::to_string(op.returned) + "]";
}

}  // namespace synod::check

#endif
