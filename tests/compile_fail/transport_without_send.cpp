// A transport policy with a misspelt member is rejected with a message that names send().
// expect: the transport policy has no `void send\(node_id to, const Message& m\)`
#include "support/archetypes.hpp"

struct bad_transport {
    void post(synod::node_id, const synod::test::archetype_message&) {}
};
static_assert(synod::check_transport<bad_transport, synod::test::archetype_message>::value);
int main() {}
