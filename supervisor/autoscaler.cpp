// Scaling decisions: fast up, slow down, never below MIN or above MAX.
#include "supervisor/autoscaler.h"

#include <algorithm>

namespace supervisor {

Autoscaler::Autoscaler(const shared::Clock& clock, unsigned min_workers, unsigned max_workers, std::int64_t cooldown_us)
    : clock_(clock),
      min_(min_workers),
      max_(std::max(min_workers, max_workers)),
      cooldown_us_(cooldown_us),
      target_(min_workers),
      last_change_us_(clock.now_us()) {}

unsigned Autoscaler::decide(const ScaleSignal& s) {
    const std::int64_t now = clock_.now_us();
    const bool waiting = s.queued_tasks > 0 && s.idle_workers == 0;
    if (waiting) {
        idle_streak_ = 0;
        // Up at once, by one per decision: each new worker is measured before the next.
        if (target_ < max_ && s.workers >= target_ && s.cpu_busy < kCpuCeiling && s.memory_allows) {
            ++target_;
            last_change_us_ = now;
        }
        return target_;
    }
    const bool idle = s.idle_workers > 0 && s.queued_tasks == 0;
    idle_streak_ = idle ? idle_streak_ + 1 : 0;
    if (idle_streak_ >= kIdleSignals && target_ > min_ && now - last_change_us_ >= cooldown_us_) {
        --target_;  // one idle worker at a time
        idle_streak_ = 0;
        last_change_us_ = now;
    }
    return target_;
}

unsigned Autoscaler::nudge(int delta) {
    const long wanted = static_cast<long>(target_) + delta;
    target_ = static_cast<unsigned>(std::clamp<long>(wanted, min_, max_));
    last_change_us_ = clock_.now_us();
    idle_streak_ = 0;
    return target_;
}

}  // namespace supervisor
