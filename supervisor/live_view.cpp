// The live view's terminal side: curses, the keyboard, resizes and the pipe
// that carries the workers' stderr to the event pane.
#include "supervisor/live_view.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>

#include "shared/codec.h"

// Last, and without its function-like macros (erase(), clear(), move() ...),
// which would rewrite calls on std::string and std::vector.
#define NCURSES_NOMACROS
#include <curses.h>

namespace supervisor {

namespace {

constexpr std::int64_t kRedrawUs = 100'000;  // at most ten drawings a second
constexpr std::size_t kEventsKept = 500;
constexpr std::size_t kEventsAtExit = 10;  // printed on the terminal after the view is gone
constexpr int kPipeSize = 1 << 20;         // room for a burst of worker lines while the loop is busy
constexpr short kAlertPair = 1;
constexpr int kMaxEmptyReads = 3;

// A terminfo string without its "$<5>" padding, or "" when the terminal has none.
std::string capability(const char* name) {
    const char* value = tigetstr(name);
    if (value == nullptr || value == reinterpret_cast<const char*>(-1)) return "";
    std::string out;
    for (const char* p = value; *p; ++p) {
        if (p[0] == '$' && p[1] == '<') {
            const char* end = std::strchr(p, '>');
            if (end) {
                p = end;
                continue;
            }
        }
        out += *p;
    }
    return out;
}

// What endwin would send: leave keypad mode and the alternate screen, show the
// cursor, reset attributes. xterm's when the terminal does not say.
std::string leave_sequence() {
    std::string leave = capability("rmkx") + capability("sgr0") + capability("cnorm") + capability("rmcup");
    if (leave.empty()) leave = "\033[?1l\033[0m\033[?25h\033[?1049l";
    return leave;
}

}  // namespace

shared::Expected<std::unique_ptr<LiveView>> LiveView::open(uv_loop_t* loop, const Node& node,
                                                           const shared::Clock& clock, std::string node_name,
                                                           Hooks hooks) {
    std::unique_ptr<LiveView> view(new LiveView(loop, node, clock, std::move(node_name), std::move(hooks)));
    if (auto taken = view->take_terminal(); !taken) return shared::fail(taken.error());
    view->take_logs();
    return view;
}

LiveView::LiveView(uv_loop_t* loop, const Node& node, const shared::Clock& clock, std::string node_name, Hooks hooks)
    : loop_(loop),
      node_(node),
      clock_(clock),
      node_name_(std::move(node_name)),
      hooks_(std::move(hooks)),
      events_(std::make_shared<EventLog>(kEventsKept)),
      sink_(std::make_shared<EventSink>(events_)),
      rate_(clock),
      proofs_seen_(node.proofs()) {}

LiveView::~LiveView() { give_back(); }

// Curses first; then fd 2, the rescue, and the handles that watch the terminal.
// Nothing is changed when curses cannot start, and nothing can fail after it did.
shared::Status LiveView::take_terminal() {
    if (auto started = start_curses(); !started) return started;
    redirect_stderr();
    if (::isatty(STDIN_FILENO) == 1) saved_stdin_flags_ = ::fcntl(STDIN_FILENO, F_GETFL);  // libuv makes it non-blocking
    rescue_ = std::make_unique<TerminalRescue>(
        TerminalRescue::Saved{STDOUT_FILENO, saved_tty_, leave_sequence(), saved_stderr_, saved_stdin_flags_});
    watch_terminal();
    return shared::Ok{};
}

shared::Status LiveView::start_curses() {
    const char* term = std::getenv("TERM");
    if (term == nullptr || *term == '\0' || std::strcmp(term, "dumb") == 0) {
        return shared::fail(std::string("TERM is ") + (term && *term ? term : "not set"));
    }
    if (::tcgetattr(STDOUT_FILENO, &saved_tty_) != 0) return shared::fail(std::string("stdout: ") + std::strerror(errno));
    screen_ = newterm(nullptr, stdout, stdin);
    if (screen_ == nullptr) return shared::fail(std::string("TERM=") + term + " is not a terminal this host knows");
    set_term(screen_);
    if (capability("cup").empty()) {
        endwin();
        delscreen(screen_);
        screen_ = nullptr;
        (void)::tcsetattr(STDOUT_FILENO, TCSANOW, &saved_tty_);
        return shared::fail(std::string("TERM=") + term + " cannot move the cursor");
    }
    cbreak();  // keys come one at a time; ^C still sends SIGINT, which drains
    noecho();
    nonl();
    nodelay(stdscr, TRUE);
    // No keypad mode: the view needs no function keys, and without it an Esc
    // comes back at once instead of after ESCDELAY with the loop blocked.
    keypad(stdscr, FALSE);
    leaveok(stdscr, TRUE);
    (void)curs_set(0);
    if (has_colors()) {
        start_color();
        use_default_colors();
        init_pair(kAlertPair, COLOR_RED, -1);
    }
    return shared::Ok{};
}

// When stderr is the terminal, fd 2 becomes a pipe into the event pane: the
// workers inherit it, and so does whatever a library writes there. A log file
// or the journal keeps getting it as before. Without a pipe (none left) the
// view goes on, and a stray line may land on it until the next redraw.
void LiveView::redirect_stderr() {
    if (::isatty(STDERR_FILENO) != 1) return;
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return;
    (void)::fcntl(fds[1], F_SETPIPE_SZ, kPipeSize);
    saved_stderr_ = ::fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
    std::fflush(stderr);
    if (saved_stderr_ < 0 || ::dup2(fds[1], STDERR_FILENO) < 0) {
        if (saved_stderr_ >= 0) ::close(saved_stderr_);
        saved_stderr_ = -1;
        ::close(fds[0]);
        ::close(fds[1]);
        return;
    }
    ::close(fds[1]);
    uv_pipe_init(loop_, &output_, 0);
    output_.data = this;
    uv_pipe_open(&output_, fds[0]);
    output_open_ = true;
    uv_read_start(
        reinterpret_cast<uv_stream_t*>(&output_),
        [](uv_handle_t* h, std::size_t, uv_buf_t* buf) {
            auto* self = static_cast<LiveView*>(h->data);
            *buf = uv_buf_init(self->output_buffer_, sizeof self->output_buffer_);
        },
        [](uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
            auto* self = static_cast<LiveView*>(s->data);
            if (n > 0) return self->on_output(buf->base, static_cast<std::size_t>(n));
            if (n < 0) uv_read_stop(s);  // every writer is gone
        });
}

// SIGWINCH through libuv (its handler replaces any that curses set), and the
// keyboard when stdin is a terminal too.
void LiveView::watch_terminal() {
    uv_signal_init(loop_, &winch_);
    winch_.data = this;
    uv_signal_start(&winch_, [](uv_signal_t* s, int) {
        auto* self = static_cast<LiveView*>(s->data);
        self->resized_ = self->must_draw_ = true;
        if (self->hooks_.wake) self->hooks_.wake();
    }, SIGWINCH);
    if (saved_stdin_flags_ < 0) return;  // stdin is not the terminal (or its flags cannot be read)
    if (uv_poll_init(loop_, &input_, STDIN_FILENO) != 0) return;
    input_.data = this;
    input_open_ = true;
    uv_poll_start(&input_, UV_READABLE | UV_DISCONNECT, [](uv_poll_t* p, int status, int events) {
        auto* self = static_cast<LiveView*>(p->data);
        if (status < 0 || (events & UV_DISCONNECT)) return (void)uv_poll_stop(p);  // the terminal hung up
        self->on_input();
    });
}

// The node's own lines go to the pane; when stderr was the terminal they go
// there only (fd 2 is the pipe now), else also to stderr as before (the log
// file, the journal).
void LiveView::take_logs() {
    auto logger = spdlog::default_logger();
    replaced_sinks_ = logger->sinks();
    sinks_replaced_ = true;
    if (saved_stderr_ >= 0) logger->sinks() = {sink_};
    else logger->sinks().push_back(sink_);
}

void LiveView::give_logs_back() {
    if (!sinks_replaced_) return;
    sinks_replaced_ = false;
    spdlog::default_logger()->sinks() = replaced_sinks_;
}

void LiveView::on_input() {
    int keys = 0;
    for (int key = wgetch(stdscr); key != ERR; key = wgetch(stdscr), ++keys) {
        if (key == 'q' || key == 'Q') {
            if (hooks_.quit) hooks_.quit();
        } else if (key == KEY_RESIZE) {
            resized_ = true;
        } else if (key == 12) {  // ^L, as in every full-screen program: draw it all again
            (void)clearok(curscr, TRUE);
        }
        must_draw_ = true;
    }
    // Readable yet nothing to read, again and again: the end of the input (a
    // hung-up terminal), which would spin the loop. The view goes on without keys.
    empty_reads_ = keys > 0 ? 0 : empty_reads_ + 1;
    if (empty_reads_ >= kMaxEmptyReads) uv_poll_stop(&input_);
    if (hooks_.wake) hooks_.wake();
}

void LiveView::on_output(const char* data, std::size_t size) {
    output_lines_.feed(std::string_view(data, size), [this](std::string_view line) { events_->push(line); });
    if (hooks_.wake) hooks_.wake();
}

void LiveView::after_turn() {
    const std::uint64_t proofs = node_.proofs();
    rate_.add(proofs - proofs_seen_);
    proofs_seen_ = proofs;
    if (!screen_) return;
    const std::int64_t now = clock_.now_us();
    if (!must_draw_ && now - drawn_us_ < kRedrawUs) return;
    draw();
    drawn_us_ = now;
    must_draw_ = false;
}

void LiveView::draw() {
    if (resized_) {
        resized_ = false;
        winsize size{};
        if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_row > 0 && size.ws_col > 0) {
            resizeterm(size.ws_row, size.ws_col);
        }
        (void)clearok(curscr, TRUE);
    }
    const int width = COLS, height = LINES;
    const auto lines = render_screen(read_model(height), width, height);
    werase(stdscr);
    for (int row = 0; row < static_cast<int>(lines.size()); ++row) {
        const ScreenLine& line = lines[static_cast<std::size_t>(row)];
        std::string text = line.text;
        attr_t attributes = A_NORMAL;
        switch (line.style) {
            case LineStyle::Title:
                attributes = A_REVERSE;
                text.resize(static_cast<std::size_t>(width), ' ');
                break;
            case LineStyle::Heading: attributes = A_BOLD; break;
            case LineStyle::Alert: attributes = has_colors() ? COLOR_PAIR(kAlertPair) | A_BOLD : A_BOLD; break;
            case LineStyle::Plain: break;
        }
        wattrset(stdscr, attributes);
        // The bottom-right cell cannot be written without a scroll: leave it blank.
        const int room = row == height - 1 ? width - 1 : width;
        mvwaddnstr(stdscr, row, 0, text.c_str(), std::min(room, static_cast<int>(text.size())));
    }
    wattrset(stdscr, A_NORMAL);
    wnoutrefresh(stdscr);
    doupdate();
}

