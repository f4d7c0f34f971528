#ifndef SYNOD_CORE_CONFIGURATION_HPP
#define SYNOD_CORE_CONFIGURATION_HPP

/// \file
/// Cluster membership: sets of nodes, configurations of voters and learners, and the joint
/// configuration (old and new voters at once) of Raft's joint consensus (Raft thesis 4.3).

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <type_traits>

#include "synod/config.hpp"
#include "synod/core/error.hpp"
#include "synod/core/ids.hpp"
#include "synod/core/static_vector.hpp"

namespace synod {

/// A sorted set of distinct node ids, at most `max_nodes`, stored in place.
class node_set {
public:
    /// The empty set.
    node_set() noexcept = default;
    ///@{
    /// The set of `ids` (duplicates count once): `node_set{1u, 2u, 3u}`.
    node_set(std::initializer_list<node_id> ids) {
        for (node_id n : ids) insert(n);
    }
    node_set(std::initializer_list<std::uint32_t> ids) {
        for (std::uint32_t n : ids) insert(node_id{n});
    }
    ///@}

    /// Adds `n`; false if it was present already. Asserts capacity: check `full()` on input.
    bool insert(node_id n) {
        SYNOD_ASSERT(static_cast<bool>(n));
        auto it = std::lower_bound(ids_.begin(), ids_.end(), n);
        if (it != ids_.end() && *it == n) return false;
        ids_.insert(it, n);
        return true;
    }
    /// Removes `n`; false if it was absent.
    bool erase(node_id n) {
        auto it = std::lower_bound(ids_.begin(), ids_.end(), n);
        if (it == ids_.end() || !(*it == n)) return false;
        ids_.erase(it);
        return true;
    }
    /// True if `n` is in the set (binary search).
    bool contains(node_id n) const noexcept {
        return std::binary_search(ids_.begin(), ids_.end(), n);
    }
    /// Position of `n` in sorted order, or size() if absent.
    std::size_t position(node_id n) const noexcept {
        auto it = std::lower_bound(ids_.begin(), ids_.end(), n);
        return (it != ids_.end() && *it == n) ? static_cast<std::size_t>(it - ids_.begin())
                                              : ids_.size();
    }
    /// How many ids the set holds.
    std::size_t size() const noexcept { return ids_.size(); }
    /// True when the set holds no id.
    bool empty() const noexcept { return ids_.empty(); }
    /// True when it holds `max_nodes` ids: insert() would then be a programmer error.
    bool full() const noexcept { return ids_.full(); }
    ///@{
    /// The ids in increasing order.
    const node_id* begin() const noexcept { return ids_.begin(); }
    const node_id* end() const noexcept { return ids_.end(); }
    ///@}
    /// The `i`-th smallest id (pre: i < size()).
    node_id operator[](std::size_t i) const noexcept { return ids_[i]; }
    /// Removes every id.
    void clear() noexcept { ids_.clear(); }

    /// Equal when they hold the same ids.
    friend bool operator==(const node_set& a, const node_set& b) { return a.ids_ == b.ids_; }

private:
    static_vector<node_id, max_nodes> ids_;
};

/// The members of a cluster: voters (count in quorums) and learners (receive the log, never
/// vote). Raft's joint consensus adds `voters_outgoing`: while it is non-empty the configuration
/// is joint and every decision needs a quorum of `voters` and a quorum of `voters_outgoing`.
struct configuration {
    node_set voters;           ///< count in quorums, may vote and lead
    node_set learners;         ///< receive the log; never vote or lead
    node_set voters_outgoing;  ///< the old voters during joint consensus; empty otherwise

    /// True during joint consensus (voters_outgoing is not empty).
    bool joint() const noexcept { return !voters_outgoing.empty(); }
    /// True if `n` votes, in the new or the old voters.
    bool is_voter(node_id n) const noexcept {
        return voters.contains(n) || voters_outgoing.contains(n);
    }
    /// True if `n` is a member at all: a voter or a learner.
    bool contains(node_id n) const noexcept { return is_voter(n) || learners.contains(n); }

    /// Calls f(n) once for every node named in any part of the configuration.
    template <class F>
    void for_each_member(F&& f) const {
        for (node_id n : voters) f(n);
        for (node_id n : voters_outgoing)
            if (!voters.contains(n)) f(n);
        for (node_id n : learners)
            if (!is_voter(n)) f(n);
    }

