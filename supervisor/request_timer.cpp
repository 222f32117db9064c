// Request pacing for one endpoint (DESIGN.md "Fetching and submitting").
#include "supervisor/request_timer.h"

#include <curl/curl.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <string>

namespace supervisor {

RequestTimer::RequestTimer(const shared::Clock& clock, RequestTimerConfig config, std::uint64_t seed)
    : clock_(clock), config_(config), rng_(seed), next_us_(clock.now_us()) {}

std::int64_t RequestTimer::wait_us() const { return std::max<std::int64_t>(0, next_us_ - clock_.now_us()); }

double RequestTimer::jitter() {
    if (config_.jitter_max_s <= 0) return 0;
    return std::uniform_real_distribution<double>(0, config_.jitter_max_s)(rng_);
}

void RequestTimer::wait_from_now(double seconds) {
    last_wait_s_ = seconds;
    next_us_ = std::max(next_us_, clock_.now_us() + shared::seconds_to_us(seconds));
}

void RequestTimer::start_jitter(double max_s) {
    if (max_s <= 0) return;
    wait_from_now(std::uniform_real_distribution<double>(0, max_s)(rng_));
}

void RequestTimer::on_sent() {
    next_us_ = std::max(next_us_, clock_.now_us() + shared::seconds_to_us(config_.min_interval_s));
}

void RequestTimer::on_success(std::int64_t sent_us) {
    errors_ = 0;
    if (sent_us >= probing_since_us_) probing_ = false;
}

void RequestTimer::on_retry_after(double seconds) {
    probing_ = true;
    probing_since_us_ = clock_.now_us();
    // The server's time wins even over a shorter backoff; jitter only adds.
    const std::int64_t until = clock_.now_us() + shared::seconds_to_us(std::max(0.0, seconds) + jitter());
    last_wait_s_ = static_cast<double>(until - clock_.now_us()) / 1e6;
    next_us_ = std::max(next_us_, until);
}

void RequestTimer::on_error() {
    ++errors_;
    probing_ = true;
    probing_since_us_ = clock_.now_us();
    const double step = config_.backoff_initial_s * std::pow(2.0, std::min(errors_ - 1, 30u));
    wait_from_now(std::min(step, config_.backoff_max_s) + jitter());
}

void RequestTimer::on_idle(std::int64_t sent_us) {
    if (sent_us >= probing_since_us_) probing_ = false;  // the server answered: reachable and not limiting us
    const double step = config_.backoff_initial_s * std::pow(2.0, std::min(errors_, 30u));
    wait_from_now(std::min(step, config_.backoff_max_s) + jitter());
}

std::optional<double> parse_retry_after(const std::string& value, std::int64_t now_unix_s) {
    if (value.empty()) return std::nullopt;
    long long seconds = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec == std::errc() && end == value.data() + value.size()) {
        if (seconds < 0) return std::nullopt;
        return static_cast<double>(std::min<long long>(seconds, 24 * 3600));
    }
    const time_t when = curl_getdate(value.c_str(), nullptr);
    if (when == -1) return std::nullopt;
    return std::clamp<double>(static_cast<double>(when - now_unix_s), 0, 24 * 3600);
}

}  // namespace supervisor