ScreenModel LiveView::read_model(int height) const {
    ScreenModel m;
    const std::int64_t now = clock_.now_us();
    m.version = PROVENODE_VERSION;
    m.node_id = node_name_;
    m.phase = std::string(Node::to_string(node_.phase()));
    m.uptime_s = (now - node_.started_us()) / 1e6;
    m.difficulty = std::string(shared::to_string(node_.difficulty()));
    m.target_workers = node_.target_workers();
    m.proofs = node_.proofs();
    m.proofs_per_minute = rate_.per_minute();
    m.accepted = node_.ledger().count(TaskState::Accepted);
    m.restarts = node_.restarts();
    m.memory_projected = node_.projected_memory();
    m.memory_budget = node_.budget();
    m.fetch_wait_s = node_.rate_limit_wait_s("fetch");
    m.submit_wait_s = node_.rate_limit_wait_s("submit");
    m.to_submit = node_.submissions().pending();
    m.fetches_in_flight = node_.intake().fetches_in_flight();
    for (int s = 0; s < kTaskStates; ++s) {
        const auto state = static_cast<TaskState>(s);
        m.tasks.emplace_back(std::string(to_string(state)), node_.ledger().count(state));
    }
    for (const auto& [id, w] : node_.workers().all()) {
        const TaskRecord* task = w.task_id.empty() ? nullptr : node_.ledger().find(w.task_id);
        m.workers.push_back({w.slot, w.pid, std::string(to_string(w.state)), w.task_id,
                             task ? task->task.program_id : "", w.concurrent, w.rss_bytes,
                             (now - w.spawned_us) / 1e6});
    }
    std::sort(m.workers.begin(), m.workers.end(),
              [](const ScreenWorker& a, const ScreenWorker& b) { return a.slot < b.slot; });
    m.events = events_->last(static_cast<std::size_t>(std::max(height, 0)));
    m.stopping = node_.phase() >= Node::Phase::Draining;
    return m;
}

