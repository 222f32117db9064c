// Unit tests for Health and unready_reason: a stale loop, readiness and its reasons, with a fake clock.
#include <doctest.h>

#include "shared/clock.h"
#include "supervisor/health.h"

using supervisor::Health;
using supervisor::unready_reason;

TEST_CASE("healthz: 503 before the first tick, 200 while the loop ticks, 503 once it is stale") {
    shared::FakeClock clock;
    Health health(clock);
    CHECK(health.healthz().status == 503);
    CHECK(health.healthz().body.find("has not ticked") != std::string::npos);

    health.loop_alive(clock.now_us());
    clock.advance_s(1);
    CHECK(health.healthz().status == 200);
    CHECK(health.healthz().body == "ok: the loop ticked 1.0 s ago");

    clock.advance_us(Health::kStaleUs - 1'000'000);  // exactly at the limit: still alive
    CHECK(health.healthz().status == 200);
    clock.advance_us(1);
    CHECK(health.healthz().status == 503);
    CHECK(health.healthz().body.rfind("stale: the loop ticked 5.0 s ago", 0) == 0);

    health.loop_alive(clock.now_us());  // the loop came back
    CHECK(health.healthz().status == 200);
}

TEST_CASE("readyz: 503 with the reason until the loop says ready, and again when it says not") {
    shared::FakeClock clock;
    Health health(clock);
    CHECK(health.readyz().status == 503);
    CHECK(health.readyz().body == "not ready: the loop has not run yet");
    health.set_ready(true, "2 workers up");
    CHECK(health.readyz().status == 200);
    CHECK(health.readyz().body == "ready: 2 workers up");
    health.set_ready(false, "not running: starting, draining or stopping");
    CHECK(health.readyz().status == 503);
    CHECK(health.readyz().body == "not ready: not running: starting, draining or stopping");
}

TEST_CASE("unready_reason: running, confirmed and a worker up, checked in that order") {
    CHECK(unready_reason(true, true, 1).empty());
    CHECK(unready_reason(true, true, 4).empty());
    CHECK(unready_reason(true, true, 0) == "no worker is ready yet");
    CHECK(unready_reason(true, false, 3) == "waiting for the orchestrator to confirm the node");
    CHECK(unready_reason(true, false, 0) == "waiting for the orchestrator to confirm the node");
    CHECK(unready_reason(false, true, 3).rfind("not running", 0) == 0);
}
