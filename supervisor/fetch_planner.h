// How many tasks the node should hold queued or on their way, so that a worker
// that finishes finds the next task waiting: one for each idle worker, plus the
// busy workers that will be free before a fetch sent now could bring a task back.
// That second number is estimated two ways, and the larger is taken: on average
// (the pool's bandwidth-delay product, workers x round trip / task time, at least
// one), and worker by worker (those whose task has run so long that it is due to
// end within the look-ahead), which also sees workers that finish together, as a
// pool started at once does. Capped so that tasks never wait in the queue longer
// than a share of their deadline. Pure logic over measurements (docs/fetching.md).
#pragma once

#include <cstdint>
#include <vector>

namespace supervisor {

class FetchPlanner {
public:
    static constexpr double kSmoothing = 0.2;       // weight of the newest measurement
    static constexpr double kDeadlineShare = 0.25;  // of a task's deadline that it may spend queued
    // A worker is due when its task should end within this many round trips (one for
    // the fetch, one for the jitter of round trips and task times) ...
    static constexpr double kLookAheadRoundTrips = 2;
    // ... plus the time to the core's next turn at the latest (Node::kTickUs): one
    // due before that turn must be fetched for now.
    static constexpr double kLookAheadTurnS = 0.1;

    void on_round_trip(double seconds);
    void on_task_time(double seconds);

    // Tasks wanted queued or in flight with `workers` in the pool, `idle` of them
    // idle, and the busy ones on their task for `busy_s` seconds each.
    unsigned target(unsigned workers, unsigned idle, const std::vector<double>& busy_s = {}) const;
    // The most tasks that may wait queued, with tasks whose deadline is `deadline_s`.
    unsigned deadline_cap(unsigned workers, double deadline_s) const;
    // Busy workers whose task should end within the look-ahead (0 until measured).
    unsigned due(const std::vector<double>& busy_s) const;

    double round_trip_s() const { return round_trip_s_; }
    double task_time_s() const { return task_time_s_; }

private:
    double round_trip_s_ = 0;  // 0: not measured yet
    double task_time_s_ = 0;
};

}  // namespace supervisor
