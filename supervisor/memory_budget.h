// The node's memory budget (DESIGN.md "Memory"): the cgroup's limit (v2
// memory.max, v1 memory.limit_in_bytes), else physical memory, less a reserve of
// 5% of it (32 MiB to 512 MiB) unless --memory-reserve says otherwise. Read once at
// start from /proc and the cgroup; admission within it is the core's.
#pragma once

#include <cstdint>
#include <string>

#include "supervisor/options.h"

namespace supervisor {

struct MemoryBudget {
    std::uint64_t bytes = 0;
    std::uint64_t limit = 0;    // before the reserve
    std::uint64_t reserve = 0;
    std::string source;         // "cgroup limit" or "physical memory"
};

MemoryBudget read_memory_budget(const Options& options);
// The reserve kept out of a limit when --memory-reserve is not given.
std::uint64_t default_memory_reserve(std::uint64_t limit);

}  // namespace supervisor
