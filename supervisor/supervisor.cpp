// The supervisor's loop: set-up, the turn, and the callbacks that record events.
#include "supervisor/supervisor.h"

#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <fcntl.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "shared/cgroup.h"
#include "shared/log.h"
#include "supervisor/identity.h"
#include "supervisor/paths.h"
#include "supervisor/submission.h"
#include "supervisor/telemetry.h"

namespace supervisor {

namespace {

constexpr std::int64_t kRssPeriodMs = 200;
constexpr const char* kRuntimePrefix = "provenode-";

std::uint64_t random_seed() { return std::random_device{}() ^ static_cast<std::uint64_t>(::getpid()) << 32; }

// A runtime directory whose node is gone: its pid file names a dead process.
bool left_by_dead_node(const std::filesystem::path& dir) {
    std::ifstream in(dir / "supervisor.pid");
    int pid = 0;
    if (!(in >> pid) || pid <= 0) return false;
    return ::kill(pid, 0) != 0 && errno == ESRCH;
}

const char* signal_name(int signum) {
    switch (signum) {
        case SIGINT: return "SIGINT";
        case SIGTERM: return "SIGTERM";
        case SIGHUP: return "SIGHUP";
        case SIGTTIN: return "SIGTTIN";
        case SIGTTOU: return "SIGTTOU";
        default: return "a signal";
    }
}

}  // namespace

Supervisor::Supervisor(Options options, shared::NodeKey key, std::string worker_path)
    : options_(std::move(options)),
      key_(std::move(key)),
      http_(&loop_, "provenode/" PROVENODE_VERSION),
      client_(http_, options_.orchestrator_url),
      channel_(
          &loop_,
          [this](const std::string& id, shared::Expected<shared::wire::Message>&& frame) {
              on_worker_frame(id, std::move(frame));
          },
          [this] {
              guarded("worker socket", [this] {
                  channel_.drain();
                  wake();
              });
          }),
      spool_(options_.state_dir / "spool"),
      jobs_(&loop_, spool_),
      journal_(options_.state_dir / "verdicts"),
      control_(&loop_, options_.state_dir / "control.sock",
               [this] { return reporter_ ? reporter_->status_json() : std::string("{}"); }) {
    options_.worker_path = std::move(worker_path);
    for (uv_timer_t* t : {&turn_timer_, &second_timer_, &rss_timer_}) {
        uv_timer_init(&loop_, t);
        t->data = this;
    }
    for (auto& s : signals_) {
        uv_signal_init(&loop_, &s);
        s.data = this;
    }
    uv_idle_init(&loop_, &turn_soon_);
    turn_soon_.data = this;
}

Supervisor::~Supervisor() {
    if (pool_) pool_->kill_all_now();
    if (!runtime_dir_.empty()) {
        std::error_code ec;
        std::filesystem::remove_all(runtime_dir_, ec);
    }
}

template <class F>
void Supervisor::guarded(const char* where, F&& body) noexcept {
    assert(!acting_ && "a callback ran while a turn was carrying out its actions");
    try {
        body();
    } catch (const std::exception& e) {
        internal_error(std::string(where) + ": " + e.what());
    } catch (...) {
        internal_error(where);
    }
}

// An exception out of a callback is a bug: say so and stop at once, keeping the spool.
void Supervisor::internal_error(const std::string& what) noexcept {
    spdlog::critical("internal error in {}; stopping at once", what);
    if (node_) node_->fail("internal error in " + what);
    wake();
}

// --- set-up and tear-down ---------------------------------------------------------------

int Supervisor::run() {
    if (auto s = start(); !s) {
        spdlog::critical("cannot start: {}", s.error());
        close_handles();
        uv_run(&loop_, UV_RUN_DEFAULT);
        return 1;
    }
    uv_run(&loop_, UV_RUN_DEFAULT);
    // The terminal back before anything more is printed: the summary goes to the shell's screen.
    if (view_) view_->give_back();
    pool_->kill_all_now();
    if (auto saved = node_->memory_model().save(options_.state_dir / "memory.json"); !saved) {
        spdlog::warn("{}", saved.error());
    }
    reporter_->print_summary();
    return node_->exit_code();
}

shared::Status Supervisor::start() {
    if (auto s = lock_state_dir(); !s) return s;
    if (auto s = make_runtime_dir(); !s) return s;
    if (auto s = bind_workers(); !s) return s;
    budget_ = read_memory_budget(options_);
    spdlog::info("memory: budget {} ({} {} less reserve {}), {} per proof until learned", format_mib(budget_.bytes),
                 budget_.source, format_mib(budget_.limit), format_mib(budget_.reserve),
                 format_mib(options_.memory_per_proof));
    const double gflops = options_.anonymous ? 0.0 : estimate_gflops(std::thread::hardware_concurrency());
    NodeEnv env;
    env.memory_budget = budget_.bytes;
    if (!options_.anonymous) env.public_key.assign(key_.public_key().begin(), key_.public_key().end());
    env.build_submission = [this, gflops](const shared::Task& task, const shared::wire::Result& result) {
        auto submission = build_submission(
            task, result.proofs, key_, make_telemetry(gflops, result.peak_rss_bytes, budget_.bytes, options_.location));
        if (!submission) return shared::Expected<shared::Bytes>(shared::fail(submission.error()));
        return shared::encode(*submission);
    };
    NodeHooks hooks;
    hooks.task_changed = [this](const std::string&, TaskState, TaskState to) {
        metrics_.task_entered(std::string(to_string(to)));
    };
    hooks.proved = [this](const std::string& program, const shared::wire::Result& result, double task_s) {
        metrics_.task_proved(program, result.proofs.size(), result.proof_micros, task_s);
    };
    hooks.answered = [this](const char* endpoint, const Outcome& outcome, double waited) {
        metrics_.request(endpoint, outcome.status, outcome.elapsed_s);
        if (waited > 0) metrics_.rate_limit_wait(endpoint, waited);
        if (outcome.reply == Reply::Retry && outcome.status >= 200 && outcome.status < 300) metrics_.bad_reply(endpoint);
    };
    hooks.worker_restarted = [this](const std::string& cause) { metrics_.worker_restart(cause); };
    node_ = std::make_unique<Node>(options_, clock_, std::move(env), random_seed(), std::move(hooks));
    reporter_ = std::make_unique<Reporter>(*node_, options_, clock_, metrics_);
    if (auto s = open_state(); !s) return s;
    if (auto s = serve_metrics(); !s) return s;
    if (auto s = control_.listen(); !s) spdlog::warn("{}; `supervisor status` will not reach this node", s.error());
    start_timers();
    if (options_.anonymous) {
        spdlog::info("anonymous mode: proving built-in {} inputs with {}..{} workers, no network",
                     options_.anonymous_program, options_.min_workers, options_.max_workers);
    } else {
        spdlog::info("node {} starting: {}..{} workers, {} threads per task, difficulty {}, orchestrator {}, state {}, "
                     "about {:.0f} GFLOP/s",
                     options_.node_id, options_.min_workers, options_.max_workers, options_.per_task_threads,
                     options_.max_difficulty ? std::string(shared::to_string(*options_.max_difficulty))
                                             : "adaptive from " + std::string(shared::to_string(node_->difficulty())),
                     options_.orchestrator_url, options_.state_dir.string(), gflops);
    }
    node_->start();
    open_view();
    wake();
    return shared::Ok{};
}

// The live view, at a terminal unless --headless: before the first turn, so that
// no worker is spawned with the terminal as its stdout.
void Supervisor::open_view() {
    if (options_.headless || ::isatty(STDOUT_FILENO) != 1) return;
    LiveView::Hooks hooks;
    hooks.quit = [this] {
        // `q` is a request to stop, as SIGINT is: the first drains, the second stops at once.
        guarded("keyboard", [this] {
            node_->request_stop("q pressed", SIGINT);
            wake();
        });
    };
    hooks.wake = [this] { wake(); };
    auto view = LiveView::open(&loop_, *node_, clock_, options_.anonymous ? "anonymous" : options_.node_id,
                               std::move(hooks));
    if (!view) {
        spdlog::warn("no live view: {}; going on with one log line per event", view.error());
        return;
    }
    view_ = std::move(*view);
    pool_->send_stdout_to_stderr(true);
}

// One node per state directory: an flock on STATE/lock, held for the process's
// life (the kernel drops it when the process dies, however it dies).
shared::Status Supervisor::lock_state_dir() {
    if (auto made = shared::create_private_directories(options_.state_dir); !made) return made;
    const auto path = options_.state_dir / "lock";
    state_lock_ = shared::UniqueFd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (state_lock_.get() < 0) return shared::fail("cannot open " + path.string() + ": " + std::strerror(errno));
    if (::flock(state_lock_.get(), LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) {
            return shared::fail("another node is running with the state directory " + options_.state_dir.string());
        }
        return shared::fail("cannot lock " + path.string() + ": " + std::strerror(errno));
    }
    return shared::Ok{};
}

// A private (0700) directory for the workers' socket; directories left by nodes
// that died without removing theirs go first.
shared::Status Supervisor::make_runtime_dir() {
    const std::string base = supervisor::runtime_base().string();
    std::error_code ec;
    for (std::filesystem::directory_iterator it(base, ec), end; !ec && it != end; it.increment(ec)) {
        const auto name = it->path().filename().string();
        if (name.rfind(kRuntimePrefix, 0) == 0 && left_by_dead_node(it->path())) {
            std::error_code rm;
            std::filesystem::remove_all(it->path(), rm);
            if (!rm) spdlog::info("removed {}, left by a node that is gone", it->path().string());
        }
    }
    std::string dir_template = base + "/" + kRuntimePrefix + "XXXXXX";
    if (!::mkdtemp(dir_template.data())) {
        return shared::fail("cannot create a runtime directory under " + base + ": " + std::strerror(errno));
    }
    runtime_dir_ = dir_template;
    std::ofstream(runtime_dir_ + "/supervisor.pid") << ::getpid() << "\n";
    return shared::Ok{};
}

shared::Status Supervisor::bind_workers() {
    const std::string endpoint = "ipc://" + runtime_dir_ + "/workers.sock";
    if (auto s = channel_.bind(endpoint); !s) return s;
    pool_ = std::make_unique<WorkerPool>(
        &loop_, clock_, WorkerPoolConfig{options_.worker_path, endpoint, options_.allow_test_programs},
        [this](int pid, const Death& death) {
            guarded("worker exit", [&] {
                node_->on_exit(pid, death);
                wake();
            });
        });
    return shared::Ok{};
}

// The spool (proofs to submit first), the verdicts and the learned memory figures.
shared::Status Supervisor::open_state() {
    if (auto s = spool_.open(); !s) return s;
    auto loaded = spool_.load();
    for (const auto& problem : loaded.problems) spdlog::warn("spool: {}; the node goes on", problem);
    node_->restore_spooled(loaded.task_ids);
    for (const auto& problem : journal_.open(node_->verdicts(), clock_.unix_s())) {
        spdlog::warn("verdicts: {}", problem);
    }
    const auto memory_file = options_.state_dir / "memory.json";
    if (auto model = node_->memory_model().load(memory_file); !model) {
        std::error_code ec;
        std::filesystem::rename(memory_file, memory_file.string() + ".corrupt", ec);
        spdlog::warn("{}; moved aside, learning memory figures afresh", model.error());
    }
    return shared::Ok{};
}

shared::Status Supervisor::serve_metrics() {
    if (options_.metrics_addr.empty()) return shared::Ok{};
    auto url = metrics_.serve(options_.metrics_addr);
    if (!url) return shared::fail(url.error());
    spdlog::info("metrics on {0}/metrics, health on {0}/healthz and {0}/readyz", *url);
    return shared::Ok{};
}

void Supervisor::start_timers() {
    uv_timer_start(&second_timer_, [](uv_timer_t* t) {
        auto* self = static_cast<Supervisor*>(t->data);
        self->guarded("1 s timer", [self] { self->on_second(); });
    }, 1000, 1000);
    if (options_.memory_guard) {
        uv_timer_start(&rss_timer_, [](uv_timer_t* t) {
            auto* self = static_cast<Supervisor*>(t->data);
            self->guarded("memory guard timer", [self] { self->sample_rss(); });
        }, kRssPeriodMs, kRssPeriodMs);
    } else {
        spdlog::info("memory guard off: the kernel's OOM killer alone enforces limits");
    }
    const int signums[5] = {SIGINT, SIGTERM, SIGHUP, SIGTTIN, SIGTTOU};
    for (int i = 0; i < 5; ++i) {
        uv_signal_start(&signals_[i], [](uv_signal_t* s, int n) {
            auto* self = static_cast<Supervisor*>(s->data);
            self->guarded("signal", [self, n] { self->on_signal(n); });
        }, signums[i]);
    }
}

void Supervisor::close_handles() {
    if (closed_) return;
    closed_ = true;
    for (uv_timer_t* t : {&turn_timer_, &second_timer_, &rss_timer_}) uv_close(reinterpret_cast<uv_handle_t*>(t), nullptr);
    for (auto& s : signals_) uv_close(reinterpret_cast<uv_handle_t*>(&s), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&turn_soon_), nullptr);
    http_.close();
    channel_.close();
    control_.close();
    if (view_) view_->close();
}

