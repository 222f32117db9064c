// Adaptive difficulty: promote after quick tasks at the asked level, demote after OOM or timeout.
#include <doctest.h>

#include "supervisor/difficulty_policy.h"

using shared::Difficulty;
using supervisor::DifficultyPolicy;

namespace {
int wire(Difficulty d) { return static_cast<int>(d); }
}  // namespace

TEST_CASE("a fixed difficulty never moves") {
    DifficultyPolicy policy(Difficulty::Large);
    CHECK_FALSE(policy.adaptive());
    policy.on_finished(wire(Difficulty::Large), 1, 600);
    policy.on_too_hard(wire(Difficulty::Large));
    CHECK(policy.requested() == Difficulty::Large);
}

TEST_CASE("adaptive starts at SMALL_MEDIUM and promotes one level after a quick task at that level") {
    DifficultyPolicy policy(std::nullopt);
    CHECK(policy.adaptive());
    CHECK(policy.requested() == Difficulty::SmallMedium);
    policy.on_finished(wire(Difficulty::SmallMedium), 10, 180);  // 10 s of 180: well under
    CHECK(policy.requested() == Difficulty::Medium);
    policy.on_finished(wire(Difficulty::Medium), 100, 300);  // a third of the deadline: not well under
    CHECK(policy.requested() == Difficulty::Medium);
    policy.on_finished(wire(Difficulty::Small), 1, 120);  // a quick task at another level says nothing
    CHECK(policy.requested() == Difficulty::Medium);
    for (int i = 0; i < 20; ++i) policy.on_finished(wire(policy.requested()), 1, 1800);
    CHECK(policy.requested() == Difficulty::ExtraLarge5);  // the top of the ladder holds
}

TEST_CASE("an OOM kill or a timeout demotes below the level that was too hard") {
    DifficultyPolicy policy(std::nullopt, Difficulty::Large);
    policy.on_too_hard(wire(Difficulty::Large));
    CHECK(policy.requested() == Difficulty::Medium);
    policy.on_too_hard(wire(Difficulty::Small));  // the server gave less than asked, and even that failed
    CHECK(policy.requested() == Difficulty::Small);
    policy.on_too_hard(wire(Difficulty::Small));
    CHECK(policy.requested() == Difficulty::Small);  // the bottom holds
    policy.on_too_hard(99);  // an unknown level is ignored
    CHECK(policy.requested() == Difficulty::Small);
}

TEST_CASE("the assigned difficulty is tracked") {
    DifficultyPolicy policy(std::nullopt);
    CHECK_FALSE(policy.last_assigned().has_value());
    policy.on_assigned(wire(Difficulty::Medium));
    CHECK(policy.last_assigned() == Difficulty::Medium);
    policy.on_assigned(4);  // reserved value: not a difficulty
    CHECK(policy.last_assigned() == Difficulty::Medium);
}
