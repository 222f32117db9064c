// Unit tests for the dispatcher: LRU order of idle workers, and fairness over a long run.
#include <doctest.h>

#include <cstdint>
#include <functional>
#include <queue>
#include <random>
#include <tuple>
#include <utility>
#include <vector>

#include "shared/clock.h"
#include "supervisor/dispatcher.h"

using supervisor::Dispatcher;

TEST_CASE("idle workers are taken least recently used first") {
    Dispatcher d;
    CHECK_FALSE(d.take_idle().has_value());
    d.worker_idle(2);
    d.worker_idle(0);
    d.worker_idle(1);
    CHECK(d.idle_count() == 3);
    CHECK(d.take_idle() == std::optional<int>(2));
    d.worker_idle(2);  // finished: to the back
    CHECK(d.take_idle() == std::optional<int>(0));
    CHECK(d.take_idle() == std::optional<int>(1));
    CHECK(d.take_idle() == std::optional<int>(2));
    CHECK_FALSE(d.take_idle().has_value());
    CHECK(d.idle_count() == 0);
    CHECK(d.assigned(2) == 2);
    CHECK(d.assigned(0) == 1);
    CHECK(d.assigned(1) == 1);
    CHECK(d.assigned(9) == 0);
}

TEST_CASE("a gone worker is no longer offered") {
    Dispatcher d;
    d.worker_idle(0);
    d.worker_idle(1);
    d.worker_idle(2);
    d.worker_gone(1);
    CHECK_FALSE(d.is_idle(1));
    CHECK(d.idle_count() == 2);
    CHECK(d.take_idle() == std::optional<int>(0));
    CHECK(d.take_idle() == std::optional<int>(2));
    CHECK_FALSE(d.take_idle().has_value());
    d.worker_gone(5);  // unknown: harmless
    CHECK(d.idle_count() == 0);
}

TEST_CASE("a worker reported idle twice is offered once") {
    Dispatcher d;
    d.worker_idle(4);
    d.worker_idle(4);
    CHECK(d.idle_count() == 1);
    CHECK(d.is_idle(4));
    CHECK(d.take_idle() == std::optional<int>(4));
    CHECK_FALSE(d.is_idle(4));
    CHECK_FALSE(d.take_idle().has_value());
}

TEST_CASE("a worker idle twice keeps its place in the LRU order") {
    Dispatcher d;
    d.worker_idle(1);
    d.worker_idle(2);
    d.worker_idle(1);  // a second hello must not move it behind 2 or duplicate it
    CHECK(d.take_idle() == std::optional<int>(1));
    CHECK(d.take_idle() == std::optional<int>(2));
    CHECK_FALSE(d.take_idle().has_value());
}

TEST_CASE("fairness: 10000 tasks of random length over 4 workers") {
    // Tasks arrive at random and take random times, so that the pool is often only
    // half busy and several workers wait at once: then the order in which idle workers
    // are taken decides who gets the work, and LRU must share it evenly.
    constexpr int kWorkers = 4;
    constexpr int kTasks = 10'000;
    shared::FakeClock clock;
    Dispatcher d;
    std::mt19937_64 rng(20240601);
    std::uniform_int_distribution<std::int64_t> duration_us(1'000, 399'000);    // mean 200 ms
    std::exponential_distribution<double> gap_s(1.0 / 0.1);                    // a task every 100 ms

    // The event loop of the test: arrivals and finishes, earliest first.
    enum Kind { Finish = 0, Arrival = 1 };
    using Event = std::tuple<std::int64_t, int, int>;  // when, kind, worker
    std::priority_queue<Event, std::vector<Event>, std::greater<>> events;
    for (int w = 0; w < kWorkers; ++w) d.worker_idle(w);
    events.push({clock.now_us(), Arrival, -1});

    int arrived = 0;
    int waiting = 0;
    int finished = 0;
    int moments_with_choice = 0;
    while (finished < kTasks) {
        REQUIRE_FALSE(events.empty());
        const auto [at, kind, worker] = events.top();
        events.pop();
        REQUIRE(at >= clock.now_us());
        clock.advance_us(at - clock.now_us());
        if (kind == Arrival) {
            ++waiting;
            if (++arrived < kTasks) events.push({clock.now_us() + shared::seconds_to_us(gap_s(rng)), Arrival, -1});
        } else {
            CHECK_FALSE(d.is_idle(worker));  // a busy worker is never offered
            d.worker_idle(worker);
            ++finished;
        }
        while (waiting > 0) {
            if (d.idle_count() > 1) ++moments_with_choice;
            auto w = d.take_idle();
            if (!w) break;
            REQUIRE(*w >= 0);
            REQUIRE(*w < kWorkers);
            events.push({clock.now_us() + duration_us(rng), Finish, *w});
            --waiting;
        }
    }
    CHECK(d.idle_count() == kWorkers);
    CHECK(moments_with_choice > kTasks / 4);  // the order really mattered

    std::uint64_t total = 0;
    for (int w = 0; w < kWorkers; ++w) total += d.assigned(w);
    CHECK(total == kTasks);
    const double mean = static_cast<double>(total) / kWorkers;
    for (int w = 0; w < kWorkers; ++w) {
        INFO("worker " << w << " got " << d.assigned(w) << " of mean " << mean);
        CHECK(static_cast<double>(d.assigned(w)) >= 0.9 * mean);
        CHECK(static_cast<double>(d.assigned(w)) <= 1.1 * mean);
    }
}

TEST_CASE("fairness: equal tasks rotate over every worker") {
    Dispatcher d;
    for (int w = 0; w < 3; ++w) d.worker_idle(w);
    std::vector<int> order;
    for (int i = 0; i < 9; ++i) {
        auto w = d.take_idle();
        REQUIRE(w.has_value());
        order.push_back(*w);
        d.worker_idle(*w);
    }
    CHECK(order == std::vector<int>{0, 1, 2, 0, 1, 2, 0, 1, 2});
}
