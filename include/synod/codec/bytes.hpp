#ifndef SYNOD_CODEC_BYTES_HPP
#define SYNOD_CODEC_BYTES_HPP

/// \file
/// The building blocks of synod's binary formats (the wire format of codec/frame.hpp and the
/// records of storage/file_wal.hpp): CRC32C, a little-endian writer that appends to a
/// std::string, and a bounds-checked reader that never reads past its input and never
/// allocates more than its input could hold. No exceptions: a reader that runs out of bytes or
/// meets an impossible value records it and returns zeros from then on.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/crc.hpp>

// The crc32 instruction of x86-64 (SSE 4.2), used when the CPU has it. Define
// SYNOD_CRC32C_SSE42=0 to always use Boost.CRC.
#ifndef SYNOD_CRC32C_SSE42
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SYNOD_CRC32C_SSE42 1
#else
#define SYNOD_CRC32C_SSE42 0
#endif
#endif
#if SYNOD_CRC32C_SSE42
#include <nmmintrin.h>
#endif

#include "synod/core/ballot.hpp"
#include "synod/core/concepts/storage.hpp"
#include "synod/core/entry.hpp"
#include "synod/core/ids.hpp"

namespace synod::codec {

namespace detail {

/// Stores `v` little-endian at `p` (patching a field written earlier).
inline void store_le32(char* p, std::uint32_t v) noexcept {
    for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

/// CRC32C by Boost.CRC (a table lookup per byte), continuing from `crc`.
inline std::uint32_t crc32c_table(std::string_view bytes, std::uint32_t crc) noexcept {
    // Boost keeps the remainder unreflected: continuing from a finished (reflected, inverted)
    // CRC means undoing both.
    std::uint32_t init = crc ^ 0xFFFFFFFFu;
    init = ((init >> 1) & 0x55555555u) | ((init & 0x55555555u) << 1);
    init = ((init >> 2) & 0x33333333u) | ((init & 0x33333333u) << 2);
    init = ((init >> 4) & 0x0F0F0F0Fu) | ((init & 0x0F0F0F0Fu) << 4);
    init = ((init >> 8) & 0x00FF00FFu) | ((init & 0x00FF00FFu) << 8);
    init = (init >> 16) | (init << 16);
    boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true> c{init};
    c.process_bytes(bytes.data(), bytes.size());
    return c.checksum();
}

#if SYNOD_CRC32C_SSE42
/// CRC32C by the SSE 4.2 crc32 instruction, 8 bytes at a time (about 20x the table's speed).
__attribute__((target("sse4.2"))) inline std::uint32_t crc32c_sse42(std::string_view bytes,
                                                                    std::uint32_t crc) noexcept {
    const char* p = bytes.data();
    std::size_t n = bytes.size();
    std::uint64_t c = crc ^ 0xFFFFFFFFu;
    for (; n >= 8; p += 8, n -= 8) {
        std::uint64_t v;
        std::memcpy(&v, p, 8);  // little-endian: the first byte is the lowest
        c = _mm_crc32_u64(c, v);
    }
    auto c32 = static_cast<std::uint32_t>(c);
    for (; n > 0; ++p, --n) c32 = _mm_crc32_u8(c32, static_cast<unsigned char>(*p));
    return c32 ^ 0xFFFFFFFFu;
}

/// True if this CPU has SSE 4.2 (asked once).
inline bool cpu_has_sse42() noexcept {
    static const bool has = [] {
        __builtin_cpu_init();
        return __builtin_cpu_supports("sse4.2") != 0;
    }();
    return has;
}
#endif

}  // namespace detail

/// CRC32C (Castagnoli, the polynomial of iSCSI, ext4 and etcd's WAL) of `bytes`, continuing
/// from `crc` (0 to start). On x86-64 CPUs with SSE 4.2 (checked at run time) by the crc32
/// instruction, elsewhere by Boost.CRC; both give the same value.
inline std::uint32_t crc32c(std::string_view bytes, std::uint32_t crc = 0) noexcept {
#if SYNOD_CRC32C_SSE42
    if (detail::cpu_has_sse42()) return detail::crc32c_sse42(bytes, crc);
#endif
    return detail::crc32c_table(bytes, crc);
}

/// Appends little-endian fields to a string.
class writer {
public:
    explicit writer(std::string& out) noexcept : out_{&out} {}

    void u8(std::uint8_t v) { out_->push_back(static_cast<char>(v)); }
    void u16(std::uint16_t v) { le(v, 2); }
    void u32(std::uint32_t v) { le(v, 4); }
    void u64(std::uint64_t v) { le(v, 8); }
    void boolean(bool v) { u8(v ? 1 : 0); }
    /// A length-prefixed (u32) byte string.
    void bytes(std::string_view s) {
        u32(static_cast<std::uint32_t>(s.size()));
        out_->append(s);
    }
    void raw(std::string_view s) { out_->append(s); }
    void node(node_id n) { u32(n.value); }
    void term(term_t t) { u64(t.value); }
    void index(log_index i) { u64(i.value); }
    void ballot(const synod::ballot& b) {
        u64(b.round);
        node(b.proposer);
    }
    std::size_t size() const noexcept { return out_->size(); }
    std::string& buffer() noexcept { return *out_; }

private:
    void le(std::uint64_t v, int n) {
        char b[8];
        for (int i = 0; i < n; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
        out_->append(b, static_cast<std::size_t>(n));
    }
    std::string* out_;
};

/// Reads little-endian fields from a byte range, bounds-checked. After the first failure
/// (input too short, or fail() called on an impossible value) every read returns zero and
/// ok() is false; callers check ok() once at the end.
class reader {
public:
    explicit reader(std::string_view in) noexcept : in_{in} {}

