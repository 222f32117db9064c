// Unit tests for request pacing: Retry-After, minimum interval, backoff and jitter, on a fake clock.
#include <doctest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>

#include "shared/clock.h"
#include "supervisor/request_timer.h"

using shared::seconds_to_us;
using supervisor::parse_retry_after;
using supervisor::RequestTimer;
using supervisor::RequestTimerConfig;

namespace {

RequestTimerConfig config(double min_interval, double initial, double max, double jitter) {
    RequestTimerConfig c;
    c.min_interval_s = min_interval;
    c.backoff_initial_s = initial;
    c.backoff_max_s = max;
    c.jitter_max_s = jitter;
    return c;
}

// Lets the fake time run until the timer is ready, as the loop's uv_timer would.
void run_until_ready(shared::FakeClock& clock, const RequestTimer& timer) {
    clock.advance_us(timer.wait_us());
    REQUIRE(timer.ready());
}

}  // namespace

TEST_CASE("a new timer is ready at once") {
    shared::FakeClock clock;
    RequestTimer timer(clock, config(0, 1, 60, 1), 1);
    CHECK(timer.ready());
    CHECK(timer.wait_us() == 0);
    timer.on_sent();  // no minimum interval
    CHECK(timer.ready());
}

TEST_CASE("Retry-After always wins and jitter only adds") {
    shared::FakeClock clock;
    for (std::uint64_t seed = 1; seed <= 200; ++seed) {
        RequestTimer timer(clock, config(0, 1, 60, 2), seed);
        timer.on_retry_after(7);
        INFO("seed " << seed << " wait " << timer.wait_us());
        CHECK(timer.wait_us() >= seconds_to_us(7));
        CHECK(timer.wait_us() <= seconds_to_us(9));
        CHECK_FALSE(timer.ready());
        CHECK(timer.consecutive_errors() == 0);
    }
}

TEST_CASE("Retry-After longer than the backoff step wins over it") {
    shared::FakeClock clock;
    RequestTimer timer(clock, config(0, 1, 60, 0), 3);
    timer.on_error();  // 1 s
    timer.on_retry_after(10);
    CHECK(timer.wait_us() == seconds_to_us(10));
    clock.advance_s(9.999);
    CHECK_FALSE(timer.ready());
    clock.advance_s(0.001);
    CHECK(timer.ready());
}

TEST_CASE("Retry-After 0 with no jitter lets the next request go at once") {
    shared::FakeClock clock;
    RequestTimer timer(clock, config(0, 1, 60, 0), 3);
    timer.on_retry_after(0);
    CHECK(timer.ready());
    timer.on_retry_after(-5);  // nonsense from a server is not a time in the past
    CHECK(timer.ready());
}

TEST_CASE("errors back off exponentially from the initial step to the cap") {
    shared::FakeClock clock;
    RequestTimer timer(clock, config(0, 1, 16, 0), 5);
    const double expected[] = {1, 2, 4, 8, 16, 16, 16};
    for (double step : expected) {
        timer.on_sent();
        timer.on_error();
        INFO("step " << step);
        CHECK(timer.wait_us() == seconds_to_us(step));
        CHECK(timer.last_wait_s() == doctest::Approx(step));
        run_until_ready(clock, timer);
    }
    CHECK(timer.consecutive_errors() == 7);
}

TEST_CASE("backoff carries jitter on top, never taken off") {
    shared::FakeClock clock;
    RequestTimer timer(clock, config(0, 0.5, 4, 0.25), 42);
    const double expected[] = {0.5, 1, 2, 4, 4, 4};
    bool any_jitter = false;
    for (int round = 0; round < 50; ++round) {
        timer.on_success(clock.now_us());
        for (double step : expected) {
            timer.on_error();
            INFO("step " << step << " wait " << timer.wait_us());
            CHECK(timer.wait_us() >= seconds_to_us(step));
            CHECK(timer.wait_us() <= seconds_to_us(step + 0.25));
            if (timer.wait_us() > seconds_to_us(step)) any_jitter = true;
            run_until_ready(clock, timer);
        }
    }
    CHECK(any_jitter);  // the jitter is really there
}

TEST_CASE("at the cap the jitter still spreads the waits") {
    // Nodes that all reached the cap must not retry in step.
    shared::FakeClock clock;
    int above_cap = 0;
    for (std::uint64_t seed = 1; seed <= 50; ++seed) {
        RequestTimer timer(clock, config(0, 1, 4, 1), seed);
        for (int i = 0; i < 6; ++i) {
            timer.on_error();
            run_until_ready(clock, timer);
        }
        timer.on_error();
        CHECK(timer.wait_us() >= seconds_to_us(4));
        CHECK(timer.wait_us() <= seconds_to_us(5));
        if (timer.wait_us() > seconds_to_us(4.01)) ++above_cap;
    }
    CHECK(above_cap > 40);
}

