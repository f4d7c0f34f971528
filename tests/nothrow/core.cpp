// Built with -fno-exceptions -fno-rtti: the core vocabulary and quorum systems work without
// either. Exits non-zero on the first failed check.
#include <cstdio>

#include "synod/synod.hpp"

#define CHECK(...)                                                          \
    do {                                                                    \
        if (!(__VA_ARGS__)) {                                               \
            std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,    \
                         __LINE__, #__VA_ARGS__);                           \
            return 1;                                                       \
        }                                                                   \
    } while (0)

int main() {
    using namespace synod;
    const node_set voters{1u, 2u, 3u, 4u, 5u};
    CHECK(majority{}.phase1(voters, node_set{1u, 2u, 3u}));
    CHECK(flexible{2, 3}.validate(voters).error() == errc::quorum_not_intersecting);
    CHECK(flexible{3, 3}.validate(voters).has_value());
    result<int> r{errc::not_leader};
    CHECK(!r);
    xoshiro256 rng{1};
    CHECK(uniform(rng, 3, 3) == 3u);
    std::puts("nothrow core: ok");
    return 0;
}
