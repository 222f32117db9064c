// The core's turn: every decision, run once per loop turn in a fixed order, each
// duty a function of its own (Gunicorn's arbiter loop, Redis's serverCron).
#include "supervisor/node.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cassert>
#include "supervisor/mutants.h"


namespace supervisor {

namespace {

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

constexpr std::int64_t kMemorySavePeriodUs = 10'000'000;
constexpr std::size_t kMinPendingBound = 64;

}  // namespace

// In order: act on requests (signals), kill what hangs, scale, converge on the
// worker count, retire the surplus, guard memory, hand out queued tasks, spool and
// submit, take in new work, and see whether the node is done.
Plan Node::turn() {
    assert(!in_turn_ && "turn() is not re-entrant");
    in_turn_ = true;
    plan_ = Plan{};
    const std::int64_t now = clock_.now_us();
    if (last_turn_us_ != 0 && now - last_turn_us_ > kStallUs && !MUTANT(StallKillsWorkers)) {
        // The loop was held (a slow disk, a stopped process): nobody could be heard
        // meanwhile, so silence is counted afresh from now.
        max_lag_us_ = std::max(max_lag_us_, now - last_turn_us_);
        liveness_from_us_ = now;
        spdlog::warn("the loop was stalled for {:.1f} s; worker liveness is judged afresh", (now - last_turn_us_) / 1e6);
    }
    last_turn_us_ = now;
    apply_requests();
    if (phase_ != Phase::Done) {
        murder_workers();
        scale();
        manage_workers();
        retire_surplus();
        guard_memory();
        dispatch();
        spool_and_submit();
        take_in();
        check_progress();
    }
    if (memory_dirty_ && (memory_urgent_ || phase_ == Phase::Done || now - memory_saved_us_ >= kMemorySavePeriodUs)) {
        plan_.actions.push_back(SaveMemoryModel{memory_urgent_});
        memory_dirty_ = memory_urgent_ = false;
        memory_saved_us_ = now;
    }
    // What events recorded for the shell since the last turn, and during this one.
    for (auto& action : outbox_) plan_.actions.push_back(std::move(action));
    outbox_.clear();
    plan_.wake_at_us = now + kTickUs;
    // Anything due now was done by this turn, or waits for an event (an answer, a
    // slot in flight): only what falls due later sets the next turn.
    auto earlier = [this, now](std::int64_t t) {
        if (t > now) plan_.wake_at_us = std::min(plan_.wake_at_us, t);
    };
    if (phase_ == Phase::Running && node_confirmed_ && !anonymous_) earlier(intake_.next_due_us());
    if (phase_ != Phase::Stopping && phase_ != Phase::Done) earlier(submits_.next_due_us());
    if (phase_ == Phase::Draining) earlier(drain_deadline_us_ + 1);
    for (unsigned slot = 0; slot < target_; ++slot) {
        if (!workers_.by_slot(static_cast<int>(slot))) earlier(workers_.respawn_at(static_cast<int>(slot)));
    }
    plan_.done = phase_ == Phase::Done;
    in_turn_ = false;
    return std::move(plan_);
}

// --- phases ---------------------------------------------------------------------------

void Node::set_phase(Phase to, const std::string& why) {
    if (to == phase_) return;
    spdlog::info("node {} -> {}: {}", to_string(phase_), to_string(to), why);
    phase_ = to;
}

void Node::apply_requests() {
    if (!fatal_.empty()) {
        const std::string why = std::move(fatal_);
        fatal_.clear();
        spdlog::critical("{}", why);
        if (exit_code_ == 0) exit_code_ = fatal_code_;
        stop_workers(true, "fatal error");
    }
    if (phase_ == Phase::Starting && node_confirmed_) {
        set_phase(Phase::Running, "the orchestrator knows node " + options_.node_id);
    }
    for (const auto& request : requests_) {
        if (!request.stop) {
            // The operator moves the target by one, as with Gunicorn.
            const unsigned before = target_;
            target_ = autoscaler_.nudge(request.delta);
            spdlog::info("{}: target {} -> {} workers (within {}:{})", request.why, before, target_, autoscaler_.min(),
                         autoscaler_.max());
            continue;
        }
        if (++stop_requests_ == 1 && phase_ < Phase::Stopping) {
            begin_drain(request.why);
        } else {
            if (exit_code_ == 0) exit_code_ = 128 + request.signum;  // like a shell's status for a signalled job
            stop_workers(true, "second request to stop (" + request.why + ")");
        }
    }
    requests_.clear();
}

void Node::begin_drain(const std::string& why) {
    if (phase_ >= Phase::Draining) return;
    set_phase(Phase::Draining, why);
    drain_deadline_us_ = clock_.now_us() + shared::seconds_to_us(options_.drain_timeout_s);
    spdlog::info("draining ({}): no new tasks; {} on workers and {} submissions get {} s to finish", why,
                 ledger_.count(TaskState::Dispatched), submits_.pending(), options_.drain_timeout_s);
}

// Queued tasks stay assigned on the server: a restarted node resumes them.
void Node::abandon_queued() {
    while (auto id = ledger_.peek_queued()) {
        ledger_.transition(*id, TaskState::Abandoned, "node stopping before it was proved");
    }
}

void Node::stop_workers(bool immediately, const std::string& why) {
    if (phase_ == Phase::Done || (phase_ == Phase::Stopping && !immediately)) return;
    if (immediately) {
        const std::size_t in_memory = submits_.memory_only();
        spdlog::warn("stopping at once ({}): workers killed, {} spooled submissions kept for the next start{}", why,
                     submits_.pending() - in_memory,
                     in_memory ? "; " + std::to_string(in_memory) + " proofs only in memory (the spool failed) are lost"
                               : "");
    }
    set_phase(Phase::Stopping, why);
    if (!MUTANT(DrainStrandsQueued)) abandon_queued();
    for (auto& [id, w] : workers_.all()) {
        if (w.state == WorkerState::Stopping && !immediately) continue;
        kill_worker(w, KillReason::Stopping, immediately, !immediately);
    }
}

void Node::check_progress() {
    const std::size_t in_flight = ledger_.count(TaskState::Dispatched) + submits_.pending();
    if (phase_ == Phase::Running && options_.max_tasks && ledger_.count(TaskState::Accepted) >= *options_.max_tasks) {
        begin_drain(std::to_string(*options_.max_tasks) + " tasks accepted");
    }
    if (phase_ >= Phase::Draining && !MUTANT(DrainStrandsQueued)) abandon_queued();
    if (phase_ == Phase::Draining && (in_flight == 0 || clock_.now_us() > drain_deadline_us_)) {
        if (in_flight) {
            spdlog::warn("drain timeout: {} tasks unfinished; {} spooled proofs are kept{}", ledger_.held(),
                         submits_.pending() - submits_.memory_only(),
                         submits_.memory_only() ? ", " + std::to_string(submits_.memory_only()) +
                                                      " proofs only in memory (the spool failed) are lost"
                                                : "");
        }
        stop_workers(false, in_flight ? "drain timeout" : "drained");
    }
    if (phase_ == Phase::Stopping && workers_.size() == 0) set_phase(Phase::Done, "every worker has exited");
}

// --- workers --------------------------------------------------------------------------

void Node::kill_worker(WorkerRecord& w, KillReason reason, bool immediately, bool shutdown_first) {
    if (w.kill_reason == KillReason::None) w.kill_reason = reason;
    if (w.state != WorkerState::Stopping) workers_.transition(w.id, WorkerState::Stopping, "stop");
    // A worker whose process has not started yet is stopped when it does (on_spawned).
    if (w.pid > 0) plan_.actions.push_back(StopWorker{w.id, w.pid, immediately, shutdown_first});
}

// Gunicorn's murder_workers: no hello in time, no frame in 3 s, a task past its deadline.
void Node::murder_workers() {
    const std::int64_t now = clock_.now_us();
    for (auto& [id, w] : workers_.all()) {
        if (w.state == WorkerState::Stopping) continue;
        const std::int64_t silent_us = now - std::max(w.last_seen_us, liveness_from_us_);
        if (w.must_stop) {
            kill_worker(w, KillReason::Hung, false);
        } else if (w.state == WorkerState::Spawning) {
            if (w.pid > 0 && now - w.spawned_us > kHelloTimeoutUs) {
                spdlog::warn("{} sent no hello within {} s: killing it", label(w), kHelloTimeoutUs / 1'000'000);
                kill_worker(w, KillReason::Hung, false);
            }
        } else if (silent_us > kHeartbeatLivenessUs) {
            spdlog::warn("{} missed 3 heartbeats (silent {:.1f} s): killing it", label(w), silent_us / 1e6);
            kill_worker(w, KillReason::Hung, false);
        } else if (w.state == WorkerState::Busy && w.lost_result) {
            // Not the task's fault, nor the worker's deadline: the task simply goes again.
            spdlog::warn("{} holds no task, yet was given {}: its result was lost; the task goes back to the queue",
                         label(w), w.task_id);
            ledger_.worker_failed(w.task_id, w.id, "result lost on the way", false, false);
            free_worker(w, "result lost");
        } else if (w.state == WorkerState::Busy) {
            const TaskRecord* record = ledger_.find(w.task_id);
            if (record && now - w.busy_since_us > task_deadline_us(record->task)) {
                spdlog::warn("{} task {} passed its deadline of {:.1f} s: killing the worker", label(w), w.task_id,
                             task_deadline_us(record->task) / 1e6);
                kill_worker(w, KillReason::Overdue, false);
            }
        }
    }
}

void Node::scale() {
    const std::int64_t now = clock_.now_us();
    if (phase_ != Phase::Running || now < next_scale_us_) return;
    next_scale_us_ = now + kScalePeriodUs;
    ScaleSignal signal;
    signal.workers = static_cast<unsigned>(workers_.size());
    signal.idle_workers = static_cast<unsigned>(workers_.idle().size());
    signal.queued_tasks = static_cast<unsigned>(ledger_.queued());
    signal.cpu_busy = cpu_busy_;
    if (auto head = ledger_.peek_queued()) {
        const TaskRecord* r = ledger_.find(*head);
        signal.memory_allows = admit(model_, budget_, busy_loads(), r->task.program_id, r->task.difficulty, 1).threads > 0;
    }
    const unsigned before = target_;
    target_ = autoscaler_.decide(signal);
    if (target_ != before) {
        spdlog::info("scale: {} -> {} workers ({} queued, {} idle, CPU {:.0f}%)", before, target_,
                     signal.queued_tasks, signal.idle_workers, signal.cpu_busy * 100);
    }
}

// Converge on the target: a slot without a worker gets one once its backoff has passed.
void Node::manage_workers() {
    if (phase_ != Phase::Starting && phase_ != Phase::Running) return;
    const std::int64_t now = clock_.now_us();
    // supervisord's startsecs: a worker up this long after its hello has started,
    // which ends the streak of start-up failures (on_exit counts an idle death
    // sooner than that as one).
    for (auto& [id, w] : workers_.all()) {
        if (!w.started && w.hello_us != 0 && now - w.hello_us >= kStartSecsUs) {
            w.started = true;
            restarts_.on_started();
        }
    }
    for (unsigned s = 0; s < target_; ++s) {
        const int slot = static_cast<int>(s);
        if (workers_.by_slot(slot) || now < workers_.respawn_at(slot)) continue;
        WorkerRecord& w = workers_.add(slot, now);
        plan_.actions.push_back(SpawnWorker{w.id, slot});
    }
}

// Scaling down stops idle workers only; a busy one goes when its task is done.
void Node::retire_surplus() {
    for (auto& [id, w] : workers_.all()) {
        if (w.state == WorkerState::Ready && w.slot >= static_cast<int>(target_)) {
            kill_worker(w, KillReason::ScaleDown, false, true);
        }
    }
}

void Node::guard_memory() {
    if (!rss_fresh_ || !options_.memory_guard) return;
    rss_fresh_ = false;
    std::vector<MemorySample> samples;
    for (const auto& [id, w] : workers_.all()) {
        if (w.state != WorkerState::Stopping) samples.push_back(MemorySample{w.slot, w.rss_bytes, w.state == WorkerState::Busy});
    }
    auto verdict = guard_.check(samples);
    if (!verdict) return;
    for (auto& [id, w] : workers_.all()) {
        if (w.slot != verdict->slot || w.state == WorkerState::Stopping) continue;
        spdlog::warn("memory guard: killing {} (task {}): {}", label(w), w.task_id.empty() ? "none" : w.task_id,
                     verdict->why);
        kill_worker(w, KillReason::MemoryGuard, true);
    }
}

// --- tasks ----------------------------------------------------------------------------

std::vector<BusyLoad> Node::busy_loads() const {
    std::vector<BusyLoad> loads;
    for (const auto& [id, r] : ledger_.records()) {
        if (r.state == TaskState::Dispatched) loads.push_back(BusyLoad{r.task.program_id, r.task.difficulty, r.concurrent});
    }
    return loads;
}

std::uint64_t Node::projected_memory() const { return supervisor::projected_memory(model_, busy_loads()); }

std::int64_t Node::task_deadline_us(const shared::Task& task) const {
    return shared::seconds_to_us(options_.task_timeout_s.value_or(default_task_timeout_s(task.difficulty)));
}

// Memory idle workers hold (their kept arenas), but for `except`, which is about
// to take a task and reuse its own.
std::uint64_t Node::held_by_idle(WorkerId except) const {
    std::uint64_t held = 0;
    for (WorkerId id : workers_.idle()) {
        if (id != except) held += workers_.by_id(id)->rss_bytes;
    }
    return held;
}

// The idle worker for a task: the least recently used one whose last task was of
// the same program and difficulty (its arenas fit), else the least recently used.
WorkerId Node::pick_worker(const shared::Task& task) const {
    for (WorkerId id : workers_.idle()) {
        const WorkerRecord* w = workers_.by_id(id);
        if (w->last_program == task.program_id && w->last_difficulty == task.difficulty) return id;
    }
    return workers_.idle().front();
}

// An idle worker takes the head of the queue, within memory. Every change is made
// before the Assign is handed to the shell, so nothing that happens next can see
// the task free or the worker idle.
void Node::dispatch() {
    memory_blocked_ = false;
    if (phase_ != Phase::Running) return;
    std::vector<BusyLoad> loads = busy_loads();
    struct LateCommit {
        std::string task_id;
        WorkerId worker;
        unsigned threads;
    };
    std::vector<LateCommit> late_commits;  // only with the CommitAfterSend mutant
    while (!ledger_.queue().empty() && !workers_.idle().empty()) {
        const std::string id = ledger_.queue().front();
        const TaskRecord& r = *ledger_.find(id);
        WorkerRecord& w = *workers_.by_id(pick_worker(r.task));
        const unsigned inputs = static_cast<unsigned>(r.task.inputs.size());
        const unsigned wanted = std::min({r.threads, options_.per_task_threads, inputs});
        const Admission a = admit(model_, budget_, loads, r.task.program_id, r.task.difficulty, wanted,
                                  MUTANT(AdmissionIgnoresIdle) ? 0 : held_by_idle(w.id));
        if (a.reduced && told_reduced_.insert(r.task.program_id + "/" + std::to_string(r.task.difficulty)).second) {
            spdlog::warn("memory: {} threads for {} at difficulty {} need {} each, the budget {} has room for {} now; "
                         "using {} (said once)",
                         wanted, r.task.program_id, r.task.difficulty, format_mib(a.per_proof), format_mib(budget_),
                         a.threads, a.threads);
        }
        if (a.threads == 0) {  // memory first: wait for a busy worker to finish
            memory_blocked_ = true;
            return;
        }
        // Threads beyond the concurrent proofs go to each proof (a STARK uses them all).
        const unsigned threads =
            options_.per_task_threads > a.threads && a.threads == inputs ? options_.per_task_threads : a.threads;
        shared::wire::Assign assign{id, r.task.program_id, r.task.inputs, threads, r.attempts + 1, 0};
        if (!MUTANT(AdmissionForgetsThisTurn)) loads.push_back(BusyLoad{r.task.program_id, r.task.difficulty, a.threads});
        w.last_program = r.task.program_id;
        w.last_difficulty = r.task.difficulty;
        if (MUTANT(CommitAfterSend)) {
            // The old order, for the simulator to catch: the Assign goes out before the
            // ledger knows, so the next idle worker sees the task still queued.
            late_commits.push_back({id, w.id, a.threads});
        } else if (!ledger_.dispatch(id, w.id, a.threads, label(w))) {
            return;
        }
        assign.dispatch_id = r.dispatch_id;
        // ready -> busy: task assigned
        workers_.transition(w.id, WorkerState::Busy, "task " + id);
        w.task_id = id;
        w.concurrent = a.threads;
        w.busy_since_us = clock_.now_us();
        ++w.assigns_sent;
        plan_.actions.push_back(SendAssign{w.id, w.pid, std::move(assign)});
    }
    for (const auto& c : late_commits) ledger_.dispatch(c.task_id, c.worker, c.threads, "worker " + std::to_string(c.worker));
}

void Node::spool_and_submit() {
    for (auto& write : submits_.writes_due()) plan_.actions.push_back(std::move(write));
    if (phase_ == Phase::Stopping) return;
    for (auto& send : submits_.sends_due()) plan_.actions.push_back(std::move(send));
}

// Fetch ahead by the pool's bandwidth-delay product, within every bound: the
// queue cap, the tasks' deadlines, memory, --max-tasks, and never while proofs
// pile up unsubmitted or cannot be spooled.
unsigned Node::tasks_wanted() {
    if (memory_blocked_ || submits_.spool_failing()) return 0;
    const std::size_t pending_bound = std::max<std::size_t>(kMinPendingBound, 8u * autoscaler_.max());
    if (submits_.pending() >= pending_bound) return 0;
    const std::uint64_t held = ledger_.queued() + intake_.fetches_in_flight();
    const unsigned workers = std::max(1u, target_);
    std::vector<double> busy_s;  // how long each busy worker has been on its task
    for (const auto& [id, w] : workers_.all()) {
        if (w.state == WorkerState::Busy) busy_s.push_back((clock_.now_us() - w.busy_since_us) / 1e6);
    }
    std::uint64_t target = intake_.planner().target(workers, static_cast<unsigned>(workers_.idle().size()), busy_s);
    target = std::min<std::uint64_t>(
        target, intake_.planner().deadline_cap(
                    workers, options_.task_timeout_s.value_or(default_task_timeout_s(static_cast<int>(difficulty())))));
    if (options_.max_queued) target = std::min<std::uint64_t>(target, *options_.max_queued);
    if (options_.max_tasks) {
        const std::uint64_t taken = ledger_.count(TaskState::Accepted) + ledger_.held() + intake_.fetches_in_flight();
        if (taken >= *options_.max_tasks) return 0;
        target = std::min<std::uint64_t>(target, held + (*options_.max_tasks - taken));
    }
    return target > held ? static_cast<unsigned>(target - held) : 0;
}

void Node::take_in() {
    if (phase_ != Phase::Running) return;
    if (anonymous_) {
        for (unsigned n = tasks_wanted(); n > 0; --n) take_task(anonymous_->next(), "made");
        return;
    }
    if (auto list = intake_.list_due()) plan_.actions.push_back(std::move(*list));
    for (unsigned n = intake_.fetches_allowed(tasks_wanted()); n > 0; --n) {
        shared::GetProofTaskRequest request;
        request.node_id = options_.node_id;
        request.node_type = shared::NodeType::CliProver;
        request.ed25519_public_key = env_.public_key;
        request.max_difficulty = static_cast<int>(difficulty_.requested());
        plan_.actions.push_back(intake_.fetch(std::move(request)));
    }
}

double Node::rate_limit_wait_s(const std::string& endpoint) const {
    if (endpoint == "fetch") return intake_.last_rate_limit_wait_s();
    if (endpoint == "submit") return submits_.rate_limited() ? submits_.last_rate_limit_wait_s() : 0;
    return 0;
}

}  // namespace supervisor