TEST_CASE("a success resets the backoff") {
    shared::FakeClock clock;
    RequestTimer timer(clock, config(0, 1, 60, 0), 7);
    for (int i = 0; i < 4; ++i) {
        timer.on_error();
        run_until_ready(clock, timer);
    }
    CHECK(timer.consecutive_errors() == 4);
    timer.on_success(clock.now_us());
    CHECK(timer.consecutive_errors() == 0);
    CHECK(timer.ready());
    timer.on_error();
    CHECK(timer.wait_us() == seconds_to_us(1));
}

TEST_CASE("the minimum interval is kept between two requests") {
    shared::FakeClock clock;
    RequestTimer timer(clock, config(0.5, 1, 60, 0), 9);
    timer.on_sent();
    CHECK_FALSE(timer.ready());
    CHECK(timer.wait_us() == seconds_to_us(0.5));
    clock.advance_s(0.2);
    timer.on_success(clock.now_us());  // an answer does not shorten the interval
    CHECK(timer.wait_us() == seconds_to_us(0.3));
    clock.advance_s(0.3);
    CHECK(timer.ready());
}

TEST_CASE("the minimum interval holds even with a shorter Retry-After") {
    shared::FakeClock clock;
    RequestTimer timer(clock, config(5, 1, 60, 0), 9);
    timer.on_sent();
    timer.on_retry_after(1);
    CHECK(timer.wait_us() == seconds_to_us(5));
}

TEST_CASE("start jitter delays the first request by up to its maximum") {
    shared::FakeClock clock;
    std::int64_t longest = 0;
    for (std::uint64_t seed = 1; seed <= 200; ++seed) {
        RequestTimer timer(clock, config(0, 1, 60, 0), seed);
        timer.start_jitter(3);
        CHECK(timer.wait_us() >= 0);
        CHECK(timer.wait_us() <= seconds_to_us(3));
        longest = std::max(longest, timer.wait_us());
    }
    CHECK(longest > seconds_to_us(1.5));  // really spread, not always 0
    RequestTimer none(clock, config(0, 1, 60, 0), 1);
    none.start_jitter(0);
    CHECK(none.ready());
}

TEST_CASE("seeds spread the waits of many nodes") {
    shared::FakeClock clock;
    RequestTimer a(clock, config(0, 1, 60, 1), 1);
    RequestTimer b(clock, config(0, 1, 60, 1), 2);
    a.on_error();
    b.on_error();
    CHECK(a.wait_us() != b.wait_us());
}

TEST_CASE("no work waits the backoff step without counting an error") {
    shared::FakeClock clock;
    RequestTimer timer(clock, config(0, 2, 60, 0), 11);
    timer.on_idle(clock.now_us());
    CHECK(timer.wait_us() == seconds_to_us(2));
    CHECK(timer.consecutive_errors() == 0);
    run_until_ready(clock, timer);
    timer.on_idle(clock.now_us());
    CHECK(timer.wait_us() == seconds_to_us(2));  // idling does not grow the step
    run_until_ready(clock, timer);
    timer.on_error();
    CHECK(timer.wait_us() == seconds_to_us(2));  // the first error is still the first step
}

TEST_CASE("no work with jitter stays within the step plus jitter") {
    shared::FakeClock clock;
    for (std::uint64_t seed = 1; seed <= 100; ++seed) {
        RequestTimer timer(clock, config(0, 2, 60, 0.5), seed);
        timer.on_idle(clock.now_us());
        CHECK(timer.wait_us() >= seconds_to_us(2));
        CHECK(timer.wait_us() <= seconds_to_us(2.5));
    }
}

TEST_CASE("Retry-After as integer seconds") {
    CHECK(parse_retry_after("3", 0) == std::optional<double>(3));
    CHECK(parse_retry_after("0", 0) == std::optional<double>(0));
    CHECK(parse_retry_after("120", 1'000'000) == std::optional<double>(120));
}

TEST_CASE("Retry-After as an HTTP-date") {
    const std::int64_t instant = 1445412480;  // Wed, 21 Oct 2015 07:28:00 GMT
    auto wait = parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", instant - 5);
    REQUIRE(wait.has_value());
    CHECK(*wait == doctest::Approx(5));
    auto past = parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", instant + 100);
    REQUIRE(past.has_value());
    CHECK(*past == doctest::Approx(0));
}

TEST_CASE("Retry-After that is neither is refused") {
    CHECK_FALSE(parse_retry_after("", 0).has_value());
    CHECK_FALSE(parse_retry_after("garbage", 0).has_value());
    CHECK_FALSE(parse_retry_after("soon, please", 0).has_value());
    CHECK_FALSE(parse_retry_after("-1", 0).has_value());
    CHECK_FALSE(parse_retry_after("-30", 1445412480).has_value());
}
