// Fetching new tasks and listing assigned ones, each on its own request timer.
#include "supervisor/intake.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include "supervisor/mutants.h"

namespace supervisor {

namespace {
constexpr double kFetchJitterS = 7.5;  // on every fetch retry, so that many nodes do not retry in step
constexpr int kMaxPages = 100;
}  // namespace

Intake::Intake(const shared::Clock& clock, const Options& options, std::uint64_t seed)
    : clock_(clock),
      paced_(options.min_fetch_interval_s > 0),
      fetch_timer_(clock, RequestTimerConfig{options.min_fetch_interval_s, options.fetch_backoff.initial_s,
                                             options.fetch_backoff.max_s, kFetchJitterS},
                   seed),
      list_timer_(clock, RequestTimerConfig{0, options.fetch_backoff.initial_s, options.fetch_backoff.max_s,
                                            kFetchJitterS},
                  seed + 1) {}

void Intake::start(double startup_jitter_s) {
    started_ = true;
    fetch_timer_.start_jitter(startup_jitter_s);
    next_list_us_ = clock_.now_us();
}

std::optional<ListTasks> Intake::list_due() {
    if (!started_ || listing_ || clock_.now_us() < next_list_us_ || !list_timer_.ready()) return std::nullopt;
    listing_ = true;
    if (!more_pages_) {
        cursor_.clear();
        page_ = 0;
    }
    list_timer_.on_sent();
    list_sent_us_ = clock_.now_us();
    return ListTasks{cursor_};
}

unsigned Intake::fetches_allowed(unsigned wanted) const {
    if (!started_ || !first_listing_done_ || (!fetch_timer_.ready() && !MUTANT(RetryAfterIgnoredFetch))) return 0;
    // With a minimum interval, one request per interval however many are wanted: the
    // timer is ready once per interval, and what goes out then is a single fetch.
    const unsigned most = fetch_timer_.probing() || paced_ ? 1 : kMaxFetchesInFlight;
    const unsigned room = most - std::min(most, fetches_in_flight());
    return std::min(room, wanted);
}

FetchTask Intake::fetch(shared::GetProofTaskRequest request) {
    const std::uint64_t id = next_fetch_id_++;
    in_flight_[id] = clock_.now_us();
    fetch_timer_.on_sent();
    return FetchTask{id, std::move(request)};
}

std::optional<shared::Task> Intake::on_fetched(std::uint64_t fetch_id, const Outcome& outcome,
                                               std::optional<shared::Task>&& task) {
    auto sent = in_flight_.find(fetch_id);
    if (sent == in_flight_.end()) return std::nullopt;
    const std::int64_t sent_us = sent->second;
    in_flight_.erase(sent);
    last_rate_limit_wait_s_ = 0;
    switch (outcome.reply) {
        case Reply::Ok:
            planner_.on_round_trip(outcome.elapsed_s);
            fetch_timer_.on_success(sent_us);
            if (task) return std::move(task);
            break;
        case Reply::NotFound:
            planner_.on_round_trip(outcome.elapsed_s);
            fetch_timer_.on_idle(sent_us);
            spdlog::info("fetch: no task for this node now; next try in {:.1f} s", fetch_timer_.last_wait_s());
            break;
        case Reply::RateLimited:
            if (outcome.retry_after_s) fetch_timer_.on_retry_after(*outcome.retry_after_s);
            else fetch_timer_.on_error();
            last_rate_limit_wait_s_ = fetch_timer_.last_wait_s();
            spdlog::info("fetch: 429 rate limited; next try in {:.1f} s", last_rate_limit_wait_s_);
            break;
        default:
            if (outcome.retry_after_s) fetch_timer_.on_retry_after(*outcome.retry_after_s);
            else fetch_timer_.on_error();
            spdlog::warn("fetch: {} {}: {}; next try in {:.1f} s", to_string(outcome.reply), outcome.status,
                         outcome.message, fetch_timer_.last_wait_s());
            // A 2xx we could not read, or an answer lost after the request went out, may
            // still have assigned us a task: look for it soon.
            if (outcome.status == 0 || (outcome.status >= 200 && outcome.status < 300)) {
                next_list_us_ = std::min(next_list_us_, clock_.now_us() + kRelistSoonUs);
            }
    }
    return std::nullopt;
}

std::vector<shared::Task> Intake::on_listed(const Outcome& outcome, std::optional<shared::GetTasksResponse>&& reply) {
    std::vector<shared::Task> tasks;
    if (!listing_) return tasks;
    if (!reply) {
        if (outcome.retry_after_s) list_timer_.on_retry_after(*outcome.retry_after_s);
        else list_timer_.on_error();
        spdlog::warn("list of assigned tasks: {} {}: {}; next try in {:.1f} s", to_string(outcome.reply),
                     outcome.status, outcome.message, list_timer_.last_wait_s());
        listing_ = false;
        more_pages_ = false;
        first_listing_done_ = true;  // new work need not wait for an unreachable list
        return tasks;
    }
    list_timer_.on_success(list_sent_us_);
    tasks = std::move(reply->tasks);
    if (!reply->next_cursor.empty() && ++page_ < kMaxPages) {
        cursor_ = reply->next_cursor;
        listing_ = false;  // the next page is due at once
        next_list_us_ = clock_.now_us();
        more_pages_ = true;
        return tasks;
    }
    listing_ = false;
    more_pages_ = false;
    first_listing_done_ = true;
    next_list_us_ = clock_.now_us() + kRelistPeriodUs;
    return tasks;
}

// Only a time still to come: what may go now went in this turn, or waits for an
// answer (the bound in flight, the first listing, a probe), which brings a turn of
// its own. A ready timer reported as due "now" woke the loop every millisecond.
std::int64_t Intake::next_due_us() const {
    if (!started_) return 0;
    const std::int64_t now = clock_.now_us();
    std::int64_t next = 0;
    auto earliest = [&next, now](std::int64_t t) {
        if (t > now) next = next == 0 ? t : std::min(next, t);
    };
    if (!listing_) earliest(std::max(next_list_us_, now + list_timer_.wait_us()));
    earliest(now + fetch_timer_.wait_us());
    return next;
}

}  // namespace supervisor
