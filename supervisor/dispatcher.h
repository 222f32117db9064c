// Who gets the next task: idle workers in least-recently-used order (the ZeroMQ
// Guide's load-balancing broker). Pure logic: no sockets, no processes.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>

namespace supervisor {

class Dispatcher {
public:
    // A worker became idle (said hello, or finished a task): it goes to the back.
    void worker_idle(int worker);
    // A worker is gone or stopping: it is no longer offered.
    void worker_gone(int worker);
    // The least recently used idle worker, taken off the idle list.
    std::optional<int> take_idle();

    std::size_t idle_count() const { return idle_.size(); }
    bool is_idle(int worker) const;
    // Tasks handed to each worker so far, for fairness checks and metrics.
    std::uint64_t assigned(int worker) const;

private:
    std::deque<int> idle_;
    std::map<int, std::uint64_t> assigned_;
};

}  // namespace supervisor
