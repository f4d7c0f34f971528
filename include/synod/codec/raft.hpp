#ifndef SYNOD_CODEC_RAFT_HPP
#define SYNOD_CODEC_RAFT_HPP

/// \file
/// The wire encoding of Raft's messages (raft/messages.hpp), inside codec/frame.hpp's frames.
///
///   type  message          body (little-endian)
///   1     vote_request     term u64, from u32, last_index u64, last_term u64, pre_vote u8,
///                          transfer u8
///   2     vote_response    term u64, from u32, granted u8, pre_vote u8
///   3     append_entries   term u64, from u32, prev_index u64, prev_term u64, commit u64,
///                          heartbeat u8, read_round u64, commit_only u8, count u32,
///                          count x entry
///   4     append_response  term u64, from u32, success u8, index u64, hint_index u64,
///                          hint_term u64, last_index u64, heartbeat u8, read_round u64
///   5     timeout_now      term u64, from u32
///   6     read_index_request   term u64, from u32, context u64
///   7     read_index_response  term u64, from u32, context u64, index u64, ok u8
///   8     install_snapshot     term u64, from u32, last_index u64, last_term u64, offset u64,
///                              total_bytes u64, data (length u32 + bytes)
///   9     snapshot_response    term u64, from u32, last_index u64, received u64, installed u8
///   entry: term u64, index u64, kind u8 (0 normal, 1 noop, 2 configuration), payload
///          (value_codec<Payload>; std::string: length u32 + bytes)
///
/// Bools are 0 or 1; anything else, an unknown kind, or a byte left over is `malformed`.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "synod/codec/bytes.hpp"
#include "synod/codec/frame.hpp"
#include "synod/core/configuration.hpp"
#include "synod/raft/messages.hpp"

namespace synod::codec {

/// Encodes and decodes raft::message<Payload>.
template <class Payload>
struct raft_codec {
    using message_type = raft::message<Payload>;
    using entry_type = entry<Payload>;
    static constexpr std::uint8_t first_type = 1;
    static constexpr std::uint8_t last_type = 9;

    /// A received message that owns what it carries: `message` borrows from `entries` (or, for
    /// a snapshot chunk, from `bytes`). Movable (the buffers move with it), not copyable.
    struct owned {
        message_type message;
        std::vector<entry_type> entries;
        std::vector<std::byte> bytes;

        owned() = default;
        owned(owned&&) noexcept = default;
        owned& operator=(owned&&) noexcept = default;
        owned(const owned&) = delete;
        owned& operator=(const owned&) = delete;
    };

    static std::uint8_t type_of(const message_type& m) noexcept {
        return static_cast<std::uint8_t>(m.index() + first_type);
    }

    static void write_body(writer& w, const message_type& m) {
        std::visit([&w](const auto& x) { write(w, x); }, m);
    }

