// What the core asks the shell to do at the end of a turn. Each action is carried
// out after the turn, and nothing the shell does while carrying one out delivers an
// event back into the core: completions come back later, as events.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "shared/bytes.h"
#include "shared/codec.h"
#include "shared/worker_codec.h"
#include "supervisor/verdicts.h"
#include "supervisor/worker_state.h"

namespace supervisor {

struct SpawnWorker {
    WorkerId id;
    int slot;
};
// SIGTERM to the worker's group, SIGKILL after a grace period (or at once). A retired
// worker is sent Shutdown first, so that it exits cleanly.
struct StopWorker {
    WorkerId id;
    int pid;
    bool immediately = false;
    bool shutdown_first = false;
};
struct SendAssign {
    WorkerId id;
    int pid;
    shared::wire::Assign assign;
};
// Temp file, fsync, rename, fsync of the directory, off the loop; answered by on_spooled.
struct WriteSpool {
    std::string task_id;
    std::uint64_t write_id;
    std::shared_ptr<const shared::Bytes> bytes;
};
struct RemoveSpool {
    std::string task_id;
};
// POST /v3/tasks/submit; `bytes` null means: read them from the spool. Answered by
// on_submitted, or by on_spool_lost when the spool cannot give them back.
struct SubmitProof {
    std::string task_id;
    std::shared_ptr<const shared::Bytes> bytes;
};
struct FetchTask {
    std::uint64_t fetch_id;
    shared::GetProofTaskRequest request;
};
struct ListTasks {
    std::string cursor;
};
struct CheckNode {};
// One line appended to STATE/verdicts.
struct RememberVerdict {
    Verdicts::Entry entry;
};
// The learned memory figures changed: write STATE/memory.json (`urgent` after an OOM kill).
struct SaveMemoryModel {
    bool urgent = false;
};

using Action = std::variant<SpawnWorker, StopWorker, SendAssign, WriteSpool, RemoveSpool, SubmitProof, FetchTask,
                            ListTasks, CheckNode, RememberVerdict, SaveMemoryModel>;

struct Plan {
    std::vector<Action> actions;
    std::int64_t wake_at_us = 0;  // the core wants a turn by then at the latest
    bool done = false;            // the node has finished: close everything, exit
};

}  // namespace supervisor
