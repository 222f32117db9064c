// Gives the terminal back on the exit paths where ncurses' endwin cannot run: a
// crash (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGQUIT), std::terminate and
// exit(). While armed, each of them first writes the saved sequences that leave
// the alternate screen and show the cursor, puts the saved termios and stdin's
// flags back and makes the saved stderr fd 2 again; then the signal goes on to its default
// action (the core dump or the death by signal that was coming), and terminate
// to the handler it replaced. Everything the handler does is async-signal-safe.
#pragma once

#include <termios.h>

#include <string>

namespace supervisor {

class TerminalRescue {
public:
    // What the terminal was before the view took it.
    struct Saved {
        int tty_fd = -1;    // the terminal the view draws on
        termios tty{};      // its termios before curses changed them
        std::string leave;  // the bytes that give the screen back (rmcup, cnorm, sgr0, ...)
        int stderr_fd = -1;     // the terminal's fd 2 while fd 2 is redirected elsewhere, or -1
        int stdin_flags = -1;   // fd 0's status flags before libuv made it non-blocking, or -1
    };
    // Only one may be armed at a time.
    explicit TerminalRescue(const Saved& saved);
    // Disarms: the handlers that were there before come back; nothing is written.
    ~TerminalRescue();
    TerminalRescue(const TerminalRescue&) = delete;
    TerminalRescue& operator=(const TerminalRescue&) = delete;

    // Does the rescue now, once (a second call does nothing); for the signal
    // handlers and for callers that must give the terminal back in a hurry.
    static void rescue() noexcept;
    // True between arming and disarming, until a rescue ran.
    static bool armed() noexcept;
};

}  // namespace supervisor
