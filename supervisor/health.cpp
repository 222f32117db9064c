// Liveness from the loop's heartbeat, readiness as the loop last said.
#include "supervisor/health.h"

#include <cstdio>

namespace supervisor {

std::string unready_reason(bool running, bool orchestrator_confirmed, unsigned workers_up) {
    if (!running) return "not running: starting, draining or stopping";
    if (!orchestrator_confirmed) return "waiting for the orchestrator to confirm the node";
    if (workers_up == 0) return "no worker is ready yet";
    return {};
}

void Health::set_ready(bool ready, std::string why) {
    std::lock_guard lock(mutex_);
    ready_ = ready;
    why_ = std::move(why);
}

HealthAnswer Health::healthz() const {
    const std::int64_t beat = heartbeat_us_.load(std::memory_order_relaxed);
    if (beat == 0) return {503, "starting: the loop has not ticked yet"};
    const double age_s = static_cast<double>(clock_.now_us() - beat) / 1e6;
    char text[96];
    const bool stale = clock_.now_us() - beat > kStaleUs;
    std::snprintf(text, sizeof text, "%s: the loop ticked %.1f s ago", stale ? "stale" : "ok", age_s);
    return {stale ? 503 : 200, text};
}

HealthAnswer Health::readyz() const {
    std::lock_guard lock(mutex_);
    return {ready_ ? 200 : 503, (ready_ ? "ready: " : "not ready: ") + why_};
}

}  // namespace supervisor
