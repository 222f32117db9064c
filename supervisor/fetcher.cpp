// Fetching new tasks and listing assigned ones, each on its own request timer.
#include "supervisor/fetcher.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace supervisor {

namespace {
constexpr double kFetchJitterS = 7.5;  // on every fetch retry, so that many nodes do not retry in step
}

Fetcher::Fetcher(const shared::Clock& clock, OrchestratorClient& client, const Options& options, std::uint64_t seed,
                 Events events)
    : clock_(clock),
      client_(client),
      node_id_(options.node_id),
      fetch_timer_(clock, RequestTimerConfig{options.min_fetch_interval_s, options.fetch_backoff.initial_s,
                                             options.fetch_backoff.max_s, kFetchJitterS},
                   seed),
      list_timer_(clock, RequestTimerConfig{0, options.fetch_backoff.initial_s, options.fetch_backoff.max_s, kFetchJitterS},
                  seed + 1),
      events_(std::move(events)) {}

void Fetcher::start(double startup_jitter_s) {
    fetch_timer_.start_jitter(startup_jitter_s);
    next_list_us_ = clock_.now_us();
}

bool Fetcher::can_fetch() const { return first_listing_done_ && !fetch_in_flight_ && fetch_timer_.ready(); }

void Fetcher::fetch(const shared::GetProofTaskRequest& request) {
    fetch_in_flight_ = true;
    fetch_timer_.on_sent();
    client_.fetch_task(request, [this](const Outcome& outcome, std::optional<shared::Task>&& task) {
        fetched(outcome, std::move(task));
    });
}

void Fetcher::fetched(const Outcome& outcome, std::optional<shared::Task>&& task) {
    fetch_in_flight_ = false;
    double waited = 0;
    switch (outcome.reply) {
        case Reply::Ok:
            fetch_timer_.on_success();
            events_.answered("fetch", outcome, 0);
            events_.task(std::move(*task), "fetched");
            return;
        case Reply::NotFound:
            fetch_timer_.on_idle();
            spdlog::info("fetch: no task for this node now; next try in {:.1f} s", fetch_timer_.last_wait_s());
            break;
        case Reply::RateLimited:
            if (outcome.retry_after_s) fetch_timer_.on_retry_after(*outcome.retry_after_s);
            else fetch_timer_.on_error();
            waited = fetch_timer_.last_wait_s();
            spdlog::info("fetch: 429 rate limited; next try in {:.1f} s", waited);
            break;
        default:
            fetch_timer_.on_error();
            spdlog::warn("fetch: {} {}: {}; next try in {:.1f} s", to_string(outcome.reply), outcome.status,
                         outcome.message, fetch_timer_.last_wait_s());
            // A 2xx we could not read may still have assigned us a task: look for it soon.
            if (outcome.status >= 200 && outcome.status < 300) {
                next_list_us_ = std::min(next_list_us_, clock_.now_us() + 1'000'000);
            }
    }
    events_.answered("fetch", outcome, waited);
}

void Fetcher::pump_list() {
    if (listing_ || clock_.now_us() < next_list_us_ || !list_timer_.ready()) return;
    listing_ = true;
    list_page("", 0);
}

void Fetcher::list_page(const std::string& cursor, int page) {
    list_timer_.on_sent();
    client_.list_tasks(node_id_, cursor,
                       [this, page](const Outcome& outcome, std::optional<shared::GetTasksResponse>&& reply) {
                           listed(outcome, std::move(reply), page);
                       });
}

void Fetcher::listed(const Outcome& outcome, std::optional<shared::GetTasksResponse>&& reply, int page) {
    if (!reply) {
        if (outcome.retry_after_s) list_timer_.on_retry_after(*outcome.retry_after_s);
        else list_timer_.on_error();
        spdlog::warn("list of assigned tasks: {} {}: {}; next try in {:.1f} s", to_string(outcome.reply),
                     outcome.status, outcome.message, list_timer_.last_wait_s());
        events_.answered("list", outcome, outcome.reply == Reply::RateLimited ? list_timer_.last_wait_s() : 0);
        listing_ = false;
        first_listing_done_ = true;  // new work need not wait for an unreachable list
        return;
    }
    list_timer_.on_success();
    events_.answered("list", outcome, 0);
    for (auto& task : reply->tasks) events_.task(std::move(task), "resumed");
    if (!reply->next_cursor.empty() && page < 100) {
        list_page(reply->next_cursor, page + 1);
        return;
    }
    listing_ = false;
    first_listing_done_ = true;
    next_list_us_ = clock_.now_us() + kRelistPeriodUs;
}

}  // namespace supervisor
