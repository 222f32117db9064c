// Submissions: each signed result goes to the spool (off the loop, on libuv's
// thread pool) before its first send, then out through one request timer, one
// at a time, until the orchestrator gives a final answer (the spec's status table).
#pragma once

#include <uv.h>

#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "shared/clock.h"
#include "supervisor/ledger.h"
#include "supervisor/options.h"
#include "supervisor/orchestrator_client.h"
#include "supervisor/request_timer.h"
#include "supervisor/spool.h"

namespace supervisor {

class Submitter {
public:
    struct Events {
        // proved -> submitting: the result is on disk (or, if the disk failed, in memory only).
        std::function<void(const std::string& task_id, bool spooled)> queued;
        // A final answer: accepted, expired or rejected, with the reason.
        std::function<void(const std::string& task_id, TaskState state, const std::string& reason)> finished;
        // Every answer, for metrics.
        std::function<void(const Outcome& outcome, double rate_limit_wait_s)> answered;
    };

    Submitter(uv_loop_t* loop, const shared::Clock& clock, OrchestratorClient& client, std::filesystem::path spool_dir,
              const Backoff& backoff, std::uint64_t seed, Events events);

    shared::Status open();
    // The spool of an earlier run, queued to go out first: task ids, and one message per file set aside.
    Spool::Loaded resume();
    // Spools the encoded SubmitProofRequest, then queues it.
    void submit(const std::string& task_id, shared::Bytes encoded);
    // Sends what the request timer allows; called on every tick and after every answer.
    void pump();

    std::size_t pending() const { return pending_.size(); }

private:
    struct SpoolJob;
    void spooled(const std::string& task_id, shared::Bytes&& encoded, const shared::Status& written);
    void answered(const std::string& task_id, const Outcome& outcome);
    void finish(const std::string& task_id, TaskState state, const std::string& reason);

    uv_loop_t* loop_;
    OrchestratorClient& client_;
    Spool spool_;
    RequestTimer timer_;
    Events events_;
    std::map<std::string, shared::Bytes> pending_;  // spooled submissions by task id
    std::deque<std::string> queue_;                 // task ids waiting for their (next) send
    bool in_flight_ = false;
};

}  // namespace supervisor
