// A quorum system that cannot compute the committed index is rejected.
// expect: the quorum system needs validate\(voters\), phase1
#include "support/archetypes.hpp"

struct bad_quorum {
    synod::result<void> validate(const synod::node_set&) const { return {}; }
    bool phase1(const synod::node_set&, const synod::node_set&) const { return true; }
    bool phase2(const synod::node_set&, const synod::node_set&) const { return true; }
};
static_assert(synod::check_quorum_system<bad_quorum>::value);
int main() {}
