// What the node tells the outside, read from the core and never written to it:
// the status document of `supervisor status`, the summary line at exit, the
// Prometheus gauges, and systemd's READY, STATUS, WATCHDOG and STOPPING.
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "shared/clock.h"
#include "supervisor/metrics.h"
#include "supervisor/node.h"
#include "supervisor/options.h"

namespace supervisor {

class Reporter {
public:
    Reporter(const Node& node, const Options& options, const shared::Clock& clock, Metrics& metrics)
        : node_(node), options_(options), clock_(clock), metrics_(metrics) {}

    // One JSON document (invalid UTF-8 from the server is replaced, never thrown).
    std::string status_json() const;
    // "summary: accepted=... " on stdout.
    void print_summary() const;
    // After every turn: gauges, and systemd's READY / STATUS / STOPPING when they change.
    void publish();
    // Every second, from the loop itself: a stuck loop stops pinging.
    void watchdog() const;
    // "proving: 2/2 workers busy, 1 queued, 14 accepted, 31 proofs"
    std::string status_line() const;

private:
    const Node& node_;
    const Options& options_;
    const shared::Clock& clock_;
    Metrics& metrics_;
    bool told_ready_ = false;
    bool told_stopping_ = false;
    std::string told_status_;
    std::int64_t told_status_us_ = 0;
    std::set<int> rss_slots_;  // workers whose RSS series is out
};

}  // namespace supervisor
