// A state machine without apply() is rejected with a message that names apply().
// expect: the state machine policy needs `void apply\(const entry<Payload>&\)`
#include "support/archetypes.hpp"

struct bad_state_machine {
    void execute(const synod::entry<synod::test::payload_archetype>&) {}
};
static_assert(synod::check_state_machine<bad_state_machine,
                                         synod::entry<synod::test::payload_archetype>>::value);
int main() {}
