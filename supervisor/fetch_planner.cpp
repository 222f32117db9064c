// The fetch-ahead target from the measured round trip and task times.
#include "supervisor/fetch_planner.h"

#include <algorithm>
#include <cmath>

namespace supervisor {

namespace {
double smooth(double old, double sample, double weight) { return old == 0 ? sample : old + weight * (sample - old); }
constexpr double kMaxTarget = 4096;
}  // namespace

void FetchPlanner::on_round_trip(double seconds) {
    if (seconds >= 0) round_trip_s_ = smooth(round_trip_s_, seconds, kSmoothing);
}

void FetchPlanner::on_task_time(double seconds) {
    if (seconds >= 0) task_time_s_ = smooth(task_time_s_, std::max(seconds, 1e-4), kSmoothing);
}

unsigned FetchPlanner::due(const std::vector<double>& busy_s) const {
    if (round_trip_s_ <= 0 || task_time_s_ <= 0) return 0;
    const double horizon = kLookAheadRoundTrips * round_trip_s_ + kLookAheadTurnS;
    return static_cast<unsigned>(
        std::count_if(busy_s.begin(), busy_s.end(), [&](double s) { return task_time_s_ - s <= horizon; }));
}

unsigned FetchPlanner::target(unsigned workers, unsigned idle, const std::vector<double>& busy_s) const {
    double ahead = 1;  // until measured: one waiting beside the idle workers' own
    if (round_trip_s_ > 0 && task_time_s_ > 0) ahead = std::max(1.0, std::ceil(workers * round_trip_s_ / task_time_s_));
    ahead = std::max<double>(ahead, due(busy_s));
    return static_cast<unsigned>(std::min(kMaxTarget, idle + ahead));
}

unsigned FetchPlanner::deadline_cap(unsigned workers, double deadline_s) const {
    if (task_time_s_ <= 0) return static_cast<unsigned>(kMaxTarget);
    const double cap = std::floor(std::max(1u, workers) * kDeadlineShare * deadline_s / task_time_s_);
    return static_cast<unsigned>(std::clamp(cap, 1.0, kMaxTarget));
}

}  // namespace supervisor
