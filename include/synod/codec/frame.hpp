#ifndef SYNOD_CODEC_FRAME_HPP
#define SYNOD_CODEC_FRAME_HPP

/// \file
/// synod's versioned wire format: every protocol message travels in one frame.
///
///   offset  size  field
///   0       4     magic, the bytes "SYND"
///   4       1     format version (frame_version, 1)
///   5       1     message type (codec/raft.hpp: 1..9, codec/multi_paxos.hpp: 16..21)
///   6       2     reserved, 0
///   8       8     cluster id: frames of another cluster are refused
///   16      4     body length in bytes, at most the receiver's max_frame_bytes
///   20      4     CRC32C of bytes 0..19 followed by the body
///   24      n     body (little-endian fields; see the protocol's codec)
///
/// frame_reader assembles frames from a byte stream (a TCP connection) and judges each header
/// as soon as its 24 bytes are in, before anything is allocated for the body: a length above
/// the limit is refused without ever buffering it. Every problem is a typed error (codec::error)
/// and the stream is dead after one: the caller closes the connection.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "synod/codec/bytes.hpp"

namespace synod::codec {

inline constexpr std::uint8_t frame_version = 1;
inline constexpr std::size_t frame_header_bytes = 24;
inline constexpr char frame_magic[4] = {'S', 'Y', 'N', 'D'};
/// The default limit on a frame's body (RELIABILITY 3: "e.g. 64 MiB").
inline constexpr std::uint32_t default_max_frame_bytes = 64u << 20;

/// Why bytes were refused. The names (to_string) are what logs show.
enum class error : std::uint8_t {
    none = 0,
    truncated_header,      ///< the input ends inside a frame header
    bad_magic,             ///< not a synod frame
    bad_version,           ///< a format version this build does not speak (or reserved bits set)
    wrong_cluster_id,      ///< a frame of another cluster
    frame_too_large,       ///< the declared body length exceeds the limit
    unknown_message_type,  ///< a type this protocol does not have
    truncated_body,        ///< the input ends inside a frame body, or a field runs past it
    bad_checksum,          ///< CRC32C mismatch
    malformed,             ///< a field holds an impossible value, or bytes are left over
    unknown_sender,        ///< the sender is not a configured peer
};

constexpr std::string_view to_string(error e) noexcept {
    switch (e) {
        case error::none: return "none";
        case error::truncated_header: return "truncated_header";
        case error::bad_magic: return "bad_magic";
        case error::bad_version: return "bad_version";
        case error::wrong_cluster_id: return "wrong_cluster_id";
        case error::frame_too_large: return "frame_too_large";
        case error::unknown_message_type: return "unknown_message_type";
        case error::truncated_body: return "truncated_body";
        case error::bad_checksum: return "bad_checksum";
        case error::malformed: return "malformed";
        case error::unknown_sender: return "unknown_sender";
    }
    return "unknown_error";
}

/// What a receiver accepts.
struct frame_limits {
    std::uint64_t cluster_id = 0;
    std::uint32_t max_frame_bytes = default_max_frame_bytes;
    std::uint8_t first_type = 1;  ///< the protocol's message types: first_type..last_type
    std::uint8_t last_type = 255;
};

/// A decoded frame header.
struct frame_header {
    std::uint8_t version = frame_version;
    std::uint8_t type = 0;
    std::uint64_t cluster_id = 0;
    std::uint32_t length = 0;
    std::uint32_t crc = 0;
};

/// One complete frame, checksum verified; `body` views the reader's buffer until its next call.
struct frame_view {
    frame_header header;
    std::string_view body;
};

namespace detail {
/// Starts a frame of `type` at the end of `out`: its header with length and checksum zero, to be
/// filled in by end_frame() once the body follows. Returns where the frame starts.
inline std::size_t begin_frame(std::string& out, std::uint8_t type, std::uint64_t cluster_id) {
    const std::size_t start = out.size();
    writer w{out};
    w.raw(std::string_view{frame_magic, 4});
    w.u8(frame_version);
    w.u8(type);
    w.u16(0);
    w.u64(cluster_id);
    w.u32(0);  // length
    w.u32(0);  // CRC32C of bytes 0..19 and the body
    return start;
}
/// Fills in the length and checksum of the frame begun at `start`, whose body is the rest of
/// `out`.
inline void end_frame(std::string& out, std::size_t start) {
    const std::string_view frame = std::string_view{out}.substr(start);
    const std::string_view body = frame.substr(frame_header_bytes);
    char* const header = out.data() + start;
    store_le32(header + 16, static_cast<std::uint32_t>(body.size()));
    store_le32(header + 20, crc32c(body, crc32c(frame.substr(0, 20))));
}
}  // namespace detail

/// Appends one frame of `type` with `body` to `out`.
inline void write_frame(std::string& out, std::uint8_t type, std::uint64_t cluster_id,
                        std::string_view body) {
    const std::size_t start = detail::begin_frame(out, type, cluster_id);
    out.append(body);
    detail::end_frame(out, start);
}

/// Judges the 24 bytes of a header. Checks, in order: magic, version (and reserved bits),
/// cluster id, length against the limit, type against the protocol's range.
inline error read_header(std::string_view bytes, const frame_limits& limits, frame_header& h) {
    if (bytes.size() < frame_header_bytes) return error::truncated_header;
    if (bytes.substr(0, 4) != std::string_view{frame_magic, 4}) return error::bad_magic;
    reader r{bytes.substr(4, frame_header_bytes - 4)};
    h.version = r.u8();
    h.type = r.u8();
    const std::uint16_t reserved = r.u16();
    h.cluster_id = r.u64();
    h.length = r.u32();
    h.crc = r.u32();
    if (h.version != frame_version || reserved != 0) return error::bad_version;
    if (h.cluster_id != limits.cluster_id) return error::wrong_cluster_id;
    if (h.length > limits.max_frame_bytes) return error::frame_too_large;
    if (h.type < limits.first_type || limits.last_type < h.type)
        return error::unknown_message_type;
    return error::none;
}

/// Checks the CRC of a frame whose header bytes are `header_bytes` (24) and body `body`.
inline bool checksum_matches(std::string_view header_bytes, std::string_view body,
                             std::uint32_t crc) noexcept {
    return crc32c(body, crc32c(header_bytes.substr(0, 20))) == crc;
}

/// Decodes exactly one frame from `bytes` (a datagram, a test vector): the header, the
/// length, the checksum, and that nothing follows.
inline error read_frame(std::string_view bytes, const frame_limits& limits, frame_view& out) {
    if (const error e = read_header(bytes, limits, out.header); e != error::none) return e;
    const std::string_view rest = bytes.substr(frame_header_bytes);
    if (rest.size() < out.header.length) return error::truncated_body;
    if (rest.size() > out.header.length) return error::malformed;
    if (!checksum_matches(bytes, rest, out.header.crc)) return error::bad_checksum;
    out.body = rest;
    return error::none;
}

/// Assembles frames from a byte stream. feed() what arrives, then call next() until it
/// returns need_more. After an error the reader stays failed (the stream cannot be
/// resynchronized: close it). Memory: at most one frame plus what one feed() brings.
class frame_reader {
public:
    enum class status : std::uint8_t { need_more, frame, failed };

