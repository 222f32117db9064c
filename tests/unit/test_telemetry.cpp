// Telemetry units: GFLOP/s, MiB x 1000, a location only when configured.
#include <doctest.h>

#include "supervisor/telemetry.h"

using supervisor::make_telemetry;

TEST_CASE("memory is reported in MiB times 1000, rounded") {
    auto t = make_telemetry(12.4, 64ull << 20, 3ull << 30, std::nullopt);
    CHECK(t.flops_per_sec == 12);
    CHECK(t.memory_used == 64000);
    CHECK(t.memory_capacity == 3072000);
    CHECK_FALSE(t.location.has_value());
    CHECK(make_telemetry(0, (1ull << 20) + (1ull << 19), 0, std::nullopt).memory_used == 1500);
}

TEST_CASE("huge values saturate instead of wrapping") {
    auto t = make_telemetry(1e12, 1ull << 50, 1ull << 50, std::string("DE"));
    CHECK(t.flops_per_sec == 2147483647);
    CHECK(t.memory_used == 2147483647);
    CHECK(t.location == "DE");
}

TEST_CASE("the flops estimate is positive and scales with cores") {
    const double one = supervisor::estimate_gflops(1);
    CHECK(one > 0.01);
    CHECK(supervisor::estimate_gflops(4) > 2 * one);  // noisy, but four cores are far more than two of one
}