    /// Decodes the body of a frame of `type`; checks that the sender is in `peers` (anything with
    /// contains(node_id), e.g. a node_set).
    template <class Peers>
    static error read_body(std::uint8_t type, std::string_view body, const Peers& peers,
                           owned& out) {
        reader r{body};
        switch (type) {
            case 1: {
                raft::vote_request m{};
                m.term = r.term();
                m.from = r.node();
                m.last_index = r.index();
                m.last_term = r.term();
                m.pre_vote = r.boolean();
                m.transfer = r.boolean();
                out.message = m;
                break;
            }
            case 2: {
                raft::vote_response m{};
                m.term = r.term();
                m.from = r.node();
                m.granted = r.boolean();
                m.pre_vote = r.boolean();
                out.message = m;
                break;
            }
            case 3: {
                raft::append_entries<Payload> m{};
                m.term = r.term();
                m.from = r.node();
                m.prev_index = r.index();
                m.prev_term = r.term();
                m.commit = r.index();
                m.heartbeat = r.boolean();
                m.read_round = r.u64();
                m.commit_only = r.boolean();
                const std::size_t n =
                    r.count(entry_header_bytes + value_codec<Payload>::min_bytes);
                out.entries.clear();
                out.entries.reserve(n);
                for (std::size_t i = 0; i < n && r.ok(); ++i) {
                    entry_type e;
                    if (!read_entry(r, e)) break;
                    out.entries.push_back(std::move(e));
                }
                m.entries = out.entries;
                out.message = m;
                break;
            }
            case 4: {
                raft::append_response m{};
                m.term = r.term();
                m.from = r.node();
                m.success = r.boolean();
                m.index = r.index();
                m.hint_index = r.index();
                m.hint_term = r.term();
                m.last_index = r.index();
                m.heartbeat = r.boolean();
                m.read_round = r.u64();
                out.message = m;
                break;
            }
            case 5: {
                raft::timeout_now m{};
                m.term = r.term();
                m.from = r.node();
                out.message = m;
                break;
            }
            case 6: {
                raft::read_index_request m{};
                m.term = r.term();
                m.from = r.node();
                m.context = r.u64();
                out.message = m;
                break;
            }
            case 7: {
                raft::read_index_response m{};
                m.term = r.term();
                m.from = r.node();
                m.context = r.u64();
                m.index = r.index();
                m.ok = r.boolean();
                out.message = m;
                break;
            }
            case 8: {
                raft::install_snapshot m{};
                m.term = r.term();
                m.from = r.node();
                m.last_index = r.index();
                m.last_term = r.term();
                m.offset = r.u64();
                m.total_bytes = r.u64();
                const std::string_view data = r.bytes();
                if (m.offset > m.total_bytes || data.size() > m.total_bytes - m.offset) r.fail();
                const auto* first = reinterpret_cast<const std::byte*>(data.data());
                out.bytes.assign(first, first + data.size());
                m.data = out.bytes;
                out.message = m;
                break;
            }
            case 9: {
                raft::snapshot_response m{};
                m.term = r.term();
                m.from = r.node();
                m.last_index = r.index();
                m.received = r.u64();
                m.installed = r.boolean();
                out.message = m;
                break;
            }
            default: return error::unknown_message_type;
        }
        if (!r.ok()) return r.truncated() ? error::truncated_body : error::malformed;
        if (!r.done()) return error::malformed;
        if (!peers.contains(raft::sender(out.message))) return error::unknown_sender;
        return error::none;
    }

private:
    static void write(writer& w, const raft::vote_request& m) {
        w.term(m.term);
        w.node(m.from);
        w.index(m.last_index);
        w.term(m.last_term);
        w.boolean(m.pre_vote);
        w.boolean(m.transfer);
    }
    static void write(writer& w, const raft::vote_response& m) {
        w.term(m.term);
        w.node(m.from);
        w.boolean(m.granted);
        w.boolean(m.pre_vote);
    }
    static void write(writer& w, const raft::append_entries<Payload>& m) {
        w.term(m.term);
        w.node(m.from);
        w.index(m.prev_index);
        w.term(m.prev_term);
        w.index(m.commit);
        w.boolean(m.heartbeat);
        w.u64(m.read_round);
        w.boolean(m.commit_only);
        w.u32(static_cast<std::uint32_t>(m.entries.size()));
        for (const entry_type& e : m.entries) write_entry(w, e);
    }
    static void write(writer& w, const raft::append_response& m) {
        w.term(m.term);
        w.node(m.from);
        w.boolean(m.success);
        w.index(m.index);
        w.index(m.hint_index);
        w.term(m.hint_term);
        w.index(m.last_index);
        w.boolean(m.heartbeat);
        w.u64(m.read_round);
    }
    static void write(writer& w, const raft::timeout_now& m) {
        w.term(m.term);
        w.node(m.from);
    }
    static void write(writer& w, const raft::read_index_request& m) {
        w.term(m.term);
        w.node(m.from);
        w.u64(m.context);
    }
    static void write(writer& w, const raft::read_index_response& m) {
        w.term(m.term);
        w.node(m.from);
        w.u64(m.context);
        w.index(m.index);
        w.boolean(m.ok);
    }
    static void write(writer& w, const raft::install_snapshot& m) {
        w.term(m.term);
        w.node(m.from);
        w.index(m.last_index);
        w.term(m.last_term);
        w.u64(m.offset);
        w.u64(m.total_bytes);
        w.bytes(std::string_view{reinterpret_cast<const char*>(m.data.data()), m.data.size()});
    }
    static void write(writer& w, const raft::snapshot_response& m) {
        w.term(m.term);
        w.node(m.from);
        w.index(m.last_index);
        w.u64(m.received);
        w.boolean(m.installed);
    }
};

}  // namespace synod::codec

#endif
