// The node's Prometheus metrics (prometheus-cpp), served in the text format on
// --metrics-addr. The loop updates them; the exposer's own threads only read.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "shared/expected.h"

namespace prometheus {
class Counter;
class Exposer;
class Gauge;
class Registry;
template <typename T>
class Family;
}  // namespace prometheus

namespace supervisor {

class Metrics {
public:
    Metrics();
    ~Metrics();
    Metrics(const Metrics&) = delete;
    Metrics& operator=(const Metrics&) = delete;

    // Starts serving /metrics on HOST:PORT (port 0: the kernel chooses); returns the port.
    shared::Expected<int> serve(const std::string& address);

    void task_entered(const std::string& state);  // every state a task enters, terminal or not
    void proofs_done(std::uint64_t count, std::int64_t now_us);
    void queue_depth(std::size_t queued);
    void workers(const std::map<std::string, unsigned>& by_state);
    void worker_restart(const std::string& cause);  // oom, guard, crash, hang, overdue, killed, exit, clean
    void worker_rss(int slot, std::uint64_t bytes);
    void forget_worker(int slot);
    void memory(std::uint64_t projected, std::uint64_t budget);
    void target_workers(unsigned target);
    void request(const std::string& endpoint, long status);  // status 0: no response
    void rate_limit_wait(const std::string& endpoint, double seconds);
    void bad_reply(const std::string& endpoint);  // a 2xx whose body did not decode within its bounds

private:
    std::shared_ptr<prometheus::Registry> registry_;
    std::unique_ptr<prometheus::Exposer> exposer_;
    prometheus::Family<prometheus::Counter>* tasks_;
    prometheus::Family<prometheus::Counter>* restarts_;
    prometheus::Family<prometheus::Counter>* requests_;
    prometheus::Family<prometheus::Counter>* rate_limit_seconds_;
    prometheus::Family<prometheus::Counter>* bad_replies_;
    prometheus::Family<prometheus::Gauge>* workers_;
    prometheus::Family<prometheus::Gauge>* worker_rss_;
    prometheus::Counter* proofs_;
    prometheus::Gauge* proofs_per_second_;
    prometheus::Gauge* queue_;
    prometheus::Gauge* projected_;
    prometheus::Gauge* budget_;
    prometheus::Gauge* target_;
    std::int64_t window_start_us_ = 0;
    std::uint64_t window_proofs_ = 0;
};

}  // namespace supervisor