// --- the turn ----------------------------------------------------------------------------

// Coalesced: many events before the loop comes round make one turn. An idle
// handle runs once per loop iteration, after I/O was polled, so a turn never runs
// inside a callback and never starves the sockets (a 0 ms timer re-armed from a
// timer callback would run again before the loop polls).
void Supervisor::wake() {
    if (closed_) return;
    uv_idle_start(&turn_soon_, [](uv_idle_t* idle) {
        auto* self = static_cast<Supervisor*>(idle->data);
        uv_idle_stop(idle);
        self->guarded("turn", [self] { self->on_turn(); });
    });
}

void Supervisor::on_turn() {
    // Read first: a heartbeat queued behind a stalled loop must count before liveness is judged.
    channel_.drain();
    Plan plan = node_->turn();
    acting_ = true;
    for (auto& action : plan.actions) carry_out(action);
    // Read back from the spool since the core decided; a window that opened meanwhile holds them.
    for (auto& [task_id, bytes] : to_post_) {
        if (node_->submissions().rate_limited()) node_->on_send_withheld(task_id);
        else submit(task_id, bytes);
    }
    to_post_.clear();
    acting_ = false;
    reporter_->publish();
    if (view_) view_->after_turn();
    if (plan.done) {
        close_handles();
        return;
    }
    // A send may have consumed the edge that announced frames: read them at once.
    if (channel_.has_input()) return wake();
    const std::int64_t wait_us = std::max<std::int64_t>(1000, plan.wake_at_us - clock_.now_us());
    uv_timer_start(&turn_timer_, [](uv_timer_t* t) {
        auto* self = static_cast<Supervisor*>(t->data);
        self->guarded("turn timer", [self] { self->wake(); });
    }, static_cast<std::uint64_t>((wait_us + 999) / 1000), 0);
}

