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

#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "synod/codec/bytes.hpp"
#include "synod/codec/frame.hpp"
#include "synod/paxos/multi_paxos_message.hpp"

namespace synod::codec {

/// Encodes and decodes multi_paxos::message<Payload, Snapshot>.
template <class Payload, class Snapshot = no_snapshot>
struct multi_paxos_codec {
    using message_type = multi_paxos::message<Payload, Snapshot>;
    using pvalue_type = pvalue<Payload>;
    static constexpr std::uint8_t first_type = 16;
    static constexpr std::uint8_t last_type = 21;
    static constexpr std::size_t ballot_bytes = 12;

    /// A received message that owns the pvalues it borrows. Movable, not copyable.
    struct owned {
        message_type message;
        std::vector<pvalue_type> entries;

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

    template <class Peers>
    static error read_body(std::uint8_t type, std::string_view body, const Peers& peers,
                           owned& out) {
        reader r{body};
        switch (type) {
            case 16: {
                multi_paxos::prepare m{};
                m.from = r.node();
                m.proposed = r.ballot();
                m.first = r.index();
                out.message = m;
                break;
            }
            case 17: {
                multi_paxos::promise<Payload> m{};
                m.from = r.node();
                m.promised = r.ballot();
                m.first = r.index();
                m.commit = r.index();
                m.compacted = r.index();
                read_pvalues(r, out.entries);
                m.accepted = out.entries;
                out.message = m;
                break;
            }
            case 18: {
                multi_paxos::accept<Payload> m{};
                m.from = r.node();
                m.number = r.ballot();
                m.commit = r.index();
                read_pvalues(r, out.entries);
                m.entries = out.entries;
                out.message = m;
                break;
            }
            case 19: {
                multi_paxos::accepted m{};
                m.from = r.node();
                m.number = r.ballot();
                m.first = r.index();
                m.last = r.index();
                m.commit = r.index();
                out.message = m;
                break;
            }
            case 20: {
                multi_paxos::reject m{};
                m.from = r.node();
                m.rejected = r.ballot();
                m.promised = r.ballot();
                out.message = m;
                break;
            }
            case 21: {
                multi_paxos::install_snapshot<Snapshot> m{};
                m.from = r.node();
                m.number = r.ballot();
                m.last_included = r.index();
                if (r.ok() && !value_codec<Snapshot>::read(r, m.state)) r.fail();
                out.message = std::move(m);
                break;
            }
            default: return error::unknown_message_type;
        }
        if (!r.ok()) return r.truncated() ? error::truncated_body : error::malformed;
        if (!r.done()) return error::malformed;
        const node_id from = std::visit([](const auto& x) { return x.from; }, out.message);
        if (!peers.contains(from)) return error::unknown_sender;
        return error::none;
    }

private:
    static void read_pvalues(reader& r, std::vector<pvalue_type>& out) {
        const std::size_t n =
            r.count(ballot_bytes + entry_header_bytes + value_codec<Payload>::min_bytes);
        out.clear();
        out.reserve(n);
        for (std::size_t i = 0; i < n && r.ok(); ++i) {
            pvalue_type v;
            v.number = r.ballot();
            if (!read_entry(r, v.value)) break;
            out.push_back(std::move(v));
        }
    }
    static void write_pvalues(writer& w, std::span<const pvalue_type> vs) {
        w.u32(static_cast<std::uint32_t>(vs.size()));
        for (const pvalue_type& v : vs) {
            w.ballot(v.number);
            write_entry(w, v.value);
        }
    }
    static void write(writer& w, const multi_paxos::prepare& m) {
        w.node(m.from);
        w.ballot(m.proposed);
        w.index(m.first);
    }
    static void write(writer& w, const multi_paxos::promise<Payload>& m) {
        w.node(m.from);
        w.ballot(m.promised);
        w.index(m.first);
        w.index(m.commit);
        w.index(m.compacted);
        write_pvalues(w, m.accepted);
    }
    static void write(writer& w, const multi_paxos::accept<Payload>& m) {
        w.node(m.from);
        w.ballot(m.number);
        w.index(m.commit);
        write_pvalues(w, m.entries);
    }
    static void write(writer& w, const multi_paxos::accepted& m) {
        w.node(m.from);
        w.ballot(m.number);
        w.index(m.first);
        w.index(m.last);
        w.index(m.commit);
    }
    static void write(writer& w, const multi_paxos::reject& m) {
        w.node(m.from);
        w.ballot(m.rejected);
        w.ballot(m.promised);
    }
    static void write(writer& w, const multi_paxos::install_snapshot<Snapshot>& m) {
        w.node(m.from);
        w.ballot(m.number);
        w.index(m.last_included);
        value_codec<Snapshot>::write(w, m.state);
    }
};

}  // namespace synod::codec

#endif