    std::uint8_t u8() noexcept { return static_cast<std::uint8_t>(le(1)); }
    std::uint16_t u16() noexcept { return static_cast<std::uint16_t>(le(2)); }
    std::uint32_t u32() noexcept { return static_cast<std::uint32_t>(le(4)); }
    std::uint64_t u64() noexcept { return le(8); }
    /// A bool encoded as 0 or 1; anything else fails.
    bool boolean() noexcept {
        const std::uint8_t v = u8();
        if (v > 1) fail();
        return v == 1;
    }
    /// A length-prefixed (u32) byte string, viewed in place: no allocation. Fails if the
    /// length exceeds what is left.
    std::string_view bytes() noexcept {
        const std::uint32_t n = u32();
        return raw(n);
    }
    std::string_view raw(std::size_t n) noexcept {
        if (!ok_ || remaining() < n) {
            short_input();
            return {};
        }
        const std::string_view s = in_.substr(at_, n);
        at_ += n;
        return s;
    }
    node_id node() noexcept { return node_id{u32()}; }
    term_t term() noexcept { return term_t{u64()}; }
    log_index index() noexcept { return log_index{u64()}; }
    synod::ballot ballot() noexcept {
        synod::ballot b;
        b.round = u64();
        b.proposer = node();
        return b;
    }

    /// A count of items of at least `min_item_bytes` each: fails (and returns 0) unless that
    /// many could fit in what is left, so a caller may reserve() the count safely.
    std::size_t count(std::size_t min_item_bytes) noexcept {
        const std::uint32_t n = u32();
        if (!ok_) return 0;
        if (min_item_bytes != 0 && n > remaining() / min_item_bytes) {
            short_input();
            return 0;
        }
        return n;
    }

    /// Marks the input invalid (an impossible value).
    void fail() noexcept { ok_ = false; }
    bool ok() const noexcept { return ok_; }
    /// True if the first failure was running out of input (rather than an impossible value).
    bool truncated() const noexcept { return truncated_; }
    std::size_t remaining() const noexcept { return in_.size() - at_; }
    /// True once every byte was read and nothing failed.
    bool done() const noexcept { return ok_ && at_ == in_.size(); }

private:
    std::uint64_t le(int n) noexcept {
        if (!ok_ || remaining() < static_cast<std::size_t>(n)) {
            short_input();
            return 0;
        }
        std::uint64_t v = 0;
        for (int i = 0; i < n; ++i)
            v |= std::uint64_t{static_cast<unsigned char>(in_[at_ + static_cast<std::size_t>(i)])}
                 << (8 * i);
        at_ += static_cast<std::size_t>(n);
        return v;
    }
    void short_input() noexcept {
        if (ok_) truncated_ = true;
        ok_ = false;
    }
    std::string_view in_;
    std::size_t at_ = 0;
    bool ok_ = true;
    bool truncated_ = false;
};

/// How a payload (or snapshot) type is written as bytes. Specialize for your own types:
///   static void write(writer&, const T&);
///   static bool read(reader&, T&);          // false on bad input
///   static constexpr std::size_t min_bytes;  // the fewest bytes a value takes
template <class T>
struct value_codec;

/// std::string: length-prefixed bytes.
template <>
struct value_codec<std::string> {
    static constexpr std::size_t min_bytes = 4;
    static void write(writer& w, const std::string& s) { w.bytes(s); }
    static bool read(reader& r, std::string& s) {
        const std::string_view v = r.bytes();
        if (!r.ok()) return false;
        s.assign(v.data(), v.size());
        return true;
    }
};

/// A fixed-size byte array (a payload of a fixed size, as on a microcontroller): its N bytes as
/// they are, no length.
template <std::size_t N>
struct value_codec<std::array<std::byte, N>> {
    static constexpr std::size_t min_bytes = N;
    static void write(writer& w, const std::array<std::byte, N>& a) {
        w.raw(std::string_view{reinterpret_cast<const char*>(a.data()), N});
    }
    static bool read(reader& r, std::array<std::byte, N>& a) {
        const std::string_view v = r.raw(N);
        if (!r.ok()) return false;
        std::memcpy(a.data(), v.data(), N);
        return true;
    }
};

/// The empty snapshot of a state machine that takes none.
template <>
struct value_codec<no_snapshot> {
    static constexpr std::size_t min_bytes = 0;
    static void write(writer&, const no_snapshot&) {}
    static bool read(reader&, no_snapshot&) { return true; }
};

/// A log entry: term, index, kind, payload.
inline constexpr std::size_t entry_header_bytes = 8 + 8 + 1;

template <class Payload>
void write_entry(writer& w, const entry<Payload>& e) {
    w.term(e.term);
    w.index(e.index);
    w.u8(static_cast<std::uint8_t>(e.kind));
    value_codec<Payload>::write(w, e.payload);
}

template <class Payload>
bool read_entry(reader& r, entry<Payload>& e) {
    e.term = r.term();
    e.index = r.index();
    const std::uint8_t kind = r.u8();
    if (kind > static_cast<std::uint8_t>(entry_kind::configuration)) r.fail();
    e.kind = static_cast<entry_kind>(kind);
    if (!r.ok()) return false;
    return value_codec<Payload>::read(r, e.payload) && r.ok();
}

}  // namespace synod::codec

#endif