void Supervisor::submit(const std::string& task_id, const shared::Bytes& bytes) {
    client_.submit(bytes, [this, task_id](const Outcome& outcome) {
        guarded("submit answer", [&] {
            node_->on_submitted(task_id, outcome);
            wake();
        });
    });
}

// Each action is carried out here, and nothing here calls back into the core's
// decisions: completions come back later, through callbacks that record them.
void Supervisor::carry_out(Action& action) {
    std::visit(
        [this](auto& a) {
            using T = std::decay_t<decltype(a)>;
            if constexpr (std::is_same_v<T, SpawnWorker>) {
                auto pid = pool_->spawn(a.slot);
                if (pid) node_->on_spawned(a.id, *pid);
                else node_->on_spawn_failed(a.id, pid.error());
            } else if constexpr (std::is_same_v<T, StopWorker>) {
                if (a.shutdown_first) (void)channel_.send(std::to_string(a.pid), shared::wire::Shutdown{});
                pool_->stop(a.pid, a.immediately);
            } else if constexpr (std::is_same_v<T, SendAssign>) {
                if (auto sent = channel_.send(std::to_string(a.pid), a.assign); !sent) {
                    node_->on_send_failed(a.id, sent.error());
                }
            } else if constexpr (std::is_same_v<T, WriteSpool>) {
                jobs_.write(a.task_id, a.bytes, [this, id = a.task_id, write = a.write_id](const shared::Status& s) {
                    guarded("spool write", [&] {
                        node_->on_spooled(id, write, s);
                        wake();
                    });
                });
            } else if constexpr (std::is_same_v<T, RemoveSpool>) {
                jobs_.remove(a.task_id, [this](const shared::Status& removed) {
                    guarded("spool remove", [&] {
                        if (!removed) spdlog::warn("spool: {}", removed.error());
                    });
                });
            } else if constexpr (std::is_same_v<T, SubmitProof>) {
                if (a.bytes) return submit(a.task_id, *a.bytes);
                jobs_.read(a.task_id, [this, id = a.task_id](shared::Expected<shared::Bytes>&& bytes) {
                    guarded("spool read", [&] {
                        if (bytes) to_post_.emplace_back(id, std::move(*bytes));
                        else node_->on_spool_lost(id, bytes.error());
                        wake();
                    });
                });
            } else if constexpr (std::is_same_v<T, FetchTask>) {
                auto started = client_.fetch_task(a.request, [this, id = a.fetch_id](const Outcome& outcome,
                                                                                    std::optional<shared::Task>&& task) {
                    guarded("fetch answer", [&] {
                        node_->on_fetched(id, outcome, std::move(task));
                        wake();
                    });
                });
                if (!started) node_->on_fetched(a.fetch_id, Outcome{Reply::Rejected, 0, std::nullopt, started.error(), 0}, {});
            } else if constexpr (std::is_same_v<T, ListTasks>) {
                client_.list_tasks(options_.node_id, a.cursor,
                                   [this](const Outcome& outcome, std::optional<shared::GetTasksResponse>&& reply) {
                                       guarded("list answer", [&] {
                                           node_->on_listed(outcome, std::move(reply));
                                           wake();
                                       });
                                   });
            } else if constexpr (std::is_same_v<T, CheckNode>) {
                check_node(client_, options_.node_id, [this](shared::Expected<std::string> known) {
                    guarded("node check", [&] {
                        node_->on_node_checked(known);
                        wake();
                    });
                });
            } else if constexpr (std::is_same_v<T, RememberVerdict>) {
                if (auto appended = journal_.append(a.entry); !appended) spdlog::warn("verdicts: {}", appended.error());
            } else if constexpr (std::is_same_v<T, SaveMemoryModel>) {
                jobs_.write_file(options_.state_dir / "memory.json", node_->memory_model().to_json(), 0644,
                                 [this](const shared::Status& s) {
                                     guarded("memory figures", [&] {
                                         if (!s) spdlog::warn("memory figures: {}", s.error());
                                     });
                                 });
            }
        },
        action);
}

