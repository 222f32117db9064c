// The supervisor: one libuv loop that fetches tasks, keeps the ledger, hands
// tasks to idle workers, watches them, spools and submits results. It owns the
// parts (WorkerPool, Dispatcher, Ledger, Spool, clients, timers) and runs the
// duties of each tick in order, as Gunicorn's arbiter does.
#pragma once

#include <uv.h>

#include <cstdint>
#include <map>
#include <memory>
#include <vector>
#include <string>

#include "shared/clock.h"
#include "shared/node_key.h"
#include "shared/worker_codec.h"
#include "supervisor/admission.h"
#include "supervisor/anonymous_source.h"
#include "supervisor/autoscaler.h"
#include "supervisor/control_socket.h"
#include "supervisor/difficulty_policy.h"
#include "supervisor/dispatcher.h"
#include "supervisor/fetcher.h"
#include "supervisor/http_client.h"
#include "supervisor/ledger.h"
#include "supervisor/memory_guard.h"
#include "supervisor/memory_budget.h"
#include "supervisor/metrics.h"
#include "supervisor/options.h"
#include "supervisor/orchestrator_client.h"
#include "supervisor/restart_policy.h"
#include "supervisor/submitter.h"
#include "supervisor/worker_channel.h"
#include "supervisor/worker_pool.h"

namespace supervisor {

class Supervisor {
public:
    Supervisor(Options options, shared::NodeKey key, std::string worker_path);
    ~Supervisor();
    Supervisor(const Supervisor&) = delete;
    Supervisor& operator=(const Supervisor&) = delete;

    // Runs until done; returns the process exit code (0 done, 1 runtime failure).
    int run();

private:
    enum class Phase { Starting, Running, Draining, Stopping, Done };

    // Set-up and tear-down.
    shared::Status start();
    void start_memory();
    void load_spool();
    void begin_drain(const std::string& why);
    void stop_workers();
    void stop_now(const std::string& why);
    void close_handles();
    void fatal(const std::string& why);

    // The duties of one tick, in order.
    void on_tick();
    void murder_workers();
    void manage_workers();
    void dispatch();
    void maybe_list();
    void maybe_fetch();
    void check_progress();
    void guard_memory();  // every 200 ms, on its own timer
    void scale();         // every second
    void stop_surplus_workers();
    void update_gauges();
    void notify_systemd();

    // Events.
    void on_worker_frame(const std::string& routing_id, shared::Expected<shared::wire::Message>&& frame);
    void on_hello(Worker& worker, const shared::wire::Hello& hello);
    void on_result(Worker& worker, shared::wire::Result&& result);
    void on_failure(Worker& worker, const shared::wire::Failure& failure);
    void submit(const TaskRecord& record, const shared::wire::Result& result);
    void on_worker_exit(Worker& worker, const Death& death);
    void on_task(shared::Task&& task, const char* source);
    void on_answered(const char* endpoint, const Outcome& outcome, double rate_limit_wait_s);
    void on_signal(int signum);

    // Helpers.
    void take_task(shared::Task&& task, const char* source);
    std::vector<BusyLoad> busy_loads();
    double sample_cpu();
    void worker_idle(Worker& worker);
    std::int64_t task_deadline_us(const TaskRecord& record) const;
    void log_transition(const TaskRecord& record, TaskState from, TaskState to, const std::string& reason);
    void print_summary() const;
    std::string status_json();

    Options options_;
    shared::NodeKey key_;
    shared::SteadyClock clock_;
    // Initialised before every member that registers handles on it.
    struct Loop {
        uv_loop_t handle{};
        Loop() { uv_loop_init(&handle); }
        ~Loop() { uv_loop_close(&handle); }
    } loop_holder_;
    uv_loop_t& loop_ = loop_holder_.handle;
    std::string runtime_dir_;

    HttpClient http_;
    OrchestratorClient client_;
    WorkerChannel channel_;
    std::unique_ptr<WorkerPool> pool_;
    Dispatcher dispatcher_;
    Ledger ledger_;
    RestartPolicy restarts_;
    Submitter submitter_;
    Fetcher fetcher_;
    ControlSocket control_;

    std::unique_ptr<MemoryGuard> guard_;
    Autoscaler autoscaler_;
    MemoryBudget memory_;
    Metrics metrics_;
    std::unique_ptr<AnonymousSource> anonymous_;
    DifficultyPolicy difficulty_;
    double gflops_ = 0;
    bool checking_node_ = false;
    bool orchestrator_confirmed_ = false;  // the node check passed, or a request since got a proper answer
    uv_timer_t tick_{};
    uv_timer_t guard_timer_{};
    uv_signal_t signals_[4]{};  // SIGINT, SIGTERM, SIGTTIN, SIGTTOU

    Phase phase_ = Phase::Starting;
    int exit_code_ = 0;
    std::int64_t started_us_ = 0;
    std::int64_t drain_deadline_us_ = 0;
    unsigned target_workers_ = 1;
    std::map<int, std::int64_t> respawn_at_us_;  // slot -> when its replacement may start
    unsigned signals_received_ = 0;

    // Counters for the summary (and, later, metrics).
    std::uint64_t proofs_ = 0;
    std::uint64_t restarts_total_ = 0;
    std::map<std::string, std::uint64_t> restarts_by_cause_;
    std::uint64_t guard_kills_ = 0;
    unsigned ticks_ = 0;
    bool told_ready_ = false;
    bool told_stopping_ = false;
    std::uint64_t cpu_total_ = 0;
    std::uint64_t cpu_idle_ = 0;
    double cpu_busy_ = 0;
};

}  // namespace supervisor
