// The supervisor's loop: set-up, the tick and its duties, and the events that
// move tasks through the ledger and workers through their states.
#include "supervisor/supervisor.h"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <cstdio>
#include <filesystem>
#include <random>
#include <thread>

#include "shared/bounds.h"
#include "shared/cgroup.h"
#include "shared/program.h"
#include <nlohmann/json.hpp>

#include "supervisor/identity.h"
#include "supervisor/paths.h"
#include "supervisor/submission.h"
#include "supervisor/telemetry.h"

namespace supervisor {

namespace {

constexpr std::int64_t kTickMs = 100;
constexpr std::int64_t kHeartbeatLivenessUs = 3'000'000;  // 3 missed 1 s heartbeats
constexpr std::int64_t kHelloTimeoutUs = 10'000'000;
constexpr std::int64_t kGuardPeriodMs = 200;

// How long a task may run on a worker, by difficulty (programs share the table:
// the local orchestrator scales both programs' work with difficulty the same way).
double default_task_timeout_s(int difficulty) {
    switch (shared::difficulty_from_wire(difficulty).value_or(shared::Difficulty::Small)) {
        case shared::Difficulty::Small: return 120;
        case shared::Difficulty::SmallMedium: return 180;
        case shared::Difficulty::Medium: return 300;
        case shared::Difficulty::Large: return 600;
        default: return 1800;
    }
}

std::uint64_t random_seed() { return std::random_device{}() ^ static_cast<std::uint64_t>(::getpid()) << 32; }


}  // namespace

Supervisor::Supervisor(Options options, shared::NodeKey key, std::string worker_path)
    : options_(std::move(options)),
      key_(std::move(key)),
      http_(&loop_, "provenode/" PROVENODE_VERSION),
      client_(http_, options_.orchestrator_url),
      channel_(&loop_, [this](const std::string& id, shared::Expected<shared::wire::Message>&& frame) {
          on_worker_frame(id, std::move(frame));
      }),
      ledger_(clock_, [this](const TaskRecord& r, TaskState from, TaskState to, const std::string& why) {
          log_transition(r, from, to, why);
      }),
      restarts_(clock_),
      submitter_(&loop_, clock_, client_, options_.state_dir / "spool", options_.submit_backoff, random_seed() + 1,
                 Submitter::Events{
                     [this](const std::string& id, bool spooled) {
                         ledger_.transition(id, TaskState::Submitting, spooled ? "spooled" : "not spooled");
                     },
                     [this](const std::string& id, TaskState state, const std::string& reason) {
                         ledger_.transition(id, state, reason);
                     },
                     [this](const Outcome& outcome, double waited) {
                         metrics_.request("submit", outcome.status);
                         if (waited > 0) metrics_.rate_limit_wait("submit", waited);
                     }}),
      fetcher_(clock_, client_, options_, random_seed() + 2,
               Fetcher::Events{[this](shared::Task&& task, const char* source) { on_task(std::move(task), source); },
                               [this](const char* endpoint, const Outcome& outcome, double waited) {
                                   on_answered(endpoint, outcome, waited);
                               }}),
      control_(&loop_, options_.state_dir / "control.sock", [this] { return status_json(); }),
      autoscaler_(clock_, options_.min_workers, options_.max_workers, shared::seconds_to_us(options_.scale_cooldown_s)),
      memory_(options_, clock_),
      difficulty_(options_.max_difficulty) {
    target_workers_ = options_.min_workers;
    if (options_.anonymous) {
        const int difficulty = static_cast<int>(options_.max_difficulty.value_or(shared::Difficulty::SmallMedium));
        anonymous_ = std::make_unique<AnonymousSource>(options_.anonymous_program, difficulty, options_.per_task_threads,
                                                       options_.anonymous_input);
    }
    options_.worker_path = std::move(worker_path);
}

Supervisor::~Supervisor() {
    if (pool_) pool_->kill_all_now();
    if (!runtime_dir_.empty()) {
        std::error_code ec;
        std::filesystem::remove_all(runtime_dir_, ec);
    }
}

// --- set-up and tear-down --------------------------------------------------------

shared::Status Supervisor::start() {
    const std::string base = runtime_base().string();
    std::string dir_template = base + "/provenode-XXXXXX";
    if (!::mkdtemp(dir_template.data())) return shared::fail("cannot create a runtime directory under " + base);
    runtime_dir_ = dir_template;  // mkdtemp makes it 0700: only we can reach the socket
    const std::string endpoint = "ipc://" + runtime_dir_ + "/workers.sock";
    if (auto s = channel_.bind(endpoint); !s) return s;
    pool_ = std::make_unique<WorkerPool>(
        &loop_, clock_, WorkerPoolConfig{options_.worker_path, endpoint, options_.allow_test_programs},
        [this](Worker& w, const Death& d) { on_worker_exit(w, d); });
    if (ControlSocket::in_use(options_.state_dir / "control.sock")) {
        return shared::fail("another node is running with the state directory " + options_.state_dir.string());
    }
    if (auto s = submitter_.open(); !s) return s;
    if (auto s = control_.listen(); !s) spdlog::warn("{}; `supervisor status` will not reach this node", s.error());
    load_spool();

    uv_timer_init(&loop_, &tick_);
    tick_.data = this;
    uv_timer_start(&tick_, [](uv_timer_t* t) { static_cast<Supervisor*>(t->data)->on_tick(); }, 0, kTickMs);
    const int signums[4] = {SIGINT, SIGTERM, SIGTTIN, SIGTTOU};
    for (int i = 0; i < 4; ++i) {
        uv_signal_init(&loop_, &signals_[i]);
        signals_[i].data = this;
        uv_signal_start(&signals_[i], [](uv_signal_t* s, int n) { static_cast<Supervisor*>(s->data)->on_signal(n); },
                        signums[i]);
    }
    start_memory();
    if (!options_.metrics_addr.empty()) {
        auto port = metrics_.serve(options_.metrics_addr);
        if (!port) return shared::fail(port.error());
        spdlog::info("metrics on http://{}:{}/metrics", options_.metrics_addr.substr(0, options_.metrics_addr.rfind(':')),
                     *port);
    }
    started_us_ = clock_.now_us();
    if (anonymous_) {
        spdlog::info("anonymous mode: proving built-in {} inputs with {}..{} workers, no network", options_.anonymous_program,
                     options_.min_workers, options_.max_workers);
        return shared::Ok{};
    }
    gflops_ = estimate_gflops(std::thread::hardware_concurrency());
    spdlog::info("node {} starting: {}..{} workers, {} threads per task, difficulty {}, orchestrator {}, state {}, "
                 "about {:.0f} GFLOP/s",
                 options_.node_id, options_.min_workers, options_.max_workers, options_.per_task_threads,
                 difficulty_.adaptive() ? "adaptive from " + std::string(to_string(difficulty_.requested()))
                                        : std::string(to_string(difficulty_.requested())),
                 options_.orchestrator_url, options_.state_dir.string(), gflops_);
    fetcher_.start(options_.startup_jitter_s);
    checking_node_ = true;  // and both wait for the orchestrator to confirm the node
    check_node(client_, options_.node_id, [this](shared::Expected<std::string> known) {
        checking_node_ = false;
        if (!known) {
            exit_code_ = 2;
            spdlog::critical("{}", known.error());
            stop_now("unknown node");
        } else if (!known->empty()) {
            spdlog::warn("{}; starting anyway", *known);
        }
    });
    return shared::Ok{};
}

void Supervisor::start_memory() {
    memory_.start();
    guard_ = std::make_unique<MemoryGuard>(memory_.guard_config());
    if (!options_.memory_guard) {
        spdlog::info("memory guard off: the kernel's OOM killer alone enforces limits");
        return;
    }
    uv_timer_init(&loop_, &guard_timer_);
    guard_timer_.data = this;
    uv_timer_start(&guard_timer_, [](uv_timer_t* t) { static_cast<Supervisor*>(t->data)->guard_memory(); },
                   kGuardPeriodMs, kGuardPeriodMs);
}

void Supervisor::guard_memory() {
    std::vector<MemorySample> samples;
    for (auto& [slot, w] : pool_->workers()) {
        if (w.state == WorkerState::Stopping) continue;
        w.rss_bytes = shared::read_rss(w.pid).value_or(w.rss_bytes);
        metrics_.worker_rss(slot, w.rss_bytes);
        samples.push_back(MemorySample{slot, w.rss_bytes, w.state == WorkerState::Busy});
    }
    auto verdict = guard_->check(samples);
    if (!verdict) return;
    Worker* worker = pool_->by_slot(verdict->slot);
    if (!worker) return;
    ++guard_kills_;
    spdlog::warn("memory guard: killing worker#{}[{}] (task {}): {}", worker->slot, worker->pid,
                 worker->task_id.empty() ? "none" : worker->task_id, verdict->why);
    pool_->stop(*worker, KillReason::MemoryGuard, true);
}

void Supervisor::load_spool() {
    auto loaded = submitter_.resume();
    for (const auto& problem : loaded.set_aside) spdlog::warn("spool: {}; the node goes on", problem);
    for (const auto& entry : loaded.entries) {
        shared::Task task;
        task.task_id = entry.task_id;
        ledger_.add(std::move(task), 1, TaskState::Submitting);
    }
    if (!loaded.entries.empty()) spdlog::info("spool: {} proved tasks to submit first", loaded.entries.size());
}

// Listing assigned tasks waits for the node check; the fetcher says when it is time.
void Supervisor::maybe_list() {
    if (anonymous_ || checking_node_ || phase_ != Phase::Running) return;
    fetcher_.pump_list();
}

void Supervisor::begin_drain(const std::string& why) {
    if (phase_ != Phase::Running) return;
    phase_ = Phase::Draining;
    drain_deadline_us_ = clock_.now_us() + shared::seconds_to_us(options_.drain_timeout_s);
    spdlog::info("draining ({}): no new tasks; {} on workers and {} submissions get {} s to finish", why,
                 ledger_.count(TaskState::Dispatched), submitter_.pending(), options_.drain_timeout_s);
    // Queued tasks stay assigned on the server: a restarted node resumes them.
    while (auto id = ledger_.peek_queued()) {
        ledger_.transition(*id, TaskState::Abandoned, "node stopping before it was proved");
    }
}

void Supervisor::stop_workers() {
    if (phase_ == Phase::Stopping || phase_ == Phase::Done) return;
    phase_ = Phase::Stopping;
    for (auto& [slot, worker] : pool_->workers()) {
        (void)channel_.send(worker.routing_id, shared::wire::Shutdown{});
        pool_->stop(worker, KillReason::Stopping);
    }
}

void Supervisor::stop_now(const std::string& why) {
    spdlog::warn("stopping at once ({}): workers killed, {} spooled submissions kept for the next start", why,
                 submitter_.pending());
    phase_ = Phase::Stopping;
    for (auto& [slot, worker] : pool_->workers()) pool_->stop(worker, KillReason::Stopping, true);
}

void Supervisor::fatal(const std::string& why) {
    spdlog::critical("{}", why);
    exit_code_ = 1;
    stop_now("fatal error");
}

void Supervisor::close_handles() {
    phase_ = Phase::Done;
    uv_close(reinterpret_cast<uv_handle_t*>(&tick_), nullptr);
    if (options_.memory_guard && guard_) uv_close(reinterpret_cast<uv_handle_t*>(&guard_timer_), nullptr);
    for (auto& s : signals_) uv_close(reinterpret_cast<uv_handle_t*>(&s), nullptr);
    http_.close();
    channel_.close();
    control_.close();
}

int Supervisor::run() {
    if (auto s = start(); !s) {
        spdlog::critical("cannot start: {}", s.error());
        return 1;
    }
    phase_ = Phase::Running;
    uv_run(&loop_, UV_RUN_DEFAULT);
    pool_->kill_all_now();
    memory_.save(true);
    print_summary();
    return exit_code_;
}

// --- the tick ---------------------------------------------------------------------

// Every 100 ms: kill what hangs, converge on the worker count, hand out queued
// tasks, fetch and submit when their timers allow, and see whether we are done.
// Every 100 ms, in order: kill what hangs, scale (each second), converge on the
// worker count, hand out queued tasks, list and fetch and submit when their timers
// allow, see whether we are done, and report to metrics and to systemd.
void Supervisor::on_tick() {
    murder_workers();
    if (++ticks_ % 10 == 0) scale();
    manage_workers();
    dispatch();
    maybe_list();
    maybe_fetch();
    submitter_.pump();
    check_progress();
    update_gauges();
    memory_.save(false);
    notify_systemd();
}

// Under systemd (Type=notify): ready once a worker said hello, a watchdog ping
// from the loop itself (a stuck loop stops pinging), and STOPPING when draining.
void Supervisor::notify_systemd() {
    if (!told_ready_ && dispatcher_.idle_count() + ledger_.count(TaskState::Dispatched) > 0) {
        told_ready_ = true;
        sd_notifyf(0, "READY=1\nSTATUS=proving with %u workers", target_workers_);
    }
    if (phase_ != Phase::Running && !told_stopping_) {
        told_stopping_ = true;
        sd_notify(0, "STOPPING=1");
    }
    if (ticks_ % 10 == 0) sd_notify(0, "WATCHDOG=1");
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

void Supervisor::scale() {
    if (phase_ != Phase::Running) return;
    ScaleSignal signal;
    signal.workers = static_cast<unsigned>(pool_->alive());
    signal.idle_workers = static_cast<unsigned>(dispatcher_.idle_count());
    signal.queued_tasks = static_cast<unsigned>(ledger_.queued());
    signal.cpu_busy = sample_cpu();
    if (auto head = ledger_.peek_queued()) {
        const TaskRecord* record = ledger_.find(*head);
        signal.memory_allows =
            record && memory_.admit_task(busy_loads(), record->task.program_id, record->task.difficulty, 1).threads > 0;
    }
    const unsigned before = target_workers_;
    target_workers_ = autoscaler_.decide(signal);
    if (target_workers_ == before) return;
    spdlog::info("scale: {} -> {} workers ({} queued, {} idle, CPU {:.0f}%)", before, target_workers_,
                 signal.queued_tasks, signal.idle_workers, signal.cpu_busy * 100);
    stop_surplus_workers();
}

// Scaling down stops idle workers only; a busy one stops when its task is done.
void Supervisor::stop_surplus_workers() {
    for (auto& [slot, w] : pool_->workers()) {
        if (slot < static_cast<int>(target_workers_) || w.state != WorkerState::Ready) continue;
        dispatcher_.worker_gone(slot);
        (void)channel_.send(w.routing_id, shared::wire::Shutdown{});
        pool_->stop(w, KillReason::ScaleDown);
    }
}

void Supervisor::update_gauges() {
    metrics_.proofs_done(0, clock_.now_us());  // so that the rate falls to 0 when the node idles
    metrics_.queue_depth(ledger_.queued());
    std::map<std::string, unsigned> states{{"spawning", 0}, {"ready", 0}, {"busy", 0}, {"stopping", 0}};
    for (const auto& [slot, w] : pool_->workers()) ++states[std::string(to_string(w.state))];
    metrics_.workers(states);
    metrics_.memory(memory_.projected(busy_loads()), memory_.budget());
    metrics_.target_workers(target_workers_);
}

std::vector<BusyLoad> Supervisor::busy_loads() {
    std::vector<BusyLoad> loads;
    for (const auto& [slot, w] : pool_->workers()) {
        if (w.state != WorkerState::Busy) continue;
        const TaskRecord* record = ledger_.find(w.task_id);
        if (record) loads.push_back(BusyLoad{record->task.program_id, record->task.difficulty, w.concurrent});
    }
    return loads;
}

void Supervisor::murder_workers() {
    const std::int64_t now = clock_.now_us();
    for (auto& [slot, w] : pool_->workers()) {
        if (w.state == WorkerState::Stopping || w.state == WorkerState::Exited) continue;
        if (w.state == WorkerState::Spawning && now - w.spawned_us > kHelloTimeoutUs) {
            spdlog::warn("worker#{}[{}] sent no hello within {} s: killing it", slot, w.pid, kHelloTimeoutUs / 1'000'000);
            pool_->stop(w, KillReason::Hung);
        } else if (w.state != WorkerState::Spawning && now - w.last_seen_us > kHeartbeatLivenessUs) {
            spdlog::warn("worker#{}[{}] missed 3 heartbeats (silent {:.1f} s): killing it", slot, w.pid,
                         (now - w.last_seen_us) / 1e6);
            pool_->stop(w, KillReason::Hung);
        } else if (w.state == WorkerState::Busy) {
            const TaskRecord* record = ledger_.find(w.task_id);
            if (record && now - w.busy_since_us > task_deadline_us(*record)) {
                spdlog::warn("worker#{}[{}] task {} passed its deadline of {:.1f} s: killing the worker", slot, w.pid,
                             w.task_id, task_deadline_us(*record) / 1e6);
                pool_->stop(w, KillReason::Overdue);
            }
        }
    }
}

void Supervisor::manage_workers() {
    if (phase_ != Phase::Running && phase_ != Phase::Draining) return;
    const std::int64_t now = clock_.now_us();
    for (unsigned slot = 0; slot < target_workers_; ++slot) {
        if (pool_->by_slot(static_cast<int>(slot))) continue;
        auto wait = respawn_at_us_.find(static_cast<int>(slot));
        if (wait != respawn_at_us_.end() && now < wait->second) continue;
        auto pid = pool_->spawn(static_cast<int>(slot));
        if (!pid) {
            spdlog::error("worker#{}: {}", slot, pid.error());
            // An exec failure counts as a start-up failure like a death before hello.
            respawn_at_us_[static_cast<int>(slot)] = now + restarts_.on_death(true, 0);
            if (restarts_.give_up()) fatal("workers cannot start: " + pid.error());
            continue;
        }
        spdlog::info("worker#{}[{}] spawned", slot, *pid);
    }
}

void Supervisor::dispatch() {
    if (phase_ != Phase::Running) return;
    while (ledger_.peek_queued() && dispatcher_.idle_count() > 0) {
        const std::string task_id = *ledger_.peek_queued();
        TaskRecord* record = ledger_.find(task_id);
        if (!record) return;
        const unsigned inputs = static_cast<unsigned>(record->task.inputs.size());
        const unsigned wanted = std::min({record->threads, options_.per_task_threads, inputs});
        const Admission admission =
            memory_.admit_task(busy_loads(), record->task.program_id, record->task.difficulty, wanted);
        if (admission.threads == 0) return;  // memory first: wait for a busy worker to finish
        const int slot = *dispatcher_.take_idle();
        Worker* worker = pool_->by_slot(slot);
        if (!worker || worker->state != WorkerState::Ready) continue;
        // Threads beyond the concurrent proofs go to each proof (a STARK uses them all).
        const unsigned threads = options_.per_task_threads > admission.threads && admission.threads == inputs
                                     ? options_.per_task_threads
                                     : admission.threads;
        shared::wire::Assign assign{task_id, record->task.program_id, record->task.inputs, threads,
                                    record->attempts + 1};
        if (auto sent = channel_.send(worker->routing_id, assign); !sent) {
            spdlog::warn("worker#{}[{}] cannot take task {}: {}; replacing the worker", slot, worker->pid, task_id,
                         sent.error());
            pool_->stop(*worker, KillReason::Hung);
            continue;
        }
        record->threads = admission.threads;
        ledger_.dispatch(task_id, slot, "worker#" + std::to_string(slot) + "[" + worker->routing_id + "]");
        // ready -> busy: task assigned
        worker->state = WorkerState::Busy;
        worker->task_id = task_id;
        worker->concurrent = admission.threads;
        worker->busy_since_us = clock_.now_us();
    }
}

void Supervisor::maybe_fetch() {
    if (phase_ != Phase::Running || checking_node_ || (!anonymous_ && !fetcher_.can_fetch())) return;
    const std::uint64_t accepted = ledger_.count(TaskState::Accepted);
    if (options_.max_tasks && accepted + ledger_.held() >= *options_.max_tasks) return;
    // Demand-driven: keep about one task waiting per idle worker, and no more
    // than one queued task per worker in all.
    const std::size_t queued = ledger_.queued();
    if (queued > dispatcher_.idle_count() || queued >= target_workers_) return;
    if (anonymous_) {
        take_task(anonymous_->next(), "made");
        return;
    }
    shared::GetProofTaskRequest request;
    request.node_id = options_.node_id;
    request.node_type = shared::NodeType::CliProver;
    request.ed25519_public_key.assign(key_.public_key().begin(), key_.public_key().end());
    request.max_difficulty = static_cast<int>(difficulty_.requested());
    fetcher_.fetch(request);
}

void Supervisor::check_progress() {
    const bool busy = ledger_.count(TaskState::Dispatched) > 0 || ledger_.count(TaskState::Proved) > 0 ||
                      submitter_.pending() > 0;
    if (phase_ == Phase::Running && options_.max_tasks &&
        ledger_.count(TaskState::Accepted) >= *options_.max_tasks) {
        begin_drain(std::to_string(*options_.max_tasks) + " tasks accepted");
    }
    if (phase_ == Phase::Draining && (!busy || clock_.now_us() > drain_deadline_us_)) {
        if (busy) spdlog::warn("drain timeout: {} tasks unfinished; spooled proofs are kept", ledger_.held());
        stop_workers();
    }
    if (phase_ == Phase::Stopping && pool_->alive() == 0) close_handles();
}

// --- worker events -------------------------------------------------------------

void Supervisor::on_worker_frame(const std::string& routing_id, shared::Expected<shared::wire::Message>&& frame) {
    Worker* worker = pool_->by_routing_id(routing_id);
    if (!worker) {
        if (!frame) spdlog::warn("{}", frame.error());
        else spdlog::warn("frame from unknown worker id '{}' ignored", routing_id.substr(0, 32));
        return;
    }
    worker->last_seen_us = clock_.now_us();  // any frame counts as a heartbeat
    if (!frame) {
        spdlog::warn("worker#{}[{}] sent an undecodable frame: {}", worker->slot, worker->pid, frame.error());
        return;
    }
    std::visit(
        [&](auto&& body) {
            using T = std::decay_t<decltype(body)>;
            if constexpr (std::is_same_v<T, shared::wire::Hello>) {
                on_hello(*worker, body);
            } else if constexpr (std::is_same_v<T, shared::wire::Heartbeat>) {
                worker->rss_bytes = body.rss_bytes;
                worker->peak_rss_bytes = std::max(worker->peak_rss_bytes, body.peak_rss_bytes);
            } else if constexpr (std::is_same_v<T, shared::wire::Result>) {
                on_result(*worker, std::move(body));
            } else if constexpr (std::is_same_v<T, shared::wire::Failure>) {
                on_failure(*worker, body);
            } else {
                spdlog::warn("worker#{}[{}] sent a supervisor-only frame; ignored", worker->slot, worker->pid);
            }
        },
        std::move(*frame));
}

void Supervisor::on_hello(Worker& worker, const shared::wire::Hello& hello) {
    if (worker.state != WorkerState::Spawning) {
        spdlog::warn("worker#{}[{}] said hello twice; ignored", worker.slot, worker.pid);
        return;
    }
    worker.hello_us = clock_.now_us();
    restarts_.on_hello();
    spdlog::info("worker#{}[{}] ready in {:.0f} ms ({} hardware threads, version {})", worker.slot, worker.pid,
                 (worker.hello_us - worker.spawned_us) / 1e3, hello.hardware_threads, hello.version);
    worker_idle(worker);
}

void Supervisor::worker_idle(Worker& worker) {
    // spawning|busy -> ready
    worker.state = WorkerState::Ready;
    worker.task_id.clear();
    worker.concurrent = 0;
    if (phase_ == Phase::Stopping) return;
    if (worker.slot >= static_cast<int>(target_workers_)) {
        // ready -> stopping: the pool was scaled down while this worker was busy
        (void)channel_.send(worker.routing_id, shared::wire::Shutdown{});
        pool_->stop(worker, KillReason::ScaleDown);
        return;
    }
    dispatcher_.worker_idle(worker.slot);
    // A free worker is demand: fill it now rather than at the next tick.
    dispatch();
    maybe_fetch();
    dispatch();
}

void Supervisor::on_result(Worker& worker, shared::wire::Result&& result) {
    if (worker.state != WorkerState::Busy || result.task_id != worker.task_id) {
        spdlog::warn("worker#{}[{}] sent a result for '{}' while holding '{}'; ignored", worker.slot, worker.pid,
                     result.task_id.substr(0, 64), worker.task_id);
        return;
    }
    const std::string task_id = worker.task_id;
    ++worker.tasks_done;
    worker.peak_rss_bytes = std::max(worker.peak_rss_bytes, result.peak_rss_bytes);
    restarts_.on_progress();
    worker_idle(worker);
    TaskRecord* record = ledger_.find(task_id);
    if (!record) return;
    if (result.proofs.size() != record->task.inputs.size()) {
        ledger_.worker_failed(task_id, "bad result: " + std::to_string(result.proofs.size()) + " proofs for " +
                                           std::to_string(record->task.inputs.size()) + " inputs", false);
        return;
    }
    const double took_s = (clock_.now_us() - record->dispatched_us) / 1e6;
    difficulty_.on_finished(record->task.difficulty, took_s, task_deadline_us(*record) / 1e6);
    proofs_ += result.proofs.size();
    metrics_.proofs_done(result.proofs.size(), clock_.now_us());
    memory_.observe(record->task.program_id, record->task.difficulty, result.peak_rss_bytes,
                   std::max(1u, std::min<unsigned>(record->threads, static_cast<unsigned>(result.proofs.size()))));
    if (anonymous_) {
        ledger_.transition(task_id, TaskState::Accepted, "proved in anonymous mode (nothing is submitted)");
        return;
    }
    ledger_.transition(task_id, TaskState::Proved,
                       std::to_string(result.proofs.size()) + " proofs in " +
                           std::to_string(result.total_micros / 1000) + " ms on " +
                           std::to_string(result.threads_used) + " threads, peak RSS " + format_mib(result.peak_rss_bytes));
    submit(*record, result);
}

// Sign, encode and hand to the submitter, which spools before the first send.
void Supervisor::submit(const TaskRecord& record, const shared::wire::Result& result) {
    const std::string task_id = record.task.task_id;
    auto submission = build_submission(record.task, result.proofs, key_,
                                       make_telemetry(gflops_, result.peak_rss_bytes, memory_.budget(), options_.location));
    auto encoded = submission ? shared::encode(*submission) : shared::Expected<shared::Bytes>(shared::fail(submission.error()));
    if (!encoded) {
        ledger_.transition(task_id, TaskState::Rejected, "cannot build the submission: " + encoded.error());
        return;
    }
    submitter_.submit(task_id, std::move(*encoded));
}

void Supervisor::on_failure(Worker& worker, const shared::wire::Failure& failure) {
    if (worker.state != WorkerState::Busy || failure.task_id != worker.task_id) {
        spdlog::warn("worker#{}[{}] reports a failure outside its task: {}", worker.slot, worker.pid, failure.message);
        return;
    }
    const std::string task_id = worker.task_id;
    worker_idle(worker);
    switch (failure.kind) {
        case shared::wire::FailureKind::MalformedInput:
            ledger_.transition(task_id, TaskState::Malformed,
                               "input " + std::to_string(failure.input_index) + ": " + failure.message);
            break;
        case shared::wire::FailureKind::UnsupportedProgram:
            ledger_.transition(task_id, TaskState::Unsupported, failure.message);
            break;
        default:
            ledger_.worker_failed(task_id, "prover error: " + failure.message, false);
    }
}

void Supervisor::on_worker_exit(Worker& worker, const Death& death) {
    dispatcher_.worker_gone(worker.slot);
    const DeathCause cause = classify(death);
    const std::int64_t now = clock_.now_us();
    const bool before_hello = worker.hello_us == 0;
    std::string task_note = "no task";
    if (is_oom(cause) && !worker.task_id.empty()) {
        if (const TaskRecord* record = ledger_.find(worker.task_id)) {
            memory_.oom_killed(record->task.program_id, record->task.difficulty, worker.rss_bytes, worker.concurrent);
        }
    }
    if ((is_oom(cause) || cause == DeathCause::Overdue) && !worker.task_id.empty()) {
        if (const TaskRecord* record = ledger_.find(worker.task_id)) {
            const auto before = difficulty_.requested();
            difficulty_.on_too_hard(record->task.difficulty);
            if (difficulty_.requested() != before) {
                spdlog::info("difficulty: {} -> {} after {}", to_string(before), to_string(difficulty_.requested()),
                             to_string(cause));
            }
        }
    }
    if (!worker.task_id.empty()) {
        const std::string cause_text = std::string(to_string(cause)) + " (" + describe_status(death) + ")";
        ledger_.worker_failed(worker.task_id, cause_text, is_oom(cause));
        const TaskRecord* record = ledger_.find(worker.task_id);
        task_note = "task " + worker.task_id +
                    (record ? " back to the queue (attempt " + std::to_string(record->attempts + 1) + ", " +
                                  std::to_string(record->threads) + " threads)"
                            : " set aside");
    }
    if (cause == DeathCause::Stopped || phase_ == Phase::Stopping || phase_ == Phase::Done) {
        spdlog::info("worker#{}[{}] stopped ({})", worker.slot, worker.pid, describe_status(death));
        return;
    }
    ++restarts_total_;
    ++restarts_by_cause_[std::string(to_string(cause))];
    metrics_.worker_restart(death.kill_reason == KillReason::MemoryGuard ? "guard" : std::string(to_string(cause)));
    metrics_.forget_worker(worker.slot);
    const std::int64_t delay = restarts_.on_death(before_hello, now - worker.spawned_us);
    respawn_at_us_[worker.slot] = now + delay;
    spdlog::warn("worker#{}[{}] died: {} ({}){}; {}; replacement in {} ms", worker.slot, worker.pid, to_string(cause),
                 describe_status(death), before_hello ? ", before its hello" : "", task_note, delay / 1000);
    if (restarts_.give_up()) {
        fatal("workers cannot start: " + std::to_string(restarts_.start_failures()) +
              " start-up failures in a row, the last " + describe_status(death) + " (worker " +
              options_.worker_path + "); stopping instead of restarting in a loop");
        return;
    }
    // A replacement due now starts now, not at the next tick (later ones wait for theirs).
    if (delay == 0) manage_workers();
}

// --- orchestrator events -------------------------------------------------------

void Supervisor::on_task(shared::Task&& task, const char* source) {
    if (std::string_view(source) == "fetched") difficulty_.on_assigned(task.difficulty);
    take_task(std::move(task), source);
    dispatch();
}

void Supervisor::on_answered(const char* endpoint, const Outcome& outcome, double rate_limit_wait_s) {
    metrics_.request(endpoint, outcome.status);
    if (rate_limit_wait_s > 0) metrics_.rate_limit_wait(endpoint, rate_limit_wait_s);
    if (outcome.reply == Reply::Retry && outcome.status >= 200 && outcome.status < 300) metrics_.bad_reply(endpoint);
}

void Supervisor::take_task(shared::Task&& task, const char* source) {
    std::string problem;
    TaskState verdict = TaskState::Unsupported;
    const shared::Program* program = shared::find_program(task.program_id);
    if (task.task_id.empty()) {
        spdlog::warn("{} task without a task id ignored", source);
        return;
    }
    if (!program || (program->test_only && !options_.allow_test_programs)) {
        problem = "unknown program '" + task.program_id.substr(0, 64) + "'";
    } else if (!shared::task_type_from_wire(task.task_type)) {
        problem = "unknown task type " + std::to_string(task.task_type);
    } else if (!shared::difficulty_from_wire(task.difficulty)) {
        problem = "unknown difficulty " + std::to_string(task.difficulty);
    } else if (task.inputs.empty()) {
        verdict = TaskState::Malformed;
        problem = "no inputs";
    } else {
        for (std::size_t i = 0; i < task.inputs.size() && problem.empty(); ++i) {
            if (auto why = program->check_input(task.inputs[i]); !why.empty()) {
                verdict = TaskState::Malformed;
                problem = "input " + std::to_string(i) + ": " + why;
            }
        }
    }
    const std::string id = task.task_id;
    const auto added = ledger_.add(std::move(task), options_.per_task_threads);
    if (added == Ledger::Added::AlreadyHeld) return;  // fetched again while held: not queued twice
    if (added == Ledger::Added::AlreadyAccepted) {
        spdlog::info("task {} was accepted already; not proved again", id);
        return;
    }
    if (std::string_view(source) == "resumed") spdlog::info("task {} {} (assigned to this node earlier)", id, source);
    if (!problem.empty()) ledger_.transition(id, verdict, problem);
}

void Supervisor::on_signal(int signum) {
    if (signum == SIGTTIN || signum == SIGTTOU) {
        // The operator moves the target by one, as with Gunicorn.
        const unsigned before = target_workers_;
        target_workers_ = autoscaler_.nudge(signum == SIGTTIN ? 1 : -1);
        spdlog::info("{}: target {} -> {} workers (within {}:{})", signum == SIGTTIN ? "SIGTTIN" : "SIGTTOU", before,
                     target_workers_, autoscaler_.min(), autoscaler_.max());
        stop_surplus_workers();
        return;
    }
    ++signals_received_;
    if (signals_received_ == 1) {
        begin_drain(signum == SIGINT ? "SIGINT" : "SIGTERM");
        if (phase_ == Phase::Starting) stop_now("signal during start-up");
    } else {
        if (exit_code_ == 0) exit_code_ = 128 + signum;  // like a shell's status for a signalled job
        stop_now(std::string("second signal (") + (signum == SIGINT ? "SIGINT" : "SIGTERM") + ")");
    }
}

// --- helpers -------------------------------------------------------------------

std::int64_t Supervisor::task_deadline_us(const TaskRecord& record) const {
    return shared::seconds_to_us(options_.task_timeout_s.value_or(default_task_timeout_s(record.task.difficulty)));
}

void Supervisor::log_transition(const TaskRecord& record, TaskState from, TaskState to, const std::string& reason) {
    metrics_.task_entered(std::string(to_string(to)));
    const auto level = (to == TaskState::Rejected || to == TaskState::Poison || to == TaskState::Malformed ||
                        to == TaskState::Unsupported || to == TaskState::Expired)
                           ? spdlog::level::warn
                           : spdlog::level::info;
    if (from == to) {
        spdlog::log(level, "task {} {} ({}, {} inputs): {}", record.task.task_id, to_string(to),
                    record.task.program_id.empty() ? "from spool" : record.task.program_id, record.task.inputs.size(),
                    reason);
        return;
    }
    spdlog::log(level, "task {} {} -> {}: {}", record.task.task_id, to_string(from), to_string(to), reason);
}

void Supervisor::print_summary() const {
    const double wall_s = (clock_.now_us() - started_us_) / 1e6;
    const std::uint64_t accepted = ledger_.count(TaskState::Accepted);
    std::string restarts;
    for (const auto& [cause, n] : restarts_by_cause_) restarts += " restart_" + cause + "=" + std::to_string(n);
    // CPU of the supervisor itself, and of the workers it has reaped (all of them by now).
    rusage self{}, children{};
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &children);
    auto seconds = [](const rusage& r) {
        return r.ru_utime.tv_sec + r.ru_stime.tv_sec + (r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
    };
    auto n = [](std::uint64_t v) { return static_cast<unsigned long long>(v); };
    std::printf(
        "summary: accepted=%llu rejected=%llu expired=%llu poison=%llu unsupported=%llu malformed=%llu "
        "abandoned=%llu proofs=%llu restarts=%llu%s wall_s=%.2f tasks_per_min=%.1f cpu_s=%.3f workers_cpu_s=%.3f "
        "max_rss_kib=%ld\n",
        n(accepted), n(ledger_.count(TaskState::Rejected)), n(ledger_.count(TaskState::Expired)),
        n(ledger_.count(TaskState::Poison)), n(ledger_.count(TaskState::Unsupported)),
        n(ledger_.count(TaskState::Malformed)), n(ledger_.count(TaskState::Abandoned)), n(proofs_), n(restarts_total_),
        restarts.c_str(), wall_s, wall_s > 0 ? accepted * 60.0 / wall_s : 0.0, seconds(self), seconds(children),
        self.ru_maxrss);
    std::fflush(stdout);
}

// What `supervisor status` prints: one JSON document, built on the loop.
std::string Supervisor::status_json() {
    static constexpr const char* kPhases[] = {"starting", "running", "draining", "stopping", "done"};
    nlohmann::json workers = nlohmann::json::array();
    for (const auto& [slot, w] : pool_->workers()) {
        workers.push_back({{"slot", slot}, {"pid", w.pid}, {"state", std::string(to_string(w.state))},
                           {"task", w.task_id}, {"rss_bytes", w.rss_bytes}, {"tasks_done", w.tasks_done}});
    }
    nlohmann::json tasks = nlohmann::json::object();
    for (int s = 0; s <= static_cast<int>(TaskState::Abandoned); ++s) {
        tasks[std::string(to_string(static_cast<TaskState>(s)))] = ledger_.count(static_cast<TaskState>(s));
    }
    nlohmann::json status = {
        {"node_id", options_.node_id},
        {"phase", kPhases[static_cast<int>(phase_)]},
        {"uptime_s", (clock_.now_us() - started_us_) / 1e6},
        {"workers", workers},
        {"target_workers", target_workers_},
        {"queued", ledger_.queued()},
        {"tasks", tasks},
        {"proofs", proofs_},
        {"restarts", restarts_total_},
        {"difficulty", std::string(to_string(difficulty_.requested()))},
        {"memory", {{"budget_bytes", memory_.budget()}, {"projected_bytes", memory_.projected(busy_loads())}}},
        {"pending_submissions", submitter_.pending()},
    };
    return status.dump();
}

}  // namespace supervisor
