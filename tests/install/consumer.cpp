// A program outside the synod tree that uses the installed (or add_subdirectory'd) headers.
#include <synod/synod.hpp>

int main() {
    synod::node_set voters{1u, 2u, 3u};
    const synod::majority q;
    const synod::log_index match[] = {synod::log_index{7}, synod::log_index{5},
                                      synod::log_index{2}};
    const auto committed =
        q.committed(voters, [&](synod::node_id n) { return match[n.value - 1]; });
    return committed == synod::log_index{5} ? 0 : 1;
}
