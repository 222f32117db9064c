// The task ledger: every task the supervisor holds, in exactly one state, and
// every change of state made by one call that reports old -> new with the reason
// (DESIGN.md "A task's life"). Pure logic; the supervisor logs and counts.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "shared/clock.h"
#include "shared/codec.h"

namespace supervisor {

enum class TaskState {
    Queued,       // waiting for an idle worker
    Dispatched,   // on exactly one worker
    Proved,       // proofs back, being spooled
    Submitting,   // spooled; submission in flight or waiting to retry
    Accepted,     // terminal: the orchestrator took it (2xx or 409)
    Rejected,     // terminal: 400, 422 or another final 4xx
    Expired,      // terminal: 404 on submit, the deadline passed
    Poison,       // terminal: failed kMaxAttempts times on workers
    Unsupported,  // terminal: program or enum value this node does not know
    Malformed,    // terminal: an input the program refuses
    Abandoned,    // terminal: the node stopped before proving it (the server still has it)
};

std::string_view to_string(TaskState state);
bool is_terminal(TaskState state);

struct TaskRecord {
    shared::Task task;
    TaskState state = TaskState::Queued;
    unsigned attempts = 0;       // dispatches so far
    unsigned threads = 1;        // for the next dispatch; halved after an OOM kill
    int worker = -1;             // worker slot while dispatched
    std::vector<std::string> causes;  // why earlier attempts failed
    std::int64_t fetched_us = 0;
    std::int64_t dispatched_us = 0;
};

class Ledger {
public:
    static constexpr unsigned kMaxAttempts = 3;
    using Observer = std::function<void(const TaskRecord&, TaskState from, TaskState to, const std::string& reason)>;

    Ledger(const shared::Clock& clock, Observer observer);

    enum class Added { New, AlreadyHeld, AlreadyAccepted };
    // fetched -> queued (or straight to Proved when resumed from the spool).
    Added add(shared::Task task, unsigned threads, TaskState initial = TaskState::Queued);

    // The task at the head of the queue, not removed.
    std::optional<std::string> peek_queued() const;
    // queued -> dispatched(worker, attempt + 1)
    // `label` names the worker in the log (e.g. "worker#1[4242]"); default "worker N".
    void dispatch(const std::string& task_id, int worker, const std::string& label = "");
    // dispatched -> queued at the head (attempt counted), or -> poison after kMaxAttempts.
    // After an OOM kill the next attempt gets half the threads, down to 1.
    void worker_failed(const std::string& task_id, const std::string& cause, bool oom);
    // Any -> state, with the reason; terminal states leave the ledger (accepted ids are kept
    // in a bounded set so that a task is never submitted twice).
    void transition(const std::string& task_id, TaskState to, const std::string& reason);

    TaskRecord* find(const std::string& task_id);
    bool was_accepted(const std::string& task_id) const { return accepted_.count(task_id) != 0; }

    std::size_t queued() const { return queue_.size(); }
    std::size_t held() const { return records_.size(); }  // not yet terminal
    std::uint64_t count(TaskState state) const { return counts_[static_cast<int>(state)]; }
    std::vector<std::string> held_ids() const;

private:
    void remember_accepted(const std::string& task_id);

    const shared::Clock& clock_;
    Observer observer_;
    std::map<std::string, TaskRecord> records_;
    std::deque<std::string> queue_;
    std::unordered_set<std::string> accepted_;
    std::deque<std::pair<std::string, std::int64_t>> accepted_order_;  // id, when accepted
    std::uint64_t counts_[11] = {};
};

}  // namespace supervisor
