// Raft storage without append() is rejected with the list of what raft_log_storage needs.
// expect: the Raft storage policy does not model raft_log_storage
#include "support/archetypes.hpp"

struct bad_storage {
    synod::write_id durable() const { return synod::write_id{}; }
    synod::hard_state hard_state() const { return {}; }
    synod::log_index first_index() const { return synod::log_index{1}; }
    synod::log_index last_index() const { return synod::log_index{}; }
    synod::term_t term_at(synod::log_index) const { return synod::term_t{}; }
};
static_assert(synod::check_raft_log_storage<bad_storage, synod::test::payload_archetype>::value);
int main() {}