    explicit frame_reader(const frame_limits& limits) : limits_{limits} {}

    /// Appends received bytes.
    void feed(std::string_view bytes) {
        if (consumed_ > 0 && consumed_ == buffer_.size()) {
            buffer_.clear();
            consumed_ = 0;
        } else if (consumed_ > (64u << 10) && consumed_ * 2 > buffer_.size()) {
            buffer_.erase(0, consumed_);
            consumed_ = 0;
        }
        buffer_.append(bytes);
    }

    /// The next complete frame, if one is buffered. On `failed`, error() says why.
    status next(frame_view& out) {
        if (error_ != error::none) return status::failed;
        const std::string_view pending = std::string_view{buffer_}.substr(consumed_);
        if (pending.size() < frame_header_bytes) {
            // Judge what we have of the magic early: junk is refused without waiting.
            const std::size_t n = pending.size() < 4 ? pending.size() : 4;
            if (pending.substr(0, n) != std::string_view{frame_magic, n})
                return fail(error::bad_magic);
            return status::need_more;
        }
        if (const error e = read_header(pending, limits_, out.header); e != error::none)
            return fail(e);
        if (pending.size() - frame_header_bytes < out.header.length) return status::need_more;
        const std::string_view body = pending.substr(frame_header_bytes, out.header.length);
        if (!checksum_matches(pending, body, out.header.crc)) return fail(error::bad_checksum);
        out.body = body;
        consumed_ += frame_header_bytes + out.header.length;
        return status::frame;
    }

    /// True when part of a frame is buffered (a peer that stops here is stalled mid-frame).
    bool partial() const noexcept { return consumed_ < buffer_.size(); }
    error last_error() const noexcept { return error_; }
    /// Bytes buffered and not yet returned as frames.
    std::size_t buffered() const noexcept { return buffer_.size() - consumed_; }

private:
    status fail(error e) {
        error_ = e;
        return status::failed;
    }
    frame_limits limits_;
    std::string buffer_;
    std::size_t consumed_ = 0;
    error error_ = error::none;
};

// ---- generic over a protocol's codec (codec/raft.hpp, codec/multi_paxos.hpp) --------------
// A Codec names message_type, owned (a received message owning what it borrows), first_type,
// last_type, type_of(m), write_body(writer&, m), read_body(type, body, peers, owned&);
// codec/message_codec.hpp builds them from a protocol's field lists.

/// Appends the frame of `m` to `out`, encoded in place: no intermediate copy, and no allocation
/// once `out` has the capacity (reuse one buffer per connection).
template <class Codec>
void encode(const typename Codec::message_type& m, std::uint64_t cluster_id, std::string& out) {
    const std::size_t start = detail::begin_frame(out, Codec::type_of(m), cluster_id);
    writer w{out};
    Codec::write_body(w, m);
    detail::end_frame(out, start);
}

/// The frame limits of a receiver of `Codec`'s messages in cluster `cluster_id`.
template <class Codec>
frame_limits limits_for(std::uint64_t cluster_id,
                        std::uint32_t max_frame_bytes = default_max_frame_bytes) {
    return frame_limits{cluster_id, max_frame_bytes, Codec::first_type, Codec::last_type};
}

/// Decodes one checked frame (from frame_reader or read_frame) into `out`; `peers` are the
/// senders accepted (unknown_sender otherwise).
template <class Codec, class Peers>
error decode(const frame_view& f, const Peers& peers, typename Codec::owned& out) {
    if (f.header.type < Codec::first_type || Codec::last_type < f.header.type)
        return error::unknown_message_type;
    return Codec::read_body(f.header.type, f.body, peers, out);
}

}  // namespace synod::codec

#endif
