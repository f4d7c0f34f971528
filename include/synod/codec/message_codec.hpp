#ifndef SYNOD_CODEC_MESSAGE_CODEC_HPP
#define SYNOD_CODEC_MESSAGE_CODEC_HPP

/// \file
/// What the protocols' codecs (codec/raft.hpp, codec/multi_paxos.hpp) have in common. A protocol
/// lists each message's fields once, in wire order, as `fields(ar, m)` calling `ar(m.a, m.b, ...)`;
/// that one list both writes the message (ar is a field_writer) and reads it back (a
/// field_reader), so the two directions cannot disagree. message_codec turns a protocol's lists
/// into the codec interface of codec/frame.hpp: message_type, owned, first_type, last_type,
/// type_of, write_body, read_body.
///
///   field type                 encoding (little-endian)
///   node_id                    u32
///   term_t, log_index          u64
///   std::uint64_t              u64
///   bool                       u8, 0 or 1 (anything else is `malformed`)
///   ballot                     round u64, proposer u32
///   span<const entry<P>>       count u32, count x entry (codec/bytes.hpp)
///   span<const pvalue<P>>      count u32, count x (ballot, entry)
///   span<const std::byte>      length u32 + bytes
///   as_value(x)                value_codec<decltype(x)> (a snapshot or other user type)
/// Any other field type does not compile: a new field names its encoding here.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "synod/codec/bytes.hpp"
#include "synod/codec/frame.hpp"
#include "synod/core/ballot.hpp"
#include "synod/core/concepts/storage.hpp"
#include "synod/core/entry.hpp"
#include "synod/core/ids.hpp"

namespace synod::codec {

/// The bytes of an encoded ballot: round u64, proposer u32.
inline constexpr std::size_t ballot_bytes = 12;

/// A received message that owns what it borrows: `message` borrows its entries (or pvalues) from
/// `entries`. Movable (the buffers move with it, so the borrowed spans stay valid), not copyable.
template <class Message, class Item>
struct owned_message {
    Message message;
    std::vector<Item> entries;

    owned_message() = default;
    owned_message(owned_message&&) noexcept = default;
    owned_message& operator=(owned_message&&) noexcept = default;
    owned_message(const owned_message&) = delete;
    owned_message& operator=(const owned_message&) = delete;
};

/// `M` is the message type `T`, const (when writing) or not (when reading): one fields()
/// overload per message serves both directions.
template <class M, class T>
concept message_of = std::is_same_v<std::remove_const_t<M>, T>;

/// A field encoded by value_codec<T>, whatever T is: `ar(..., as_value(m.state))`.
template <class T>
struct value_field {
    T& value;
};
template <class T>
value_field<T> as_value(T& v) noexcept {
    return {v};
}

namespace detail {
template <class T>
inline constexpr bool always_false = false;

template <class T>
struct is_value_field : std::false_type {};
template <class T>
struct is_value_field<value_field<T>> : std::true_type {};

/// How the items of a borrowed span are encoded: entries, and pvalues (ballot, then entry).
template <class T>
struct item_codec;
template <class Payload>
struct item_codec<entry<Payload>> {
    static constexpr std::size_t min_bytes = entry_header_bytes + value_codec<Payload>::min_bytes;
    static void write(writer& w, const entry<Payload>& e) { write_entry(w, e); }
    static bool read(reader& r, entry<Payload>& e) { return read_entry(r, e); }
};
template <class Payload>
struct item_codec<pvalue<Payload>> {
    static constexpr std::size_t min_bytes =
        ballot_bytes + entry_header_bytes + value_codec<Payload>::min_bytes;
    static void write(writer& w, const pvalue<Payload>& v) {
        w.ballot(v.number);
        write_entry(w, v.value);
    }
    static bool read(reader& r, pvalue<Payload>& v) {
        v.number = r.ballot();
        return read_entry(r, v.value);
    }
};

template <class T>
struct is_item_span : std::false_type {};
template <class Item>
struct is_item_span<std::span<const Item>> {
    static constexpr bool value = requires { item_codec<Item>::min_bytes; };
};
}  // namespace detail

/// Writes the fields it is given, in order.
class field_writer {
public:
    explicit field_writer(writer& w) noexcept : w_{&w} {}

    template <class... Fields>
    void operator()(const Fields&... fields) {
        (put(fields), ...);
    }
    /// A condition the reader enforces (see field_reader::check); nothing to write.
    void check(bool) const noexcept {}

private:
    template <class T>
    void put(const T& v) {
        if constexpr (std::is_same_v<T, node_id>) {
            w_->node(v);
        } else if constexpr (std::is_same_v<T, term_t>) {
            w_->term(v);
        } else if constexpr (std::is_same_v<T, log_index>) {
            w_->index(v);
        } else if constexpr (std::is_same_v<T, std::uint64_t>) {
            w_->u64(v);
        } else if constexpr (std::is_same_v<T, bool>) {
            w_->boolean(v);
        } else if constexpr (std::is_same_v<T, ballot>) {
            w_->ballot(v);
        } else if constexpr (std::is_same_v<T, std::span<const std::byte>>) {
            w_->bytes(std::string_view{reinterpret_cast<const char*>(v.data()), v.size()});
        } else if constexpr (detail::is_item_span<T>::value) {
            using item = typename T::value_type;
            w_->u32(static_cast<std::uint32_t>(v.size()));
            for (const item& x : v) detail::item_codec<item>::write(*w_, x);
        } else if constexpr (detail::is_value_field<T>::value) {
            value_codec<std::remove_const_t<std::remove_reference_t<decltype(v.value)>>>::write(
                *w_, v.value);
        } else {
            static_assert(detail::always_false<T>, "codec: no wire encoding for this field type");
        }
    }
    writer* w_;
};

/// Reads the fields it is given, in order, into a message that `out` will own: borrowed
/// entries go to out.entries, borrowed bytes to out.bytes. After the first failure the reader
/// reads zeros (codec/bytes.hpp); the caller checks it once at the end.
template <class Owned>
class field_reader {
public:
    field_reader(reader& r, Owned& out) noexcept : r_{&r}, out_{&out} {}

