// Why a worker died, decoded once from its exit status, its signal, the cgroup's
// OOM counter and what the supervisor itself did to it.
#pragma once

#include <cstdint>
#include <string>

namespace supervisor {

// What the supervisor asked of the worker before it died, if anything.
enum class KillReason { None, Hung, Overdue, MemoryGuard, Stopping, ScaleDown };

enum class DeathCause {
    Clean,     // exit 0
    Exited,    // exit with another code
    Crashed,   // a signal such as SIGSEGV or SIGABRT
    Killed,    // SIGKILL (or SIGTERM) from someone else
    Oom,       // SIGKILL by the kernel's OOM killer or our memory guard
    Hung,      // we killed it: missed heartbeats
    Overdue,   // we killed it: its task passed its deadline
    Stopped,   // we stopped it on purpose (shutdown, scale down)
};

struct Death {
    std::int64_t exit_status = 0;
    int term_signal = 0;
    bool oom_counter_moved = false;
    KillReason kill_reason = KillReason::None;
};

DeathCause classify(const Death& death);
std::string_view to_string(DeathCause cause);
// "exit 3", "signal 11 (SIGSEGV)", "signal 9 (SIGKILL)"
std::string describe_status(const Death& death);
// A task on a worker that died of this cause goes back to the queue; an OOM halves its threads.
inline bool is_oom(DeathCause cause) { return cause == DeathCause::Oom; }

}  // namespace supervisor
