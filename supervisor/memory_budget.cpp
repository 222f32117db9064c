// The memory budget, learned figures on disk, and admission.
#include "supervisor/memory_budget.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>

#include "shared/cgroup.h"

namespace supervisor {

MemoryBudget::MemoryBudget(const Options& options, const shared::Clock& clock)
    : options_(options), clock_(clock), model_(options.memory_per_proof), file_(options.state_dir / "memory.json") {}

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

void MemoryBudget::start() {
    const MachineMemory machine = probe_machine_memory();
    const std::uint64_t reserve = options_.memory_reserve.value_or(default_memory_reserve(machine.total));
    budget_ = memory_budget_of(machine.total, reserve);
    spdlog::info("memory: budget {} ({} {} less reserve {}), {} per proof until learned", format_mib(budget_),
                 machine.source, format_mib(machine.total), format_mib(reserve), format_mib(options_.memory_per_proof));
    if (auto loaded = model_.load(file_); !loaded) {
        std::error_code ec;
        std::filesystem::rename(file_, file_.string() + ".corrupt", ec);
        spdlog::warn("{}; moved aside, learning memory figures afresh", loaded.error());
    }
}

MemoryGuardConfig MemoryBudget::guard_config() const {
    return MemoryGuardConfig{options_.max_worker_memory, budget_};
}

Admission MemoryBudget::admit_task(const std::vector<BusyLoad>& busy, const std::string& program, int difficulty,
                                   unsigned wanted) {
    const Admission admission = admit(model_, budget_, busy, program, difficulty, wanted);
    if (admission.reduced && told_reduced_.insert(program + "/" + std::to_string(difficulty)).second) {
        spdlog::warn("memory: {} threads for {} at difficulty {} need {} each, the budget {} has room for {} now; "
                     "using {} (said once)",
                     wanted, program, difficulty, format_mib(admission.per_proof), format_mib(budget_),
                     admission.threads, admission.threads);
    }
    return admission;
}

void MemoryBudget::observe(const std::string& program, int difficulty, std::uint64_t peak_rss, unsigned concurrent) {
    model_.observe(program, difficulty, peak_rss, concurrent);
    dirty_ = true;
}

void MemoryBudget::oom_killed(const std::string& program, int difficulty, std::uint64_t rss, unsigned concurrent) {
    const std::uint64_t seen = rss / std::max(1u, concurrent);
    const std::uint64_t now = model_.per_proof(program, difficulty);
    model_.raise_after_oom(program, difficulty, std::max(seen, now + now / 2));
    dirty_ = true;
    save(true);
}

// The file is small, but its write ends in fsyncs on the loop: only when something
// was learned, and at most every 10 s unless an OOM kill makes it urgent.
void MemoryBudget::save(bool force) {
    const std::int64_t now = clock_.now_us();
    if (!dirty_ || (!force && now - saved_us_ < 10'000'000)) return;
    saved_us_ = now;
    dirty_ = false;
    if (auto saved = model_.save(file_); !saved) spdlog::warn("{}", saved.error());
}

}  // namespace supervisor
