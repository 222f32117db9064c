// Built-in tasks for anonymous mode: the node proves with no network at all, as a
// burn-in and a benchmark for a host. Inputs follow the same difficulty tables as
// the local orchestrator's, so a figure measured here means the same there.
#pragma once

#include <cstdint>
#include <string>

#include "shared/codec.h"

namespace supervisor {

class AnonymousSource {
public:
    // `fixed_input`, when not empty, is used for every input (benchmarks compare like with like).
    AnonymousSource(std::string program_id, int difficulty, unsigned inputs_per_task, shared::Bytes fixed_input = {});

    shared::Task next();
    std::uint64_t made() const { return counter_; }

private:
    shared::Bytes input(std::uint64_t index) const;

    std::string program_id_;
    int difficulty_;
    unsigned inputs_per_task_;
    shared::Bytes fixed_input_;
    std::uint64_t counter_ = 0;
};

}  // namespace supervisor
