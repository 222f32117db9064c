// The node's Prometheus metrics (prometheus-cpp), and its health, served on
// --metrics-addr at /metrics, /healthz and /readyz. The loop updates them; the
// server's own threads only read.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "shared/clock.h"
#include "shared/expected.h"
#include "supervisor/health.h"

namespace prometheus {
class Counter;
class Gauge;
class Histogram;
class Registry;
template <typename T>
class Family;
}  // namespace prometheus

namespace supervisor {

class MetricsServer;
class ProcessCollector;

class Metrics {
public:
    Metrics();
    ~Metrics();
    Metrics(const Metrics&) = delete;
    Metrics& operator=(const Metrics&) = delete;

    // Starts serving on HOST:PORT, [IPv6]:PORT or :PORT (port 0: the kernel
    // chooses); returns the base URL, such as http://127.0.0.1:9464.
    shared::Expected<std::string> serve(const std::string& address);
    // What /metrics answers (the text format), also for tests.
    std::string scrape() const;

    // Health, from the loop: a heartbeat every tick, and whether the node can prove.
    void loop_alive(std::int64_t now_us) { health_.loop_alive(now_us); }
    void set_ready(bool ready, std::string why) { health_.set_ready(ready, std::move(why)); }

    void task_entered(const std::string& state);  // every state a task enters, terminal or not
    // A result came back: the time of each proof as the worker measured it, and
    // of the whole task from dispatch to result as the supervisor saw it.
    void task_proved(const std::string& program, std::size_t proofs, const std::vector<std::uint64_t>& proof_micros,
                     double task_seconds);
    void queue_depth(std::size_t queued);
    void workers(const std::map<std::string, unsigned>& by_state);
    void worker_restart(const std::string& cause);  // oom, guard, crash, hang, overdue, killed, exit, clean
    void worker_rss(int slot, std::uint64_t bytes);
    void forget_worker(int slot);  // the worker is gone: its series goes too
    void memory(std::uint64_t projected, std::uint64_t budget);
    void target_workers(unsigned target);
    // An orchestrator answer: status 0 means no response; elapsed_s is the request's time.
    void request(const std::string& endpoint, long status, double elapsed_s);
    void rate_limit_wait(const std::string& endpoint, double seconds);
    void bad_reply(const std::string& endpoint);  // a 2xx whose body did not decode within its bounds

private:
    void start_at_zero();
    prometheus::Histogram& by_program(prometheus::Family<prometheus::Histogram>& family, const std::string& program);

    shared::SteadyClock clock_;
    Health health_{clock_};
    std::shared_ptr<prometheus::Registry> registry_;
    std::shared_ptr<ProcessCollector> process_;
    std::unique_ptr<MetricsServer> server_;
    prometheus::Family<prometheus::Counter>* tasks_;
    prometheus::Family<prometheus::Counter>* restarts_;
    prometheus::Family<prometheus::Counter>* requests_;
    prometheus::Family<prometheus::Counter>* rate_limit_seconds_;
    prometheus::Family<prometheus::Counter>* bad_replies_;
    prometheus::Family<prometheus::Gauge>* workers_;
    prometheus::Family<prometheus::Gauge>* worker_rss_;
    prometheus::Family<prometheus::Histogram>* proof_seconds_;
    prometheus::Family<prometheus::Histogram>* task_seconds_;
    prometheus::Family<prometheus::Histogram>* request_seconds_;
    prometheus::Counter* proofs_;
    prometheus::Gauge* queue_;
    prometheus::Gauge* projected_;
    prometheus::Gauge* budget_;
    prometheus::Gauge* target_;
};

}  // namespace supervisor
