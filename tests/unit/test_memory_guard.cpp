// Unit tests for the memory guard's choice of worker to kill, and for parse_size.
#include <doctest.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "supervisor/memory_guard.h"

using supervisor::MemoryGuard;
using supervisor::MemoryGuardConfig;
using supervisor::MemorySample;
using supervisor::parse_size;

namespace {
constexpr std::uint64_t kMiB = 1024 * 1024;

MemoryGuardConfig limits(std::optional<std::uint64_t> per_worker, std::optional<std::uint64_t> total) {
    MemoryGuardConfig c;
    c.per_worker_limit = per_worker;
    c.total_limit = total;
    return c;
}
}  // namespace

TEST_CASE("a worker over its own limit is the one picked") {
    const MemoryGuard guard(limits(500 * kMiB, std::nullopt));
    SUBCASE("busy") {
        const auto v = guard.check({{0, 100 * kMiB, true}, {1, 600 * kMiB, true}, {2, 200 * kMiB, false}});
        REQUIRE(v.has_value());
        CHECK(v->slot == 1);
        CHECK(v->why.find("--max-worker-memory") != std::string::npos);
    }
    SUBCASE("idle, next to a larger busy one under the limit") {
        const auto v = guard.check({{0, 450 * kMiB, true}, {3, 501 * kMiB, false}});
        REQUIRE(v.has_value());
        CHECK(v->slot == 3);
    }
    SUBCASE("at the limit exactly is not over it") {
        CHECK_FALSE(guard.check({{0, 500 * kMiB, true}}).has_value());
    }
}

TEST_CASE("the per-worker limit is checked before the total") {
    const MemoryGuard guard(limits(500 * kMiB, 1000 * kMiB));
    // Together over the total; slot 2 is over its own limit though smaller than slot 0.
    const auto v = guard.check({{0, 480 * kMiB, true}, {1, 300 * kMiB, true}, {2, 520 * kMiB, false}});
    REQUIRE(v.has_value());
    CHECK(v->slot == 2);
}

TEST_CASE("over the total, the largest busy worker is picked") {
    const MemoryGuard guard(limits(std::nullopt, 1000 * kMiB));
    SUBCASE("largest busy among busy ones") {
        const auto v = guard.check({{0, 300 * kMiB, true}, {1, 500 * kMiB, true}, {2, 400 * kMiB, true}});
        REQUIRE(v.has_value());
        CHECK(v->slot == 1);
        CHECK(v->why.find("budget") != std::string::npos);
    }
    SUBCASE("a larger idle worker is passed over for the largest busy one") {
        const auto v = guard.check({{0, 700 * kMiB, false}, {1, 200 * kMiB, true}, {2, 350 * kMiB, true}});
        REQUIRE(v.has_value());
        CHECK(v->slot == 2);
    }
    SUBCASE("the largest busy one last in the list") {
        const auto v = guard.check({{4, 100 * kMiB, true}, {5, 200 * kMiB, false}, {6, 800 * kMiB, true}});
        REQUIRE(v.has_value());
        CHECK(v->slot == 6);
    }
}

TEST_CASE("idle workers alone are never picked for the total") {
    const MemoryGuard guard(limits(std::nullopt, 1000 * kMiB));
    CHECK_FALSE(guard.check({{0, 700 * kMiB, false}, {1, 700 * kMiB, false}}).has_value());
}

TEST_CASE("under the limits: nothing is picked") {
    SUBCASE("both limits") {
        const MemoryGuard guard(limits(500 * kMiB, 1000 * kMiB));
        CHECK_FALSE(guard.check({{0, 499 * kMiB, true}, {1, 499 * kMiB, true}}).has_value());
        CHECK_FALSE(guard.check({{0, 500 * kMiB, true}, {1, 500 * kMiB, true}}).has_value());  // at the total exactly
        CHECK_FALSE(guard.check({}).has_value());
    }
    SUBCASE("no limits at all") {
        const MemoryGuard guard(limits(std::nullopt, std::nullopt));
        CHECK_FALSE(guard.check({{0, 1ull << 40, true}}).has_value());
    }
}

TEST_CASE("parse_size") {
    CHECK(parse_size("512M") == std::optional<std::uint64_t>(512 * kMiB));
    CHECK(parse_size("2G") == std::optional<std::uint64_t>(2048 * kMiB));
    CHECK(parse_size("1.5GiB") == std::optional<std::uint64_t>(1536 * kMiB));
    CHECK(parse_size("1048576") == std::optional<std::uint64_t>(1048576));
    CHECK(parse_size("64k") == std::optional<std::uint64_t>(64 * 1024));
    CHECK(parse_size("256MiB") == std::optional<std::uint64_t>(256 * kMiB));
    CHECK(parse_size("0") == std::optional<std::uint64_t>(0));

    CHECK_FALSE(parse_size("12X").has_value());
    CHECK_FALSE(parse_size("").has_value());
    CHECK_FALSE(parse_size("-1").has_value());
    CHECK_FALSE(parse_size("-1G").has_value());
    CHECK_FALSE(parse_size("G").has_value());
    CHECK_FALSE(parse_size("12 M").has_value());
    CHECK_FALSE(parse_size("1.5.2G").has_value());
    CHECK_FALSE(parse_size("nan").has_value());
    CHECK_FALSE(parse_size("inf").has_value());
}
