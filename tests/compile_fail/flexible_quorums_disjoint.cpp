// Flexible Paxos with Q1 + Q2 <= N could choose two values: it must not compile.
// expect: phase-1 and phase-2 quorums do not intersect
#include "synod/core/quorum.hpp"

int main() {
    synod::flexible_static<2, 3, 5> q;  // 2 + 3 = 5: a phase-1 and a phase-2 quorum may miss
    (void)q;
}
