// synod on a microcontroller: an ARM Cortex-M3 (QEMU's mps2-an385 board) with no heap, no
// operating system, no exceptions and no RTTI runs a 3-node Raft cluster and a 3-node
// Multi-Paxos cluster inside one image (clusters.hpp), prints through semihosting, and exits
// with 0 only if every check held. A failed SYNOD_ASSERT aborts (exit status 1).
//
// Built by scripts/embedded (or CMake with -DSYNOD_BUILD_EMBEDDED=ON and the toolchain file in
// this folder), linked with the C driver: anything that needs the C++ runtime (operator new, a
// throw, RTTI) fails the link. SYNOD_DEMO_RAFT / SYNOD_DEMO_PAXOS (default 1) pick the clusters,
// so the size of each can be measured alone.
//
// Shows that the cores need nothing from a platform: fixed-capacity storage (storage/static.hpp)
// and queues (runtime/sync/static_network.hpp) make a whole cluster fit in 32 KiB of flash.
#include <cstring>

#include <unistd.h>

#include "clusters.hpp"

#ifndef SYNOD_DEMO_RAFT
#define SYNOD_DEMO_RAFT 1
#endif
#ifndef SYNOD_DEMO_PAXOS
#define SYNOD_DEMO_PAXOS 1
#endif

namespace {

void print(const char* text) {
    // newlib's rdimon turns this into a semihosting write to QEMU's stdout.
    (void)::write(1, text, std::strlen(text));
}

// The clusters are too large for the stack; they live in .bss.
#if SYNOD_DEMO_RAFT
demo::raft_demo::cluster raft_cluster;
#endif
#if SYNOD_DEMO_PAXOS
demo::paxos_demo::cluster paxos_cluster;
#endif

}  // namespace

int main() {
    demo::checker c{print};
    c.say("synod on Cortex-M3: no heap, no OS, no exceptions, no RTTI");
#if SYNOD_DEMO_RAFT
    demo::raft_demo::run(raft_cluster, c);
#endif
#if SYNOD_DEMO_PAXOS
    demo::paxos_demo::run(paxos_cluster, c);
#endif
#ifdef SYNOD_DEMO_PLANTED_FAILURE
    c.check(false, "a planted failure (negative control: the exit status must say so)");
#endif
    if (c.failures() != 0) {
        c.say("checks failed: ", static_cast<std::uint64_t>(c.failures()));
        return 1;
    }
    c.say("all checks held");
    return 0;
}
