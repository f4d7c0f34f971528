#ifndef SYNOD_CONFIG_HPP
#define SYNOD_CONFIG_HPP

/// \file
/// Library-wide compile-time limits. Override from the build (e.g. -DSYNOD_MAX_NODES=5 on a
/// microcontroller) for the whole program.

#include <cstddef>

#ifndef SYNOD_MAX_NODES
/// The largest number of nodes (voters plus learners, in either half of a joint configuration)
/// that one configuration can name. Fixed-capacity per-peer state is sized from it.
#define SYNOD_MAX_NODES 16
#endif

namespace synod {
inline constexpr std::size_t max_nodes = SYNOD_MAX_NODES;
static_assert(max_nodes >= 1 && max_nodes <= 255, "SYNOD_MAX_NODES must be in 1..255");
}  // namespace synod

#endif
