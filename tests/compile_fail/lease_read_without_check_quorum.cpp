// Lease reads are only safe when followers refuse to elect another leader within the lease:
// asking for them without check-quorum does not compile.
// expect: features.lease_read needs features.check_quorum
#include "raft/fixture.hpp"

using bad = synod::test::raft_fixture<synod::raft::features{.read_index = true, .lease_read = true}>;
static_assert(sizeof(bad::node_type) > 0);
int main() {}
