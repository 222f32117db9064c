// Unit tests for exit classification and how an exit status is described.
#include <doctest.h>

#include <csignal>
#include <string>

#include "supervisor/death.h"

using supervisor::classify;
using supervisor::Death;
using supervisor::DeathCause;
using supervisor::describe_status;
using supervisor::KillReason;

namespace {

Death exited(int code) {
    Death d;
    d.exit_status = code;
    return d;
}

Death signalled(int sig, bool oom_moved = false, KillReason reason = KillReason::None) {
    Death d;
    d.term_signal = sig;
    d.oom_counter_moved = oom_moved;
    d.kill_reason = reason;
    return d;
}

}  // namespace

TEST_CASE("exit codes") {
    CHECK(classify(exited(0)) == DeathCause::Clean);
    CHECK(classify(exited(3)) == DeathCause::Exited);
    CHECK(classify(exited(137)) == DeathCause::Exited);  // an exit code, not a signal
}

TEST_CASE("signals from elsewhere") {
    CHECK(classify(signalled(SIGSEGV)) == DeathCause::Crashed);
    CHECK(classify(signalled(SIGABRT)) == DeathCause::Crashed);
    CHECK(classify(signalled(SIGBUS)) == DeathCause::Crashed);
    CHECK(classify(signalled(SIGKILL)) == DeathCause::Killed);
    CHECK(classify(signalled(SIGTERM)) == DeathCause::Killed);
}

TEST_CASE("SIGKILL is an OOM kill only when the cgroup counter moved") {
    CHECK(classify(signalled(SIGKILL, true)) == DeathCause::Oom);
    CHECK(classify(signalled(SIGKILL, false)) == DeathCause::Killed);
    CHECK(supervisor::is_oom(classify(signalled(SIGKILL, true))));
    CHECK_FALSE(supervisor::is_oom(classify(signalled(SIGKILL, false))));
    // The counter moving does not turn a crash into an OOM kill.
    CHECK(classify(signalled(SIGSEGV, true)) == DeathCause::Crashed);
}

TEST_CASE("what the supervisor did decides") {
    CHECK(classify(signalled(SIGKILL, false, KillReason::MemoryGuard)) == DeathCause::Oom);
    CHECK(classify(signalled(SIGKILL, false, KillReason::Hung)) == DeathCause::Hung);
    CHECK(classify(signalled(SIGTERM, false, KillReason::Hung)) == DeathCause::Hung);
    CHECK(classify(signalled(SIGKILL, false, KillReason::Overdue)) == DeathCause::Overdue);
    CHECK(classify(signalled(SIGTERM, false, KillReason::Stopping)) == DeathCause::Stopped);
    CHECK(classify(signalled(SIGTERM, false, KillReason::ScaleDown)) == DeathCause::Stopped);
    Death stopped_cleanly = exited(0);
    stopped_cleanly.kill_reason = KillReason::Stopping;
    CHECK(classify(stopped_cleanly) == DeathCause::Stopped);
}

TEST_CASE("describe_status") {
    CHECK(describe_status(signalled(SIGKILL)) == "signal 9 (SIGKILL)");
    CHECK(describe_status(signalled(SIGSEGV)) == "signal 11 (SIGSEGV)");
    CHECK(describe_status(signalled(SIGTERM)) == "signal 15 (SIGTERM)");
    CHECK(describe_status(exited(3)) == "exit 3");
    CHECK(describe_status(exited(0)) == "exit 0");
}

TEST_CASE("every cause has a name of its own") {
    const DeathCause all[] = {DeathCause::Clean,  DeathCause::Exited, DeathCause::Crashed, DeathCause::Killed,
                              DeathCause::Oom,    DeathCause::Hung,   DeathCause::Overdue, DeathCause::Stopped};
    for (auto a : all) {
        CHECK_FALSE(supervisor::to_string(a).empty());
        CHECK(supervisor::to_string(a) != "unknown");
        for (auto b : all) {
            if (a != b) CHECK(supervisor::to_string(a) != supervisor::to_string(b));
        }
    }
    CHECK(supervisor::to_string(DeathCause::Oom) == "oom");
}
