// The workers the node has asked for, by spawn id: the only writer of a worker's
// state, with the idle list (least recently used first, the ZeroMQ Guide's
// load-balancing broker) kept in step by every transition. Pure logic.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "supervisor/death.h"
#include "supervisor/worker_state.h"

namespace supervisor {

struct WorkerRecord {
    WorkerId id = kNoWorker;
    int slot = 0;
    int pid = 0;  // 0 until the process started
    WorkerState state = WorkerState::Spawning;
    std::string task_id;      // the task it holds: while Busy, or Stopping with a task
    unsigned concurrent = 0;  // proofs of that task at once
    KillReason kill_reason = KillReason::None;
    std::int64_t spawned_us = 0;
    std::int64_t hello_us = 0;  // 0 until the hello
    std::int64_t last_seen_us = 0;
    std::int64_t busy_since_us = 0;
    std::uint64_t rss_bytes = 0;
    std::uint64_t peak_rss_bytes = 0;
    std::uint64_t tasks_done = 0;
    std::uint64_t assigns_sent = 0;  // compared with the heartbeat's count of assigns received
    bool lost_result = false;        // busy, yet its heartbeat says it holds no task it was given
    bool must_stop = false;          // an Assign could not be sent to it
    bool started = false;            // up past the start-up window after its hello
    std::string version;
    std::string last_program;  // of its last task: a worker keeps that task's Argon2 arenas
    int last_difficulty = -1;
};

class WorkerTable {
public:
    using Observer = std::function<void(const WorkerRecord&, WorkerState from, WorkerState to, const std::string& why)>;

    explicit WorkerTable(Observer observer = {}) : observer_(std::move(observer)) {}

    // A new worker for `slot`, spawning, with a fresh id.
    WorkerRecord& add(int slot, std::int64_t now_us);
    // The only way a worker's state changes; false for a change the table does not make.
    bool transition(WorkerId id, WorkerState to, const std::string& why);
    // The process is gone: the record leaves the table.
    void remove(WorkerId id);

    WorkerRecord* by_id(WorkerId id);
    const WorkerRecord* by_id(WorkerId id) const;
    WorkerRecord* by_pid(int pid);
    const WorkerRecord* by_slot(int slot) const;
    const std::map<WorkerId, WorkerRecord>& all() const { return workers_; }
    std::map<WorkerId, WorkerRecord>& all() { return workers_; }

    // Ready workers, least recently used first.
    const std::deque<WorkerId>& idle() const { return idle_; }
    std::size_t size() const { return workers_.size(); }
    std::size_t count(WorkerState state) const;

    // When a replacement for a slot may start (restart backoff).
    void respawn_after(int slot, std::int64_t at_us) { respawn_at_[slot] = at_us; }
    std::int64_t respawn_at(int slot) const;

private:
    std::map<WorkerId, WorkerRecord> workers_;
    std::deque<WorkerId> idle_;
    std::map<int, std::int64_t> respawn_at_;
    WorkerId next_id_ = 1;
    Observer observer_;
};

}  // namespace supervisor
