// The task ledger: every task the supervisor holds, in exactly one state, and
// every change of state made by one call that reports old -> new with the reason
// (DESIGN.md "A task's life"). Changes outside the transition table are refused
// and reported; a dispatched task names the one worker (by spawn id) that owns it;
// terminal verdicts are remembered so that a task fetched or listed again is not
// proved again. Pure logic; the core logs and counts.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "shared/clock.h"
#include "shared/codec.h"
#include "supervisor/task_state.h"
#include "supervisor/verdicts.h"
#include "supervisor/worker_state.h"

namespace supervisor {

struct TaskRecord {
    shared::Task task;
    TaskState state = TaskState::Queued;
    unsigned attempts = 0;            // dispatches that counted
    unsigned threads = 1;             // the most for the next dispatch; halved after an OOM kill
    unsigned concurrent = 0;          // proofs at once on the owner, while dispatched
    WorkerId owner = kNoWorker;       // while dispatched
    std::uint64_t dispatch_id = 0;    // of the current dispatch, unique for the node's life
    std::vector<std::string> causes;  // why earlier attempts failed
    std::int64_t fetched_us = 0;
    std::int64_t dispatched_us = 0;
};

class Ledger {
public:
    static constexpr unsigned kMaxAttempts = 3;
    using Observer = std::function<void(const TaskRecord&, TaskState from, TaskState to, const std::string& reason)>;
    // A change the table does not allow, or of a task that is not held: refused, never made.
    using Refused = std::function<void(const std::string& task_id, std::optional<TaskState> from, TaskState to,
                                       const std::string& reason)>;

    Ledger(const shared::Clock& clock, Observer observer, Refused refused = {});

    enum class Added { New, AlreadyHeld, AlreadyFinished };
    // fetched -> queued, or resumed from the spool straight into submitting.
    Added add(shared::Task task, unsigned threads, TaskState initial = TaskState::Queued);

    // Queued tasks in the order they go out: retries first, then new ones.
    const std::deque<std::string>& queue() const { return queue_; }
    std::optional<std::string> peek_queued() const;
    // queued -> dispatched to `owner`, attempt + 1, `concurrent` proofs at once.
    // False (and nothing changes) unless the task is queued.
    bool dispatch(const std::string& task_id, WorkerId owner, unsigned concurrent, const std::string& label);
    // dispatched -> queued at the head, or -> poison after kMaxAttempts counted attempts.
    // Only for the owner; `counts` false gives the attempt back (the node, not the task,
    // is why it stopped). After an OOM kill the next attempt gets half the threads.
    bool worker_failed(const std::string& task_id, WorkerId owner, const std::string& cause, bool oom,
                       bool counts = true);
    // A change by the table; a terminal state leaves the ledger and is remembered.
    bool transition(const std::string& task_id, TaskState to, const std::string& reason);

    const TaskRecord* find(const std::string& task_id) const;
    // True when the task is dispatched and `worker` is its owner (and, when given,
    // `dispatch_id` is the current dispatch: an answer to an earlier one does not count).
    bool owned_by(const std::string& task_id, WorkerId worker, std::optional<std::uint64_t> dispatch_id = {}) const;

    std::size_t queued() const { return queue_.size(); }
    std::size_t held() const { return records_.size(); }  // not yet terminal
    std::uint64_t count(TaskState state) const { return counts_[static_cast<int>(state)]; }
    std::uint64_t refused() const { return refused_count_; }
    std::vector<std::string> held_ids() const;
    const std::map<std::string, TaskRecord>& records() const { return records_; }

    Verdicts& verdicts() { return verdicts_; }
    const Verdicts& verdicts() const { return verdicts_; }

private:
    TaskRecord* find_mutable(const std::string& task_id);
    bool refuse(const std::string& task_id, std::optional<TaskState> from, TaskState to, const std::string& reason);

    const shared::Clock& clock_;
    Observer observer_;
    Refused on_refused_;
    std::map<std::string, TaskRecord> records_;
    std::deque<std::string> queue_;
    Verdicts verdicts_;
    std::uint64_t counts_[kTaskStates] = {};
    std::uint64_t refused_count_ = 0;
    std::uint64_t next_dispatch_id_ = 1;
};

}  // namespace supervisor
