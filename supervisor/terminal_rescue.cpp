// The crash path of the live view: signal and terminate handlers that give the
// terminal back with nothing but write, tcsetattr and dup2.
#include "supervisor/terminal_rescue.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <exception>

namespace supervisor {

namespace {

constexpr int kSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGQUIT};
constexpr std::size_t kSignalCount = sizeof kSignals / sizeof kSignals[0];
constexpr std::size_t kMaxLeave = 512;

// Plain data that the handlers read: set while nothing can fire, before `armed`.
struct Kept {
    int tty_fd = -1;
    termios tty{};
    char leave[kMaxLeave]{};
    std::size_t leave_size = 0;
    int stderr_fd = -1;
    int stdin_flags = -1;
    struct sigaction previous[kSignalCount]{};
    std::terminate_handler previous_terminate = nullptr;
};
Kept saved;
std::atomic<bool> armed_flag{false};
std::atomic<bool> rescued{false};
bool exit_hook_registered = false;
// A stack of its own for the handler, so that a stack overflow can be rescued too.
alignas(16) char alternate_stack[64 * 1024];

void write_all(int fd, const char* data, std::size_t size) noexcept {
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        data += n;
        size -= static_cast<std::size_t>(n);
    }
}

// The handler: rescue, then let the signal do what it was going to do. The
// previous disposition comes back first, so a default action kills or dumps
// core when the handler returns (the signal raised here is blocked until then),
// and a handler that was there before (a sanitizer's) still runs.
void on_fatal_signal(int signum) {
    const int saved_errno = errno;
    TerminalRescue::rescue();
    for (std::size_t i = 0; i < kSignalCount; ++i) {
        if (kSignals[i] == signum) ::sigaction(signum, &saved.previous[i], nullptr);
    }
    ::raise(signum);
    errno = saved_errno;
}

[[noreturn]] void on_terminate() {
    TerminalRescue::rescue();
    if (saved.previous_terminate) saved.previous_terminate();
    std::abort();
}

// exit() from anywhere (a library bailing out) skips the view's destructor.
void on_exit_hook() { TerminalRescue::rescue(); }

}  // namespace

TerminalRescue::TerminalRescue(const Saved& terminal) {
    assert(!armed_flag && "one TerminalRescue at a time");
    saved.tty_fd = terminal.tty_fd;
    saved.tty = terminal.tty;
    saved.leave_size = std::min(terminal.leave.size(), kMaxLeave);
    std::memcpy(saved.leave, terminal.leave.data(), saved.leave_size);
    saved.stderr_fd = terminal.stderr_fd;
    saved.stdin_flags = terminal.stdin_flags;
    stack_t current{};
    if (::sigaltstack(nullptr, &current) == 0 && (current.ss_flags & SS_DISABLE)) {
        stack_t ours{};
        ours.ss_sp = alternate_stack;
        ours.ss_size = sizeof alternate_stack;
        (void)::sigaltstack(&ours, nullptr);
    }
    rescued = false;
    armed_flag = true;
    struct sigaction action {};
    action.sa_handler = &on_fatal_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_ONSTACK;
    for (std::size_t i = 0; i < kSignalCount; ++i) ::sigaction(kSignals[i], &action, &saved.previous[i]);
    saved.previous_terminate = std::set_terminate(&on_terminate);
    if (!exit_hook_registered) exit_hook_registered = std::atexit(&on_exit_hook) == 0;
}

TerminalRescue::~TerminalRescue() {
    armed_flag = false;
    for (std::size_t i = 0; i < kSignalCount; ++i) ::sigaction(kSignals[i], &saved.previous[i], nullptr);
    std::set_terminate(saved.previous_terminate);
}

bool TerminalRescue::armed() noexcept { return armed_flag && !rescued; }

void TerminalRescue::rescue() noexcept {
    if (!armed_flag || rescued.exchange(true)) return;
    write_all(saved.tty_fd, saved.leave, saved.leave_size);
    (void)::tcsetattr(saved.tty_fd, TCSANOW, &saved.tty);
    if (saved.stdin_flags >= 0) (void)::fcntl(STDIN_FILENO, F_SETFL, saved.stdin_flags);
    if (saved.stderr_fd >= 0) (void)::dup2(saved.stderr_fd, STDERR_FILENO);
}

}  // namespace supervisor
