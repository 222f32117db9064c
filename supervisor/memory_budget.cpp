// Reading the memory budget.
#include "supervisor/memory_budget.h"

#include <algorithm>
#include <optional>

#include "shared/cgroup.h"

namespace supervisor {

std::uint64_t default_memory_reserve(std::uint64_t limit) {
    return std::clamp<std::uint64_t>(limit / 20, 32ull << 20, 512ull << 20);
}

MemoryBudget read_memory_budget(const Options& options) {
    MemoryBudget budget;
    const auto cgroup = shared::find_memory_cgroup();
    std::optional<std::uint64_t> limit = cgroup ? shared::read_memory_limit(*cgroup) : std::nullopt;
    budget.source = "cgroup limit";
    if (!limit) {
        limit = shared::read_mem_total();
        budget.source = "physical memory";
    }
    budget.limit = limit.value_or(4ull << 30);
    budget.reserve = options.memory_reserve.value_or(default_memory_reserve(budget.limit));
    budget.bytes = budget.limit > budget.reserve ? budget.limit - budget.reserve : budget.limit / 2;
    return budget;
}

}  // namespace supervisor
