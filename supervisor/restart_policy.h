// How soon a dead worker is replaced: at once, then with backoff when deaths
// repeat (100 ms doubling to 30 s); and when to give up because workers cannot
// even start. Pure logic over a Clock.
#pragma once

#include <cstdint>

#include "shared/clock.h"

namespace supervisor {

class RestartPolicy {
public:
    static constexpr unsigned kMaxStartFailures = 5;
    static constexpr std::int64_t kInitialDelayUs = 100'000;
    static constexpr std::int64_t kMaxDelayUs = 30'000'000;
    static constexpr std::int64_t kStableUs = 30'000'000;  // alive this long: deaths no longer "repeat"

    explicit RestartPolicy(const shared::Clock& clock) : clock_(clock) {}

    // A worker died. `before_hello`: it never said hello (a start-up failure).
    // Returns the delay before its replacement is spawned.
    std::int64_t on_death(bool before_hello, std::int64_t lived_us);
    // A worker said hello: the start-up failure streak ends.
    void on_hello() { start_failures_ = 0; }
    // A worker finished a task: the pool is healthy again.
    void on_progress() { deaths_in_a_row_ = 0; }

    bool give_up() const { return start_failures_ >= kMaxStartFailures; }
    unsigned start_failures() const { return start_failures_; }

private:
    const shared::Clock& clock_;
    unsigned deaths_in_a_row_ = 0;
    unsigned start_failures_ = 0;
};

}  // namespace supervisor
