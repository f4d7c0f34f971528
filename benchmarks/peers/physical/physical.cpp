// W1's physical limit: no protocol. For each entry, write its sequence number into a 128-byte
// payload and copy it into each of N logs, preallocated and zeroed before the timer starts
// ("arena", the floor) or a std::vector per node that grows ("vector"); per round, mark the
// round applied on each log. Prints one line in the W1 format.
//
//   physical -n 3 -b 64 -e 200000 -reps 5 -store arena|vector
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace {
constexpr std::size_t payload_size = 128;

struct arena_log {
    std::unique_ptr<std::byte[]> bytes;
    std::size_t last = 0, applied = 0;
    explicit arena_log(std::size_t e) : bytes(new std::byte[e * payload_size]) {
        std::memset(bytes.get(), 0, e * payload_size);  // map the pages before timing
    }
    void append(const std::byte* p) { std::memcpy(bytes.get() + last++ * payload_size, p, payload_size); }
    unsigned first() const { return std::to_integer<unsigned>(bytes[0]); }
};

struct vector_log {
    std::vector<std::byte> bytes;
    std::size_t last = 0, applied = 0;
    explicit vector_log(std::size_t) {}
    void append(const std::byte* p) {
        bytes.insert(bytes.end(), p, p + payload_size);
        ++last;
    }
    unsigned first() const { return std::to_integer<unsigned>(bytes[0]); }
};

template <class Log>
double run_once(unsigned n, unsigned b, unsigned e, unsigned& sink) {
    std::vector<Log> logs;
    logs.reserve(n);
    for (unsigned i = 0; i < n; ++i) logs.emplace_back(e);
    alignas(64) std::byte payload[payload_size] = {};
    const auto start = std::chrono::steady_clock::now();
    for (unsigned proposed = 0; proposed < e;) {
        const unsigned k = std::min(b, e - proposed);
        for (unsigned j = 0; j < k; ++j) {
            const std::uint32_t seq = proposed + j;
            std::memcpy(payload, &seq, sizeof seq);
            for (auto& log : logs) log.append(payload);
        }
        proposed += k;
        for (auto& log : logs) log.applied = log.last;
    }
    const auto stop = std::chrono::steady_clock::now();
    for (auto& log : logs) sink += static_cast<unsigned>(log.applied) + log.first();
    return std::chrono::duration<double, std::nano>(stop - start).count();
}
}  // namespace

int main(int argc, char** argv) {
    unsigned n = 3, b = 1, e = 200000, reps = 5;
    std::string store = "arena";
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string k = argv[i], v = argv[i + 1];
        if (k == "-n") n = static_cast<unsigned>(std::stoul(v));
        else if (k == "-b") b = static_cast<unsigned>(std::stoul(v));
        else if (k == "-e") e = static_cast<unsigned>(std::stoul(v));
        else if (k == "-reps") reps = static_cast<unsigned>(std::stoul(v));
        else if (k == "-store") store = v;
        else return 2;
    }
    unsigned sink = 0;
    const auto once = [&] {
        return store == "vector" ? run_once<vector_log>(n, b, e, sink) : run_once<arena_log>(n, b, e, sink);
    };
    std::fprintf(stderr, "warm-up rep: %.2f ns/entry\nall reps (ns/entry):", once() / e);
    std::vector<double> t;
    for (unsigned r = 0; r < reps; ++r) {
        t.push_back(once());
        std::fprintf(stderr, " %.2f", t.back() / e);
    }
    std::fprintf(stderr, " (sink %u)\n", sink);
    std::sort(t.begin(), t.end());
    const double ns = t[t.size() / 2] / e;
    std::printf("peer=physical-%s n=%u b=%u ns_per_entry=%.2f entries_per_s=%.0f\n", store.c_str(), n, b, ns, 1e9 / ns);
}
