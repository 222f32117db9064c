// Unit tests for ProofRate: proofs per minute over a sliding minute, on a fake clock.
#include <doctest.h>

#include "shared/clock.h"
#include "supervisor/proof_rate.h"

using supervisor::ProofRate;

TEST_CASE("no proofs read zero") {
    shared::FakeClock clock;
    ProofRate rate(clock);
    CHECK(rate.per_minute() == 0);
    clock.advance_s(90);
    rate.add(0);
    CHECK(rate.per_minute() == 0);
}

TEST_CASE("a steady proof a second reads 60 a minute") {
    shared::FakeClock clock;
    ProofRate rate(clock);
    for (int i = 0; i < 180; ++i) {
        clock.advance_s(1);
        rate.add(1);
    }
    CHECK(rate.per_minute() == doctest::Approx(60).epsilon(0.02));
}

TEST_CASE("a young node is judged on its life so far, not on a whole minute") {
    shared::FakeClock clock;
    ProofRate rate(clock);
    clock.advance_s(10);
    rate.add(5);  // 5 proofs in the first 10 s: 30 a minute, not 5
    CHECK(rate.per_minute() == doctest::Approx(30));
    clock.advance_s(20);
    rate.add(5);  // 10 in 30 s
    CHECK(rate.per_minute() == doctest::Approx(20));
}

TEST_CASE("the first instants count as one second, not as a spike to infinity") {
    shared::FakeClock clock;
    ProofRate rate(clock);
    clock.advance_us(1000);
    rate.add(2);
    CHECK(rate.per_minute() == doctest::Approx(120));
}

TEST_CASE("proofs older than the window drop out") {
    shared::FakeClock clock;
    ProofRate rate(clock);
    clock.advance_s(120);  // an old node
    rate.add(30);
    CHECK(rate.per_minute() == doctest::Approx(30));
    clock.advance_s(59);
    CHECK(rate.per_minute() == doctest::Approx(30));
    clock.advance_s(2);
    CHECK(rate.per_minute() == 0);
    rate.add(6);
    CHECK(rate.per_minute() == doctest::Approx(6));
}

TEST_CASE("a burst of many adds within one slice is counted whole") {
    shared::FakeClock clock;
    ProofRate rate(clock, 60'000'000);
    clock.advance_s(120);
    for (int i = 0; i < 1000; ++i) {
        clock.advance_us(10);
        rate.add(1);
    }
    CHECK(rate.per_minute() == doctest::Approx(1000));
    clock.advance_s(61);
    CHECK(rate.per_minute() == 0);
}

TEST_CASE("a shorter window") {
    shared::FakeClock clock;
    ProofRate rate(clock, 10'000'000);
    clock.advance_s(20);
    rate.add(10);  // 10 in the last 10 s: 60 a minute
    CHECK(rate.per_minute() == doctest::Approx(60));
    clock.advance_s(11);
    CHECK(rate.per_minute() == 0);
}
