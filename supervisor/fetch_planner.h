// How many tasks the node should hold queued or on their way, so that a worker
// that finishes finds the next task waiting (the bandwidth-delay product of the
// pool): one for each idle worker, plus the workers that free up during one fetch
// round trip (at least one). Capped so that tasks never wait in the queue longer than
// a share of their deadline. Pure logic over measurements (DESIGN.md "Fetching").
#pragma once

#include <cstdint>

namespace supervisor {

class FetchPlanner {
public:
    static constexpr double kSmoothing = 0.2;       // weight of the newest measurement
    static constexpr double kDeadlineShare = 0.25;  // of a task's deadline that it may spend queued

    void on_round_trip(double seconds);
    void on_task_time(double seconds);

    // Tasks wanted queued or in flight with `workers` in the pool, `idle` of them idle.
    unsigned target(unsigned workers, unsigned idle) const;
    // The most tasks that may wait queued, with tasks whose deadline is `deadline_s`.
    unsigned deadline_cap(unsigned workers, double deadline_s) const;

    double round_trip_s() const { return round_trip_s_; }
    double task_time_s() const { return task_time_s_; }

private:
    double round_trip_s_ = 0;  // 0: not measured yet
    double task_time_s_ = 0;
};

}  // namespace supervisor
