// The worker processes: spawned with uv_spawn in their own process group,
// signalled as a group, reaped through libuv's exit callback. It owns processes
// and their kill timers, nothing else: which worker a process is and what its
// death means are the core's (supervisor/node.h).
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "shared/cgroup.h"
#include "shared/clock.h"
#include "shared/expected.h"
#include "supervisor/death.h"

namespace supervisor {

struct WorkerPoolConfig {
    std::string worker_path;
    std::string endpoint;
    bool allow_test_programs = false;
    std::int64_t kill_grace_ms = 2000;  // SIGTERM, then SIGKILL after this
};

class WorkerPool {
public:
    // `death.kill_reason` is left for the caller, who knows what it asked.
    using OnExit = std::function<void(int pid, const Death& death)>;

    WorkerPool(uv_loop_t* loop, const shared::Clock& clock, WorkerPoolConfig config, OnExit on_exit);
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    // Starts `worker serve` for a slot; returns its pid.
    shared::Expected<int> spawn(int slot);
    // SIGTERM to the process group, then SIGKILL after the grace period; or SIGKILL now.
    void stop(int pid, bool immediately);
    // SIGKILL to every worker's group, now: the last thing before the supervisor exits.
    void kill_all_now();

    // While the live view holds the terminal, workers spawned from then on write
    // their stdout where their stderr goes (the view's pipe or the log file).
    void send_stdout_to_stderr(bool on) { stdout_to_stderr_ = on; }

    std::vector<int> pids() const;
    std::size_t alive() const { return processes_.size(); }

    struct Process;  // libuv handles of one process; frees itself once they are closed

private:
    static void on_process_exit(uv_process_t* handle, std::int64_t exit_status, int term_signal);
    static void on_kill_timer(uv_timer_t* timer);
    void reap(Process* process, std::int64_t exit_status, int term_signal);
    bool claim_oom_kill(int term_signal);

    uv_loop_t* loop_;
    const shared::Clock& clock_;
    WorkerPoolConfig config_;
    OnExit on_exit_;
    std::optional<shared::MemoryCgroup> cgroup_;
    static constexpr std::int64_t kOomClaimWindowUs = 5'000'000;
    std::uint64_t oom_kills_seen_ = 0;
    std::uint64_t unclaimed_oom_kills_ = 0;
    std::int64_t unclaimed_since_us_ = 0;
    std::map<int, Process*> processes_;  // by pid, while the process lives
    bool stdout_to_stderr_ = false;
};

}  // namespace supervisor
