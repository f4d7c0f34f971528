// Fuzz target: the wire-format decoder (codec/frame.hpp, codec/raft.hpp, codec/multi_paxos.hpp)
// fed arbitrary bytes, as a TCP stream cut into arbitrary pieces. Checks:
//  - nothing crashes, reads out of bounds or allocates beyond what the input could hold (ASan);
//  - after an error the reader stays failed (the connection is closed);
//  - a frame that decodes is canonical: encoding the decoded message gives back the same bytes
//    (so no two byte strings mean the same message, and nothing is silently dropped);
//  - a sender outside the configured peers is refused (unknown_sender).
// Needs the codec (branch asio): built only when include/synod/codec/frame.hpp exists.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz.hpp"
#include "synod/codec/frame.hpp"
#include "synod/codec/multi_paxos.hpp"
#include "synod/codec/raft.hpp"
#include "synod/core/configuration.hpp"

namespace {

using namespace synod;
constexpr std::uint64_t cluster = 7;

template <class Codec>
void check_frame(const codec::frame_view& f, std::string_view raw, const node_set& peers) {
    typename Codec::owned out;
    if (codec::decode<Codec>(f, peers, out) != codec::error::none) return;
    FUZZ_CHECK(peers.contains(std::visit([](const auto& x) { return x.from; }, out.message)));
    std::string again;
    codec::encode<Codec>(out.message, cluster, again);
    FUZZ_CHECK(again == raw);
}

template <class Codec>
void run(std::string_view bytes, std::string_view cuts) {
    const node_set peers{1u, 2u, 3u};
    codec::frame_reader reader{codec::limits_for<Codec>(cluster, 1u << 16)};
    std::size_t at = 0;
    std::size_t cut = 0;
    bool failed = false;
    while (at < bytes.size()) {
        // Piece sizes from the cut bytes: 1..256, or the rest.
        std::size_t n = bytes.size() - at;
        if (cut < cuts.size()) n = std::min(n, std::size_t{1} + static_cast<std::uint8_t>(cuts[cut++]));
        reader.feed(bytes.substr(at, n));
        at += n;
        codec::frame_view f;
        for (;;) {
            const auto s = reader.next(f);
            if (s == codec::frame_reader::status::need_more) break;
            if (s == codec::frame_reader::status::failed) {
                FUZZ_CHECK(reader.last_error() != codec::error::none);
                failed = true;
                break;
            }
            FUZZ_CHECK(!failed);
            const std::string_view raw{f.body.data() - codec::frame_header_bytes,
                                       codec::frame_header_bytes + f.body.size()};
            check_frame<Codec>(f, raw, peers);
        }
        if (failed) {
            codec::frame_view g;
            FUZZ_CHECK(reader.next(g) == codec::frame_reader::status::failed);  // stays failed
            return;
        }
    }
    // The same bytes as one datagram: read_frame agrees with the stream on a single frame.
    codec::frame_view one;
    if (codec::read_frame(bytes, codec::limits_for<Codec>(cluster, 1u << 16), one) ==
        codec::error::none)
        check_frame<Codec>(one, bytes, peers);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    // Byte 0: the protocol; byte 1: how many cut bytes follow; then the stream.
    const std::size_t ncuts = std::min<std::size_t>(data[1] % 16, size - 2);
    const std::string_view cuts{reinterpret_cast<const char*>(data + 2), ncuts};
    const std::string_view bytes{reinterpret_cast<const char*>(data + 2 + ncuts), size - 2 - ncuts};
    if (data[0] % 2 == 0) {
        run<codec::raft_codec<std::string>>(bytes, cuts);
    } else {
        run<codec::multi_paxos_codec<std::string>>(bytes, cuts);
    }
    return 0;
}
