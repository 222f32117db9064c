// Getting work from the orchestrator: new tasks (POST /v3/tasks, several in flight
// when the pool wants them) and the tasks already assigned to this node (GET
// /v3/tasks/{node_id}, at start, every few minutes, and soon after a fetch whose
// answer was lost). Each endpoint has its own request timer; the core says how
// many tasks it wants. Pure logic over a Clock: it makes requests and reads
// answers, and the shell carries them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "shared/clock.h"
#include "shared/codec.h"
#include "supervisor/actions.h"
#include "supervisor/fetch_planner.h"
#include "supervisor/options.h"
#include "supervisor/outcome.h"
#include "supervisor/request_timer.h"

namespace supervisor {

class Intake {
public:
    static constexpr std::int64_t kRelistPeriodUs = 300'000'000;
    static constexpr std::int64_t kRelistSoonUs = 1'000'000;
    static constexpr unsigned kMaxFetchesInFlight = 32;

    Intake(const shared::Clock& clock, const Options& options, std::uint64_t seed);

    // The first fetch waits for the first listing, and for a random start-up delay.
    void start(double startup_jitter_s);
    // A listing when one is due (one page at a time).
    std::optional<ListTasks> list_due();
    // How many of `wanted` fetches may go out now.
    unsigned fetches_allowed(unsigned wanted) const;
    FetchTask fetch(shared::GetProofTaskRequest request);

    // The task a fetch brought, if any.
    std::optional<shared::Task> on_fetched(std::uint64_t fetch_id, const Outcome& outcome,
                                           std::optional<shared::Task>&& task);
    // The tasks a listing page brought.
    std::vector<shared::Task> on_listed(const Outcome& outcome, std::optional<shared::GetTasksResponse>&& reply);

    unsigned fetches_in_flight() const { return static_cast<unsigned>(in_flight_.size()); }
    bool listing() const { return listing_; }
    bool first_listing_done() const { return first_listing_done_; }
    std::int64_t next_due_us() const;  // the next listing or fetch the timers hold back, if later than now (0: none)
    const FetchPlanner& planner() const { return planner_; }
    FetchPlanner& planner() { return planner_; }
    double last_rate_limit_wait_s() const { return last_rate_limit_wait_s_; }

private:
    const shared::Clock& clock_;
    bool paced_;  // --min-fetch-interval: one fetch at a time, one per interval
    RequestTimer fetch_timer_;
    RequestTimer list_timer_;
    FetchPlanner planner_;
    std::map<std::uint64_t, std::int64_t> in_flight_;  // fetch id -> when sent
    std::uint64_t next_fetch_id_ = 1;
    bool started_ = false;
    bool listing_ = false;
    bool first_listing_done_ = false;
    bool more_pages_ = false;  // the listing goes on with cursor_
    std::string cursor_;
    int page_ = 0;
    std::int64_t next_list_us_ = 0;
    std::int64_t list_sent_us_ = 0;
    double last_rate_limit_wait_s_ = 0;
};

}  // namespace supervisor