    /// Checks the rules a configuration must keep: at least one voter, no learner among the
    /// (incoming) voters, and no more than `max_nodes` members in all. A learner may be an
    /// outgoing voter: a voter being demoted votes in the old half until the joint
    /// configuration is left.
    result<void> validate() const {
        if (voters.empty()) return errc::invalid_configuration;
        std::size_t members = 0;
        for_each_member([&](node_id) { ++members; });
        if (members > max_nodes) return errc::invalid_configuration;
        for (node_id n : learners)
            if (voters.contains(n)) return errc::invalid_configuration;
        return {};
    }

    /// Equal when every part is.
    friend bool operator==(const configuration&, const configuration&) = default;
};

// ---- configurations in log entries ------------------------------------------------------------
//
// A membership change travels as a log entry of kind entry_kind::configuration whose payload
// holds the encoding below (Raft thesis 4.1: a configuration is just another entry). Layout:
//   u8 version (1), u8 voters, u8 learners, u8 voters_outgoing, then each set's ids as u32
//   little-endian, in that order and ascending.

/// The most bytes an encoded configuration takes.
inline constexpr std::size_t configuration_bytes_max = 4 + 3 * max_nodes * 4;

/// Writes `c` to `out` (at least configuration_bytes_max bytes); returns the bytes written.
inline std::size_t encode_configuration(const configuration& c, std::span<std::byte> out) noexcept {
    SYNOD_ASSERT(out.size() >= configuration_bytes_max);
    std::size_t at = 0;
    auto put = [&](std::uint32_t v, int bytes) {
        for (int k = 0; k < bytes; ++k) out[at++] = static_cast<std::byte>((v >> (8 * k)) & 0xff);
    };
    put(1, 1);
    put(static_cast<std::uint32_t>(c.voters.size()), 1);
    put(static_cast<std::uint32_t>(c.learners.size()), 1);
    put(static_cast<std::uint32_t>(c.voters_outgoing.size()), 1);
    for (const node_set* s : {&c.voters, &c.learners, &c.voters_outgoing})
        for (node_id n : *s) put(n.value, 4);
    return at;
}

/// Reads a configuration written by encode_configuration(). errc::malformed for anything else
/// (wrong version or length, a zero or repeated id, a set out of order), and
/// errc::invalid_configuration for a well-formed one that breaks configuration::validate().
inline result<configuration> decode_configuration(std::span<const std::byte> in) noexcept {
    if (in.size() < 4 || in[0] != std::byte{1}) return errc::malformed;
    const std::size_t counts[3] = {static_cast<std::size_t>(in[1]), static_cast<std::size_t>(in[2]),
                                   static_cast<std::size_t>(in[3])};
    if (counts[0] > max_nodes || counts[1] > max_nodes || counts[2] > max_nodes) return errc::malformed;
    if (in.size() != 4 + 4 * (counts[0] + counts[1] + counts[2])) return errc::malformed;
    configuration c;
    node_set* sets[3] = {&c.voters, &c.learners, &c.voters_outgoing};
    std::size_t at = 4;
    for (int s = 0; s < 3; ++s) {
        std::uint32_t previous = 0;
        for (std::size_t k = 0; k < counts[s]; ++k, at += 4) {
            std::uint32_t v = 0;
            for (int b = 0; b < 4; ++b) v |= std::to_integer<std::uint32_t>(in[at + b]) << (8 * b);
            if (v <= previous) return errc::malformed;  // zero, repeated or out of order
            previous = v;
            sets[s]->insert(node_id{v});
        }
    }
    if (!c.validate()) return errc::invalid_configuration;
    return c;
}

/// How a payload type carries a configuration. Byte and character containers with data(),
/// size() and resize() (std::string, std::vector<std::byte>, ...) work as they are; any other
/// payload type specializes this template with the same two functions.
template <class Payload>
struct configuration_codec {
    /// Writes `c` into `out` (resized to fit); false if the payload cannot hold it.
    static bool encode(const configuration& c, Payload& out) {
        std::byte buffer[configuration_bytes_max];
        const std::size_t n = encode_configuration(c, buffer);
        out.resize(n);
        for (std::size_t k = 0; k < n; ++k)
            out.data()[k] = static_cast<std::remove_reference_t<decltype(*out.data())>>(buffer[k]);
        return true;
    }
    /// Reads a configuration that encode() wrote; an error for any other bytes.
    static result<configuration> decode(const Payload& p) {
        return decode_configuration(std::as_bytes(std::span{p.data(), p.size()}));
    }
};

/// A payload type that can carry a configuration (see configuration_codec).
template <class Payload>
concept configuration_payload = requires(const configuration& c, Payload& p, const Payload& cp) {
    { configuration_codec<Payload>::encode(c, p) } -> std::same_as<bool>;
    { configuration_codec<Payload>::decode(cp) } -> std::same_as<result<configuration>>;
};

}  // namespace synod

#endif
