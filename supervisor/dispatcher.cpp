// The LRU queue of idle workers.
#include "supervisor/dispatcher.h"

#include <algorithm>

namespace supervisor {

void Dispatcher::worker_idle(int worker) {
    if (is_idle(worker)) return;
    idle_.push_back(worker);
}

void Dispatcher::worker_gone(int worker) { idle_.erase(std::remove(idle_.begin(), idle_.end(), worker), idle_.end()); }

std::optional<int> Dispatcher::take_idle() {
    if (idle_.empty()) return std::nullopt;
    const int worker = idle_.front();
    idle_.pop_front();
    ++assigned_[worker];
    return worker;
}

bool Dispatcher::is_idle(int worker) const { return std::find(idle_.begin(), idle_.end(), worker) != idle_.end(); }

std::uint64_t Dispatcher::assigned(int worker) const {
    auto it = assigned_.find(worker);
    return it == assigned_.end() ? 0 : it->second;
}

}  // namespace supervisor
