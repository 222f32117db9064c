// Proved tasks on their way out (DESIGN.md invariant 2 and "Fetching and
// submitting"): each proof is written to the spool before its first send, one
// write at a time per task (a write that fails is retried with backoff while the
// proof waits in memory, and goes out from memory rather than not at all); once
// spooled, only its id stays in memory. Sends go out several at a time, each task
// with a backoff of its own after a 5xx or a timeout, so one bad submission never
// holds back the rest; a 429 or a Retry-After stops every send until the server's
// time has passed. Pure logic over a Clock.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "shared/bytes.h"
#include "shared/clock.h"
#include "supervisor/actions.h"
#include "supervisor/options.h"
#include "supervisor/outcome.h"
#include "supervisor/request_timer.h"
#include "supervisor/task_state.h"

namespace supervisor {

class SubmitQueue {
public:
    static constexpr unsigned kMaxInFlight = 32;
    static constexpr std::int64_t kWriteRetryInitialUs = 1'000'000;
    static constexpr std::int64_t kWriteRetryMaxUs = 30'000'000;

    SubmitQueue(const shared::Clock& clock, const Backoff& backoff, std::uint64_t seed);

    // A new proof, held in memory until the spool has it.
    void add_proved(const std::string& task_id, std::shared_ptr<const shared::Bytes> bytes);
    // A proof spooled by an earlier run.
    void add_spooled(const std::string& task_id);
    bool contains(const std::string& task_id) const { return entries_.count(task_id) != 0; }
    bool spooled(const std::string& task_id) const;

    // Spool writes due now; each gets a new write id and is marked in progress.
    std::vector<WriteSpool> writes_due();
    enum class Written {
        Spooled,  // on disk: the bytes leave memory
        Failed,   // not on disk: kept in memory, tried again later
        Stale,    // not ours any more (answered meanwhile, or an older write): the file must go
    };
    Written on_written(const std::string& task_id, std::uint64_t write_id, bool ok);

    // Submissions that may go out now; each is marked in flight.
    std::vector<SubmitProof> sends_due();
    struct Final {
        TaskState state;
        std::string reason;
    };
    // A final answer (the entry leaves), or nullopt: it goes again later.
    std::optional<Final> on_answer(const std::string& task_id, const Outcome& outcome);
    // A send marked in flight did not go out after all: it waits for the next chance.
    void withheld(const std::string& task_id);
    // The entry leaves without an answer (its spool file was lost, or the node gave it up).
    void forget(const std::string& task_id);

    std::size_t pending() const { return entries_.size(); }
    std::size_t in_flight() const { return in_flight_; }
    // Proofs in memory only, because the spool could not be written.
    std::size_t memory_only() const;
    bool spool_failing() const { return memory_only() > 0; }
    std::int64_t next_due_us() const;  // when the next write or send may go, if later than now (0: none waiting)
    double last_rate_limit_wait_s() const { return rate_timer_.last_wait_s(); }
    bool rate_limited() const { return !rate_timer_.ready(); }
    const RequestTimer& rate_timer() const { return rate_timer_; }

private:
    struct Entry {
        std::shared_ptr<const shared::Bytes> bytes;  // until spooled
        bool spooled = false;
        bool writing = false;
        std::uint64_t write_id = 0;
        unsigned write_failures = 0;
        std::int64_t next_write_us = 0;
        bool sending = false;
        std::int64_t sent_us = 0;  // of the send in flight
        unsigned errors = 0;
        std::int64_t next_send_us = 0;
    };
    bool may_send(const Entry& entry, std::int64_t now) const;
    void back_off(Entry& entry);

    const shared::Clock& clock_;
    Backoff backoff_;
    RequestTimer rate_timer_;  // 429 and Retry-After only
    std::mt19937_64 rng_;
    std::map<std::string, Entry> entries_;
    std::deque<std::string> order_;  // ids in the order they came; sends go oldest first
    std::uint64_t next_write_id_ = 1;
    std::size_t in_flight_ = 0;
};

}  // namespace supervisor
