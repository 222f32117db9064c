// Unit tests for the autoscaler: fast up, slow down, within MIN:MAX, with a fake clock.
#include <doctest.h>

#include <cstdint>

#include "shared/clock.h"
#include "supervisor/autoscaler.h"

using supervisor::Autoscaler;
using supervisor::ScaleSignal;

namespace {

constexpr std::int64_t kCooldownUs = 10'000'000;

// Tasks wait and every worker is busy: the pool is short of workers.
ScaleSignal waiting(unsigned workers, double cpu = 0.5, bool memory_allows = true) {
    ScaleSignal s;
    s.workers = workers;
    s.idle_workers = 0;
    s.queued_tasks = 5;
    s.cpu_busy = cpu;
    s.memory_allows = memory_allows;
    return s;
}

// Nothing waits and some workers are idle.
ScaleSignal idle(unsigned workers, unsigned idle_workers = 1) {
    ScaleSignal s;
    s.workers = workers;
    s.idle_workers = idle_workers;
    s.queued_tasks = 0;
    s.cpu_busy = 0.1;
    return s;
}

// Every worker is busy and nothing waits: neither up nor down.
ScaleSignal steady(unsigned workers) {
    ScaleSignal s;
    s.workers = workers;
    s.idle_workers = 0;
    s.queued_tasks = 0;
    s.cpu_busy = 0.5;
    return s;
}

}  // namespace

TEST_CASE("starts at MIN") {
    shared::FakeClock clock;
    Autoscaler a(clock, 2, 5, kCooldownUs);
    CHECK(a.target() == 2);
    CHECK(a.min() == 2);
    CHECK(a.max() == 5);
}

TEST_CASE("scales up at once, one step per decision, while tasks wait and nothing is idle") {
    shared::FakeClock clock;
    Autoscaler a(clock, 1, 4, kCooldownUs);
    // No cool-down applies upwards: the very first decision after start goes up.
    CHECK(a.decide(waiting(1)) == 2);
    CHECK(a.target() == 2);
    CHECK(a.decide(waiting(2)) == 3);
    CHECK(a.decide(waiting(3)) == 4);
}

TEST_CASE("never scales above MAX") {
    shared::FakeClock clock;
    Autoscaler a(clock, 1, 3, kCooldownUs);
    for (unsigned i = 0; i < 20; ++i) {
        clock.advance_s(1);
        const unsigned target = a.decide(waiting(a.target()));
        CHECK(target <= 3);
    }
    CHECK(a.target() == 3);
}

TEST_CASE("waits for the new worker before the next step up") {
    shared::FakeClock clock;
    Autoscaler a(clock, 1, 4, kCooldownUs);
    CHECK(a.decide(waiting(1)) == 2);
    // The second worker is still starting: only one alive, so no further step.
    CHECK(a.decide(waiting(1)) == 2);
    CHECK(a.decide(waiting(2)) == 3);
}

TEST_CASE("no scale up when the CPU is at or above 90%") {
    shared::FakeClock clock;
    Autoscaler a(clock, 1, 4, kCooldownUs);
    CHECK(a.decide(waiting(1, 0.9)) == 1);
    CHECK(a.decide(waiting(1, 0.95)) == 1);
    CHECK(a.decide(waiting(1, 1.0)) == 1);
    CHECK(a.decide(waiting(1, 0.89)) == 2);
}

TEST_CASE("no scale up when memory does not allow another busy worker") {
    shared::FakeClock clock;
    Autoscaler a(clock, 1, 4, kCooldownUs);
    for (int i = 0; i < 5; ++i) CHECK(a.decide(waiting(1, 0.1, false)) == 1);
    CHECK(a.decide(waiting(1, 0.1, true)) == 2);
}

TEST_CASE("no scale up when a worker is idle or nothing waits") {
    shared::FakeClock clock;
    Autoscaler a(clock, 1, 4, kCooldownUs);
    ScaleSignal s = waiting(1);
    s.idle_workers = 1;
    CHECK(a.decide(s) == 1);
    CHECK(a.decide(steady(1)) == 1);
}

TEST_CASE("scales down only after three idle signals in a row and the cool-down") {
    shared::FakeClock clock;
    Autoscaler a(clock, 1, 4, kCooldownUs);
    a.decide(waiting(1));
    a.decide(waiting(2));
    a.decide(waiting(3));
    REQUIRE(a.target() == 4);

    SUBCASE("two idle signals are not enough, even long after the cool-down") {
        clock.advance_us(kCooldownUs * 5);
        CHECK(a.decide(idle(4)) == 4);
        CHECK(a.decide(idle(4)) == 4);
        CHECK(a.decide(idle(4)) == 3);
    }
    SUBCASE("three idle signals inside the cool-down are not enough") {
        clock.advance_us(kCooldownUs - 3'000'000);
        CHECK(a.decide(idle(4)) == 4);
        clock.advance_s(1);
        CHECK(a.decide(idle(4)) == 4);
        clock.advance_s(1);
        CHECK(a.decide(idle(4)) == 4);  // third idle signal, cool-down not yet over
        clock.advance_s(0.5);
        CHECK(a.decide(idle(4)) == 4);
        clock.advance_s(0.5);            // exactly the cool-down since the last step up
        CHECK(a.decide(idle(4)) == 3);
    }
}

