// Metric families, their updates, and the text that /metrics serves.
#include "supervisor/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "shared/program.h"
#include "supervisor/death.h"
#include "supervisor/ledger.h"
#include "supervisor/listen_address.h"
#include "supervisor/metrics_server.h"
#include "supervisor/process_collector.h"

namespace supervisor {

namespace {

// From a millisecond proof to one of tens of minutes (the longest task deadline is 30 min).
const prometheus::Histogram::BucketBoundaries kProofBuckets = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,    2.5,
    5,     10,     30,    60,   120,   300,  600, 1200, 1800, 3600};
// Orchestrator requests: a loopback answer to a request that times out.
const prometheus::Histogram::BucketBoundaries kRequestBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                                 0.25,  0.5,    1,     2.5,  5,     10,   30, 60};
// The endpoints that Fetcher and Submitter report, known in advance so that their series start at 0.
constexpr const char* kEndpoints[] = {"fetch", "list", "submit"};

template <class T>
prometheus::Family<T>& family(prometheus::Registry& registry, const char* name, const char* help) {
    return prometheus::detail::Builder<T>().Name(name).Help(help).Register(registry);
}

}  // namespace

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()), process_(std::make_shared<ProcessCollector>()) {
    using prometheus::Counter;
    using prometheus::Gauge;
    using prometheus::Histogram;
    auto& r = *registry_;
    family<Gauge>(r, "provenode_build_info", "The version of this build, as the label")
        .Add({{"version", PROVENODE_VERSION}})
        .Set(1);
    tasks_ = &family<Counter>(r, "provenode_tasks_total", "Tasks that entered each state");
    restarts_ = &family<Counter>(r, "provenode_worker_restarts_total", "Worker deaths by cause");
    requests_ = &family<Counter>(r, "provenode_requests_total", "Orchestrator requests by endpoint and status");
    rate_limit_seconds_ = &family<Counter>(r, "provenode_rate_limit_wait_seconds_total",
                                           "Seconds waited because the orchestrator said 429 or Retry-After");
    bad_replies_ = &family<Counter>(r, "provenode_bad_replies_total",
                                    "Replies whose body was garbage, cut short, oversized or out of bounds");
    workers_ = &family<Gauge>(r, "provenode_workers", "Workers by state");
    worker_rss_ = &family<Gauge>(r, "provenode_worker_rss_bytes", "Resident memory of each worker");
    proof_seconds_ =
        &family<Histogram>(r, "provenode_proof_duration_seconds", "Time of one proof, as its worker measured it");
    task_seconds_ = &family<Histogram>(r, "provenode_task_duration_seconds", "Time from dispatch to result of a task");
    request_seconds_ = &family<Histogram>(r, "provenode_request_duration_seconds", "Time of an orchestrator request");
    proofs_ = &family<Counter>(r, "provenode_proofs_total", "Proofs made").Add({});
    queue_ = &family<Gauge>(r, "provenode_queue_depth", "Tasks waiting for a worker").Add({});
    projected_ =
        &family<Gauge>(r, "provenode_memory_projected_bytes", "Memory the busy workers are projected to need").Add({});
    budget_ = &family<Gauge>(r, "provenode_memory_budget_bytes", "Memory the workers may use").Add({});
    target_ = &family<Gauge>(r, "provenode_workers_target", "Workers the pool converges on").Add({});
    start_at_zero();
}

// Every label value known in advance starts at 0, so that increase() sees the first event.
void Metrics::start_at_zero() {
    for (int s = 0; s <= static_cast<int>(TaskState::Abandoned); ++s) {
        tasks_->Add({{"state", std::string(to_string(static_cast<TaskState>(s)))}});
    }
    for (int c = 0; c < static_cast<int>(DeathCause::Stopped); ++c) {  // a stopped worker is not a restart
        restarts_->Add({{"cause", std::string(to_string(static_cast<DeathCause>(c)))}});
    }
    restarts_->Add({{"cause", "guard"}});
    for (const char* endpoint : kEndpoints) {
        rate_limit_seconds_->Add({{"endpoint", endpoint}});
        bad_replies_->Add({{"endpoint", endpoint}});
        request_seconds_->Add({{"endpoint", endpoint}}, kRequestBuckets);
    }
    for (std::string_view id : shared::program_ids()) {
        if (shared::find_program(id)->test_only) continue;  // those appear when first used
        by_program(*proof_seconds_, std::string(id));
        by_program(*task_seconds_, std::string(id));
    }
}

