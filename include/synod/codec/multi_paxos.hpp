#ifndef SYNOD_CODEC_MULTI_PAXOS_HPP
#define SYNOD_CODEC_MULTI_PAXOS_HPP

/// \file
/// The wire encoding of Multi-Paxos's messages (paxos/multi_paxos_message.hpp), inside
/// codec/frame.hpp's frames. A ballot is round u64 + proposer u32; a pvalue is its ballot and
/// its entry (codec/bytes.hpp's entry encoding).
///
///   type  message           body (little-endian)
///   16    prepare           from u32, proposed ballot, first u64
///   17    promise           from u32, promised ballot, first u64, commit u64, compacted u64,
///                           count u32, count x pvalue
///   18    accept            from u32, number ballot, commit u64, count u32, count x pvalue
///   19    accepted          from u32, number ballot, first u64, last u64, commit u64
///   20    reject            from u32, rejected ballot, promised ballot
///   21    install_snapshot  from u32, number ballot, last_included u64, state
///                           (value_codec<Snapshot>)
///
/// The field lists below are this table, read and written by codec/message_codec.hpp.

#include <cstddef>
#include <cstdint>

#include "synod/codec/message_codec.hpp"
#include "synod/paxos/multi_paxos_message.hpp"

namespace synod::codec {

/// Encodes and decodes multi_paxos::message<Payload, Snapshot>. Its `owned` (a received message
/// that owns the pvalues it borrows) is movable, not copyable.
template <class Payload, class Snapshot = no_snapshot>
struct multi_paxos_codec
    : message_codec<multi_paxos_codec<Payload, Snapshot>, multi_paxos::message<Payload, Snapshot>,
                    16, owned_message<multi_paxos::message<Payload, Snapshot>, pvalue<Payload>>> {
    using pvalue_type = pvalue<Payload>;
    static constexpr std::size_t ballot_bytes = codec::ballot_bytes;

private:
    friend message_codec<multi_paxos_codec, multi_paxos::message<Payload, Snapshot>, 16,
                         owned_message<multi_paxos::message<Payload, Snapshot>, pvalue<Payload>>>;

    static void fields(auto& ar, message_of<multi_paxos::prepare> auto& m) {
        ar(m.from, m.proposed, m.first);
    }
    static void fields(auto& ar, message_of<multi_paxos::promise<Payload>> auto& m) {
        ar(m.from, m.promised, m.first, m.commit, m.compacted, m.accepted);
    }
    static void fields(auto& ar, message_of<multi_paxos::accept<Payload>> auto& m) {
        ar(m.from, m.number, m.commit, m.entries);
    }
    static void fields(auto& ar, message_of<multi_paxos::accepted> auto& m) {
        ar(m.from, m.number, m.first, m.last, m.commit);
    }
    static void fields(auto& ar, message_of<multi_paxos::reject> auto& m) {
        ar(m.from, m.rejected, m.promised);
    }
    static void fields(auto& ar, message_of<multi_paxos::install_snapshot<Snapshot>> auto& m) {
        ar(m.from, m.number, m.last_included, as_value(m.state));
    }
};

}  // namespace synod::codec

#endif