void LiveView::close() {
    if (closed_) return;
    closed_ = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&winch_), nullptr);
    if (input_open_) uv_close(reinterpret_cast<uv_handle_t*>(&input_), nullptr);
    if (output_open_) uv_close(reinterpret_cast<uv_handle_t*>(&output_), nullptr);
}

void LiveView::give_back() {
    if (!screen_) return;
    // The terminal first, so that whatever is logged from here on lands on its
    // normal screen; then the rescue can stand down.
    endwin();
    delscreen(screen_);
    screen_ = nullptr;
    (void)::tcsetattr(STDOUT_FILENO, TCSANOW, &saved_tty_);
    if (saved_stdin_flags_ >= 0) (void)::fcntl(STDIN_FILENO, F_SETFL, saved_stdin_flags_);
    const bool stderr_was_terminal = saved_stderr_ >= 0;
    if (stderr_was_terminal) {
        std::fflush(stderr);
        ::dup2(saved_stderr_, STDERR_FILENO);
        ::close(saved_stderr_);
        saved_stderr_ = -1;
    }
    rescue_.reset();
    give_logs_back();
    if (stderr_was_terminal) {
        output_lines_.flush([this](std::string_view line) { events_->push(line); });
        const auto last = events_->last(kEventsAtExit);
        if (!last.empty()) std::fprintf(stderr, "last events of the live view:\n");
        for (const auto& line : last) std::fprintf(stderr, "  %s\n", line.c_str());
        std::fflush(stderr);
    }
}

}  // namespace supervisor
