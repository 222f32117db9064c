// Worker states and the idle list, changed in one place.
#include "supervisor/worker_table.h"

#include <algorithm>

namespace supervisor {

std::string_view to_string(WorkerState state) {
    switch (state) {
        case WorkerState::Spawning: return "spawning";
        case WorkerState::Ready: return "ready";
        case WorkerState::Busy: return "busy";
        case WorkerState::Stopping: return "stopping";
    }
    return "unknown";
}

namespace {

// spawning -> ready (hello) | stopping; ready -> busy (assigned) | stopping;
// busy -> ready (result or failure) | stopping; stopping is left only by the exit.
bool allowed(WorkerState from, WorkerState to) {
    switch (from) {
        case WorkerState::Spawning: return to == WorkerState::Ready || to == WorkerState::Stopping;
        case WorkerState::Ready: return to == WorkerState::Busy || to == WorkerState::Stopping;
        case WorkerState::Busy: return to == WorkerState::Ready || to == WorkerState::Stopping;
        case WorkerState::Stopping: return false;
    }
    return false;
}

}  // namespace

WorkerRecord& WorkerTable::add(int slot, std::int64_t now_us) {
    WorkerRecord record;
    record.id = next_id_++;
    record.slot = slot;
    record.spawned_us = record.last_seen_us = now_us;
    auto [it, inserted] = workers_.emplace(record.id, std::move(record));
    return it->second;
}

bool WorkerTable::transition(WorkerId id, WorkerState to, const std::string& why) {
    WorkerRecord* w = by_id(id);
    if (!w || !allowed(w->state, to)) return false;
    const WorkerState from = w->state;
    if (from == WorkerState::Ready) idle_.erase(std::find(idle_.begin(), idle_.end(), id));
    if (to == WorkerState::Ready) idle_.push_back(id);
    w->state = to;
    if (observer_) observer_(*w, from, to, why);
    return true;
}

void WorkerTable::remove(WorkerId id) {
    auto it = workers_.find(id);
    if (it == workers_.end()) return;
    if (it->second.state == WorkerState::Ready) idle_.erase(std::find(idle_.begin(), idle_.end(), id));
    workers_.erase(it);
}

WorkerRecord* WorkerTable::by_id(WorkerId id) {
    auto it = workers_.find(id);
    return it == workers_.end() ? nullptr : &it->second;
}

const WorkerRecord* WorkerTable::by_id(WorkerId id) const {
    auto it = workers_.find(id);
    return it == workers_.end() ? nullptr : &it->second;
}

WorkerRecord* WorkerTable::by_pid(int pid) {
    if (pid <= 0) return nullptr;
    for (auto& [id, w] : workers_) {
        if (w.pid == pid) return &w;
    }
    return nullptr;
}

const WorkerRecord* WorkerTable::by_slot(int slot) const {
    for (const auto& [id, w] : workers_) {
        if (w.slot == slot) return &w;
    }
    return nullptr;
}

std::size_t WorkerTable::count(WorkerState state) const {
    return static_cast<std::size_t>(
        std::count_if(workers_.begin(), workers_.end(), [state](const auto& kv) { return kv.second.state == state; }));
}

std::int64_t WorkerTable::respawn_at(int slot) const {
    auto it = respawn_at_.find(slot);
    return it == respawn_at_.end() ? 0 : it->second;
}

}  // namespace supervisor
