// Reading the memory budget.
#include "supervisor/memory_budget.h"

#include <algorithm>

#include "shared/cgroup.h"

namespace supervisor {

MachineMemory probe_machine_memory() {
    const auto cgroup = shared::find_memory_cgroup();
    if (auto limit = cgroup ? shared::read_memory_limit(*cgroup) : std::nullopt) return {*limit, "cgroup limit"};
    if (auto physical = shared::read_mem_total()) return {*physical, "physical memory"};
    return {4ull << 30, "assumed"};
}

std::uint64_t default_memory_reserve(std::uint64_t total) {
    return std::clamp<std::uint64_t>(total / kReserveDivisor, kReserveMin, kReserveMax);
}

std::uint64_t memory_budget_of(std::uint64_t total, std::optional<std::uint64_t> reserve) {
    const std::uint64_t kept = reserve.value_or(default_memory_reserve(total));
    return total > kept ? total - kept : total / 2;
}

MemoryBudget read_memory_budget(const Options& options) {
    const MachineMemory machine = probe_machine_memory();
    MemoryBudget budget;
    budget.limit = machine.total;
    budget.source = machine.source;
    budget.reserve = options.memory_reserve.value_or(default_memory_reserve(machine.total));
    budget.bytes = memory_budget_of(machine.total, budget.reserve);
    return budget;
}

}  // namespace supervisor
