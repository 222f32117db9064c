// Memory-aware admission (DESIGN.md "Memory"): a task starts only with as many
// concurrent proofs as the budget has room for, given what the busy workers are
// projected to use. Pure logic over the MemoryModel.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "supervisor/memory_model.h"

namespace supervisor {

struct BusyLoad {
    std::string program;
    int difficulty = 0;
    unsigned concurrent = 1;  // proofs running at once on that worker
};

struct Admission {
    unsigned threads = 0;          // 0: wait until memory frees up
    bool reduced = false;          // fewer than wanted, for memory
    bool over_budget = false;      // one proof alone exceeds the budget (admitted alone anyway)
    std::uint64_t per_proof = 0;
    std::uint64_t projected = 0;   // of the busy workers, before this task
};

std::uint64_t projected_memory(const MemoryModel& model, const std::vector<BusyLoad>& busy);

// `wanted`: the task's threads (already capped by --per-task-threads and its inputs).
// When nothing else is busy a task always starts, with one proof at least, so that
// a figure larger than the budget slows the node down instead of stopping it.
// `held`: memory idle workers hold besides (the Argon2 arenas a worker keeps
// between tasks), counted against the budget as well.
Admission admit(const MemoryModel& model, std::uint64_t budget, const std::vector<BusyLoad>& busy,
                const std::string& program, int difficulty, unsigned wanted, std::uint64_t held = 0);

}  // namespace supervisor
