// Which difficulty to ask the orchestrator for. Fixed by --max-difficulty, or
// adaptive: start at SMALL_MEDIUM, promote one level after a task at the asked
// level finishes well under its deadline, demote after an OOM kill or a timeout
// (the reference client never demotes), and remember what the server assigned.
#pragma once

#include <optional>

#include "shared/codec.h"

namespace supervisor {

class DifficultyPolicy {
public:
    static constexpr double kWellUnder = 0.25;  // of the deadline

    explicit DifficultyPolicy(std::optional<shared::Difficulty> fixed,
                              shared::Difficulty start = shared::Difficulty::SmallMedium);

    shared::Difficulty requested() const { return requested_; }
    bool adaptive() const { return !fixed_; }
    std::optional<shared::Difficulty> last_assigned() const { return last_assigned_; }

    void on_assigned(int wire_difficulty);
    // A task finished: promote when it ran at the asked level in under a quarter of its deadline.
    void on_finished(int wire_difficulty, double seconds, double deadline_seconds);
    // An OOM kill or a timeout at this level: ask for one level less than it.
    void on_too_hard(int wire_difficulty);

private:
    std::optional<shared::Difficulty> fixed_;
    shared::Difficulty requested_;
    std::optional<shared::Difficulty> last_assigned_;
};

}  // namespace supervisor
