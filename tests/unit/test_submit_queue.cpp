// Unit tests for the submit queue: spooled before sent, several sends in flight,
// and wake-ups only for times still to come.
#include <doctest.h>

#include <memory>
#include <optional>
#include <string>

#include "shared/clock.h"
#include "supervisor/submit_queue.h"

using supervisor::Outcome;
using supervisor::Reply;
using supervisor::SubmitQueue;

namespace {

std::shared_ptr<const shared::Bytes> proof() { return std::make_shared<const shared::Bytes>(shared::Bytes{1, 2, 3}); }

// n proofs added and spooled.
void spooled(SubmitQueue& queue, int n) {
    for (int i = 0; i < n; ++i) queue.add_proved("t" + std::to_string(i), proof());
    for (const auto& write : queue.writes_due()) {
        REQUIRE(queue.on_written(write.task_id, write.write_id, true) == SubmitQueue::Written::Spooled);
    }
}

}  // namespace

TEST_CASE("a proof is written to the spool before its first send") {
    shared::FakeClock clock;
    SubmitQueue queue(clock, {1, 60}, 1);
    queue.add_proved("a", proof());
    CHECK(queue.sends_due().empty());
    const auto writes = queue.writes_due();
    REQUIRE(writes.size() == 1);
    CHECK(queue.writes_due().empty());  // one write at a time
    CHECK(queue.on_written("a", writes[0].write_id, true) == SubmitQueue::Written::Spooled);
    const auto sends = queue.sends_due();
    REQUIRE(sends.size() == 1);
    CHECK(sends[0].bytes == nullptr);  // spooled: read back from the spool
}

TEST_CASE("up to the bound in flight; the rest wait for an answer, not for a time") {
    shared::FakeClock clock;
    SubmitQueue queue(clock, {1, 60}, 1);
    spooled(queue, SubmitQueue::kMaxInFlight + 5);
    CHECK(queue.sends_due().size() == SubmitQueue::kMaxInFlight);
    CHECK(queue.sends_due().empty());
    CHECK(queue.next_due_us() == 0);  // "now" would wake the loop every millisecond until an answer
    CHECK(queue.on_answer("t0", Outcome{Reply::Ok, 200, std::nullopt, "", 0.04}));
    CHECK(queue.sends_due().size() == 1);
}

TEST_CASE("after a 5xx the task waits its backoff, and the queue wakes for it") {
    shared::FakeClock clock;
    SubmitQueue queue(clock, {1, 60}, 1);
    spooled(queue, 1);
    REQUIRE(queue.sends_due().size() == 1);
    CHECK_FALSE(queue.on_answer("t0", Outcome{Reply::Retry, 503, std::nullopt, "", 0.04}));
    CHECK(queue.sends_due().empty());
    const std::int64_t wait = queue.next_due_us() - clock.now_us();
    CHECK(wait >= 1'000'000);  // the initial backoff, plus jitter
    clock.advance_us(wait);
    CHECK(queue.sends_due().size() == 1);
}

TEST_CASE("a 429 with Retry-After holds every send until the server's time") {
    shared::FakeClock clock;
    SubmitQueue queue(clock, {1, 60}, 1);
    spooled(queue, 3);
    const auto sends = queue.sends_due();
    REQUIRE(sends.size() == 3);
    for (const auto& send : sends) {
        CHECK_FALSE(queue.on_answer(send.task_id, Outcome{Reply::RateLimited, 429, 5.0, "", 0.04}));
    }
    CHECK(queue.rate_limited());
    CHECK(queue.pending() == 3);  // a 429 never loses a proof
    CHECK(queue.next_due_us() - clock.now_us() >= 5'000'000);
    clock.advance_s(10);
    CHECK(queue.sends_due().size() == 1);  // one probes first
}

TEST_CASE("a success of a request sent before the 429 does not end the probe: after the window, one goes first") {
    shared::FakeClock clock;
    SubmitQueue queue(clock, {1, 60}, 1);
    spooled(queue, 2);
    const auto sends = queue.sends_due();
    REQUIRE(sends.size() == 2);
    clock.advance_us(1000);
    CHECK_FALSE(queue.on_answer(sends[0].task_id, Outcome{Reply::RateLimited, 429, 3.0, "", 0.04}));
    clock.advance_us(1000);
    CHECK(queue.on_answer(sends[1].task_id, Outcome{Reply::Ok, 200, std::nullopt, "", 0.04}));  // on its way before
    for (const char* id : {"late1", "late2"}) queue.add_proved(id, proof());  // proved inside the window
    for (const auto& write : queue.writes_due()) queue.on_written(write.task_id, write.write_id, true);
    clock.advance_s(10);
    const auto after = queue.sends_due();
    REQUIRE(after.size() == 1);  // one probes first, as the 429 asked
    CHECK(queue.on_answer(after[0].task_id, Outcome{Reply::Ok, 200, std::nullopt, "", 0.04}));
    CHECK(queue.sends_due().size() == 2);  // the probe's success ends probing: both left go out
}

TEST_CASE("item 6: one submission failing with 5xx or a timeout backs off alone while the others are submitted") {
    shared::FakeClock clock;
    SubmitQueue queue(clock, {1, 60}, 1);
    const Outcome ok{Reply::Ok, 200, std::nullopt, "", 0.04};
    auto add_spooled = [&queue](const std::string& id) {
        queue.add_proved(id, proof());
        for (const auto& write : queue.writes_due()) {
            REQUIRE(queue.on_written(write.task_id, write.write_id, true) == SubmitQueue::Written::Spooled);
        }
    };
    spooled(queue, 3);
    REQUIRE(queue.sends_due().size() == 3);
    CHECK_FALSE(queue.on_answer("t0", Outcome{Reply::Retry, 503, std::nullopt, "", 0.04}));
    CHECK(queue.on_answer("t1", ok));
    CHECK(queue.on_answer("t2", ok));
    CHECK_FALSE(queue.rate_limited());  // the shared timer is for 429 and Retry-After only

    // New proofs go out at once while t0 waits out its backoff; a timeout is the same.
    add_spooled("t3");
    add_spooled("t4");
    auto sends = queue.sends_due();
    REQUIRE(sends.size() == 2);
    CHECK(sends[0].task_id == "t3");
    CHECK(sends[1].task_id == "t4");
    CHECK_FALSE(queue.on_answer("t3", Outcome{Reply::Retry, 0, std::nullopt, "timeout", 30}));
    CHECK(queue.on_answer("t4", ok));
    add_spooled("t5");
    sends = queue.sends_due();
    REQUIRE(sends.size() == 1);
    CHECK(sends[0].task_id == "t5");

    // Each goes again after its own backoff (1 s and jitter of up to 1 s).
    clock.advance_s(2.01);
    sends = queue.sends_due();
    REQUIRE(sends.size() == 2);
    CHECK(sends[0].task_id == "t0");
    CHECK(sends[1].task_id == "t3");
}
