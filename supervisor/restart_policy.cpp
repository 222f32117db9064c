// Restart backoff (DESIGN.md "Workers: life and death").
#include "supervisor/restart_policy.h"

#include <algorithm>

namespace supervisor {

std::int64_t RestartPolicy::on_death(bool start_failure) {
    if (!start_failure) return 0;
    ++start_failures_;
    if (start_failures_ == 1) return 0;  // the first failure is retried at once
    const unsigned doublings = std::min(start_failures_ - 2, 20u);
    return std::min(kInitialDelayUs << doublings, kMaxDelayUs);
}

}  // namespace supervisor
