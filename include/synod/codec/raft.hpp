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
/// Bools are 0 or 1; anything else, an unknown kind, or a byte left over is `malformed`. The
/// field lists below are the table above, read and written by codec/message_codec.hpp.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "synod/codec/message_codec.hpp"
#include "synod/core/configuration.hpp"
#include "synod/raft/messages.hpp"

namespace synod::codec {

/// raft_codec's received message: `message` borrows from `entries` or, for a snapshot chunk,
/// from `bytes`. Movable (the buffers move with it), not copyable.
template <class Payload>
struct owned_raft_message : owned_message<raft::message<Payload>, entry<Payload>> {
    std::vector<std::byte> bytes;
};

/// Encodes and decodes raft::message<Payload>.
template <class Payload>
struct raft_codec
    : message_codec<raft_codec<Payload>, raft::message<Payload>, 1, owned_raft_message<Payload>> {
    using entry_type = entry<Payload>;

private:
    friend message_codec<raft_codec, raft::message<Payload>, 1, owned_raft_message<Payload>>;

    static void fields(auto& ar, message_of<raft::vote_request> auto& m) {
        ar(m.term, m.from, m.last_index, m.last_term, m.pre_vote, m.transfer);
    }
    static void fields(auto& ar, message_of<raft::vote_response> auto& m) {
        ar(m.term, m.from, m.granted, m.pre_vote);
    }
    static void fields(auto& ar, message_of<raft::append_entries<Payload>> auto& m) {
        ar(m.term, m.from, m.prev_index, m.prev_term, m.commit, m.heartbeat, m.read_round,
           m.commit_only, m.entries);
    }
    static void fields(auto& ar, message_of<raft::append_response> auto& m) {
        ar(m.term, m.from, m.success, m.index, m.hint_index, m.hint_term, m.last_index, m.heartbeat,
           m.read_round);
    }
    static void fields(auto& ar, message_of<raft::timeout_now> auto& m) { ar(m.term, m.from); }
    static void fields(auto& ar, message_of<raft::read_index_request> auto& m) {
        ar(m.term, m.from, m.context);
    }
    static void fields(auto& ar, message_of<raft::read_index_response> auto& m) {
        ar(m.term, m.from, m.context, m.index, m.ok);
    }
    static void fields(auto& ar, message_of<raft::install_snapshot> auto& m) {
        ar(m.term, m.from, m.last_index, m.last_term, m.offset, m.total_bytes, m.data);
        // The chunk lies inside the snapshot.
        ar.check(m.offset <= m.total_bytes && m.data.size() <= m.total_bytes - m.offset);
    }
    static void fields(auto& ar, message_of<raft::snapshot_response> auto& m) {
        ar(m.term, m.from, m.last_index, m.received, m.installed);
    }
};

}  // namespace synod::codec

#endif
