// When the next request to one endpoint may go out: the server's Retry-After
// (which always wins), a minimum interval, exponential backoff on errors, and
// jitter on top so that many nodes do not retry in step. Pure logic over a Clock.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>

#include "shared/clock.h"

namespace supervisor {

struct RequestTimerConfig {
    double min_interval_s = 0;     // between two requests at least
    double backoff_initial_s = 1;  // first wait after an error
    double backoff_max_s = 60;     // the doubling stops here
    double jitter_max_s = 1;       // random extra on every wait, never taken off
};

class RequestTimer {
public:
    RequestTimer(const shared::Clock& clock, RequestTimerConfig config, std::uint64_t seed);

    bool ready() const { return clock_.now_us() >= next_us_; }
    // Microseconds until ready() (0 when ready).
    std::int64_t wait_us() const;

    // Delays the first request by a random part of `max_s` (0 means none).
    void start_jitter(double max_s);
    void on_sent();
    // An answer to a request sent at `sent_us`. Only one sent since probing began
    // ends it: the success of a request that was on its way before the 429 says
    // nothing of the window the server gave since.
    void on_success(std::int64_t sent_us);
    // The server said when: `seconds` from now, plus jitter.
    void on_retry_after(double seconds);
    // An error without a time from the server: exponential backoff plus jitter.
    void on_error();
    // No work for us (404 on fetch): wait the current backoff step without counting it as an error.
    void on_idle(std::int64_t sent_us);

    // After a 429, a Retry-After or an error, one request goes first and the rest
    // wait for its answer: requests sent together could otherwise all land inside
    // the next window the server gives. A success of a request sent since ends it.
    bool probing() const { return probing_; }

    unsigned consecutive_errors() const { return errors_; }
    double last_wait_s() const { return last_wait_s_; }

private:
    double jitter();
    void wait_from_now(double seconds);

    const shared::Clock& clock_;
    RequestTimerConfig config_;
    std::mt19937_64 rng_;
    std::int64_t next_us_ = 0;
    unsigned errors_ = 0;
    bool probing_ = false;
    std::int64_t probing_since_us_ = 0;
    double last_wait_s_ = 0;
};

// Retry-After as integer seconds or an HTTP-date; nullopt when it is neither.
// `now_unix_s` is the wall clock, for the date form.
std::optional<double> parse_retry_after(const std::string& value, std::int64_t now_unix_s);

}  // namespace supervisor