Metrics::~Metrics() = default;

shared::Expected<std::string> Metrics::serve(const std::string& address) {
    auto parsed = parse_listen_address(address);
    if (!parsed) return shared::fail("--metrics-addr: " + parsed.error());
    server_ = std::make_unique<MetricsServer>([this] { return scrape(); }, health_);
    auto port = server_->start(*parsed);
    if (!port) {
        server_.reset();
        return shared::fail("--metrics-addr: cannot listen on " + address + ": " + port.error());
    }
    const std::string host = parsed->host.empty() ? "0.0.0.0" : parsed->host;
    return "http://" + url_host(host) + ":" + std::to_string(*port);
}

std::string Metrics::scrape() const {
    auto families = registry_->Collect();
    auto process = process_->Collect();
    families.insert(families.end(), std::make_move_iterator(process.begin()), std::make_move_iterator(process.end()));
    return prometheus::TextSerializer().Serialize(families);
}

prometheus::Histogram& Metrics::by_program(prometheus::Family<prometheus::Histogram>& family,
                                           const std::string& program) {
    return family.Add({{"program", program}}, kProofBuckets);
}

void Metrics::task_entered(const std::string& state) { tasks_->Add({{"state", state}}).Increment(); }

void Metrics::task_proved(const std::string& program, std::size_t proofs,
                          const std::vector<std::uint64_t>& proof_micros, double task_seconds) {
    proofs_->Increment(static_cast<double>(proofs));
    auto& proof_seconds = by_program(*proof_seconds_, program);
    for (std::uint64_t micros : proof_micros) proof_seconds.Observe(static_cast<double>(micros) / 1e6);
    by_program(*task_seconds_, program).Observe(task_seconds);
}

void Metrics::queue_depth(std::size_t queued) { queue_->Set(static_cast<double>(queued)); }

void Metrics::workers(const std::map<std::string, unsigned>& by_state) {
    for (const auto& [state, n] : by_state) workers_->Add({{"state", state}}).Set(n);
}

void Metrics::worker_restart(const std::string& cause) { restarts_->Add({{"cause", cause}}).Increment(); }

void Metrics::worker_rss(int slot, std::uint64_t bytes) {
    worker_rss_->Add({{"worker", std::to_string(slot)}}).Set(static_cast<double>(bytes));
}

void Metrics::forget_worker(int slot) {
    const prometheus::Labels labels{{"worker", std::to_string(slot)}};
    if (worker_rss_->Has(labels)) worker_rss_->Remove(&worker_rss_->Add(labels));
}

void Metrics::memory(std::uint64_t projected, std::uint64_t budget) {
    projected_->Set(static_cast<double>(projected));
    budget_->Set(static_cast<double>(budget));
}

void Metrics::target_workers(unsigned target) { target_->Set(target); }

void Metrics::request(const std::string& endpoint, long status, double elapsed_s) {
    requests_->Add({{"endpoint", endpoint}, {"status", status == 0 ? "error" : std::to_string(status)}}).Increment();
    request_seconds_->Add({{"endpoint", endpoint}}, kRequestBuckets).Observe(elapsed_s);
}

void Metrics::bad_reply(const std::string& endpoint) { bad_replies_->Add({{"endpoint", endpoint}}).Increment(); }

void Metrics::rate_limit_wait(const std::string& endpoint, double seconds) {
    rate_limit_seconds_->Add({{"endpoint", endpoint}}).Increment(seconds);
}

}  // namespace supervisor
