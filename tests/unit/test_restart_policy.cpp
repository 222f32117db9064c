// Unit tests for the restart policy: immediate first restart, backoff, and giving up on start-up failures.
#include <doctest.h>

#include <cstdint>
#include <vector>

#include "shared/clock.h"
#include "supervisor/restart_policy.h"

using supervisor::RestartPolicy;

namespace {
constexpr std::int64_t kShortLife = 2'000'000;  // a worker that lived 2 s after its hello
}

TEST_CASE("the first death is replaced at once, then 100 ms doubling to 30 s") {
    shared::FakeClock clock;
    RestartPolicy policy(clock);
    const std::vector<std::int64_t> expected = {0,         100'000,    200'000,    400'000,    800'000,
                                                1'600'000, 3'200'000,  6'400'000,  12'800'000, 25'600'000,
                                                30'000'000, 30'000'000, 30'000'000};
    for (std::size_t i = 0; i < expected.size(); ++i) {
        INFO("death " << i + 1);
        CHECK(policy.on_death(false, kShortLife) == expected[i]);
    }
    for (int i = 0; i < 100; ++i) CHECK(policy.on_death(false, kShortLife) == RestartPolicy::kMaxDelayUs);
    CHECK_FALSE(policy.give_up());  // deaths after a hello are not start-up failures
}

TEST_CASE("progress resets the backoff") {
    shared::FakeClock clock;
    RestartPolicy policy(clock);
    CHECK(policy.on_death(false, kShortLife) == 0);
    CHECK(policy.on_death(false, kShortLife) == 100'000);
    CHECK(policy.on_death(false, kShortLife) == 200'000);
    policy.on_progress();
    CHECK(policy.on_death(false, kShortLife) == 0);
    CHECK(policy.on_death(false, kShortLife) == 100'000);
}

TEST_CASE("a worker that lived long is a first death again") {
    shared::FakeClock clock;
    RestartPolicy policy(clock);
    policy.on_death(false, kShortLife);
    policy.on_death(false, kShortLife);
    CHECK(policy.on_death(false, RestartPolicy::kStableUs) == 0);
    CHECK(policy.on_death(false, kShortLife) == 100'000);
}

TEST_CASE("five start-up failures in a row give up") {
    shared::FakeClock clock;
    RestartPolicy policy(clock);
    for (unsigned i = 1; i < RestartPolicy::kMaxStartFailures; ++i) {
        policy.on_death(true, 1'000);
        CHECK(policy.start_failures() == i);
        CHECK_FALSE(policy.give_up());
    }
    policy.on_death(true, 1'000);
    CHECK(policy.start_failures() == 5);
    CHECK(policy.give_up());
}

TEST_CASE("start-up failures back off like other deaths") {
    shared::FakeClock clock;
    RestartPolicy policy(clock);
    CHECK(policy.on_death(true, 1'000) == 0);
    CHECK(policy.on_death(true, 1'000) == 100'000);
    CHECK(policy.on_death(true, RestartPolicy::kStableUs) == 200'000);  // never said hello: no reset
}

TEST_CASE("a hello ends the start-up failure streak") {
    shared::FakeClock clock;
    RestartPolicy policy(clock);
    for (int i = 0; i < 4; ++i) policy.on_death(true, 1'000);
    policy.on_hello();
    CHECK(policy.start_failures() == 0);
    for (int i = 0; i < 4; ++i) policy.on_death(true, 1'000);
    CHECK_FALSE(policy.give_up());
    policy.on_death(false, kShortLife);  // a death after a hello is not a start-up failure
    CHECK(policy.start_failures() == 4);
    CHECK_FALSE(policy.give_up());
    policy.on_death(true, 1'000);
    CHECK(policy.give_up());
}
