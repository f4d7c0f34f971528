// A random policy that yields 32-bit words is rejected: cores need 64 bits per draw.
// expect: the random policy needs `std::uint64_t operator\(\)\(\)`
#include <cstdint>
#include "support/archetypes.hpp"

struct bad_random {
    std::uint32_t operator()() { return 4; }
};
static_assert(synod::check_random_source<bad_random>::value);
int main() {}
