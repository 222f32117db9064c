// Spawning, signalling and reaping worker processes on the libuv loop.
#include "supervisor/worker_pool.h"

#include <csignal>
#include <unistd.h>

namespace supervisor {

struct WorkerPool::Process {
    WorkerPool* pool = nullptr;
    int pid = 0;
    uv_process_t handle{};
    uv_timer_t kill_timer{};
    int open_handles = 0;

    void close() {
        auto closed = [](uv_handle_t* h) {
            auto* self = static_cast<Process*>(h->data);
            if (--self->open_handles == 0) delete self;
        };
        uv_close(reinterpret_cast<uv_handle_t*>(&kill_timer), closed);
        uv_close(reinterpret_cast<uv_handle_t*>(&handle), closed);
    }
};

WorkerPool::WorkerPool(uv_loop_t* loop, const shared::Clock& clock, WorkerPoolConfig config, OnExit on_exit)
    : loop_(loop), clock_(clock), config_(std::move(config)), on_exit_(std::move(on_exit)) {
    cgroup_ = shared::find_memory_cgroup();
    if (cgroup_) oom_kills_seen_ = shared::read_oom_kills(*cgroup_).value_or(0);
}

WorkerPool::~WorkerPool() { kill_all_now(); }

shared::Expected<int> WorkerPool::spawn(int slot) {
    const std::string index = std::to_string(slot);
    const std::string parent = std::to_string(::getpid());
    std::vector<std::string> args{config_.worker_path, "serve", "--endpoint", config_.endpoint,
                                  "--index", index, "--parent-pid", parent};
    if (config_.allow_test_programs) args.push_back("--allow-test-programs");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    auto* process = new Process{};
    process->pool = this;
    uv_stdio_container_t stdio[3];
    stdio[0].flags = UV_IGNORE;
    stdio[1].flags = UV_INHERIT_FD;
    stdio[1].data.fd = stdout_to_stderr_ ? 2 : 1;
    stdio[2].flags = UV_INHERIT_FD;
    stdio[2].data.fd = 2;
    uv_process_options_t options{};
    options.file = config_.worker_path.c_str();
    options.args = argv.data();
    options.exit_cb = &WorkerPool::on_process_exit;
    options.stdio_count = 3;
    options.stdio = stdio;
    // Its own session and so its own process group: one kill(-pid) reaches any grandchild.
    options.flags = UV_PROCESS_DETACHED;
    process->handle.data = process;
    const int rc = uv_spawn(loop_, &process->handle, &options);
    if (rc != 0) {
        process->open_handles = 1;
        uv_close(reinterpret_cast<uv_handle_t*>(&process->handle), [](uv_handle_t* h) {
            delete static_cast<Process*>(h->data);
        });
        return shared::fail("cannot start " + config_.worker_path + ": " + uv_strerror(rc));
    }
    uv_timer_init(loop_, &process->kill_timer);
    process->kill_timer.data = process;
    process->open_handles = 2;
    process->pid = process->handle.pid;
    processes_[process->pid] = process;
    return process->pid;
}

void WorkerPool::stop(int pid, bool immediately) {
    auto it = processes_.find(pid);
    if (it == processes_.end()) return;  // already gone; its exit is on its way
    Process* process = it->second;
    if (immediately) {
        ::kill(-process->pid, SIGKILL);
        return;
    }
    ::kill(-process->pid, SIGTERM);
    if (!uv_is_active(reinterpret_cast<uv_handle_t*>(&process->kill_timer))) {
        uv_timer_start(&process->kill_timer, &WorkerPool::on_kill_timer, config_.kill_grace_ms, 0);
    }
}

void WorkerPool::on_kill_timer(uv_timer_t* timer) {
    auto* process = static_cast<Process*>(timer->data);
    ::kill(-process->pid, SIGKILL);  // the grace period is over
}

void WorkerPool::kill_all_now() {
    for (auto& [pid, process] : processes_) ::kill(-pid, SIGKILL);
}

std::vector<int> WorkerPool::pids() const {
    std::vector<int> pids;
    for (const auto& [pid, process] : processes_) pids.push_back(pid);
    return pids;
}

void WorkerPool::on_process_exit(uv_process_t* handle, std::int64_t exit_status, int term_signal) {
    auto* process = static_cast<Process*>(handle->data);
    process->pool->reap(process, exit_status, term_signal);
}

// The kernel may kill several workers in one OOM episode and the counter can move
// by more than one before the first death is reaped: each SIGKILL death takes one
// unclaimed kill, for a few seconds.
bool WorkerPool::claim_oom_kill(int term_signal) {
    if (!cgroup_) return false;
    const std::uint64_t count = shared::read_oom_kills(*cgroup_).value_or(oom_kills_seen_);
    const std::int64_t now = clock_.now_us();
    if (count > oom_kills_seen_) {
        unclaimed_oom_kills_ += count - oom_kills_seen_;
        unclaimed_since_us_ = now;
    }
    oom_kills_seen_ = count;
    if (now - unclaimed_since_us_ > kOomClaimWindowUs) unclaimed_oom_kills_ = 0;
    if (term_signal != SIGKILL || unclaimed_oom_kills_ == 0) return false;
    --unclaimed_oom_kills_;
    return true;
}

void WorkerPool::reap(Process* process, std::int64_t exit_status, int term_signal) {
    // The worker is dead; anything left in its group (a grandchild) goes with it.
    ::kill(-process->pid, SIGKILL);
    const int pid = process->pid;
    processes_.erase(pid);
    process->close();
    Death death;
    death.exit_status = exit_status;
    death.term_signal = term_signal;
    death.oom_counter_moved = claim_oom_kill(term_signal);
    on_exit_(pid, death);
}

}  // namespace supervisor
