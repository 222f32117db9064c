// The sliding window of finished proofs.
#include "supervisor/proof_rate.h"

#include <algorithm>

namespace supervisor {

namespace {
constexpr std::int64_t kSlicesPerWindow = 600;  // 100 ms slices in a minute
constexpr std::int64_t kMinSpanUs = 1'000'000;
}  // namespace

ProofRate::ProofRate(const shared::Clock& clock, std::int64_t window_us)
    : clock_(clock), window_us_(std::max<std::int64_t>(window_us, 1)), started_us_(clock.now_us()) {}

void ProofRate::add(std::uint64_t proofs) {
    if (proofs == 0) return;
    const std::int64_t now = clock_.now_us();
    forget_old(now);
    if (!added_.empty() && now - added_.back().first < window_us_ / kSlicesPerWindow) {
        added_.back().second += proofs;
    } else {
        added_.emplace_back(now, proofs);
    }
    in_window_ += proofs;
}

double ProofRate::per_minute() const {
    const std::int64_t now = clock_.now_us();
    forget_old(now);
    const std::int64_t span = std::max(std::min(window_us_, now - started_us_), kMinSpanUs);
    return static_cast<double>(in_window_) * 60e6 / static_cast<double>(span);
}

void ProofRate::forget_old(std::int64_t now_us) const {
    while (!added_.empty() && added_.front().first <= now_us - window_us_) {
        in_window_ -= added_.front().second;
        added_.pop_front();
    }
}

}  // namespace supervisor
