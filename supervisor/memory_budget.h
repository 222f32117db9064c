// The node's memory budget (DESIGN.md "Memory"): the cgroup's limit (v2
// memory.max, v1 memory.limit_in_bytes), else physical memory, less a reserve of
// 5% of it (32 MiB to 512 MiB) unless --memory-reserve says otherwise. Read once at
// start from /proc and the cgroup; admission within it is the core's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "supervisor/options.h"

namespace supervisor {

// What the node's memory is before the reserve: the cgroup's limit, else physical memory.
struct MachineMemory {
    std::uint64_t total = 0;
    const char* source = "";  // "cgroup limit", "physical memory", or "assumed" when neither is readable
};
MachineMemory probe_machine_memory();

// The reserve when --memory-reserve is not given: a twentieth of the total, at
// least 32 MiB and at most 512 MiB.
inline constexpr std::uint64_t kReserveDivisor = 20;
inline constexpr std::uint64_t kReserveMin = 32ull << 20;
inline constexpr std::uint64_t kReserveMax = 512ull << 20;
std::uint64_t default_memory_reserve(std::uint64_t total);
// The budget: the total less the reserve (half the total when the reserve is larger).
std::uint64_t memory_budget_of(std::uint64_t total, std::optional<std::uint64_t> reserve);

struct MemoryBudget {
    std::uint64_t bytes = 0;
    std::uint64_t limit = 0;  // before the reserve
    std::uint64_t reserve = 0;
    std::string source;       // "cgroup limit", "physical memory" or "assumed"
};
MemoryBudget read_memory_budget(const Options& options);

}  // namespace supervisor
