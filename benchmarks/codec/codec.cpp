// The wire codec (codec/frame.hpp with codec/raft.hpp and codec/multi_paxos.hpp): encoding a
// message into a frame and decoding a frame back, for the messages that carry the load. Each
// reports ns per message, bytes/s of frame, and `allocs_per_op` (heap allocations per message;
// benchmarks/support/alloc_counter.cpp). The payload is the W1 payload, 128 bytes by value
// (value_codec<std::array<std::byte, N>>: written as is, no length); the output buffer and the
// decoded message are reused from one message to the next, as a connection reuses them.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "support/alloc_counter.hpp"
#include "support/policies.hpp"
#include "synod/codec/frame.hpp"
#include "synod/codec/multi_paxos.hpp"
#include "synod/codec/raft.hpp"

namespace {

using namespace synod;
using bench::payload;
using raft_c = codec::raft_codec<payload>;
using paxos_c = codec::multi_paxos_codec<payload, no_snapshot>;
constexpr std::uint64_t cluster = 0x5e1du;
const node_set peers{1u, 2u, 3u};

std::vector<entry<payload>> entries(std::size_t n) {
    std::vector<entry<payload>> es(n);
    for (std::size_t i = 0; i < n; ++i) {
        es[i].term = term_t{3};
        es[i].index = log_index{100 + i};
        es[i].payload.fill(static_cast<std::byte>(i));
    }
    return es;
}

std::vector<pvalue<payload>> pvalues(std::size_t n) {
    std::vector<pvalue<payload>> vs(n);
    const auto es = entries(n);
    for (std::size_t i = 0; i < n; ++i) vs[i] = pvalue<payload>{ballot{3, node_id{1}}, es[i]};
    return vs;
}

template <class Codec>
std::string frame_of(const typename Codec::message_type& m) {
    std::string out;
    codec::encode<Codec>(m, cluster, out);
    return out;
}

/// Encodes `m` once per iteration into a reused buffer.
template <class Codec>
void encode_loop(benchmark::State& state, const typename Codec::message_type& m) {
    std::string out;
    codec::encode<Codec>(m, cluster, out);  // sizes the buffer
    const std::size_t bytes = out.size();
    const std::uint64_t before = bench::allocations();
    for (auto _ : state) {
        out.clear();
        codec::encode<Codec>(m, cluster, out);
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
    }
    state.counters["allocs_per_op"] = benchmark::Counter(
        static_cast<double>(bench::allocations() - before), benchmark::Counter::kAvgIterations);
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}

/// Checks and decodes one frame per iteration (header, CRC32C, body, sender) into a reused
/// owned message.
template <class Codec>
void decode_loop(benchmark::State& state, const typename Codec::message_type& m) {
    const std::string bytes = frame_of<Codec>(m);
    const auto limits = codec::limits_for<Codec>(cluster);
    typename Codec::owned out;
    codec::frame_view f;
    if (codec::read_frame(bytes, limits, f) != codec::error::none ||
        codec::decode<Codec>(f, peers, out) != codec::error::none) {
        state.SkipWithError("the frame does not decode");
        return;
    }
    const std::uint64_t before = bench::allocations();
    for (auto _ : state) {
        const codec::error e = codec::read_frame(bytes, limits, f) == codec::error::none
                                   ? codec::decode<Codec>(f, peers, out)
                                   : codec::error::malformed;
        benchmark::DoNotOptimize(e);
        benchmark::DoNotOptimize(out.message);
    }
    state.counters["allocs_per_op"] = benchmark::Counter(
        static_cast<double>(bench::allocations() - before), benchmark::Counter::kAvgIterations);
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
}

raft::message<payload> append(const std::vector<entry<payload>>& es) {
    return raft::append_entries<payload>{term_t{3}, node_id{1}, log_index{99}, term_t{3},
                                         log_index{98}, es, false};
}

void BM_codec_raft_append_encode(benchmark::State& state) {
    const auto es = entries(static_cast<std::size_t>(state.range(0)));
    encode_loop<raft_c>(state, append(es));
}
BENCHMARK(BM_codec_raft_append_encode)->ArgName("entries")->Arg(1)->Arg(64);

void BM_codec_raft_append_decode(benchmark::State& state) {
    const auto es = entries(static_cast<std::size_t>(state.range(0)));
    decode_loop<raft_c>(state, append(es));
}
BENCHMARK(BM_codec_raft_append_decode)->ArgName("entries")->Arg(1)->Arg(64);

const raft::message<payload> append_response = raft::append_response{
    term_t{3}, node_id{2}, true, log_index{163}, {}, {}, log_index{163}, false};

void BM_codec_raft_append_response_encode(benchmark::State& state) {
    encode_loop<raft_c>(state, append_response);
}
BENCHMARK(BM_codec_raft_append_response_encode);

void BM_codec_raft_append_response_decode(benchmark::State& state) {
    decode_loop<raft_c>(state, append_response);
}
BENCHMARK(BM_codec_raft_append_response_decode);

const raft::message<payload> vote_request =
    raft::vote_request{term_t{4}, node_id{2}, log_index{163}, term_t{3}, false, false};

void BM_codec_raft_vote_request_encode(benchmark::State& state) {
    encode_loop<raft_c>(state, vote_request);
}
BENCHMARK(BM_codec_raft_vote_request_encode);

void BM_codec_raft_vote_request_decode(benchmark::State& state) {
    decode_loop<raft_c>(state, vote_request);
}
BENCHMARK(BM_codec_raft_vote_request_decode);

paxos_c::message_type accept(const std::vector<pvalue<payload>>& vs) {
    return multi_paxos::accept<payload>{node_id{1}, ballot{3, node_id{1}}, log_index{98}, vs};
}

void BM_codec_multi_paxos_accept_encode(benchmark::State& state) {
    const auto vs = pvalues(static_cast<std::size_t>(state.range(0)));
    encode_loop<paxos_c>(state, accept(vs));
}
BENCHMARK(BM_codec_multi_paxos_accept_encode)->ArgName("entries")->Arg(1)->Arg(64);

void BM_codec_multi_paxos_accept_decode(benchmark::State& state) {
    const auto vs = pvalues(static_cast<std::size_t>(state.range(0)));
    decode_loop<paxos_c>(state, accept(vs));
}
BENCHMARK(BM_codec_multi_paxos_accept_decode)->ArgName("entries")->Arg(1)->Arg(64);

/// CRC32C over a small and a large frame's worth of bytes: as crc32c() computes it (the crc32
/// instruction where the CPU has one), and by Boost.CRC's table alone, the baseline.
void BM_codec_crc32c(benchmark::State& state) {
    const std::string bytes(static_cast<std::size_t>(state.range(0)), 'x');
    for (auto _ : state) {
        benchmark::DoNotOptimize(bytes.data());  // not hoisted out of the loop
        benchmark::ClobberMemory();
        benchmark::DoNotOptimize(codec::crc32c(bytes));
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
}
BENCHMARK(BM_codec_crc32c)->ArgName("bytes")->Arg(64)->Arg(9344);

void BM_codec_crc32c_table(benchmark::State& state) {
    const std::string bytes(static_cast<std::size_t>(state.range(0)), 'x');
    for (auto _ : state) {
        benchmark::DoNotOptimize(bytes.data());
        benchmark::ClobberMemory();
        benchmark::DoNotOptimize(codec::detail::crc32c_table(bytes, 0));
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
}
BENCHMARK(BM_codec_crc32c_table)->ArgName("bytes")->Arg(64)->Arg(9344);

}  // namespace
