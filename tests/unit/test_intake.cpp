// Unit tests for the intake's fetch pacing: several fetches in flight when the
// pool wants them, one at a time while probing, one per --min-fetch-interval.
#include <doctest.h>

#include <optional>

#include "shared/clock.h"
#include "supervisor/intake.h"

using supervisor::Intake;
using supervisor::Options;
using supervisor::Outcome;
using supervisor::Reply;

namespace {

// An intake past its start and its first (empty) listing, ready to fetch.
struct Started {
    explicit Started(double min_interval_s = 0) : options(with_interval(min_interval_s)), intake(clock, options, 1) {
        intake.start(0);
        REQUIRE(intake.list_due());
        intake.on_listed(Outcome{Reply::Ok, 200, std::nullopt, "", 0.04}, shared::GetTasksResponse{});
    }
    std::uint64_t fetch() { return intake.fetch(shared::GetProofTaskRequest{}).fetch_id; }
    void answer(std::uint64_t id, Reply reply, long status) {
        shared::Task task;
        task.task_id = "t" + std::to_string(id);
        intake.on_fetched(id, Outcome{reply, status, std::nullopt, "", 0.04},
                          reply == Reply::Ok ? std::optional<shared::Task>(task) : std::nullopt);
    }

    static Options with_interval(double seconds) {
        Options o;
        o.min_fetch_interval_s = seconds;
        return o;
    }

    shared::FakeClock clock;
    Options options;
    Intake intake;
};

}  // namespace

TEST_CASE("nothing is fetched before the first listing has answered") {
    shared::FakeClock clock;
    Options options;
    Intake intake(clock, options, 1);
    intake.start(0);
    CHECK(intake.fetches_allowed(4) == 0);
    REQUIRE(intake.list_due());
    CHECK(intake.fetches_allowed(4) == 0);
}

TEST_CASE("as many fetches as wanted go out at once, up to the bound in flight") {
    Started s;
    CHECK(s.intake.fetches_allowed(5) == 5);
    CHECK(s.intake.fetches_allowed(100) == Intake::kMaxFetchesInFlight);
    for (unsigned i = 0; i < Intake::kMaxFetchesInFlight; ++i) s.fetch();
    CHECK(s.intake.fetches_in_flight() == Intake::kMaxFetchesInFlight);
    CHECK(s.intake.fetches_allowed(100) == 0);
    s.answer(1, Reply::Ok, 200);
    CHECK(s.intake.fetches_allowed(100) == 1);
    CHECK(s.intake.planner().round_trip_s() == doctest::Approx(0.04));
}

TEST_CASE("with a minimum interval, never more than one fetch per interval however many are wanted") {
    Started s(120);  // the public network's pace: one task every two minutes
    CHECK(s.intake.fetches_allowed(64) == 1);
    const auto id = s.fetch();
    CHECK(s.intake.fetches_allowed(64) == 0);
    s.answer(id, Reply::Ok, 200);
    s.clock.advance_s(119.9);
    CHECK(s.intake.fetches_allowed(64) == 0);
    s.clock.advance_s(0.2);
    CHECK(s.intake.fetches_allowed(64) == 1);
}

TEST_CASE("after a 429 one fetch probes and the rest wait for its answer") {
    Started s;
    const auto first = s.fetch();
    s.answer(first, Reply::RateLimited, 429);
    s.clock.advance_s(3600);  // past any backoff
    CHECK(s.intake.fetches_allowed(10) == 1);
    const auto probe = s.fetch();
    CHECK(s.intake.fetches_allowed(10) == 0);
    s.answer(probe, Reply::Ok, 200);
    CHECK(s.intake.fetches_allowed(10) == 10);
}

TEST_CASE("a ready timer asks for no turn of its own; a waiting one for its time") {
    Started s;
    const std::int64_t now = s.clock.now_us();
    const std::int64_t due = s.intake.next_due_us();
    CHECK((due == 0 || due > now));  // "now" would wake the loop every millisecond
    const auto id = s.fetch();
    s.answer(id, Reply::RateLimited, 429);
    const std::int64_t wait = s.intake.next_due_us() - s.clock.now_us();
    CHECK(wait > 0);
    s.clock.advance_us(wait);
    CHECK(s.intake.fetches_allowed(1) == 1);
}
