// The seeded random source: a mutex around one mt19937_64.
#include "prng.h"

namespace orch {

std::uint64_t Prng::next() {
    std::lock_guard lock(mutex_);
    return engine_();
}

std::uint64_t Prng::between(std::uint64_t lo, std::uint64_t hi) {
    if (hi <= lo) return lo;
    std::uniform_int_distribution<std::uint64_t> dist(lo, hi);
    std::lock_guard lock(mutex_);
    return dist(engine_);
}

double Prng::unit() {
    // 53 random bits make every double in [0, 1) of that grid equally likely.
    return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

bool Prng::chance(double probability) {
    if (probability >= 1.0) return true;
    if (probability <= 0.0) return false;
    return unit() < probability;
}

shared::Bytes Prng::bytes(std::size_t count) {
    shared::Bytes out(count);
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < count; i += 8) {
        std::uint64_t word = engine_();
        for (std::size_t j = 0; j < 8 && i + j < count; ++j) {
            out[i + j] = static_cast<std::uint8_t>(word >> (8 * j));
        }
    }
    return out;
}

}  // namespace orch
