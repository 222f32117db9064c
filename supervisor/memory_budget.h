// The node's memory: the budget (the cgroup's limit, else physical memory, less a
// reserve), the learned memory per proof kept in STATE/memory.json, and the
// admission of tasks within them. It reads /proc, the cgroup and the state file;
// the decisions are MemoryModel's and admit()'s.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "shared/clock.h"
#include "supervisor/admission.h"
#include "supervisor/memory_guard.h"
#include "supervisor/memory_model.h"
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

class MemoryBudget {
public:
    MemoryBudget(const Options& options, const shared::Clock& clock);

    // Reads the limit and the learned figures (a corrupt file is moved aside and logged).
    void start();
    std::uint64_t budget() const { return budget_; }
    MemoryGuardConfig guard_config() const;

    // How many proofs of this task may start now; says once per (program, difficulty)
    // when fewer than wanted fit.
    Admission admit_task(const std::vector<BusyLoad>& busy, const std::string& program, int difficulty,
                         unsigned wanted);
    std::uint64_t projected(const std::vector<BusyLoad>& busy) const { return projected_memory(model_, busy); }

    void observe(const std::string& program, int difficulty, std::uint64_t peak_rss, unsigned concurrent);
    // An OOM kill says each of the task's proofs needed more than we thought: at
    // least its share of what the worker held when last seen, and half as much again.
    void oom_killed(const std::string& program, int difficulty, std::uint64_t rss, unsigned concurrent);
    // Writes what was learned since the last save, at most every 10 s, or now when forced.
    void save(bool force);

private:
    const Options& options_;
    const shared::Clock& clock_;
    MemoryModel model_;
    std::uint64_t budget_ = 0;
    std::filesystem::path file_;
    std::int64_t saved_us_ = 0;
    bool dirty_ = false;  // learned something not yet on disk
    std::set<std::string> told_reduced_;
};

}  // namespace supervisor
