// The worker processes: spawned with uv_spawn in their own process group,
// signalled as a group, reaped through libuv's exit callback. It owns processes
// and their timers; what to do about a death is the supervisor's decision.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "shared/cgroup.h"
#include "shared/clock.h"
#include "shared/expected.h"
#include "supervisor/death.h"

namespace supervisor {

enum class WorkerState {
    Spawning,  // started, no hello yet
    Ready,     // idle, offered to the dispatcher
    Busy,      // proving one task
    Stopping,  // asked or forced to stop; its exit is awaited
    Exited,
};
std::string_view to_string(WorkerState state);

struct Worker {
    int slot = 0;
    int pid = 0;
    std::string routing_id;  // the pid in decimal, as the worker sets it
    WorkerState state = WorkerState::Spawning;
    std::string task_id;     // while Busy
    unsigned concurrent = 0; // proofs of that task running at once
    KillReason kill_reason = KillReason::None;
    std::int64_t spawned_us = 0;
    std::int64_t hello_us = 0;  // 0 until the hello
    std::int64_t last_seen_us = 0;
    std::int64_t busy_since_us = 0;
    std::uint64_t rss_bytes = 0;
    std::uint64_t peak_rss_bytes = 0;
    std::uint64_t tasks_done = 0;
};

struct WorkerPoolConfig {
    std::string worker_path;
    std::string endpoint;
    bool allow_test_programs = false;
    std::int64_t kill_grace_ms = 2000;  // SIGTERM, then SIGKILL after this
};

class WorkerPool {
public:
    using OnExit = std::function<void(Worker& worker, const Death& death)>;

    WorkerPool(uv_loop_t* loop, const shared::Clock& clock, WorkerPoolConfig config, OnExit on_exit);
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    shared::Expected<int> spawn(int slot);
    // SIGTERM to the worker's process group, then SIGKILL after the grace period.
    void stop(Worker& worker, KillReason reason, bool immediately = false);
    // SIGKILL to every worker's group, now: the last thing before the supervisor exits.
    void kill_all_now();

    Worker* by_routing_id(const std::string& routing_id);
    Worker* by_slot(int slot);
    std::map<int, Worker>& workers() { return workers_; }
    std::size_t alive() const;

    struct Process;  // libuv handles of one process; frees itself once they are closed

private:
    static void on_process_exit(uv_process_t* handle, std::int64_t exit_status, int term_signal);
    static void on_kill_timer(uv_timer_t* timer);
    void reap(Process* process, std::int64_t exit_status, int term_signal);

    uv_loop_t* loop_;
    const shared::Clock& clock_;
    WorkerPoolConfig config_;
    OnExit on_exit_;
    std::optional<shared::MemoryCgroup> cgroup_;
    static constexpr std::int64_t kOomClaimWindowUs = 5'000'000;
    std::uint64_t oom_kills_seen_ = 0;
    std::uint64_t unclaimed_oom_kills_ = 0;
    std::int64_t unclaimed_since_us_ = 0;
    std::map<int, Worker> workers_;                         // by slot
    std::map<int, Process*> processes_;                     // by slot, while the process lives
};

}  // namespace supervisor
