// How soon a dead worker is replaced, and when to give up because workers cannot
// even start. As Gunicorn and supervisord do, only start-up failures back off (a
// worker that dies before its hello, or idle within a second of it: supervisord's
// startsecs): 100 ms doubling to 30 s. A worker that dies after it started, say
// killed mid-task by someone else or by the OOM killer, is replaced at once,
// however often that happens. Pure logic.
#pragma once

#include <cstdint>

namespace supervisor {

class RestartPolicy {
public:
    static constexpr unsigned kMaxStartFailures = 5;
    static constexpr std::int64_t kInitialDelayUs = 100'000;
    static constexpr std::int64_t kMaxDelayUs = 30'000'000;

    // A worker died; returns the delay before its replacement is spawned.
    std::int64_t on_death(bool start_failure);
    // A worker has started (up for the start-up window past its hello): the
    // start-up failure streak ends. Not at the hello itself, or a worker that dies
    // right after it would end its own streak and never back off.
    void on_started() { start_failures_ = 0; }

    bool give_up() const { return start_failures_ >= kMaxStartFailures; }
    unsigned start_failures() const { return start_failures_; }

private:
    unsigned start_failures_ = 0;
};

}  // namespace supervisor
