// The node's core: every decision of the supervisor, and none of its I/O. It owns
// the ledger, the worker table, admission within the memory budget, the restart
// policy, the autoscaler, the difficulty, the intake of tasks, the submissions
// and the node's phase. It knows nothing of libuv, ZeroMQ, curl or the file
// system, and reads time only from a Clock, so a unit test or the simulator
// (tests/sim) drives it exactly as the supervisor's shell does.
//
// The rule (docs/core.md): an event method (on_*, request_*) only records what
// happened, in the owner it belongs to. Only turn() decides, and it returns the
// actions it wants carried out; the shell carries them out after the turn, and
// nothing it does then comes back into the core before the next event. So no
// decision ever runs inside another, and none sees half-made state.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "shared/clock.h"
#include "shared/codec.h"
#include "shared/expected.h"
#include "shared/worker_codec.h"
#include "supervisor/actions.h"
#include "supervisor/admission.h"
#include "supervisor/anonymous_source.h"
#include "supervisor/autoscaler.h"
#include "supervisor/death.h"
#include "supervisor/difficulty_policy.h"
#include "supervisor/intake.h"
#include "supervisor/ledger.h"
#include "supervisor/memory_guard.h"
#include "supervisor/memory_model.h"
#include "supervisor/options.h"
#include "supervisor/outcome.h"
#include "supervisor/restart_policy.h"
#include "supervisor/submit_queue.h"
#include "supervisor/worker_table.h"

namespace supervisor {

// What the shell gives the node before it starts.
struct NodeEnv {
    std::uint64_t memory_budget = 0;
    shared::Bytes public_key;  // sent with every fetch; empty in anonymous mode
    // Signs and encodes the submission of a proved task (the shell holds the key
    // and the telemetry); the simulator gives a cheap one.
    std::function<shared::Expected<shared::Bytes>(const shared::Task& task, const shared::wire::Result& result)>
        build_submission;
};

// Output-only hooks for metrics; none of them may call back into the node.
struct NodeHooks {
    std::function<void(const std::string& task_id, TaskState from, TaskState to)> task_changed;
    std::function<void(const std::string& program, const shared::wire::Result& result, double task_seconds)> proved;
    std::function<void(const char* endpoint, const Outcome& outcome, double rate_limit_wait_s)> answered;
    std::function<void(const std::string& cause)> worker_restarted;
};

class Node {
public:
    enum class Phase { Starting, Running, Draining, Stopping, Done };
    static constexpr std::int64_t kHeartbeatLivenessUs = 3'000'000;  // 3 missed 1 s heartbeats
    static constexpr std::int64_t kHelloTimeoutUs = 10'000'000;
    static constexpr std::int64_t kStartSecsUs = 1'000'000;  // an idle death this soon after the hello is a start-up failure
    static constexpr std::int64_t kTickUs = 100'000;
    static constexpr std::int64_t kScalePeriodUs = 1'000'000;
    static constexpr std::int64_t kStallUs = 1'000'000;  // a turn this late means the loop was stalled

    Node(const Options& options, const shared::Clock& clock, NodeEnv env, std::uint64_t seed, NodeHooks hooks = {});
    Node(const Node&) = delete;
    Node& operator=(const Node&) = delete;

    // --- before start: what the state directory kept ---
    void restore_spooled(const std::vector<std::string>& task_ids);
    Verdicts& verdicts() { return ledger_.verdicts(); }
    MemoryModel& memory_model() { return model_; }
    void start();

    // --- events: each only records ---
    void on_spawned(WorkerId id, int pid);
    void on_spawn_failed(WorkerId id, const std::string& error);
    void on_send_failed(WorkerId id, const std::string& error);
    void on_hello(int pid, const shared::wire::Hello& hello);
    void on_heartbeat(int pid, const shared::wire::Heartbeat& beat);
    void on_result(int pid, shared::wire::Result&& result);
    void on_failure(int pid, const shared::wire::Failure& failure);
    // A frame that could not be decoded, from a known worker (pid) or not (0).
    void on_bad_frame(int pid, const std::string& why);
    void on_exit(int pid, const Death& death);
    void on_rss(const std::vector<std::pair<int, std::uint64_t>>& rss_by_pid);
    void on_cpu(double busy);
    void on_node_checked(const shared::Expected<std::string>& known);
    void on_fetched(std::uint64_t fetch_id, const Outcome& outcome, std::optional<shared::Task>&& task);
    void on_listed(const Outcome& outcome, std::optional<shared::GetTasksResponse>&& reply);
    void on_spooled(const std::string& task_id, std::uint64_t write_id, const shared::Status& written);
    void on_spool_lost(const std::string& task_id, const std::string& why);
    void on_submitted(const std::string& task_id, const Outcome& outcome);
    // A submission read back from the spool was not posted, because a Retry-After
    // window opened meanwhile: it goes with the next sends.
    void on_send_withheld(const std::string& task_id);
    // SIGINT, SIGTERM, `q`: the first drains, the second stops at once (exit 128 + signum).
    void request_stop(const std::string& why, int signum);
    // Something that must stop the node at once (exit 1), such as an internal error.
    void fail(const std::string& why) { fatal_ = why; }
    // SIGTTIN (+1) and SIGTTOU (-1).
    void request_nudge(int delta, const std::string& why);

