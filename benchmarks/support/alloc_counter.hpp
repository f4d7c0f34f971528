#ifndef SYNOD_BENCHMARKS_SUPPORT_ALLOC_COUNTER_HPP
#define SYNOD_BENCHMARKS_SUPPORT_ALLOC_COUNTER_HPP

// Counts heap allocations made by the whole program: alloc_counter.cpp replaces the global
// operator new and delete of the benchmark binaries that link it. The benchmarks read the count
// before and after the code they time and report allocations per operation.

#include <cstdint>

namespace synod::bench {

/// Every call to a replaced operator new (any form) since the program started.
std::uint64_t allocations() noexcept;

}  // namespace synod::bench

#endif