TEST_CASE("scales down one step at a time, each after its own idle streak and cool-down, never below MIN") {
    shared::FakeClock clock;
    Autoscaler a(clock, 2, 5, kCooldownUs);
    a.decide(waiting(2));
    a.decide(waiting(3));
    a.decide(waiting(4));
    REQUIRE(a.target() == 5);
    clock.advance_us(kCooldownUs);

    for (int i = 0; i < 2; ++i) CHECK(a.decide(idle(5, 3)) == 5);
    CHECK(a.decide(idle(5, 3)) == 4);  // one step, although three are idle
    // The streak starts over and the cool-down runs from this step.
    for (int i = 0; i < 5; ++i) {
        clock.advance_s(1);
        CHECK(a.decide(idle(4, 2)) == 4);
    }
    clock.advance_us(kCooldownUs);
    CHECK(a.decide(idle(4, 2)) == 3);
    clock.advance_us(kCooldownUs);
    CHECK(a.decide(idle(3, 1)) == 3);
    CHECK(a.decide(idle(3, 1)) == 3);
    CHECK(a.decide(idle(3, 1)) == 2);
    // At MIN: idle forever, no further step.
    for (int i = 0; i < 20; ++i) {
        clock.advance_us(kCooldownUs);
        CHECK(a.decide(idle(2, 2)) == 2);
    }
}

TEST_CASE("a non-idle signal resets the idle streak") {
    shared::FakeClock clock;
    Autoscaler a(clock, 1, 3, kCooldownUs);
    a.decide(waiting(1));
    a.decide(waiting(2));
    REQUIRE(a.target() == 3);
    clock.advance_us(kCooldownUs * 2);

    SUBCASE("all busy, nothing waiting") {
        CHECK(a.decide(idle(3)) == 3);
        CHECK(a.decide(idle(3)) == 3);
        CHECK(a.decide(steady(3)) == 3);
    }
    SUBCASE("tasks waiting (CPU too high to scale up)") {
        CHECK(a.decide(idle(3)) == 3);
        CHECK(a.decide(idle(3)) == 3);
        CHECK(a.decide(waiting(3, 0.99)) == 3);
    }
    SUBCASE("tasks queued while a worker is idle") {
        CHECK(a.decide(idle(3)) == 3);
        CHECK(a.decide(idle(3)) == 3);
        ScaleSignal s = idle(3);
        s.queued_tasks = 2;
        CHECK(a.decide(s) == 3);
    }
    // After the reset, two idle signals do not scale down; the third does.
    CHECK(a.decide(idle(3)) == 3);
    CHECK(a.decide(idle(3)) == 3);
    CHECK(a.decide(idle(3)) == 2);
}

TEST_CASE("nudge moves the target by one within MIN:MAX") {
    shared::FakeClock clock;
    Autoscaler a(clock, 2, 4, kCooldownUs);
    CHECK(a.nudge(+1) == 3);
    CHECK(a.nudge(+1) == 4);
    CHECK(a.nudge(+1) == 4);
    CHECK(a.target() == 4);
    CHECK(a.nudge(-1) == 3);
    CHECK(a.nudge(-1) == 2);
    CHECK(a.nudge(-1) == 2);
    CHECK(a.nudge(-1) == 2);
    CHECK(a.target() == 2);
}

TEST_CASE("a nudge restarts the cool-down and the idle streak") {
    shared::FakeClock clock;
    Autoscaler a(clock, 1, 4, kCooldownUs);
    a.nudge(+1);
    a.nudge(+1);
    REQUIRE(a.target() == 3);
    clock.advance_us(kCooldownUs - 1);
    for (int i = 0; i < 5; ++i) CHECK(a.decide(idle(3)) == 3);
    clock.advance_us(1);
    CHECK(a.decide(idle(3)) == 2);
}

TEST_CASE("a fixed pool (MIN == MAX) never moves") {
    shared::FakeClock clock;
    Autoscaler a(clock, 2, 2, kCooldownUs);
    CHECK(a.decide(waiting(2)) == 2);
    clock.advance_us(kCooldownUs * 3);
    for (int i = 0; i < 5; ++i) CHECK(a.decide(idle(2, 2)) == 2);
    CHECK(a.nudge(+1) == 2);
    CHECK(a.nudge(-1) == 2);
}