// --- callbacks: record, then wake -----------------------------------------------------------

void Supervisor::on_worker_frame(const std::string& routing_id, shared::Expected<shared::wire::Message>&& frame) {
    int pid = 0;
    try {
        pid = std::stoi(routing_id);
    } catch (...) {
        pid = 0;
    }
    if (!frame) return node_->on_bad_frame(pid, frame.error());
    std::visit(
        [&](auto&& body) {
            using T = std::decay_t<decltype(body)>;
            if constexpr (std::is_same_v<T, shared::wire::Hello>) node_->on_hello(pid, body);
            else if constexpr (std::is_same_v<T, shared::wire::Heartbeat>) node_->on_heartbeat(pid, body);
            else if constexpr (std::is_same_v<T, shared::wire::Result>) node_->on_result(pid, std::move(body));
            else if constexpr (std::is_same_v<T, shared::wire::Failure>) node_->on_failure(pid, body);
            else node_->on_bad_frame(pid, "a supervisor-only frame");
        },
        std::move(*frame));
}

// Signals are events: recorded here, acted on by the next turn.
void Supervisor::on_signal(int signum) {
    if (signum == SIGTTIN || signum == SIGTTOU) {
        node_->request_nudge(signum == SIGTTIN ? 1 : -1, signal_name(signum));
    } else if (signum == SIGHUP) {
        // A hang-up never stops the node without a drain; it reopens the log file (logrotate).
        if (auto reopened = shared::reopen_log(); !reopened) spdlog::warn("SIGHUP: {}", reopened.error());
        else spdlog::info("SIGHUP: log file reopened; the node goes on");
    } else {
        node_->request_stop(signal_name(signum), signum);
    }
    wake();
}

void Supervisor::on_second() {
    node_->on_cpu(sample_cpu());
    reporter_->watchdog();
    journal_.compact_if_large(node_->verdicts());
    wake();
}

void Supervisor::sample_rss() {
    std::vector<std::pair<int, std::uint64_t>> rss;
    for (int pid : pool_->pids()) {
        if (auto bytes = shared::read_rss(pid)) rss.emplace_back(pid, *bytes);
    }
    node_->on_rss(rss);
    wake();
}

// Host CPU in use since the last call, from /proc/stat.
double Supervisor::sample_cpu() {
    std::ifstream in("/proc/stat");
    std::string cpu;
    std::uint64_t v[8] = {};
    in >> cpu >> v[0] >> v[1] >> v[2] >> v[3] >> v[4] >> v[5] >> v[6] >> v[7];
    std::uint64_t total = 0;
    for (auto x : v) total += x;
    const std::uint64_t idle = v[3] + v[4];
    if (cpu_total_ != 0 && total > cpu_total_) {
        cpu_busy_ = 1.0 - static_cast<double>(idle - cpu_idle_) / static_cast<double>(total - cpu_total_);
    }
    cpu_total_ = total;
    cpu_idle_ = idle;
    return cpu_busy_;
}

}  // namespace supervisor
