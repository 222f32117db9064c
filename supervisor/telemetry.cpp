// Telemetry values and their units.
#include "supervisor/telemetry.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace supervisor {

double estimate_gflops(unsigned cores) {
    // Four independent multiply-add chains keep one core's pipeline busy.
    volatile double sink = 0;
    double a = 1.0, b = 1.1, c = 1.2, d = 1.3;
    const double m = 0.999999, k = 1e-7;
    constexpr long kRounds = 5'000'000;
    const auto start = std::chrono::steady_clock::now();
    for (long i = 0; i < kRounds; ++i) {
        a = a * m + k;
        b = b * m + k;
        c = c * m + k;
        d = d * m + k;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    sink = a + b + c + d;
    (void)sink;
    const double flops = 8.0 * kRounds / std::max(seconds, 1e-6);
    return flops * std::max(1u, cores) / 1e9;
}

shared::NodeTelemetry make_telemetry(double gflops, std::uint64_t memory_used_bytes, std::uint64_t memory_capacity_bytes,
                                     const std::optional<std::string>& location) {
    auto mib_times_1000 = [](std::uint64_t bytes) {
        const double value = std::round(static_cast<double>(bytes) / (1 << 20) * 1000.0);
        return static_cast<std::int32_t>(std::min(value, 2147483647.0));
    };
    shared::NodeTelemetry t;
    t.flops_per_sec = static_cast<std::int32_t>(std::clamp(std::round(gflops), 0.0, 2147483647.0));
    t.memory_used = mib_times_1000(memory_used_bytes);
    t.memory_capacity = mib_times_1000(memory_capacity_bytes);
    t.location = location;  // never guessed: absent unless configured
    return t;
}

}  // namespace supervisor
