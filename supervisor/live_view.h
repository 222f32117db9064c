// The live view: the node drawn on the terminal with ncurses while it runs
// (workers, tasks by state, proofs per minute, memory against the budget,
// rate-limit waits, the last events), redrawn after turns at most ten times a
// second and on every resize. It owns the terminal while it is up: spdlog's
// lines go to its event pane (and to the log file, if there is one), and so do
// the workers' stderr, through a pipe read on the loop, when stderr was the
// terminal. It reads the core's views and never writes to the core: a `q` is
// handed to the supervisor, which asks the core to stop as a signal does.
#pragma once

#include <spdlog/sinks/sink.h>
#include <termios.h>
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "shared/clock.h"
#include "shared/expected.h"
#include "supervisor/event_log.h"
#include "supervisor/node.h"
#include "supervisor/proof_rate.h"
#include "supervisor/screen_layout.h"
#include "supervisor/terminal_rescue.h"

struct screen;  // ncurses' SCREEN, kept out of this header with its macros

namespace supervisor {

class LiveView {
public:
    struct Hooks {
        std::function<void()> quit;  // `q` was pressed
        std::function<void()> wake;  // something came that the next turn should show
    };

    // Takes the terminal on stdout (the caller checked that it is one). An error,
    // with the terminal and the logs left as they were, when it cannot be used
    // (TERM unknown or without the capabilities a full-screen view needs).
    static shared::Expected<std::unique_ptr<LiveView>> open(uv_loop_t* loop, const Node& node,
                                                            const shared::Clock& clock, std::string node_name,
                                                            Hooks hooks);
    ~LiveView();
    LiveView(const LiveView&) = delete;
    LiveView& operator=(const LiveView&) = delete;

    // After every turn: counts new proofs, and redraws when 100 ms passed since
    // the last drawing or something asks for one at once (a resize, a key).
    void after_turn();
    // Closes the libuv handles; the screen stays up until give_back().
    void close();
    // Ends curses and gives the terminal back as it was, the logs back to stderr,
    // and, when stderr is the terminal, prints the last events there so that the
    // reason the node stopped is not lost with the screen. Idempotent.
    void give_back();

private:
    LiveView(uv_loop_t* loop, const Node& node, const shared::Clock& clock, std::string node_name, Hooks hooks);
    shared::Status take_terminal();
    shared::Status start_curses();
    void redirect_stderr();
    void watch_terminal();
    void take_logs();
    void give_logs_back();
    void on_input();
    void on_output(const char* data, std::size_t size);
    void draw();
    ScreenModel read_model(int height) const;

    uv_loop_t* loop_;
    const Node& node_;
    const shared::Clock& clock_;
    std::string node_name_;
    Hooks hooks_;
    std::shared_ptr<EventLog> events_;
    std::shared_ptr<spdlog::sinks::sink> sink_;
    std::vector<std::shared_ptr<spdlog::sinks::sink>> replaced_sinks_;  // the logger's, while the view holds them
    bool sinks_replaced_ = false;
    ProofRate rate_;
    std::uint64_t proofs_seen_ = 0;

    ::screen* screen_ = nullptr;
    termios saved_tty_{};
    int saved_stdin_flags_ = -1;
    int saved_stderr_ = -1;  // the terminal's fd 2 while fd 2 is the pipe to the event pane
    std::unique_ptr<TerminalRescue> rescue_;

    uv_signal_t winch_{};
    uv_poll_t input_{};
    uv_pipe_t output_{};
    bool input_open_ = false;
    bool output_open_ = false;
    bool closed_ = false;
    int empty_reads_ = 0;
    char output_buffer_[16 * 1024];
    LineSplitter output_lines_;

    bool resized_ = false;
    bool must_draw_ = true;
    std::int64_t drawn_us_ = 0;
};

}  // namespace supervisor
