// Adaptive difficulty: a ladder over the spec's levels.
#include "supervisor/difficulty_policy.h"

#include <algorithm>
#include <vector>

namespace supervisor {

namespace {

std::size_t rank(shared::Difficulty d) {
    const auto all = shared::all_difficulties();
    return static_cast<std::size_t>(std::find(all.begin(), all.end(), d) - all.begin());
}

shared::Difficulty at(std::size_t index) {
    const auto all = shared::all_difficulties();
    return all[std::min(index, all.size() - 1)];
}

}  // namespace

DifficultyPolicy::DifficultyPolicy(std::optional<shared::Difficulty> fixed, shared::Difficulty start)
    : fixed_(fixed), requested_(fixed.value_or(start)) {}

void DifficultyPolicy::on_assigned(int wire_difficulty) {
    if (auto d = shared::difficulty_from_wire(wire_difficulty)) last_assigned_ = *d;
}

void DifficultyPolicy::on_finished(int wire_difficulty, double seconds, double deadline_seconds) {
    auto d = shared::difficulty_from_wire(wire_difficulty);
    if (fixed_ || !d || *d != requested_ || seconds >= kWellUnder * deadline_seconds) return;
    requested_ = at(rank(requested_) + 1);
}

void DifficultyPolicy::on_too_hard(int wire_difficulty) {
    auto d = shared::difficulty_from_wire(wire_difficulty);
    if (fixed_ || !d) return;
    const std::size_t level = std::min(rank(requested_), rank(*d));
    requested_ = at(level == 0 ? 0 : level - 1);
}

}  // namespace supervisor
