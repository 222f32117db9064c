// Metric families and their updates.
#include "supervisor/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

namespace supervisor {

namespace {
constexpr std::int64_t kRateWindowUs = 10'000'000;
}

Metrics::Metrics() : registry_(std::make_shared<prometheus::Registry>()) {
    using prometheus::BuildCounter;
    using prometheus::BuildGauge;
    tasks_ = &BuildCounter().Name("provenode_tasks_total").Help("Tasks that entered each state").Register(*registry_);
    restarts_ = &BuildCounter().Name("provenode_worker_restarts_total").Help("Worker deaths by cause").Register(*registry_);
    requests_ = &BuildCounter().Name("provenode_requests_total").Help("Orchestrator requests by endpoint and status").Register(*registry_);
    rate_limit_seconds_ = &BuildCounter()
                               .Name("provenode_rate_limit_wait_seconds_total")
                               .Help("Seconds waited because the orchestrator said 429 or Retry-After")
                               .Register(*registry_);
    bad_replies_ = &BuildCounter()
                        .Name("provenode_bad_replies_total")
                        .Help("Replies whose body was garbage, cut short, oversized or out of bounds")
                        .Register(*registry_);
    workers_ = &BuildGauge().Name("provenode_workers").Help("Workers by state").Register(*registry_);
    worker_rss_ = &BuildGauge().Name("provenode_worker_rss_bytes").Help("Resident memory of each worker").Register(*registry_);
    proofs_ = &BuildCounter().Name("provenode_proofs_total").Help("Proofs made").Register(*registry_).Add({});
    proofs_per_second_ =
        &BuildGauge().Name("provenode_proofs_per_second").Help("Proofs per second over the last 10 s").Register(*registry_).Add({});
    queue_ = &BuildGauge().Name("provenode_queue_depth").Help("Tasks waiting for a worker").Register(*registry_).Add({});
    projected_ = &BuildGauge()
                      .Name("provenode_memory_projected_bytes")
                      .Help("Memory the busy workers are projected to need")
                      .Register(*registry_)
                      .Add({});
    budget_ = &BuildGauge().Name("provenode_memory_budget_bytes").Help("Memory the workers may use").Register(*registry_).Add({});
    target_ = &BuildGauge().Name("provenode_workers_target").Help("Workers the pool converges on").Register(*registry_).Add({});
}

Metrics::~Metrics() = default;

shared::Expected<int> Metrics::serve(const std::string& address) {
    try {
        exposer_ = std::make_unique<prometheus::Exposer>(address, 1);
        exposer_->RegisterCollectable(registry_);
        const auto ports = exposer_->GetListeningPorts();
        return ports.empty() ? 0 : ports.front();
    } catch (const std::exception& e) {
        return shared::fail("--metrics-addr: cannot listen on " + address + ": " + e.what());
    }
}

void Metrics::task_entered(const std::string& state) { tasks_->Add({{"state", state}}).Increment(); }

void Metrics::proofs_done(std::uint64_t count, std::int64_t now_us) {
    proofs_->Increment(static_cast<double>(count));
    if (window_start_us_ == 0) window_start_us_ = now_us;
    window_proofs_ += count;
    if (now_us - window_start_us_ >= kRateWindowUs) {
        proofs_per_second_->Set(window_proofs_ * 1e6 / static_cast<double>(now_us - window_start_us_));
        window_start_us_ = now_us;
        window_proofs_ = 0;
    }
}

void Metrics::queue_depth(std::size_t queued) { queue_->Set(static_cast<double>(queued)); }

void Metrics::workers(const std::map<std::string, unsigned>& by_state) {
    for (const auto& [state, n] : by_state) workers_->Add({{"state", state}}).Set(n);
}

void Metrics::worker_restart(const std::string& cause) { restarts_->Add({{"cause", cause}}).Increment(); }

void Metrics::worker_rss(int slot, std::uint64_t bytes) {
    worker_rss_->Add({{"worker", std::to_string(slot)}}).Set(static_cast<double>(bytes));
}

void Metrics::forget_worker(int slot) { worker_rss_->Add({{"worker", std::to_string(slot)}}).Set(0); }

void Metrics::memory(std::uint64_t projected, std::uint64_t budget) {
    projected_->Set(static_cast<double>(projected));
    budget_->Set(static_cast<double>(budget));
}

void Metrics::target_workers(unsigned target) { target_->Set(target); }

void Metrics::request(const std::string& endpoint, long status) {
    requests_->Add({{"endpoint", endpoint}, {"status", status == 0 ? "error" : std::to_string(status)}}).Increment();
}

void Metrics::bad_reply(const std::string& endpoint) { bad_replies_->Add({{"endpoint", endpoint}}).Increment(); }

void Metrics::rate_limit_wait(const std::string& endpoint, double seconds) {
    rate_limit_seconds_->Add({{"endpoint", endpoint}}).Increment(seconds);
}

}  // namespace supervisor
