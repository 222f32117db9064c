// How many proofs of a task fit in the memory budget now.
#include "supervisor/admission.h"

#include <algorithm>

namespace supervisor {

std::uint64_t projected_memory(const MemoryModel& model, const std::vector<BusyLoad>& busy) {
    std::uint64_t total = 0;
    for (const auto& b : busy) total += b.concurrent * model.per_proof(b.program, b.difficulty);
    return total;
}

Admission admit(const MemoryModel& model, std::uint64_t budget, const std::vector<BusyLoad>& busy,
                const std::string& program, int difficulty, unsigned wanted, std::uint64_t held) {
    Admission a;
    wanted = std::max(1u, wanted);
    a.per_proof = std::max<std::uint64_t>(1, model.per_proof(program, difficulty));
    a.projected = projected_memory(model, busy) + held;
    const std::uint64_t room = budget > a.projected ? budget - a.projected : 0;
    const std::uint64_t fit = room / a.per_proof;
    if (fit == 0) {
        if (!busy.empty()) return a;  // wait: a busy worker will free memory
        a.threads = 1;
        a.over_budget = true;
        a.reduced = wanted > 1;
        return a;
    }
    a.threads = static_cast<unsigned>(std::min<std::uint64_t>(wanted, fit));
    a.reduced = a.threads < wanted;
    return a;
}

}  // namespace supervisor
