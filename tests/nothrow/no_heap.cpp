// Built with -fno-exceptions -fno-rtti: the Raft and Multi-Paxos clusters of the embedded example
// (examples/embedded/clusters.hpp: fixed-capacity logs, the fixed-capacity sync network) run to a
// few hundred commits each, through a follower crash and a leader crash, while every global
// operator new aborts: the cores and the static policies allocate nothing, ever (not only in
// steady state). Exits non-zero on any failed check.
#include <cstdio>
#include <cstdlib>
#include <new>
#include <vector>

#include "clusters.hpp"

namespace {
bool heap_forbidden = false;
std::size_t allocations = 0;

void* allocate(std::size_t n) {
    if (heap_forbidden) {
        std::fputs("no_heap: operator new called while the heap is forbidden\n", stderr);
        std::abort();
    }
    ++allocations;
    if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
    std::abort();
}
}  // namespace

void* operator new(std::size_t n) { return allocate(n); }
void* operator new[](std::size_t n) { return allocate(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return allocate(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return allocate(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace {
void print(const char* text) { std::fputs(text, stdout); }

// Too large for the stack; placed before the heap is forbidden.
demo::raft_demo::cluster raft_cluster;
demo::paxos_demo::cluster paxos_cluster;
}  // namespace

int main() {
    // The replacement is the one in use (a negative control: this must count).
    { std::vector<int> v(3); }
    if (allocations == 0) {
        std::fputs("no_heap: the replacement operator new is not in use\n", stderr);
        return 1;
    }
    demo::checker c{print};
    heap_forbidden = true;
    demo::raft_demo::run(raft_cluster, c);
    demo::paxos_demo::run(paxos_cluster, c);
    heap_forbidden = false;
    if (c.failures() != 0) return 1;
    std::puts("no_heap: ok, no allocation in either cluster");
    return 0;
}
