// Unit tests for the restart policy: only start-up failures back off; giving up.
#include <doctest.h>

#include <cstdint>
#include <vector>

#include "supervisor/restart_policy.h"

using supervisor::RestartPolicy;

TEST_CASE("a worker that dies after it started is replaced at once, however often") {
    RestartPolicy policy;
    for (int i = 0; i < 1000; ++i) CHECK(policy.on_death(false) == 0);
    CHECK_FALSE(policy.give_up());
}

TEST_CASE("start-up failures back off 100 ms doubling to 30 s, and five in a row give up") {
    RestartPolicy policy;
    const std::vector<std::int64_t> expected = {0, 100'000, 200'000, 400'000, 800'000};
    for (std::size_t i = 0; i < expected.size(); ++i) {
        INFO("failure " << i + 1);
        CHECK_FALSE(policy.give_up());
        CHECK(policy.on_death(true) == expected[i]);
    }
    CHECK(policy.give_up());
    CHECK(policy.start_failures() == 5);
    for (int i = 0; i < 20; ++i) policy.on_death(true);
    CHECK(policy.on_death(true) == RestartPolicy::kMaxDelayUs);
}

TEST_CASE("a worker that has started ends the streak of start-up failures") {
    RestartPolicy policy;
    policy.on_death(true);
    policy.on_death(true);
    policy.on_started();
    CHECK(policy.start_failures() == 0);
    CHECK(policy.on_death(true) == 0);
    CHECK_FALSE(policy.give_up());
}

TEST_CASE("deaths after a hello neither back off nor count towards giving up") {
    RestartPolicy policy;
    for (int i = 0; i < 4; ++i) policy.on_death(true);
    for (int i = 0; i < 100; ++i) CHECK(policy.on_death(false) == 0);
    CHECK(policy.start_failures() == 4);
    CHECK_FALSE(policy.give_up());
}