    // --- the turn: decides, in order, and returns what to do ---
    Plan turn();

    // --- read-only views, for status, metrics and the live view ---
    Phase phase() const { return phase_; }
    int exit_code() const { return exit_code_; }
    const Ledger& ledger() const { return ledger_; }
    const WorkerTable& workers() const { return workers_; }
    const SubmitQueue& submissions() const { return submits_; }
    const Intake& intake() const { return intake_; }
    const MemoryModel& memory_model() const { return model_; }
    unsigned target_workers() const { return target_; }
    std::uint64_t budget() const { return budget_; }
    std::uint64_t projected_memory() const;
    shared::Difficulty difficulty() const { return difficulty_.requested(); }
    bool node_confirmed() const { return node_confirmed_; }
    // The orchestrator has answered for real (not an outage): part of being ready.
    bool orchestrator_answered() const { return orchestrator_answered_ || anonymous_ != nullptr; }
    std::uint64_t proofs() const { return proofs_; }
    std::uint64_t restarts() const { return restarts_total_; }
    const std::map<std::string, std::uint64_t>& restarts_by_cause() const { return restarts_by_cause_; }
    std::int64_t started_us() const { return started_us_; }
    double max_loop_lag_s() const { return max_lag_us_ / 1e6; }
    std::uint64_t foreign_frames() const { return foreign_frames_; }
    // Seconds the node last waited on a rate limit, by endpoint, for the live view.
    double rate_limit_wait_s(const std::string& endpoint) const;
    static std::string_view to_string(Phase phase);

private:
    struct PendingRequest {
        bool stop = false;
        int signum = 0;
        int delta = 0;
        std::string why;
    };

    // Duties of a turn, in the order turn() runs them.
    void apply_requests();
    void murder_workers();
    void scale();
    void manage_workers();
    void retire_surplus();
    void guard_memory();
    void dispatch();
    void spool_and_submit();
    void take_in();
    void check_progress();

    // Helpers.
    void emit(Action action) { plan_.actions.push_back(std::move(action)); }
    void set_phase(Phase to, const std::string& why);
    void begin_drain(const std::string& why);
    void abandon_queued();
    void stop_workers(bool immediately, const std::string& why);
    void fatal(const std::string& why);
    void kill_worker(WorkerRecord& worker, KillReason reason, bool immediately, bool shutdown_first = false);
    void take_task(shared::Task&& task, const char* source);
    void free_worker(WorkerRecord& worker, const std::string& why);
    void record_proof(WorkerRecord& worker, const TaskRecord& record, shared::wire::Result&& result);
    std::string handle_death_of_task(const WorkerRecord& worker, DeathCause cause, const Death& death);
    std::vector<BusyLoad> busy_loads() const;
    std::uint64_t held_by_idle(WorkerId except) const;
    WorkerId pick_worker(const shared::Task& task) const;
    std::int64_t task_deadline_us(const shared::Task& task) const;
    unsigned tasks_wanted();
    std::string label(const WorkerRecord& worker) const;
    void note_answer(const Outcome& outcome);
    void on_task_change(const TaskRecord& record, TaskState from, TaskState to, const std::string& reason);

    const Options& options_;
    const shared::Clock& clock_;
    NodeEnv env_;
    NodeHooks hooks_;

    Ledger ledger_;
    WorkerTable workers_;
    RestartPolicy restarts_;
    Autoscaler autoscaler_;
    DifficultyPolicy difficulty_;
    MemoryModel model_;
    std::uint64_t budget_;
    MemoryGuard guard_;
    Intake intake_;
    SubmitQueue submits_;
    std::unique_ptr<AnonymousSource> anonymous_;

    Phase phase_ = Phase::Starting;
    int exit_code_ = 0;
    unsigned target_ = 1;
    unsigned stop_requests_ = 0;
    bool node_confirmed_ = false;
    bool orchestrator_answered_ = false;
    bool checking_node_ = false;
    std::string fatal_;  // recorded by an event, acted on by the next turn
    int fatal_code_ = 1;
    bool memory_blocked_ = false;  // the head of the queue waits for memory
    bool memory_dirty_ = false;
    bool memory_urgent_ = false;
    bool rss_fresh_ = false;
    double cpu_busy_ = 0;
    std::int64_t started_us_ = 0;
    std::int64_t drain_deadline_us_ = 0;
    std::int64_t next_scale_us_ = 0;
    std::int64_t last_turn_us_ = 0;
    std::int64_t memory_saved_us_ = 0;
    std::int64_t liveness_from_us_ = 0;  // silence is counted from here at the earliest (after a stall)
    std::int64_t max_lag_us_ = 0;
    std::vector<PendingRequest> requests_;
    std::vector<Action> outbox_;  // recorded by events (verdict lines), carried out by the next turn
    std::set<std::string> told_reduced_;
    Plan plan_;
    bool in_turn_ = false;

    std::uint64_t proofs_ = 0;
    std::uint64_t restarts_total_ = 0;
    std::map<std::string, std::uint64_t> restarts_by_cause_;
    std::uint64_t foreign_frames_ = 0;
    unsigned old_deaths_in_a_row_ = 0;  // only for the HealthyDeathsBackOff mutant
};

}  // namespace supervisor
