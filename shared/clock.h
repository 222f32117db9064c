// Clocks in microseconds: the real monotonic one, and a fake one for unit tests,
// so that policy (timers, backoff, scaling) is tested without sleeping.
#pragma once

#include <chrono>
#include <cstdint>

namespace shared {

class Clock {
public:
    virtual ~Clock() = default;
    virtual std::int64_t now_us() const = 0;
};

class SteadyClock final : public Clock {
public:
    std::int64_t now_us() const override {
        return std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::steady_clock::now().time_since_epoch())
            .count();
    }
};

class FakeClock final : public Clock {
public:
    std::int64_t now_us() const override { return now_; }
    void advance_us(std::int64_t us) { now_ += us; }
    void advance_s(double s) { now_ += static_cast<std::int64_t>(s * 1e6); }

private:
    std::int64_t now_ = 1'000'000'000;
};

inline std::int64_t seconds_to_us(double s) { return static_cast<std::int64_t>(s * 1e6); }

}  // namespace shared
