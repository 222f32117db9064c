// Unit tests for the fetch-ahead target: the average bandwidth-delay product, the
// workers due to finish, and the deadline's cap.
#include <doctest.h>

#include <vector>

#include "supervisor/fetch_planner.h"

using supervisor::FetchPlanner;

namespace {

FetchPlanner measured(double round_trip_s, double task_s) {
    FetchPlanner planner;
    planner.on_round_trip(round_trip_s);
    planner.on_task_time(task_s);
    return planner;
}

}  // namespace

TEST_CASE("until measured: one task for each idle worker and one waiting") {
    FetchPlanner planner;
    CHECK(planner.target(8, 8) == 9);
    CHECK(planner.target(8, 0, {0.5, 0.5, 0.5}) == 1);  // nothing is due before task times are known
    CHECK(planner.due({10.0}) == 0);
    planner.on_round_trip(0.04);
    CHECK(planner.target(8, 2) == 3);  // a round trip alone is not enough
}

TEST_CASE("on average: workers x round trip / task time, at least one") {
    CHECK(measured(0.04, 0.2).target(64, 0) == 13);    // 12.8 rounded up
    CHECK(measured(0.04, 0.2).target(64, 10) == 23);   // and one for each idle worker
    CHECK(measured(0.001, 10).target(2, 0) == 1);      // short round trip, long tasks
    CHECK(measured(0.04, 0.0001).target(16, 0) == 4096);  // capped
}

TEST_CASE("worker by worker: those whose task ends within two round trips and a turn") {
    const FetchPlanner planner = measured(0.04, 1.0);  // look-ahead 0.18 s
    CHECK(planner.due({0.1, 0.5, 0.81, 0.83, 1.5}) == 2);  // 0.81 s in is 0.19 s from the end: not yet
    // A pool started at once finishes at once: all of it is due, beyond the average's 1.
    const std::vector<double> wave(8, 0.9);
    CHECK(planner.target(8, 0, wave) == 8);
    CHECK(planner.target(8, 0, std::vector<double>(8, 0.2)) == 1);  // mid-task: the average's 1
}

TEST_CASE("the larger estimate wins, and idle workers come on top") {
    const FetchPlanner planner = measured(0.04, 0.2);  // average 13 for 64 workers, look-ahead 0.18 s
    CHECK(planner.target(64, 4, std::vector<double>(60, 0.01)) == 4 + 13);  // none due: the average
    CHECK(planner.target(64, 4, std::vector<double>(60, 0.1)) == 4 + 60);   // all due
}

TEST_CASE("measurements are smoothed, and a negative one is ignored") {
    FetchPlanner planner;
    planner.on_round_trip(0.1);
    planner.on_round_trip(0.2);
    CHECK(planner.round_trip_s() == doctest::Approx(0.1 + FetchPlanner::kSmoothing * 0.1));
    planner.on_round_trip(-1);
    CHECK(planner.round_trip_s() == doctest::Approx(0.12));
    planner.on_task_time(0);  // a task that took no time at all still counts as a tiny one
    CHECK(planner.task_time_s() > 0);
}

TEST_CASE("the deadline caps what may wait: a share of it, spread over the pool") {
    CHECK(measured(0.04, 1.0).deadline_cap(8, 4) == 8);     // 8 x 0.25 x 4 s / 1 s
    CHECK(measured(0.04, 10.0).deadline_cap(1, 4) == 1);    // at least one
    CHECK(FetchPlanner().deadline_cap(8, 4) == 4096);       // no task time yet: no cap
}
