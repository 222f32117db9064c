// Unit tests for TerminalRescue on a real pseudo-terminal: a child process arms
// it, puts the terminal in curses' state (no echo, no canonical mode), then
// crashes, terminates or exits; the parent checks that the terminal got the
// leave sequence and its settings back, and that the death went on as it would
// have (the same signal, the terminate handler that was there before).
#include <doctest.h>

#include <fcntl.h>
#include <pty.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <stdexcept>
#include <string>

#include "supervisor/terminal_rescue.h"

using supervisor::TerminalRescue;

namespace {

constexpr const char* kLeave = "<leave>";

struct Pty {
    int master = -1;
    int slave = -1;
    Pty() {
        REQUIRE(::openpty(&master, &slave, nullptr, nullptr, nullptr) == 0);
        ::fcntl(master, F_SETFL, ::fcntl(master, F_GETFL) | O_NONBLOCK);
    }
    ~Pty() {
        ::close(master);
        ::close(slave);
    }
    std::string output() const {
        std::string out;
        char buf[4096];
        for (ssize_t n; (n = ::read(master, buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
        return out;
    }
    bool cooked() const {
        termios t{};
        ::tcgetattr(slave, &t);
        return (t.c_lflag & ECHO) && (t.c_lflag & ICANON);
    }
};

void raw(int fd) {
    termios t{};
    ::tcgetattr(fd, &t);
    t.c_lflag &= ~static_cast<tcflag_t>(ECHO | ICANON);
    ::tcsetattr(fd, TCSANOW, &t);
}

// Runs `body` in a child with the rescue armed on the pty and the terminal made
// raw; returns the child's wait status. The child's own handlers (doctest's)
// are put back to the defaults first, so that the death is the plain one.
int in_child(Pty& pty, const std::function<void(TerminalRescue&)>& body) {
    REQUIRE(pty.cooked());
    std::fflush(nullptr);  // or the child's exit() prints doctest's buffered lines again
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        for (int s : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGQUIT}) std::signal(s, SIG_DFL);
        std::set_terminate(nullptr);
        TerminalRescue::Saved saved;
        saved.tty_fd = pty.slave;
        ::tcgetattr(pty.slave, &saved.tty);
        saved.leave = kLeave;
        auto* rescue = new TerminalRescue(saved);
        raw(pty.slave);
        body(*rescue);
        ::_exit(0);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return status;
}

[[noreturn]] void say_after_and_exit() {
    const char text[] = "<after>";
    (void)!::write(STDERR_FILENO, text, sizeof text - 1);
    ::_exit(42);
}

// An exception that reaches a noexcept frame, as one out of a libuv callback would.
void (*volatile thrower)() = [] { throw std::runtime_error("escaped"); };
void throw_out_of_noexcept() noexcept { thrower(); }

}  // namespace

TEST_CASE("SIGABRT: the terminal is given back, then the process dies of SIGABRT") {
    Pty pty;
    const int status = in_child(pty, [](TerminalRescue&) { std::abort(); });
    REQUIRE(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGABRT);
    CHECK(pty.output() == kLeave);
    CHECK(pty.cooked());
}

TEST_CASE("a real SIGSEGV: the terminal is given back, then the process dies of SIGSEGV") {
    Pty pty;
    const int status = in_child(pty, [](TerminalRescue&) {
        volatile int* nowhere = nullptr;
        *nowhere = 1;
    });
    REQUIRE(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGSEGV);
    CHECK(pty.output() == kLeave);
    CHECK(pty.cooked());
}

TEST_CASE("SIGSEGV sent from outside (kill -SEGV), and SIGQUIT") {
    for (int signum : {SIGSEGV, SIGQUIT, SIGBUS}) {
        CAPTURE(signum);
        Pty pty;
        const int status = in_child(pty, [signum](TerminalRescue&) { ::kill(::getpid(), signum); });
        REQUIRE(WIFSIGNALED(status));
        CHECK(WTERMSIG(status) == signum);
        CHECK(pty.output() == kLeave);
        CHECK(pty.cooked());
    }
}

TEST_CASE("std::terminate: given back, fd 2 is the terminal again, and the old terminate handler runs") {
    Pty second;
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        std::signal(SIGABRT, SIG_DFL);
        std::set_terminate(&say_after_and_exit);  // what the rescue replaces: it must still run, after it
        TerminalRescue::Saved saved;
        saved.tty_fd = second.slave;
        ::tcgetattr(second.slave, &saved.tty);
        saved.leave = kLeave;
        saved.stderr_fd = ::dup(second.slave);  // fd 2 elsewhere, as the view's pipe; the terminal kept aside
        const int null = ::open("/dev/null", O_WRONLY);
        ::dup2(null, STDERR_FILENO);
        new TerminalRescue(saved);
        raw(second.slave);
        throw_out_of_noexcept();
        ::_exit(0);
    }
    int terminated = 0;
    ::waitpid(pid, &terminated, 0);
    REQUIRE(WIFEXITED(terminated));
    CHECK(WEXITSTATUS(terminated) == 42);
    CHECK(second.output() == std::string(kLeave) + "<after>");
    CHECK(second.cooked());
}

TEST_CASE("exit() from anywhere gives the terminal back") {
    Pty pty;
    const int status = in_child(pty, [](TerminalRescue&) { std::exit(3); });
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 3);
    CHECK(pty.output() == kLeave);
    CHECK(pty.cooked());
}

TEST_CASE("a rescue runs once, however many paths reach it") {
    Pty pty;
    const int status = in_child(pty, [](TerminalRescue&) {
        TerminalRescue::rescue();
        TerminalRescue::rescue();
        std::abort();
    });
    REQUIRE(WIFSIGNALED(status));
    CHECK(pty.output() == kLeave);
}

TEST_CASE("disarmed, it does nothing and the old dispositions are back") {
    Pty pty;
    const int status = in_child(pty, [](TerminalRescue& rescue) {
        CHECK(TerminalRescue::armed());
        delete &rescue;
        if (TerminalRescue::armed()) ::_exit(9);
        std::abort();
    });
    REQUIRE(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGABRT);
    CHECK(pty.output().empty());
    CHECK_FALSE(pty.cooked());
}
