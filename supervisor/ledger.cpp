// Task states, the transition table and owners (DESIGN.md invariants 1, 3, 4 and 6).
#include "supervisor/ledger.h"

#include <algorithm>
#include "supervisor/mutants.h"

namespace supervisor {

std::string_view to_string(TaskState state) {
    static constexpr std::string_view kNames[] = {"queued",   "dispatched", "proved",      "submitting",
                                                  "accepted", "rejected",   "expired",     "poison",
                                                  "unsupported", "malformed", "abandoned"};
    return kNames[static_cast<int>(state)];
}

bool is_terminal(TaskState state) { return state >= TaskState::Accepted; }

// Every change a task can make. Anything else is a bug somewhere, refused and reported.
bool transition_allowed(TaskState from, TaskState to) {
    using S = TaskState;
    switch (from) {
        case S::Queued:  // a worker takes it; intake finds it unusable; the node stops first
            return to == S::Dispatched || to == S::Unsupported || to == S::Malformed || to == S::Abandoned;
        case S::Dispatched:  // proved; failed (retry or poison); refused by the worker; stopped with the node;
                             // or, in anonymous mode, done on the spot
            return to == S::Queued || to == S::Proved || to == S::Poison || to == S::Unsupported ||
                   to == S::Malformed || to == S::Abandoned || to == S::Accepted;
        case S::Proved:  // spooled; or answered while only in memory (the spool failed); or unbuildable
            return to == S::Submitting || to == S::Accepted || to == S::Rejected || to == S::Expired;
        case S::Submitting:  // a final answer; or the spooled proof is gone and the task is proved again
            return to == S::Accepted || to == S::Rejected || to == S::Expired || to == S::Queued ||
                   to == S::Abandoned;
        default:  // terminal: the record has left the ledger
            return false;
    }
}

Ledger::Ledger(const shared::Clock& clock, Observer observer, Refused refused)
    : clock_(clock), observer_(std::move(observer)), on_refused_(std::move(refused)) {}

Ledger::Added Ledger::add(shared::Task task, unsigned threads, TaskState initial) {
    if (verdicts_.find(task.task_id)) return Added::AlreadyFinished;
    if (records_.count(task.task_id)) return Added::AlreadyHeld;
    TaskRecord record;
    record.state = initial;
    record.threads = std::max(1u, threads);
    record.fetched_us = clock_.now_us();
    const std::string id = task.task_id;
    record.task = std::move(task);
    auto [it, inserted] = records_.emplace(id, std::move(record));
    if (initial == TaskState::Queued) queue_.push_back(id);
    ++counts_[static_cast<int>(initial)];
    observer_(it->second, initial, initial, "fetched");
    return Added::New;
}

std::optional<std::string> Ledger::peek_queued() const {
    if (queue_.empty()) return std::nullopt;
    return queue_.front();
}

bool Ledger::dispatch(const std::string& task_id, WorkerId owner, unsigned concurrent, const std::string& label) {
    TaskRecord* record = find_mutable(task_id);
    if (!record || record->state != TaskState::Queued || owner == kNoWorker) {
        return refuse(task_id, record ? std::optional(record->state) : std::nullopt, TaskState::Dispatched,
                      "dispatch to " + label);
    }
    ++record->attempts;
    record->owner = owner;
    record->dispatch_id = next_dispatch_id_++;
    record->concurrent = std::max(1u, concurrent);
    record->dispatched_us = clock_.now_us();
    return transition(task_id, TaskState::Dispatched,
                      label + ", attempt " + std::to_string(record->attempts) + ", " +
                          std::to_string(record->concurrent) + " threads");
}

bool Ledger::owned_by(const std::string& task_id, WorkerId worker, std::optional<std::uint64_t> dispatch_id) const {
    const TaskRecord* record = find(task_id);
    return record && record->state == TaskState::Dispatched && record->owner == worker && worker != kNoWorker &&
           (!dispatch_id || *dispatch_id == record->dispatch_id);
}

bool Ledger::worker_failed(const std::string& task_id, WorkerId owner, const std::string& cause, bool oom,
                           bool counts) {
    TaskRecord* record = find_mutable(task_id);
    if (!owned_by(task_id, owner)) {
        return refuse(task_id, record ? std::optional(record->state) : std::nullopt, TaskState::Queued,
                      "failure reported by worker id " + std::to_string(owner) + ", not the owner: " + cause);
    }
    record->causes.push_back(cause);
    if (!counts) --record->attempts;
    if (record->attempts >= kMaxAttempts) {
        std::string all;
        for (const auto& c : record->causes) all += (all.empty() ? "" : "; ") + c;
        return transition(task_id, TaskState::Poison, std::to_string(record->attempts) + " attempts failed: " + all);
    }
    if (oom) record->threads = std::max(1u, record->threads / 2);
    return transition(task_id, TaskState::Queued,
                      cause + "; retry " + std::to_string(record->attempts + 1) + " of " +
                          std::to_string(kMaxAttempts) + " with " + std::to_string(record->threads) + " threads");
}

bool Ledger::transition(const std::string& task_id, TaskState to, const std::string& reason) {
    auto it = records_.find(task_id);
    if (it == records_.end()) return refuse(task_id, std::nullopt, to, reason);
    TaskRecord& record = it->second;
    const TaskState from = record.state;
    if (!transition_allowed(from, to)) return refuse(task_id, from, to, reason);
    // The queue holds exactly the queued tasks. One that comes back to it (a retry)
    // goes ahead of new work (invariant 4); new work joins at the back in add().
    if (from == TaskState::Queued) {
        queue_.erase(std::find(queue_.begin(), queue_.end(), task_id));
    } else if (to == TaskState::Queued) {
        queue_.push_front(task_id);
    }
    if (from == TaskState::Dispatched) {
        record.owner = kNoWorker;
        record.concurrent = 0;
    }
    --counts_[static_cast<int>(from)];
    ++counts_[static_cast<int>(to)];
    record.state = to;
    observer_(record, from, to, reason);
    if (is_terminal(to)) {
        if (!MUTANT(VerdictsForgotten)) verdicts_.remember(task_id, to, clock_.unix_s());
        records_.erase(it);
    }
    return true;
}

bool Ledger::refuse(const std::string& task_id, std::optional<TaskState> from, TaskState to,
                    const std::string& reason) {
    ++refused_count_;
    if (on_refused_) on_refused_(task_id, from, to, reason);
    return false;
}

const TaskRecord* Ledger::find(const std::string& task_id) const {
    auto it = records_.find(task_id);
    return it == records_.end() ? nullptr : &it->second;
}

TaskRecord* Ledger::find_mutable(const std::string& task_id) {
    auto it = records_.find(task_id);
    return it == records_.end() ? nullptr : &it->second;
}

std::vector<std::string> Ledger::held_ids() const {
    std::vector<std::string> ids;
    for (const auto& [id, record] : records_) ids.push_back(id);
    return ids;
}

}  // namespace supervisor
