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
    // Seconds since the Unix epoch, for what must keep its meaning across restarts.
    virtual std::int64_t unix_s() const = 0;
};

class SteadyClock final : public Clock {
public:
    std::int64_t now_us() const override {
        return std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::steady_clock::now().time_since_epoch())
            .count();
    }
    std::int64_t unix_s() const override {
        return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    }
};

class FakeClock final : public Clock {
public:
    std::int64_t now_us() const override { return now_; }
    // The wall clock moves with the fake one, from a fixed date (2026-01-01).
    std::int64_t unix_s() const override { return 1'767'225'600 + now_ / 1'000'000; }
    void advance_us(std::int64_t us) { now_ += us; }
    void advance_s(double s) { now_ += static_cast<std::int64_t>(s * 1e6); }

private:
    std::int64_t now_ = 1'000'000'000;
};

inline std::int64_t seconds_to_us(double s) { return static_cast<std::int64_t>(s * 1e6); }

}  // namespace shared
