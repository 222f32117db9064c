// Spooling and submitting results.
#include "supervisor/submitter.h"

#include <spdlog/spdlog.h>

#include <memory>

namespace supervisor {

// The spool write, with its fsyncs, runs on libuv's thread pool; it touches no
// state of ours until its completion callback, which runs on the loop.
struct Submitter::SpoolJob {
    uv_work_t request{};
    Submitter* self;
    std::string task_id;
    shared::Bytes bytes;
    shared::Status written = shared::Ok{};
};

Submitter::Submitter(uv_loop_t* loop, const shared::Clock& clock, OrchestratorClient& client,
                     std::filesystem::path spool_dir, const Backoff& backoff, std::uint64_t seed, Events events)
    : loop_(loop),
      client_(client),
      spool_(std::move(spool_dir)),
      timer_(clock, RequestTimerConfig{0, backoff.initial_s, backoff.max_s, 2.0}, seed),
      events_(std::move(events)) {}

shared::Status Submitter::open() { return spool_.open(); }

Spool::Loaded Submitter::resume() {
    auto loaded = spool_.load();
    for (auto& entry : loaded.entries) {
        queue_.push_back(entry.task_id);
        pending_[entry.task_id] = std::move(entry.submission);
    }
    return loaded;
}

void Submitter::submit(const std::string& task_id, shared::Bytes encoded) {
    auto* job = new SpoolJob{{}, this, task_id, std::move(encoded)};
    job->request.data = job;
    uv_queue_work(
        loop_, &job->request,
        [](uv_work_t* r) {
            auto* j = static_cast<SpoolJob*>(r->data);
            j->written = j->self->spool_.write(j->task_id, j->bytes);
        },
        [](uv_work_t* r, int) {
            std::unique_ptr<SpoolJob> j(static_cast<SpoolJob*>(r->data));
            j->self->spooled(j->task_id, std::move(j->bytes), j->written);
        });
}

void Submitter::spooled(const std::string& task_id, shared::Bytes&& encoded, const shared::Status& written) {
    if (!written) {
        // Better sent from memory than lost: the proof still goes out.
        spdlog::error("spool: {}; task {} is submitted from memory only", written.error(), task_id);
    }
    pending_[task_id] = std::move(encoded);
    queue_.push_back(task_id);
    events_.queued(task_id, static_cast<bool>(written));
    pump();
}

// One submission at a time: after a 429 no request of ours can still be on its
// way, so the server's Retry-After window is honoured to the letter.
void Submitter::pump() {
    while (!in_flight_ && !queue_.empty() && timer_.ready()) {
        const std::string task_id = queue_.front();
        queue_.pop_front();
        auto it = pending_.find(task_id);
        if (it == pending_.end()) continue;
        in_flight_ = true;
        timer_.on_sent();
        client_.submit(it->second, [this, task_id](const Outcome& outcome) { answered(task_id, outcome); });
    }
}

void Submitter::answered(const std::string& task_id, const Outcome& outcome) {
    in_flight_ = false;
    const std::string status = std::to_string(outcome.status);
    double waited = 0;
    switch (outcome.reply) {
        case Reply::Ok:
            timer_.on_success();
            finish(task_id, TaskState::Accepted, "accepted (" + status + ")");
            break;
        case Reply::Conflict:
            timer_.on_success();
            finish(task_id, TaskState::Accepted, "accepted earlier (409)");
            break;
        case Reply::NotFound:
            finish(task_id, TaskState::Expired, "404: unknown or past its deadline");
            break;
        case Reply::Rejected:
            finish(task_id, TaskState::Rejected, status + ": " + outcome.message);
            break;
        case Reply::RateLimited:
        case Reply::Retry:
            if (outcome.retry_after_s) timer_.on_retry_after(*outcome.retry_after_s);
            else timer_.on_error();
            if (outcome.reply == Reply::RateLimited) waited = timer_.last_wait_s();
            spdlog::warn("submit {}: {} {} {}; proof kept, next try in {:.1f} s", task_id, to_string(outcome.reply),
                         outcome.status, outcome.message, timer_.last_wait_s());
            queue_.push_front(task_id);
            break;
    }
    events_.answered(outcome, waited);
    pump();
}

void Submitter::finish(const std::string& task_id, TaskState state, const std::string& reason) {
    // Only a final answer lets the proof leave the spool.
    if (auto removed = spool_.remove(task_id); !removed) spdlog::warn("spool: {}", removed.error());
    pending_.erase(task_id);
    events_.finished(task_id, state, reason);
}

}  // namespace supervisor
