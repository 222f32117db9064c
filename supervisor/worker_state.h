// Leaf types of a worker's life, shared by the core's tables and the shell.
#pragma once

#include <cstdint>
#include <string_view>

namespace supervisor {

// One spawn of a worker process, unique for the node's life. Slots are reused by
// replacements, so ownership of a task is always by id, never by slot.
using WorkerId = std::uint64_t;
inline constexpr WorkerId kNoWorker = 0;

enum class WorkerState {
    Spawning,  // asked for, or started without a hello yet
    Ready,     // idle, on the idle list
    Busy,      // proving one task
    Stopping,  // asked or forced to stop; its exit is awaited
};
std::string_view to_string(WorkerState state);

}  // namespace supervisor
