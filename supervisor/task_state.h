// Leaf types of a task's life: its states and the table of allowed changes.
#pragma once

#include <string_view>

namespace supervisor {

enum class TaskState {
    Queued,       // waiting for an idle worker
    Dispatched,   // on exactly one worker, its owner
    Proved,       // proofs back; the submission is in memory until the spool has it
    Submitting,   // spooled; submission in flight or waiting to retry
    Accepted,     // terminal: the orchestrator took it (2xx or 409)
    Rejected,     // terminal: 400, 422 or another final 4xx
    Expired,      // terminal: 404 on submit, the deadline passed
    Poison,       // terminal: failed kMaxAttempts times on workers
    Unsupported,  // terminal: program or enum value this node does not know
    Malformed,    // terminal: an input the program refuses
    Abandoned,    // terminal: the node stopped before proving it (the server still has it)
};
inline constexpr int kTaskStates = 11;

std::string_view to_string(TaskState state);
bool is_terminal(TaskState state);
// The transition table (DESIGN.md): whether `from -> to` is a change the ledger makes.
bool transition_allowed(TaskState from, TaskState to);

}  // namespace supervisor
