// Task states and their transitions (DESIGN.md invariants 1, 3, 4 and 6).
#include "supervisor/ledger.h"

#include <algorithm>

namespace supervisor {

namespace {
constexpr std::size_t kAcceptedMemory = 20'000;         // ids remembered to refuse a second submission,
constexpr std::int64_t kAcceptedTtlUs = 86'400'000'000;  // for a day at most (deadlines are far shorter)
}

std::string_view to_string(TaskState state) {
    static constexpr std::string_view kNames[] = {"queued",   "dispatched", "proved",      "submitting",
                                                  "accepted", "rejected",   "expired",     "poison",
                                                  "unsupported", "malformed", "abandoned"};
    return kNames[static_cast<int>(state)];
}

bool is_terminal(TaskState state) { return state >= TaskState::Accepted; }

Ledger::Ledger(const shared::Clock& clock, Observer observer) : clock_(clock), observer_(std::move(observer)) {}

Ledger::Added Ledger::add(shared::Task task, unsigned threads, TaskState initial) {
    if (accepted_.count(task.task_id)) return Added::AlreadyAccepted;
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

void Ledger::dispatch(const std::string& task_id, int worker, const std::string& label) {
    TaskRecord* record = find(task_id);
    if (!record || record->state != TaskState::Queued) return;
    ++record->attempts;
    record->worker = worker;
    record->dispatched_us = clock_.now_us();
    transition(task_id, TaskState::Dispatched,
               (label.empty() ? "worker " + std::to_string(worker) : label) + ", attempt " + std::to_string(record->attempts) + ", " +
                   std::to_string(record->threads) + " threads");
}

void Ledger::worker_failed(const std::string& task_id, const std::string& cause, bool oom) {
    TaskRecord* record = find(task_id);
    if (!record || record->state != TaskState::Dispatched) return;
    record->causes.push_back(cause);
    record->worker = -1;
    if (record->attempts >= kMaxAttempts) {
        std::string all;
        for (const auto& c : record->causes) all += (all.empty() ? "" : "; ") + c;
        transition(task_id, TaskState::Poison, std::to_string(record->attempts) + " attempts failed: " + all);
        return;
    }
    if (oom) record->threads = std::max(1u, record->threads / 2);
    transition(task_id, TaskState::Queued, cause + "; retry " + std::to_string(record->attempts + 1) + " of " +
                                               std::to_string(kMaxAttempts) + " with " +
                                               std::to_string(record->threads) + " threads");
}

void Ledger::transition(const std::string& task_id, TaskState to, const std::string& reason) {
    auto it = records_.find(task_id);
    if (it == records_.end()) return;
    const TaskState from = it->second.state;
    // The queue holds exactly the queued tasks. One that comes back to it (a retry)
    // goes ahead of new work (invariant 4); new work joins at the back in add().
    if (from == TaskState::Queued && to != TaskState::Queued) {
        queue_.erase(std::remove(queue_.begin(), queue_.end(), task_id), queue_.end());
    } else if (from != TaskState::Queued && to == TaskState::Queued) {
        queue_.push_front(task_id);
    }
    --counts_[static_cast<int>(from)];
    ++counts_[static_cast<int>(to)];
    it->second.state = to;
    observer_(it->second, from, to, reason);
    if (!is_terminal(to)) return;
    if (to == TaskState::Accepted) remember_accepted(task_id);
    records_.erase(it);
}

TaskRecord* Ledger::find(const std::string& task_id) {
    auto it = records_.find(task_id);
    return it == records_.end() ? nullptr : &it->second;
}

std::vector<std::string> Ledger::held_ids() const {
    std::vector<std::string> ids;
    for (const auto& [id, record] : records_) ids.push_back(id);
    return ids;
}

void Ledger::remember_accepted(const std::string& task_id) {
    if (!accepted_.insert(task_id).second) return;
    const std::int64_t now = clock_.now_us();
    accepted_order_.emplace_back(task_id, now);
    while (!accepted_order_.empty() && (accepted_order_.size() > kAcceptedMemory ||
                                        now - accepted_order_.front().second > kAcceptedTtlUs)) {
        accepted_.erase(accepted_order_.front().first);
        accepted_order_.pop_front();
    }
}

}  // namespace supervisor
