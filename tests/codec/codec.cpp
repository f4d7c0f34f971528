// The wire format (codec/frame.hpp, codec/raft.hpp, codec/multi_paxos.hpp): every message
// type of both protocols survives a round trip, and every kind of bad input is refused with its
// typed error, before anything is allocated for an oversized frame (RELIABILITY 3, malformed
// input).

#include <boost/test/unit_test.hpp>

#include <array>
#include <cstdint>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "synod/codec/frame.hpp"
#include "synod/codec/multi_paxos.hpp"
#include "synod/codec/raft.hpp"

namespace synod::codec {
inline std::ostream& boost_test_print_type(std::ostream& o, error e) { return o << to_string(e); }
}  // namespace synod::codec

namespace {

using namespace synod;
using raft_c = codec::raft_codec<std::string>;
using paxos_c = codec::multi_paxos_codec<std::string, std::string>;
constexpr std::uint64_t cluster = 0xC1u;
const node_set peers{1u, 2u, 3u};

template <class Codec>
std::string frame_of(const typename Codec::message_type& m, std::uint64_t cid = cluster) {
    std::string out;
    codec::encode<Codec>(m, cid, out);
    return out;
}

template <class Codec>
codec::error decode_bytes(std::string_view bytes, typename Codec::owned& out,
                          std::uint64_t cid = cluster) {
    codec::frame_view f;
    if (const codec::error e = codec::read_frame(bytes, codec::limits_for<Codec>(cid), f);
        e != codec::error::none)
        return e;
    return codec::decode<Codec>(f, peers, out);
}

template <class Codec>
void round_trip(const typename Codec::message_type& m, std::string_view name) {
    BOOST_TEST_CONTEXT(name) {
        const std::string bytes = frame_of<Codec>(m);
        typename Codec::owned out;
        BOOST_TEST_REQUIRE(decode_bytes<Codec>(bytes, out) == codec::error::none);
        BOOST_TEST(out.message.index() == m.index());
        // Encoding what was decoded gives the same bytes: every field survived.
        BOOST_TEST(frame_of<Codec>(out.message) == bytes);
        // Moving the owned message keeps its borrowed entries valid.
        typename Codec::owned moved = std::move(out);
        BOOST_TEST(frame_of<Codec>(moved.message) == bytes);
    }
}

std::vector<entry<std::string>> sample_entries() {
    return {{term_t{3}, log_index{8}, entry_kind::normal, "set x 1"},
            {term_t{3}, log_index{9}, entry_kind::noop, ""},
            {term_t{4}, log_index{10}, entry_kind::configuration, std::string(300, 'c')}};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(codec_wire)

BOOST_AUTO_TEST_CASE(crc32c_matches_the_standard_check_value) {
    BOOST_TEST(codec::crc32c("123456789") == 0xE3069283u);
    // Continuing a CRC equals computing it at once.
    BOOST_TEST(codec::crc32c("6789", codec::crc32c("12345")) == 0xE3069283u);
}

BOOST_AUTO_TEST_CASE(crc32c_hardware_and_table_agree_at_every_length_and_alignment) {
    std::mt19937 rng{7};
    std::string bytes(600, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    for (std::size_t offset = 0; offset < 8; ++offset) {
        for (std::size_t n = 0; n + offset <= 300; ++n) {
            const std::string_view v = std::string_view{bytes}.substr(offset, n);
            const std::uint32_t table = codec::detail::crc32c_table(v, 0);
            BOOST_TEST_REQUIRE(codec::crc32c(v) == table);
            // Continuing from a CRC, as frames and WAL records do (header, then body).
            BOOST_TEST_REQUIRE(codec::crc32c(bytes.substr(400, 37), table) ==
                               codec::detail::crc32c_table(bytes.substr(400, 37), table));
#if SYNOD_CRC32C_SSE42
            if (codec::detail::cpu_has_sse42())
                BOOST_TEST_REQUIRE(codec::detail::crc32c_sse42(v, 0) == table);
#endif
        }
    }
#if SYNOD_CRC32C_SSE42
    BOOST_TEST_MESSAGE("crc32 instruction: " << (codec::detail::cpu_has_sse42() ? "yes" : "no"));
#endif
}

BOOST_AUTO_TEST_CASE(every_raft_message_round_trips) {
    const auto es = sample_entries();
    round_trip<raft_c>(raft::vote_request{term_t{7}, node_id{2}, log_index{10}, term_t{4}, true,
                                          false},
                       "vote_request");
    round_trip<raft_c>(raft::vote_request{term_t{7}, node_id{2}, log_index{0}, term_t{0}, false,
                                          true},
                       "vote_request transfer");
    round_trip<raft_c>(raft::vote_response{term_t{7}, node_id{3}, true, false}, "vote_response");
    round_trip<raft_c>(raft::append_entries<std::string>{term_t{4}, node_id{1}, log_index{7},
                                                         term_t{3}, log_index{6}, es, false},
                       "append_entries");
    round_trip<raft_c>(raft::append_entries<std::string>{term_t{4}, node_id{1}, log_index{7},
                                                         term_t{3}, log_index{6}, {}, true},
                       "heartbeat");
    round_trip<raft_c>(raft::append_response{term_t{4}, node_id{2}, false, log_index{7},
                                             log_index{5}, term_t{2}, log_index{9}, true},
                       "append_response");
    round_trip<raft_c>(raft::timeout_now{term_t{9}, node_id{1}}, "timeout_now");
    round_trip<raft_c>(raft::append_entries<std::string>{term_t{4}, node_id{1}, log_index{7},
                                                         term_t{3}, log_index{6}, {}, false, 42,
                                                         true},
                       "commit notification with a read round");
    round_trip<raft_c>(raft::append_response{term_t{4}, node_id{2}, true, log_index{7}, {}, {},
                                             log_index{9}, true, 42},
                       "append_response with a read round");
    round_trip<raft_c>(raft::read_index_request{term_t{5}, node_id{2}, 77}, "read_index_request");
    round_trip<raft_c>(raft::read_index_response{term_t{5}, node_id{1}, 77, log_index{12}, true},
                       "read_index_response");
    const std::vector<std::byte> chunk(100, std::byte{0x5a});
    round_trip<raft_c>(raft::install_snapshot{term_t{5}, node_id{1}, log_index{40}, term_t{4}, 200,
                                              1000, chunk},
                       "install_snapshot");
    round_trip<raft_c>(raft::snapshot_response{term_t{5}, node_id{3}, log_index{40}, 300, false},
                       "snapshot_response");
}

BOOST_AUTO_TEST_CASE(encode_in_place_writes_the_frame_write_frame_writes) {
    // encode() fills the header in after the body; write_frame() is the reference layout.
    const auto es = sample_entries();
    const raft_c::message_type m = raft::append_entries<std::string>{
        term_t{4}, node_id{1}, log_index{7}, term_t{3}, log_index{6}, es, false};
    std::string body;
    codec::writer w{body};
    raft_c::write_body(w, m);
    std::string reference;
    codec::write_frame(reference, raft_c::type_of(m), cluster, body);
    std::string out = "prefix";  // appends after what the buffer holds
    codec::encode<raft_c>(m, cluster, out);
    BOOST_TEST(out == "prefix" + reference);
}

BOOST_AUTO_TEST_CASE(fixed_size_byte_array_payloads_round_trip_without_a_length) {
    using fixed = std::array<std::byte, 16>;
    using fixed_c = codec::raft_codec<fixed>;
    fixed a{};
    for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<std::byte>(i * 7);
    const std::vector<entry<fixed>> es{{term_t{2}, log_index{5}, entry_kind::normal, a},
                                       {term_t{2}, log_index{6}, entry_kind::noop, fixed{}}};
    const fixed_c::message_type m = raft::append_entries<fixed>{
        term_t{2}, node_id{1}, log_index{4}, term_t{1}, log_index{3}, es, false};
    round_trip<fixed_c>(m, "append_entries with std::array payloads");
    const std::string bytes = frame_of<fixed_c>(m);
    const std::string one = frame_of<fixed_c>(raft::append_entries<fixed>{
        term_t{2}, node_id{1}, log_index{4}, term_t{1}, log_index{3}, {es.data(), 1}, false});
    // Each entry costs its 17-byte header and exactly 16 payload bytes.
    BOOST_TEST(bytes.size() - one.size() == codec::entry_header_bytes + 16u);
    fixed_c::owned out;
    BOOST_TEST_REQUIRE(decode_bytes<fixed_c>(bytes, out) == codec::error::none);
    const auto& got = std::get<raft::append_entries<fixed>>(out.message);
    BOOST_TEST_REQUIRE(got.entries.size() == 2u);
    BOOST_TEST((got.entries[0].payload == a));
    // A body one payload byte short is truncated, not read past.
    std::string body;
    codec::writer w{body};
    fixed_c::write_body(w, m);
    body.pop_back();
    std::string b;
    codec::write_frame(b, fixed_c::type_of(m), cluster, body);
    BOOST_TEST(decode_bytes<fixed_c>(b, out) == codec::error::truncated_body);
}

BOOST_AUTO_TEST_CASE(a_snapshot_chunk_past_its_declared_size_is_malformed) {
    const std::vector<std::byte> chunk(100, std::byte{1});
    const std::string bytes = frame_of<raft_c>(
        raft::install_snapshot{term_t{5}, node_id{1}, log_index{40}, term_t{4}, 950, 1000, chunk});
    raft_c::owned out;
    BOOST_TEST((decode_bytes<raft_c>(bytes, out) == codec::error::malformed));
}

BOOST_AUTO_TEST_CASE(every_multi_paxos_message_round_trips) {
    std::vector<pvalue<std::string>> pv;
    for (const auto& e : sample_entries()) pv.push_back({ballot{5, node_id{2}}, e});
    pv.push_back({ballot{}, entry<std::string>{term_t{0}, log_index{11}, entry_kind::normal, ""}});
    const ballot b{6, node_id{3}};
    round_trip<paxos_c>(multi_paxos::prepare{node_id{3}, b, log_index{4}}, "prepare");
    round_trip<paxos_c>(multi_paxos::promise<std::string>{node_id{1}, b, log_index{4},
                                                          log_index{3}, log_index{1}, pv},
                        "promise");
    round_trip<paxos_c>(multi_paxos::accept<std::string>{node_id{3}, b, log_index{7}, pv},
                        "accept");
    round_trip<paxos_c>(multi_paxos::accept<std::string>{node_id{3}, b, log_index{7}, {}},
                        "heartbeat");
    round_trip<paxos_c>(multi_paxos::accepted{node_id{2}, b, log_index{8}, log_index{11},
                                              log_index{7}},
                        "accepted");
    round_trip<paxos_c>(multi_paxos::reject{node_id{2}, b, ballot{9, node_id{1}}}, "reject");
    round_trip<paxos_c>(multi_paxos::install_snapshot<std::string>{node_id{1}, b, log_index{99},
                                                                   "state bytes"},
                        "install_snapshot");
}

struct bad_frame_case {
    const char* name;
    codec::error expected;
};

BOOST_AUTO_TEST_CASE(bad_frames_are_refused_with_typed_errors) {
    const std::string good =
        frame_of<raft_c>(raft::vote_response{term_t{7}, node_id{3}, true, false});
    raft_c::owned out;
    auto check = [&](std::string bytes, codec::error expected, const char* name,
                     std::uint64_t cid = cluster) {
        BOOST_TEST_CONTEXT(name) {
            BOOST_TEST(codec::to_string(decode_bytes<raft_c>(bytes, out, cid)) ==
                       codec::to_string(expected));
        }
    };
    check(good.substr(0, 10), codec::error::truncated_header, "truncated header");
    check(good.substr(0, good.size() - 1), codec::error::truncated_body, "truncated body");
    check(good + "x", codec::error::malformed, "trailing byte");
    {
        std::string b = good;
        b[0] = 'X';
        check(b, codec::error::bad_magic, "bad magic");
    }
    {
        std::string b = good;
        b[4] = 2;
        check(b, codec::error::bad_version, "future version");
    }
    {
        std::string b = good;
        b[4] = 0;
        check(b, codec::error::bad_version, "old version");
    }
    check(good, codec::error::wrong_cluster_id, "another cluster's frame", cluster + 1);
    {
        std::string b = good;
        b[5] = 17;  // a Paxos type sent to a Raft node
        check(b, codec::error::unknown_message_type, "unknown type");
    }
    {
        std::string b = good;
        b.back() ^= 0x01;
        check(b, codec::error::bad_checksum, "flipped bit in the body");
    }
    {
        std::string b = good;
        b[19] = 0x7f;  // length's top byte: about 2 GiB
        check(b, codec::error::frame_too_large, "length above the limit");
    }
    check(frame_of<raft_c>(raft::vote_response{term_t{7}, node_id{9}, true, false}),
          codec::error::unknown_sender, "sender not in the configuration");
    {
        // A bool of 2, with a valid checksum: the body is judged, not only the frame.
        std::string body;
        codec::writer w{body};
        w.term(term_t{7});
        w.node(node_id{3});
        w.u8(2);
        w.u8(0);
        std::string b;
        codec::write_frame(b, 2, cluster, body);
        check(b, codec::error::malformed, "bool out of range");
    }
    {
        // An entry count far beyond the bytes present: refused before reserving.
        std::string body;
        codec::writer w{body};
        w.term(term_t{4});
        w.node(node_id{1});
        w.index(log_index{1});
        w.term(term_t{1});
        w.index(log_index{1});
        w.boolean(false);
        w.u32(0xffffffffu);
        std::string b;
        codec::write_frame(b, 3, cluster, body);
        check(b, codec::error::truncated_body, "huge entry count");
    }
}

BOOST_AUTO_TEST_CASE(stream_reader_assembles_frames_split_anywhere) {
    std::string stream;
    for (int i = 0; i < 20; ++i)
        codec::encode<raft_c>(raft::append_entries<std::string>{term_t{1}, node_id{1},
                                                                log_index{0}, term_t{0},
                                                                log_index{0}, sample_entries(),
                                                                false},
                              cluster, stream);
    std::mt19937 rng{42};
    codec::frame_reader r{codec::limits_for<raft_c>(cluster)};
    std::size_t at = 0, frames = 0;
    while (at < stream.size()) {
        const std::size_t n = std::min<std::size_t>(stream.size() - at, rng() % 70 + 1);
        r.feed(std::string_view{stream}.substr(at, n));
        at += n;
        codec::frame_view f;
        while (r.next(f) == codec::frame_reader::status::frame) {
            raft_c::owned out;
            BOOST_TEST_REQUIRE(codec::decode<raft_c>(f, peers, out) == codec::error::none);
            ++frames;
        }
        BOOST_TEST_REQUIRE(r.last_error() == codec::error::none);
    }
    BOOST_TEST(frames == 20u);
    BOOST_TEST(!r.partial());
}

BOOST_AUTO_TEST_CASE(stream_reader_refuses_an_oversized_frame_before_buffering_it) {
    std::string b = frame_of<raft_c>(raft::timeout_now{term_t{1}, node_id{1}});
    codec::frame_reader r{codec::limits_for<raft_c>(cluster, 1024)};
    b[16] = 0;
    b[17] = 0;
    b[18] = 0x10;  // 1 MiB declared, limit 1 KiB
    r.feed(std::string_view{b}.substr(0, codec::frame_header_bytes));
    codec::frame_view f;
    BOOST_TEST((r.next(f) == codec::frame_reader::status::failed));
    BOOST_TEST(codec::to_string(r.last_error()) == "frame_too_large");
    BOOST_TEST(r.buffered() == codec::frame_header_bytes);
}

BOOST_AUTO_TEST_CASE(stream_reader_refuses_junk_at_once) {
    codec::frame_reader r{codec::limits_for<raft_c>(cluster)};
    r.feed("GET / HTTP/1.0\r\n");
    codec::frame_view f;
    BOOST_TEST((r.next(f) == codec::frame_reader::status::failed));
    BOOST_TEST(codec::to_string(r.last_error()) == "bad_magic");
}

BOOST_AUTO_TEST_CASE(random_mutations_never_crash_and_never_pass_a_bad_checksum) {
    std::vector<std::string> seeds;
    std::vector<pvalue<std::string>> pv;
    for (const auto& e : sample_entries()) pv.push_back({ballot{5, node_id{2}}, e});
    seeds.push_back(frame_of<paxos_c>(multi_paxos::accept<std::string>{node_id{3},
                                                                       ballot{6, node_id{3}},
                                                                       log_index{7}, pv}));
    seeds.push_back(frame_of<raft_c>(raft::append_entries<std::string>{
        term_t{4}, node_id{1}, log_index{7}, term_t{3}, log_index{6}, sample_entries(), false}));
    std::mt19937_64 rng{7};
    std::size_t accepted = 0;
    for (int i = 0; i < 20000; ++i) {
        std::string b = seeds[static_cast<std::size_t>(i) % seeds.size()];
        const int flips = static_cast<int>(rng() % 4) + 1;
        for (int k = 0; k < flips; ++k) {
            switch (rng() % 3) {
                case 0: b[rng() % b.size()] = static_cast<char>(rng()); break;
                case 1: b.resize(rng() % (b.size() + 1)); break;
                default: b.insert(rng() % (b.size() + 1), 1, static_cast<char>(rng())); break;
            }
            if (b.empty()) b = "x";
        }
        raft_c::owned r_out;
        paxos_c::owned p_out;
        if (decode_bytes<raft_c>(b, r_out) == codec::error::none) ++accepted;
        if (decode_bytes<paxos_c>(b, p_out) == codec::error::none) ++accepted;
    }
    // A mutation passes only by restoring the original bytes (or an equivalent frame); CRC32C
    // catches the rest. Allow the odd identity mutation.
    BOOST_TEST(accepted < 200u);
}

BOOST_AUTO_TEST_SUITE_END()
