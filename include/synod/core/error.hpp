#ifndef SYNOD_CORE_ERROR_HPP
#define SYNOD_CORE_ERROR_HPP

/// \file
/// Operating errors as values: synod's cores never throw.

#include <cstdint>
#include <memory>
#include <string_view>
#include <type_traits>
#include <utility>

#include "synod/core/assert.hpp"

namespace synod {

/// Every recoverable error a synod core or codec reports.
enum class errc : std::uint8_t {
    ok = 0,
    not_leader,            ///< the node is not the leader; the result names the known leader
    proposal_too_large,    ///< one proposal exceeds the per-message byte budget
    uncommitted_full,      ///< the leader's bound on uncommitted bytes is reached; retry later
    transfer_in_progress,  ///< a leadership transfer is pending; proposals are refused
    log_full,              ///< fixed-capacity storage has no room left
    queue_full,            ///< a bounded queue has no room left
    quorum_not_intersecting,  ///< phase-1 and phase-2 quorums of a quorum system may not meet
    invalid_configuration,    ///< empty voter set, duplicate or unknown node, too many nodes
    not_member,            ///< the node is not part of the configuration
    stale,                 ///< the request was overtaken (a newer term or ballot)
    compacted,             ///< the requested entries were compacted into a snapshot
    unavailable,           ///< the requested entries are not in the log
    truncated,             ///< decoding: the input ends early
    too_large,             ///< decoding: a declared length exceeds the limit
    bad_checksum,          ///< decoding: CRC mismatch
    bad_magic,             ///< decoding: not a synod frame
    bad_version,           ///< decoding: unsupported format version
    wrong_cluster,         ///< decoding: the frame belongs to another cluster
    unknown_type,          ///< decoding: unknown message type
    unknown_sender,        ///< decoding: the sender is not a configured peer
    malformed,             ///< decoding: a field holds an impossible value
    io_error,              ///< a storage or network operation failed
    change_in_progress,    ///< a membership change is not committed yet, or the leader's term
                           ///< has no committed entry yet; retry later
    not_caught_up,         ///< a node to be made a voter has not caught up with the log yet
};

/// A short, stable, human-readable name for `e`.
constexpr std::string_view to_string(errc e) noexcept {
    switch (e) {
        case errc::ok: return "ok";
        case errc::not_leader: return "not leader";
        case errc::proposal_too_large: return "proposal too large";
        case errc::uncommitted_full: return "too many uncommitted bytes";
        case errc::transfer_in_progress: return "leadership transfer in progress";
        case errc::log_full: return "log full";
        case errc::queue_full: return "queue full";
        case errc::quorum_not_intersecting: return "phase-1 and phase-2 quorums do not intersect";
        case errc::invalid_configuration: return "invalid configuration";
        case errc::not_member: return "not a member of the configuration";
        case errc::stale: return "stale request";
        case errc::compacted: return "entries compacted";
        case errc::unavailable: return "entries unavailable";
        case errc::truncated: return "truncated input";
        case errc::too_large: return "length exceeds limit";
        case errc::bad_checksum: return "bad checksum";
        case errc::bad_magic: return "bad magic";
        case errc::bad_version: return "unsupported version";
        case errc::wrong_cluster: return "wrong cluster id";
        case errc::unknown_type: return "unknown message type";
        case errc::unknown_sender: return "unknown sender";
        case errc::malformed: return "malformed field";
        case errc::io_error: return "i/o error";
        case errc::change_in_progress: return "membership change in progress";
        case errc::not_caught_up: return "node has not caught up with the log";
    }
    return "unknown error";
}

/// Either a `T` or an `errc` (never `errc::ok`). A small std::expected for C++20.
template <class T>
class [[nodiscard]] result {
public:
    /// Success, holding `value` (implicit, so that a function can `return value;`).
    result(T value) noexcept(std::is_nothrow_move_constructible_v<T>)  // NOLINT: implicit
        : error_{errc::ok}, value_{std::move(value)} {}
    /// Failure with `e`, which must not be errc::ok (implicit: `return errc::not_leader;`).
    result(errc e) noexcept : error_{e}, empty_{} {  // NOLINT: implicit
        SYNOD_ASSERT(e != errc::ok);
    }
    /// Copies the value or the error.
    result(const result& o) : error_{o.error_}, empty_{} {
        if (o.has_value()) std::construct_at(&value_, o.value_);
    }
    /// Copies the value or the error.
    result& operator=(const result& o) {
        if (this != &o) {
            reset();
            error_ = o.error_;
            if (o.has_value()) std::construct_at(&value_, o.value_);
        }
        return *this;
    }
    ~result() { reset(); }

    ///@{
    /// True on success.
    bool has_value() const noexcept { return error_ == errc::ok; }
    explicit operator bool() const noexcept { return has_value(); }
    ///@}
    /// errc::ok on success, else why it failed.
    errc error() const noexcept { return error_; }

    ///@{
    /// The value; calling it on a failure is a programmer error (asserted).
    T& value() & noexcept {
        SYNOD_ASSERT(has_value());
        return value_;
    }
    const T& value() const& noexcept {
        SYNOD_ASSERT(has_value());
        return value_;
    }
    T& operator*() & noexcept { return value(); }
    const T& operator*() const& noexcept { return value(); }
    T* operator->() noexcept { return &value(); }
    const T* operator->() const noexcept { return &value(); }
    ///@}

private:
    void reset() noexcept {
        if (has_value()) std::destroy_at(&value_);
        error_ = errc::unknown_type;  // any non-ok value: the union holds nothing now
    }
    struct nothing {};
    errc error_;
    union {
        T value_;
        nothing empty_;
    };
};

/// A result that carries no value: success or an error.
template <>
class [[nodiscard]] result<void> {
public:
    result() noexcept = default;
    /// Success for errc::ok, else failure with `e` (implicit: `return errc::log_full;`).
    result(errc e) noexcept : error_{e} {}  // NOLINT: implicit; errc::ok means success
    ///@{
    /// True on success.
    bool has_value() const noexcept { return error_ == errc::ok; }
    explicit operator bool() const noexcept { return has_value(); }
    ///@}
    /// errc::ok on success, else why it failed.
    errc error() const noexcept { return error_; }

private:
    errc error_ = errc::ok;
};

}  // namespace synod

#endif
