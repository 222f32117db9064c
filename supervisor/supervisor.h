// The supervisor's shell: one libuv loop, and the owners that do I/O (the worker
// processes, the ROUTER socket, curl, the spool, the control socket, metrics and
// systemd). Every callback only records its event in the core (supervisor/node.h)
// and wakes the loop; one turn per loop iteration asks the core what to do and
// carries it out. The rule, and why, is in docs/core.md.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "shared/clock.h"
#include "shared/durable_file.h"
#include "shared/node_key.h"
#include "shared/worker_codec.h"
#include "supervisor/actions.h"
#include "supervisor/control_socket.h"
#include "supervisor/http_client.h"
#include "supervisor/live_view.h"
#include "supervisor/memory_budget.h"
#include "supervisor/metrics.h"
#include "supervisor/node.h"
#include "supervisor/options.h"
#include "supervisor/orchestrator_client.h"
#include "supervisor/report.h"
#include "supervisor/spool.h"
#include "supervisor/spool_jobs.h"
#include "supervisor/verdict_journal.h"
#include "supervisor/worker_channel.h"
#include "supervisor/worker_pool.h"

namespace supervisor {

class Supervisor {
public:
    Supervisor(Options options, shared::NodeKey key, std::string worker_path);
    ~Supervisor();
    Supervisor(const Supervisor&) = delete;
    Supervisor& operator=(const Supervisor&) = delete;

    // Runs until done; returns the process exit code (0 done, 1 runtime failure, 2 unknown node).
    int run();

private:
    // Set-up, in the order start() runs it, and tear-down.
    shared::Status start();
    shared::Status lock_state_dir();
    shared::Status make_runtime_dir();
    shared::Status bind_workers();
    shared::Status open_state();
    shared::Status serve_metrics();
    void start_timers();
    void open_view();
    void close_handles();

    // The turn: read what waits, let the core decide, carry it out.
    void wake();
    void on_turn();
    void carry_out(Action& action);
    void submit(const std::string& task_id, const shared::Bytes& bytes);

    // What callbacks record.
    void on_worker_frame(const std::string& routing_id, shared::Expected<shared::wire::Message>&& frame);
    void on_signal(int signum);
    void on_second();
    void sample_rss();
    double sample_cpu();
    // Runs a callback's body: nothing may escape into libuv's C frames.
    template <class F>
    void guarded(const char* where, F&& body) noexcept;
    void internal_error(const std::string& what) noexcept;

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
    shared::UniqueFd state_lock_;

    HttpClient http_;
    OrchestratorClient client_;
    WorkerChannel channel_;
    std::unique_ptr<WorkerPool> pool_;
    Spool spool_;
    SpoolJobs jobs_;
    VerdictJournal journal_;
    ControlSocket control_;
    Metrics metrics_;
    MemoryBudget budget_;
    std::unique_ptr<Node> node_;
    std::unique_ptr<Reporter> reporter_;
    std::unique_ptr<LiveView> view_;  // at a terminal without --headless; else one log line per event

    uv_idle_t turn_soon_{};
    uv_timer_t turn_timer_{};
    uv_timer_t second_timer_{};
    uv_timer_t rss_timer_{};
    uv_signal_t signals_[5]{};  // SIGINT, SIGTERM, SIGHUP, SIGTTIN, SIGTTOU
    bool closed_ = false;
    bool acting_ = false;  // carrying out a plan: no callback may run now
    std::vector<std::pair<std::string, shared::Bytes>> to_post_;  // read back from the spool, posted by the next turn
    std::uint64_t cpu_total_ = 0;
    std::uint64_t cpu_idle_ = 0;
    double cpu_busy_ = 0;
};

}  // namespace supervisor
