// What /healthz and /readyz answer: the loop publishes a heartbeat and its
// readiness, the HTTP server's threads read them. Thread-safe, no I/O.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include "shared/clock.h"

namespace supervisor {

// One HTTP answer: status code and a one-line body.
struct HealthAnswer {
    int status = 503;
    std::string body;
};

// Why the node is not ready to prove, or empty when it is: the loop runs
// (not starting, draining or stopping), the orchestrator confirmed the node
// (always true in anonymous mode), and at least one worker said hello.
std::string unready_reason(bool running, bool orchestrator_confirmed, unsigned workers_up);

class Health {
public:
    // The loop is stale when it has not ticked for longer than this.
    static constexpr std::int64_t kStaleUs = 5'000'000;

    explicit Health(const shared::Clock& clock) : clock_(clock) {}

    // From the loop, every tick.
    void loop_alive(std::int64_t now_us) { heartbeat_us_.store(now_us, std::memory_order_relaxed); }
    void set_ready(bool ready, std::string why);

    // From the server's threads.
    HealthAnswer healthz() const;
    HealthAnswer readyz() const;

private:
    const shared::Clock& clock_;
    std::atomic<std::int64_t> heartbeat_us_{0};  // 0: the loop has not ticked yet
    mutable std::mutex mutex_;                   // guards the two below
    bool ready_ = false;
    std::string why_ = "the loop has not run yet";
};

}  // namespace supervisor
