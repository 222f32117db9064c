// How many workers the pool should have (DESIGN.md "Scaling"): up at once when
// tasks wait, CPU is below 90% and memory allows; down one idle worker at a time
// after three idle signals in a row and a cool-down. Pure logic over a Clock.
#pragma once

#include <cstdint>

#include "shared/clock.h"

namespace supervisor {

struct ScaleSignal {
    unsigned workers = 0;        // alive or starting
    unsigned idle_workers = 0;
    unsigned queued_tasks = 0;
    double cpu_busy = 0;         // host CPU in use, 0..1
    bool memory_allows = true;   // one more busy worker fits the budget
};

class Autoscaler {
public:
    static constexpr double kCpuCeiling = 0.9;
    static constexpr unsigned kIdleSignals = 3;

    Autoscaler(const shared::Clock& clock, unsigned min_workers, unsigned max_workers,
               std::int64_t cooldown_us = 30'000'000);

    // Called about once a second; returns the new target.
    unsigned decide(const ScaleSignal& signal);
    // SIGTTIN (+1) and SIGTTOU (-1): the operator moves the target, within MIN:MAX.
    unsigned nudge(int delta);

    unsigned target() const { return target_; }
    unsigned min() const { return min_; }
    unsigned max() const { return max_; }

private:
    const shared::Clock& clock_;
    unsigned min_;
    unsigned max_;
    std::int64_t cooldown_us_;
    unsigned target_;
    unsigned idle_streak_ = 0;
    std::int64_t last_change_us_;
};

}  // namespace supervisor
