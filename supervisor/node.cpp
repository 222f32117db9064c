// The core's events: each records what happened in the owner it belongs to, and
// nothing else. The turn, which decides, is in node_turn.cpp.
#include "supervisor/node.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cassert>

#include "shared/program.h"
#include "supervisor/mutants.h"

namespace supervisor {

namespace {

std::string worker_label(int slot, int pid) { return "worker#" + std::to_string(slot) + "[" + std::to_string(pid) + "]"; }

}  // namespace

std::string_view Node::to_string(Phase phase) {
    static constexpr std::string_view kNames[] = {"starting", "running", "draining", "stopping", "done"};
    return kNames[static_cast<int>(phase)];
}

Node::Node(const Options& options, const shared::Clock& clock, NodeEnv env, std::uint64_t seed, NodeHooks hooks)
    : options_(options),
      clock_(clock),
      env_(std::move(env)),
      hooks_(std::move(hooks)),
      ledger_(
          clock,
          [this](const TaskRecord& r, TaskState from, TaskState to, const std::string& why) {
              on_task_change(r, from, to, why);
          },
          [](const std::string& id, std::optional<TaskState> from, TaskState to, const std::string& why) {
              spdlog::error("task {}: transition {} -> {} refused: {}", id,
                            from ? supervisor::to_string(*from) : std::string_view("(not held)"),
                            supervisor::to_string(to), why);
          }),
      autoscaler_(clock, options.min_workers, options.max_workers, shared::seconds_to_us(options.scale_cooldown_s)),
      difficulty_(options.max_difficulty),
      model_(options.memory_per_proof),
      budget_(env.memory_budget),
      guard_(MemoryGuardConfig{options.max_worker_memory, env.memory_budget}),
      intake_(clock, options, seed + 2),
      submits_(clock, options.submit_backoff, seed + 1) {
    target_ = options.min_workers;
    if (options.anonymous) {
        const int difficulty = static_cast<int>(options.max_difficulty.value_or(shared::Difficulty::SmallMedium));
        anonymous_ = std::make_unique<AnonymousSource>(options.anonymous_program, difficulty,
                                                       options.per_task_threads, options.anonymous_input);
    }
}

std::string Node::label(const WorkerRecord& worker) const { return worker_label(worker.slot, worker.pid); }

// --- before start -----------------------------------------------------------------

void Node::restore_spooled(const std::vector<std::string>& task_ids) {
    std::size_t restored = 0;
    for (const auto& id : task_ids) {
        shared::Task task;
        task.task_id = id;
        const auto added = ledger_.add(std::move(task), 1, TaskState::Submitting);
        // Answered before the last stop, but its file outlived the answer: it goes now.
        if (added == Ledger::Added::AlreadyFinished) outbox_.push_back(RemoveSpool{id});
        if (added != Ledger::Added::New) continue;
        submits_.add_spooled(id);
        ++restored;
    }
    if (restored) spdlog::info("spool: {} proved tasks to submit first", restored);
}

void Node::start() {
    const std::int64_t now = clock_.now_us();
    started_us_ = last_turn_us_ = liveness_from_us_ = now;
    next_scale_us_ = now + kScalePeriodUs;
    if (anonymous_) {
        node_confirmed_ = true;
        set_phase(Phase::Running, "anonymous mode: no orchestrator");
        return;
    }
    intake_.start(options_.startup_jitter_s);
    checking_node_ = true;
    outbox_.push_back(CheckNode{});
}

// --- worker events ----------------------------------------------------------------

void Node::on_spawned(WorkerId id, int pid) {
    assert(!in_turn_ && "an event arrived while the core was deciding");
    WorkerRecord* w = workers_.by_id(id);
    if (!w) return;
    w->pid = pid;
    w->spawned_us = w->last_seen_us = clock_.now_us();
    spdlog::info("{} spawned", label(*w));
    // Asked to stop before its process existed: it is stopped now that it does.
    if (w->state == WorkerState::Stopping) outbox_.push_back(StopWorker{id, pid, true, false});
}

void Node::on_spawn_failed(WorkerId id, const std::string& error) {
    assert(!in_turn_ && "an event arrived while the core was deciding");
    WorkerRecord* w = workers_.by_id(id);
    if (!w) return;
    spdlog::error("worker#{}: {}", w->slot, error);
    const int slot = w->slot;
    workers_.remove(id);
    // An exec failure counts as a start-up failure like a death before hello.
    workers_.respawn_after(slot, clock_.now_us() + restarts_.on_death(true));
    if (restarts_.give_up()) fatal_ = "workers cannot start: " + error;
}

void Node::on_send_failed(WorkerId id, const std::string& error) {
    assert(!in_turn_ && "an event arrived while the core was deciding");
    WorkerRecord* w = workers_.by_id(id);
    if (!w) return;
    spdlog::warn("{} cannot take task {}: {}; replacing the worker", label(*w), w->task_id, error);
    // The task never reached it: back to the queue without costing an attempt.
    if (!w->task_id.empty() && ledger_.owned_by(w->task_id, id)) {
        ledger_.worker_failed(w->task_id, id, "the assignment could not be sent", false, false);
    }
    w->task_id.clear();
    w->must_stop = true;
}

void Node::on_hello(int pid, const shared::wire::Hello& hello) {
    assert(!in_turn_ && "an event arrived while the core was deciding");
    WorkerRecord* w = workers_.by_pid(pid);
    if (!w) return on_bad_frame(pid, "hello from a process that is not one of ours");
    w->last_seen_us = clock_.now_us();
    if (w->state != WorkerState::Spawning) {
        spdlog::warn("{} said hello twice; ignored", label(*w));
        return;
    }
    w->hello_us = w->last_seen_us;
    w->version = hello.version;
    spdlog::info("{} ready in {:.0f} ms ({} hardware threads, version {})", label(*w),
                 (w->hello_us - w->spawned_us) / 1e3, hello.hardware_threads, hello.version);
    workers_.transition(w->id, WorkerState::Ready, "hello");
}

void Node::on_heartbeat(int pid, const shared::wire::Heartbeat& beat) {
    assert(!in_turn_ && "an event arrived while the core was deciding");
    WorkerRecord* w = workers_.by_pid(pid);
    if (!w) return on_bad_frame(pid, "heartbeat from a process that is not one of ours");
    w->last_seen_us = clock_.now_us();  // any frame counts as a heartbeat
    w->rss_bytes = beat.rss_bytes;
    w->peak_rss_bytes = std::max(w->peak_rss_bytes, beat.peak_rss_bytes);
    // Frames from one worker arrive in order, so a heartbeat that has seen our last
    // Assign and names no task comes after a Result that never will.
    if (!MUTANT(LostResultIgnored) && w->state == WorkerState::Busy && beat.task_id.empty() && w->assigns_sent > 0 &&
        beat.assigns_received >= w->assigns_sent) {
        w->lost_result = true;
    }
}

void Node::on_result(int pid, shared::wire::Result&& result) {
    assert(!in_turn_ && "an event arrived while the core was deciding");
    WorkerRecord* w = workers_.by_pid(pid);
    if (!w) return on_bad_frame(pid, "result from a process that is not one of ours");
    w->last_seen_us = clock_.now_us();
    // Only the owner's result counts: the ledger says who owns the task, not the worker.
    const TaskRecord* held = ledger_.find(result.task_id);
    const bool taken = MUTANT(NoOwnerCheck) ? held && held->state == TaskState::Dispatched
                                            : result.task_id == w->task_id &&
                                                  ledger_.owned_by(result.task_id, w->id, result.dispatch_id);
    if (!taken || (MUTANT(LateProofDropped) && w->state == WorkerState::Stopping)) {
        ++foreign_frames_;
        spdlog::warn("{} sent a result for '{}' while holding '{}'; ignored", label(*w), result.task_id.substr(0, 64),
                     w->task_id);
        return;
    }
    ++w->tasks_done;
    old_deaths_in_a_row_ = 0;
    w->peak_rss_bytes = std::max(w->peak_rss_bytes, result.peak_rss_bytes);
    const TaskRecord record = *ledger_.find(result.task_id);
    record_proof(*w, record, std::move(result));
    free_worker(*w, "result");
}

// The ledger first, then the worker: the task is out of its hands before it is free.
void Node::record_proof(WorkerRecord& w, const TaskRecord& record, shared::wire::Result&& result) {
    const std::string& id = record.task.task_id;
    if (result.proofs.size() != record.task.inputs.size()) {
        ledger_.worker_failed(id, w.id,
                              "bad result: " + std::to_string(result.proofs.size()) + " proofs for " +
                                  std::to_string(record.task.inputs.size()) + " inputs",
                              false);
        return;
    }
    const double took_s = (clock_.now_us() - record.dispatched_us) / 1e6;
    difficulty_.on_finished(record.task.difficulty, took_s, task_deadline_us(record.task) / 1e6);
    proofs_ += result.proofs.size();
    if (hooks_.proved) hooks_.proved(record.task.program_id, result, took_s);
    model_.observe(record.task.program_id, record.task.difficulty, result.peak_rss_bytes,
                   std::max(1u, std::min<unsigned>(record.concurrent, static_cast<unsigned>(result.proofs.size()))));
    memory_dirty_ = true;
    intake_.planner().on_task_time(took_s);
    if (anonymous_) {
        ledger_.transition(id, TaskState::Accepted, "proved in anonymous mode (nothing is submitted)");
        return;
    }
    ledger_.transition(id, TaskState::Proved,
                       std::to_string(result.proofs.size()) + " proofs in " +
                           std::to_string(result.total_micros / 1000) + " ms on " +
                           std::to_string(result.threads_used) + " threads, peak RSS " +
                           format_mib(result.peak_rss_bytes));
    // Signed with the key the task was fetched with, and encoded once: from here on
    // the submission is bytes, spooled before its first send.
    auto encoded = env_.build_submission ? env_.build_submission(record.task, result)
                                         : shared::Expected<shared::Bytes>(shared::fail("no way to sign submissions"));
    if (!encoded) {
        ledger_.transition(id, TaskState::Rejected, "cannot build the submission: " + encoded.error());
        return;
    }
    submits_.add_proved(id, std::make_shared<const shared::Bytes>(std::move(*encoded)));
}

void Node::free_worker(WorkerRecord& w, const std::string& why) {
    w.task_id.clear();
    w.concurrent = 0;
    w.lost_result = false;
    // busy -> ready; a worker being stopped stays stopping, its task handed in
    if (w.state == WorkerState::Busy) workers_.transition(w.id, WorkerState::Ready, why);
}

void Node::on_failure(int pid, const shared::wire::Failure& failure) {
    assert(!in_turn_ && "an event arrived while the core was deciding");
    WorkerRecord* w = workers_.by_pid(pid);
    if (!w) return on_bad_frame(pid, "failure report from a process that is not one of ours");
    w->last_seen_us = clock_.now_us();
    if (failure.task_id.empty() || failure.task_id != w->task_id ||
        !ledger_.owned_by(failure.task_id, w->id, failure.dispatch_id)) {
        ++foreign_frames_;
        spdlog::warn("{} reports a failure outside its task: {}", label(*w), failure.message);
        return;
    }
    const std::string id = failure.task_id;
    switch (failure.kind) {
        case shared::wire::FailureKind::MalformedInput:
            ledger_.transition(id, TaskState::Malformed,
                               "input " + std::to_string(failure.input_index) + ": " + failure.message);
            break;
        case shared::wire::FailureKind::UnsupportedProgram:
            ledger_.transition(id, TaskState::Unsupported, failure.message);
            break;
        default: ledger_.worker_failed(id, w->id, "prover error: " + failure.message, false);
    }
    free_worker(*w, "failure");
}

void Node::on_bad_frame(int pid, const std::string& why) {
    assert(!in_turn_ && "an event arrived while the core was deciding");
    ++foreign_frames_;
    if (WorkerRecord* w = workers_.by_pid(pid)) {
        w->last_seen_us = clock_.now_us();
        spdlog::warn("{} sent an undecodable frame: {}", label(*w), why);
        return;
    }
    spdlog::warn("worker socket: {} (routing id {})", why, pid);
}

void Node::on_exit(int pid, const Death& reported) {
    assert(!in_turn_ && "an event arrived while the core was deciding");
    WorkerRecord* w = workers_.by_pid(pid);
    if (!w) return;
    Death death = reported;
    death.kill_reason = w->kill_reason;  // what we did to it is ours to know
    const DeathCause cause = classify(death);
    const std::int64_t now = clock_.now_us();
    const bool before_hello = w->hello_us == 0;
    // supervisord's startsecs: dying idle right after the hello is failing to start too.
    const bool start_failure = cause != DeathCause::Stopped &&
                               (before_hello || (w->tasks_done == 0 && w->task_id.empty() &&
                                                 now - w->hello_us < kStartSecsUs));
    const std::string task_note = handle_death_of_task(*w, cause, death);
    const WorkerRecord gone = *w;
    workers_.remove(w->id);
    if (cause == DeathCause::Stopped || phase_ == Phase::Stopping || phase_ == Phase::Done) {
        spdlog::info("{} stopped ({})", label(gone), describe_status(death));
        return;
    }
    ++restarts_total_;
    ++restarts_by_cause_[std::string(supervisor::to_string(cause))];
    if (hooks_.worker_restarted) {
        hooks_.worker_restarted(death.kill_reason == KillReason::MemoryGuard ? "guard"
                                                                             : std::string(supervisor::to_string(cause)));
    }
    std::int64_t delay = restarts_.on_death(start_failure);
    if (MUTANT(HealthyDeathsBackOff) && !start_failure) {
        // The old policy: deaths in a row back off, whatever their cause, until a task finishes.
        delay = ++old_deaths_in_a_row_ >= 2 ? std::min<std::int64_t>(100'000 << std::min(old_deaths_in_a_row_ - 2, 20u), 30'000'000) : 0;
    }
    workers_.respawn_after(gone.slot, now + delay);
    spdlog::warn("{} died: {} ({}){}; {}; replacement in {} ms", label(gone), supervisor::to_string(cause),
                 describe_status(death), before_hello ? ", before its hello" : "", task_note, delay / 1000);
    if (restarts_.give_up()) {
        fatal_ = "workers cannot start: " + std::to_string(restarts_.start_failures()) +
                 " start-up failures in a row, the last " + describe_status(death) + " (worker " +
                 options_.worker_path + "); stopping instead of restarting in a loop";
    }
}

// What a death means for the task the worker held, if the ledger says it owned one.
std::string Node::handle_death_of_task(const WorkerRecord& w, DeathCause cause, const Death& death) {
    if (w.task_id.empty()) return "no task";
    if (!ledger_.owned_by(w.task_id, w.id)) return "task " + w.task_id + " (no longer its own)";
    const TaskRecord* record = ledger_.find(w.task_id);
    if (is_oom(cause)) {
        // Each of the task's proofs needed more than we thought: at least its share of
        // what the worker held when last seen, and half as much again.
        const std::uint64_t seen = w.rss_bytes / std::max(1u, w.concurrent);
        const std::uint64_t now = model_.per_proof(record->task.program_id, record->task.difficulty);
        model_.raise_after_oom(record->task.program_id, record->task.difficulty, std::max(seen, now + now / 2));
        memory_dirty_ = memory_urgent_ = true;
    }
    if (is_oom(cause) || cause == DeathCause::Overdue) {
        const auto before = difficulty_.requested();
        difficulty_.on_too_hard(record->task.difficulty);
        if (difficulty_.requested() != before) {
            spdlog::info("difficulty: {} -> {} after {}", shared::to_string(before),
                         shared::to_string(difficulty_.requested()), supervisor::to_string(cause));
        }
    }
    const std::string id = w.task_id;
    if (cause == DeathCause::Stopped) {
        // We stopped it because the node stops: the task has not failed.
        ledger_.transition(id, TaskState::Abandoned, "node stopping before it was proved");
        return "task " + id + " abandoned";
    }
    const std::string cause_text = std::string(supervisor::to_string(cause)) + " (" + describe_status(death) + ")";
    ledger_.worker_failed(id, w.id, cause_text, is_oom(cause));
    const TaskRecord* after = ledger_.find(id);
    return "task " + id +
           (after ? " back to the queue (attempt " + std::to_string(after->attempts + 1) + ", " +
                        std::to_string(after->threads) + " threads)"
                  : " set aside");
}

void Node::on_rss(const std::vector<std::pair<int, std::uint64_t>>& rss_by_pid) {
    assert(!in_turn_ && "an event arrived while the core was deciding");
    for (const auto& [pid, rss] : rss_by_pid) {
        if (WorkerRecord* w = workers_.by_pid(pid)) w->rss_bytes = rss;
    }
    rss_fresh_ = true;
}

void Node::on_cpu(double busy) { cpu_busy_ = busy; }

// --- orchestrator events ------------------------------------------------------------

void Node::on_node_checked(const shared::Expected<std::string>& known) {
    assert(!in_turn_ && "an event arrived while the core was deciding");
    checking_node_ = false;
    if (!known) {
        fatal_ = known.error();
        fatal_code_ = 2;
        return;
    }
    if (!known->empty()) spdlog::warn("{}; starting anyway", *known);
    else orchestrator_answered_ = true;
    node_confirmed_ = true;
}

void Node::on_fetched(std::uint64_t fetch_id, const Outcome& outcome, std::optional<shared::Task>&& task) {
    assert(!in_turn_ && "an event arrived while the core was deciding");
    note_answer(outcome);
    auto got = intake_.on_fetched(fetch_id, outcome, std::move(task));
    if (hooks_.answered) hooks_.answered("fetch", outcome, intake_.last_rate_limit_wait_s());
    if (!got) return;
    difficulty_.on_assigned(got->difficulty);
    take_task(std::move(*got), "fetched");
}

void Node::note_answer(const Outcome& outcome) {
    if (outcome.reply == Reply::Ok || outcome.reply == Reply::NotFound || outcome.reply == Reply::Conflict) {
        orchestrator_answered_ = true;
    }
}

void Node::on_listed(const Outcome& outcome, std::optional<shared::GetTasksResponse>&& reply) {
    assert(!in_turn_ && "an event arrived while the core was deciding");
    note_answer(outcome);
    if (hooks_.answered) {
        hooks_.answered("list", outcome, outcome.reply == Reply::RateLimited ? outcome.retry_after_s.value_or(0) : 0);
    }
    for (auto& task : intake_.on_listed(outcome, std::move(reply))) take_task(std::move(task), "resumed");
}

// Intake checks, then the ledger: a task the node cannot prove is set aside with the
// reason, and one it finished before (a listing can repeat it) is not taken again.
void Node::take_task(shared::Task&& task, const char* source) {
    if (task.task_id.empty()) {
        spdlog::warn("{} task without a task id ignored", source);
        return;
    }
    std::string problem;
    TaskState verdict = TaskState::Unsupported;
    const shared::Program* program = shared::find_program(task.program_id);
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
    if (added == Ledger::Added::AlreadyFinished) {
        spdlog::info("task {} was {} already; not taken again", id,
                     supervisor::to_string(*ledger_.verdicts().find(id)));
        return;
    }
    if (std::string_view(source) == "resumed") spdlog::info("task {} {} (assigned to this node earlier)", id, source);
    if (!problem.empty()) {
        ledger_.transition(id, verdict, problem);
    } else if (phase_ != Phase::Running && !MUTANT(DrainStrandsQueued)) {
        // A reply that lands while the node stops: the server keeps the task for the next start.
        ledger_.transition(id, TaskState::Abandoned, "node stopping before it was proved");
    }
}

// --- spool and submission events ------------------------------------------------------

void Node::on_spooled(const std::string& task_id, std::uint64_t write_id, const shared::Status& written) {
    assert(!in_turn_ && "an event arrived while the core was deciding");
    switch (submits_.on_written(task_id, write_id, static_cast<bool>(written))) {
        case SubmitQueue::Written::Spooled:
            if (const TaskRecord* r = ledger_.find(task_id); r && r->state == TaskState::Proved) {
                ledger_.transition(task_id, TaskState::Submitting, "spooled");
            }
            break;
        case SubmitQueue::Written::Failed:
            spdlog::error("spool: {}; task {} is kept in memory, written again later and submitted from memory "
                          "meanwhile; no new tasks are fetched until the spool works",
                          written ? std::string("write failed") : written.error(), task_id);
            break;
        case SubmitQueue::Written::Stale:
            // Answered while this write was on its way: the file must not outlive the answer.
            if (!ledger_.find(task_id)) outbox_.push_back(RemoveSpool{task_id});
            break;
    }
}

void Node::on_spool_lost(const std::string& task_id, const std::string& why) {
    assert(!in_turn_ && "an event arrived while the core was deciding");
    if (!submits_.contains(task_id)) return;
    submits_.forget(task_id);
    const TaskRecord* record = ledger_.find(task_id);
    if (!record) return;
    if (!record->task.inputs.empty()) {
        ledger_.transition(task_id, TaskState::Queued, "the spooled proof is lost (" + why + "); proving it again");
        return;
    }
    // Resumed from a spool file that is now gone: only the server can give the task back.
    ledger_.transition(task_id, TaskState::Abandoned, "the spooled proof is lost (" + why + ")");
    ledger_.verdicts().forget(task_id);
}

void Node::on_submitted(const std::string& task_id, const Outcome& outcome) {
    assert(!in_turn_ && "an event arrived while the core was deciding");
    note_answer(outcome);
    auto final = submits_.on_answer(task_id, outcome);
    if (hooks_.answered) {
        hooks_.answered("submit", outcome, outcome.reply == Reply::RateLimited ? submits_.last_rate_limit_wait_s() : 0);
    }
    if (final) {
        // Only a final answer lets the proof leave the spool.
        outbox_.push_back(RemoveSpool{task_id});
        if (ledger_.find(task_id)) ledger_.transition(task_id, final->state, final->reason);
        return;
    }
    if (outcome.reply == Reply::RateLimited || outcome.reply == Reply::Retry) {
        spdlog::warn("submit {}: {} {} {}; proof kept, next try in {:.1f} s", task_id, supervisor::to_string(outcome.reply),
                     outcome.status, outcome.message,
                     outcome.reply == Reply::RateLimited ? submits_.last_rate_limit_wait_s() : options_.submit_backoff.initial_s);
    }
}

void Node::on_send_withheld(const std::string& task_id) {
    assert(!in_turn_);
    submits_.withheld(task_id);
}

// --- requests -----------------------------------------------------------------------

void Node::request_stop(const std::string& why, int signum) {
    assert(!in_turn_);
    requests_.push_back({true, signum, 0, why});
}

void Node::request_nudge(int delta, const std::string& why) {
    assert(!in_turn_);
    requests_.push_back({false, 0, delta, why});
}

// --- the ledger's observer ------------------------------------------------------------

void Node::on_task_change(const TaskRecord& record, TaskState from, TaskState to, const std::string& reason) {
    if (hooks_.task_changed) hooks_.task_changed(record.task.task_id, from, to);
    const bool bad = to == TaskState::Rejected || to == TaskState::Poison || to == TaskState::Malformed ||
                     to == TaskState::Unsupported || to == TaskState::Expired;
    const auto level = bad ? spdlog::level::warn : spdlog::level::info;
    if (from == to) {
        spdlog::log(level, "task {} {} ({}, {} inputs): {}", record.task.task_id, supervisor::to_string(to),
                    record.task.program_id.empty() ? "from spool" : record.task.program_id, record.task.inputs.size(),
                    reason);
    } else {
        spdlog::log(level, "task {} {} -> {}: {}", record.task.task_id, supervisor::to_string(from),
                    supervisor::to_string(to), reason);
    }
    if (is_terminal(to)) {
        submits_.forget(record.task.task_id);
        if (Verdicts::persisted(to)) {
            outbox_.push_back(RememberVerdict{Verdicts::Entry{record.task.task_id, to, clock_.unix_s()}});
        }
    }
}

}  // namespace supervisor
