// Getting work from the orchestrator: new tasks (POST /v3/tasks) and the tasks
// already assigned to this node (GET /v3/tasks/{node_id}, at start and every few
// minutes, and soon after a fetch reply that could not be read). Each endpoint
// has its own request timer; the supervisor says when it wants a task.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "shared/clock.h"
#include "shared/codec.h"
#include "supervisor/options.h"
#include "supervisor/orchestrator_client.h"
#include "supervisor/request_timer.h"

namespace supervisor {

class Fetcher {
public:
    static constexpr std::int64_t kRelistPeriodUs = 300'000'000;

    struct Events {
        // A task arrived: "fetched" or "resumed".
        std::function<void(shared::Task&& task, const char* source)> task;
        // Every answer, for metrics: endpoint ("fetch", "list"), the outcome, seconds waited for a 429.
        std::function<void(const char* endpoint, const Outcome& outcome, double rate_limit_wait_s)> answered;
    };

    Fetcher(const shared::Clock& clock, OrchestratorClient& client, const Options& options, std::uint64_t seed,
            Events events);

    // The first fetch waits for the first listing of assigned tasks, and for a random start-up delay.
    void start(double startup_jitter_s);
    // True when a fetch may go out now (nothing in flight, the first listing done, the timer ready).
    bool can_fetch() const;
    void fetch(const shared::GetProofTaskRequest& request);
    // Lists assigned tasks when it is time to.
    void pump_list();

private:
    void list_page(const std::string& cursor, int page);
    void listed(const Outcome& outcome, std::optional<shared::GetTasksResponse>&& reply, int page);
    void fetched(const Outcome& outcome, std::optional<shared::Task>&& task);

    const shared::Clock& clock_;
    OrchestratorClient& client_;
    std::string node_id_;
    RequestTimer fetch_timer_;
    RequestTimer list_timer_;
    Events events_;
    bool fetch_in_flight_ = false;
    bool listing_ = false;
    bool first_listing_done_ = false;
    std::int64_t next_list_us_ = 0;
};

}  // namespace supervisor
