// Proofs per minute over a sliding window, for the live view. Pure logic on a Clock.
#pragma once

#include <cstdint>
#include <deque>
#include <utility>

#include "shared/clock.h"

namespace supervisor {

class ProofRate {
public:
    static constexpr std::int64_t kWindowUs = 60'000'000;

    explicit ProofRate(const shared::Clock& clock, std::int64_t window_us = kWindowUs);

    // `proofs` finished now (0 is allowed and changes nothing).
    void add(std::uint64_t proofs);
    // Proofs per minute over the last window; a node younger than the window is
    // judged on its life so far (at least one second of it), so the rate reads
    // true from the first proof instead of climbing for a minute.
    double per_minute() const;

private:
    void forget_old(std::int64_t now_us) const;

    const shared::Clock& clock_;
    std::int64_t window_us_;
    std::int64_t started_us_;
    // (time, proofs), oldest first; adds closer together than a slice share one
    // entry, so the deque stays short however many proofs a second finish.
    mutable std::deque<std::pair<std::int64_t, std::uint64_t>> added_;
    mutable std::uint64_t in_window_ = 0;
};

}  // namespace supervisor
