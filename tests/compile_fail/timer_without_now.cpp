// A timer policy without now() is rejected with a message that names now() and arm().
// expect: the timer policy needs `time_point now\(\) const`
#include "support/archetypes.hpp"

struct bad_timer {
    void arm(synod::time_point) {}
};
static_assert(synod::check_timer<bad_timer>::value);
int main() {}