    template <class... Fields>
    void operator()(Fields&&... fields) {
        (get(fields), ...);
    }
    /// Marks the input malformed unless `valid` (a constraint between fields already read).
    void check(bool valid) noexcept {
        if (!valid) r_->fail();
    }

private:
    template <class T>
    void get(T& v) {
        if constexpr (std::is_same_v<T, node_id>) {
            v = r_->node();
        } else if constexpr (std::is_same_v<T, term_t>) {
            v = r_->term();
        } else if constexpr (std::is_same_v<T, log_index>) {
            v = r_->index();
        } else if constexpr (std::is_same_v<T, std::uint64_t>) {
            v = r_->u64();
        } else if constexpr (std::is_same_v<T, bool>) {
            v = r_->boolean();
        } else if constexpr (std::is_same_v<T, ballot>) {
            v = r_->ballot();
        } else if constexpr (std::is_same_v<T, std::span<const std::byte>>) {
            const std::string_view data = r_->bytes();
            const auto* first = reinterpret_cast<const std::byte*>(data.data());
            out_->bytes.assign(first, first + data.size());
            v = out_->bytes;
        } else if constexpr (detail::is_item_span<T>::value) {
            using item = std::remove_const_t<typename T::element_type>;
            using codec = detail::item_codec<item>;
            const std::size_t n = r_->count(codec::min_bytes);
            out_->entries.clear();
            out_->entries.reserve(n);
            for (std::size_t i = 0; i < n && r_->ok(); ++i) {
                item x;
                if (!codec::read(*r_, x)) break;
                out_->entries.push_back(std::move(x));
            }
            v = out_->entries;
        } else if constexpr (detail::is_value_field<T>::value) {
            using value = std::remove_reference_t<decltype(v.value)>;
            if (r_->ok() && !value_codec<value>::read(*r_, v.value)) r_->fail();
        } else {
            static_assert(detail::always_false<T>, "codec: no wire encoding for this field type");
        }
    }
    reader* r_;
    Owned* out_;
};

/// The codec of one protocol's message variant `Message`, whose alternatives are types
/// FirstType, FirstType + 1, ... in order. `Protocol` (the derived codec) lists each message's
/// fields as `static void fields(auto& ar, message_of<M> auto& m)`; `Owned` is the
/// received message that owns what it borrows (an owned_message, plus `bytes` if a field is a
/// span<const std::byte>).
template <class Protocol, class Message, std::uint8_t FirstType, class Owned>
struct message_codec {
    using message_type = Message;
    using owned = Owned;
    static constexpr std::uint8_t first_type = FirstType;
    static constexpr std::uint8_t last_type =
        static_cast<std::uint8_t>(FirstType + std::variant_size_v<Message> - 1);

    static std::uint8_t type_of(const message_type& m) noexcept {
        return static_cast<std::uint8_t>(m.index() + first_type);
    }

    static void write_body(writer& w, const message_type& m) {
        field_writer ar{w};
        std::visit([&ar](const auto& x) { Protocol::fields(ar, x); }, m);
    }

    /// Decodes the body of a frame of `type`; checks that the sender is in `peers` (anything with
    /// contains(node_id), e.g. a node_set).
    template <class Peers>
    static error read_body(std::uint8_t type, std::string_view body, const Peers& peers,
                           owned& out) {
        if (type < first_type || last_type < type) return error::unknown_message_type;
        reader r{body};
        field_reader<owned> ar{r, out};
        read_alternative(static_cast<std::size_t>(type - first_type), ar, out,
                         std::make_index_sequence<std::variant_size_v<Message>>{});
        if (!r.ok()) return r.truncated() ? error::truncated_body : error::malformed;
        if (!r.done()) return error::malformed;
        const node_id from = std::visit([](const auto& x) { return x.from; }, out.message);
        if (!peers.contains(from)) return error::unknown_sender;
        return error::none;
    }

private:
    template <std::size_t... I>
    static void read_alternative(std::size_t i, field_reader<owned>& ar, owned& out,
                                 std::index_sequence<I...>) {
        static_cast<void>(((i == I ? (read_as<I>(ar, out), true) : false) || ...));
    }
    template <std::size_t I>
    static void read_as(field_reader<owned>& ar, owned& out) {
        std::variant_alternative_t<I, Message> m{};
        Protocol::fields(ar, m);
        out.message = std::move(m);
    }
};

}  // namespace synod::codec

#endif
