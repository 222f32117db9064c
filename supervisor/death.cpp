// Exit classification (DESIGN.md "Workers: life and death").
#include "supervisor/death.h"

#include <csignal>
#include <cstring>

namespace supervisor {

DeathCause classify(const Death& death) {
    switch (death.kill_reason) {
        case KillReason::MemoryGuard: return DeathCause::Oom;
        case KillReason::Hung: return DeathCause::Hung;
        case KillReason::Overdue: return DeathCause::Overdue;
        case KillReason::Stopping:
        case KillReason::ScaleDown: return DeathCause::Stopped;
        case KillReason::None: break;
    }
    if (death.term_signal == SIGKILL) return death.oom_counter_moved ? DeathCause::Oom : DeathCause::Killed;
    if (death.term_signal == SIGTERM) return DeathCause::Killed;
    if (death.term_signal != 0) return DeathCause::Crashed;
    return death.exit_status == 0 ? DeathCause::Clean : DeathCause::Exited;
}

std::string_view to_string(DeathCause cause) {
    switch (cause) {
        case DeathCause::Clean: return "clean";
        case DeathCause::Exited: return "exit";
        case DeathCause::Crashed: return "crash";
        case DeathCause::Killed: return "killed";
        case DeathCause::Oom: return "oom";
        case DeathCause::Hung: return "hang";
        case DeathCause::Overdue: return "overdue";
        case DeathCause::Stopped: return "stopped";
    }
    return "unknown";
}

std::string describe_status(const Death& death) {
    if (death.term_signal != 0) {
        const char* abbrev = sigabbrev_np(death.term_signal);
        return "signal " + std::to_string(death.term_signal) + " (SIG" + (abbrev ? abbrev : "?") + ")";
    }
    return "exit " + std::to_string(death.exit_status);
}

}  // namespace supervisor
