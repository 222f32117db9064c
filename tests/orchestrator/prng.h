// The one seeded random source of the local orchestrator (--seed), shared by threads.
#pragma once

#include <cstdint>
#include <mutex>
#include <random>

#include "shared/bytes.h"

namespace orch {

// Every random choice (inputs, task ids, fault draws) comes from here, so a run
// with one client and one seed is repeatable. Thread-safe.
class Prng {
public:
    explicit Prng(std::uint64_t seed) : engine_(seed) {}
    Prng(const Prng&) = delete;
    Prng& operator=(const Prng&) = delete;

    std::uint64_t next();
    // Uniform in [lo, hi], both included.
    std::uint64_t between(std::uint64_t lo, std::uint64_t hi);
    // Uniform in [0, 1).
    double unit();
    // True with the given probability (clamped to [0, 1]).
    bool chance(double probability);
    shared::Bytes bytes(std::size_t count);

private:
    std::mutex mutex_;
    std::mt19937_64 engine_;
};

}  // namespace orch
