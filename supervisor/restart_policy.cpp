// Restart backoff (DESIGN.md "Workers: life and death").
#include "supervisor/restart_policy.h"

#include <algorithm>

namespace supervisor {

std::int64_t RestartPolicy::on_death(bool before_hello, std::int64_t lived_us) {
    (void)clock_;
    if (before_hello) ++start_failures_;
    if (lived_us >= kStableUs && !before_hello) deaths_in_a_row_ = 0;
    ++deaths_in_a_row_;
    if (deaths_in_a_row_ == 1) return 0;  // the first death is replaced at once
    const unsigned doublings = std::min(deaths_in_a_row_ - 2, 20u);
    return std::min(kInitialDelayUs << doublings, kMaxDelayUs);
}

}  // namespace supervisor
