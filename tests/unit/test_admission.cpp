// Unit tests for memory-aware admission: how many proofs of a task fit in the budget now.
#include <doctest.h>

#include <cstdint>
#include <vector>

#include "supervisor/admission.h"
#include "supervisor/memory_model.h"

using supervisor::admit;
using supervisor::BusyLoad;
using supervisor::MemoryModel;
using supervisor::projected_memory;

namespace {
constexpr std::uint64_t kMiB = 1024 * 1024;
constexpr std::uint64_t kInitial = 100 * kMiB;  // per proof, before anything is learned
}  // namespace

TEST_CASE("projected memory sums concurrent proofs times memory per proof over the busy workers") {
    MemoryModel model(kInitial);
    // Learn a figure of exactly 40 MiB for (fib, 5): one sample of 32 MiB, times the 1.25 margin.
    model.observe("fib", 5, 32 * kMiB, 1);
    REQUIRE(model.per_proof("fib", 5) == 40 * kMiB);

    CHECK(projected_memory(model, {}) == 0);
    CHECK(projected_memory(model, {BusyLoad{"argon", 0, 1}}) == kInitial);
    CHECK(projected_memory(model, {BusyLoad{"argon", 0, 3}}) == 3 * kInitial);
    CHECK(projected_memory(model, {BusyLoad{"argon", 0, 2}, BusyLoad{"fib", 5, 4}, BusyLoad{"fib", 5, 1}}) ==
          2 * kInitial + 4 * 40 * kMiB + 1 * 40 * kMiB);
}

TEST_CASE("threads are what is wanted when everything fits") {
    MemoryModel model(kInitial);
    const auto a = admit(model, 1000 * kMiB, {}, "argon", 0, 4);
    CHECK(a.threads == 4);
    CHECK_FALSE(a.reduced);
    CHECK_FALSE(a.over_budget);
    CHECK(a.per_proof == kInitial);
    CHECK(a.projected == 0);
}

TEST_CASE("threads are reduced to what fits in the budget less the projection") {
    MemoryModel model(kInitial);
    // Budget 1000 MiB, busy: 2 x 100 + 3 x 100 = 500 MiB; room for 5 more proofs.
    const std::vector<BusyLoad> busy{{"argon", 0, 2}, {"argon", 0, 3}};
    SUBCASE("wanted 8: 5 fit") {
        const auto a = admit(model, 1000 * kMiB, busy, "argon", 0, 8);
        CHECK(a.threads == 5);
        CHECK(a.reduced);
        CHECK_FALSE(a.over_budget);
        CHECK(a.projected == 500 * kMiB);
    }
    SUBCASE("wanted 5: exactly fits") {
        const auto a = admit(model, 1000 * kMiB, busy, "argon", 0, 5);
        CHECK(a.threads == 5);
        CHECK_FALSE(a.reduced);
    }
    SUBCASE("budget one byte short of 5: 4 fit") {
        const auto a = admit(model, 1000 * kMiB - 1, busy, "argon", 0, 5);
        CHECK(a.threads == 4);
        CHECK(a.reduced);
    }
}

TEST_CASE("the task's own learned figure decides how many of its proofs fit") {
    MemoryModel model(kInitial);
    model.observe("big", 10, 240 * kMiB, 1);  // learned 300 MiB per proof
    REQUIRE(model.per_proof("big", 10) == 300 * kMiB);
    const auto a = admit(model, 1000 * kMiB, {{"argon", 0, 1}}, "big", 10, 4);  // room 900
    CHECK(a.per_proof == 300 * kMiB);
    CHECK(a.threads == 3);
    CHECK(a.reduced);
}

TEST_CASE("nothing fits and a worker is busy: wait") {
    MemoryModel model(kInitial);
    SUBCASE("the projection fills the budget") {
        const auto a = admit(model, 300 * kMiB, {{"argon", 0, 3}}, "argon", 0, 2);
        CHECK(a.threads == 0);
        CHECK_FALSE(a.over_budget);
        CHECK(a.projected == 300 * kMiB);
    }
    SUBCASE("the projection is over the budget") {
        const auto a = admit(model, 250 * kMiB, {{"argon", 0, 3}}, "argon", 0, 1);
        CHECK(a.threads == 0);
        CHECK_FALSE(a.over_budget);
    }
    SUBCASE("room left, but less than one proof") {
        const auto a = admit(model, 350 * kMiB, {{"argon", 0, 3}}, "argon", 0, 1);
        CHECK(a.threads == 0);
    }
}

TEST_CASE("nothing fits and nothing is busy: one proof, flagged over budget") {
    MemoryModel model(kInitial);
    SUBCASE("wanted several") {
        const auto a = admit(model, 50 * kMiB, {}, "argon", 0, 4);
        CHECK(a.threads == 1);
        CHECK(a.over_budget);
        CHECK(a.reduced);
    }
    SUBCASE("wanted one") {
        const auto a = admit(model, 50 * kMiB, {}, "argon", 0, 1);
        CHECK(a.threads == 1);
        CHECK(a.over_budget);
        CHECK_FALSE(a.reduced);
    }
    SUBCASE("a budget of zero") {
        const auto a = admit(model, 0, {}, "argon", 0, 2);
        CHECK(a.threads == 1);
        CHECK(a.over_budget);
    }
}

TEST_CASE("one proof that fits exactly is not over budget") {
    MemoryModel model(kInitial);
    const auto a = admit(model, kInitial, {}, "argon", 0, 3);
    CHECK(a.threads == 1);
    CHECK_FALSE(a.over_budget);
    CHECK(a.reduced);
}
