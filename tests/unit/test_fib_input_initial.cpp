// Tests of the fib_input_initial Program entry: input checks, the reference
// loop, prove -> verify through the registry's interface, difficulty ranges.
#include <doctest.h>

#include <string>

#include "shared/programs/fib_input_initial.h"
#include "shared/programs/programs.h"
#include "shared/stark/protocol.h"

namespace {

shared::Bytes input_of(std::uint32_t n, std::uint32_t a, std::uint32_t b) {
    return shared::fib::encode_input({n, a, b});
}

}  // namespace

TEST_CASE("the program is registered under its spec id") {
    const shared::Program& p = shared::programs::fib_input_initial();
    CHECK(p.id == "fib_input_initial");
    CHECK_FALSE(p.test_only);
}

TEST_CASE("check_input wants exactly 12 bytes") {
    const shared::Program& p = shared::programs::fib_input_initial();
    CHECK(p.check_input(input_of(9, 1, 1)) == "");
    CHECK(p.check_input(shared::Bytes(5, 0)) == "fib_input_initial input must be 12 bytes, got 5");
    CHECK(p.check_input(shared::Bytes(13, 0)) == "fib_input_initial input must be 12 bytes, got 13");
    CHECK(p.check_input({}) == "fib_input_initial input must be 12 bytes, got 0");
}

TEST_CASE("inputs are three little-endian u32") {
    const shared::Bytes bytes = input_of(0x04030201u, 7, 0xA0B0C0D0u);
    CHECK(bytes == shared::Bytes{1, 2, 3, 4, 7, 0, 0, 0, 0xD0, 0xC0, 0xB0, 0xA0});
    const shared::fib::Input back = shared::fib::decode_input(bytes);
    CHECK(back.n == 0x04030201u);
    CHECK(back.init_a == 7);
    CHECK(back.init_b == 0xA0B0C0D0u);
}

TEST_CASE("compute_output gives the spec's vectors") {
    using shared::fib::compute_output;
    CHECK(compute_output({9, 1, 1}) == 144);
    CHECK(compute_output({0, 0, 1}) == 1);
    CHECK(compute_output({1, 0, 1}) == 2);
    CHECK(compute_output({100, 1, 1}) == 3870634317u);
    CHECK(compute_output({65535, 1, 1}) == 462089048u);
    CHECK(compute_output({1000000, 3, 7}) == 792310079u);
}

TEST_CASE("prove then verify through the Program interface") {
    const shared::Program& p = shared::programs::fib_input_initial();
    const shared::Bytes input = input_of(9, 1, 1);
    auto proof = p.prove(input, 2);
    REQUIRE_MESSAGE(proof.ok(), proof.error());
    auto verdict = p.verify(input, *proof);
    REQUIRE_MESSAGE(verdict.ok(), verdict.error());
    CHECK(*verdict == "output 144");
    CHECK_FALSE(p.verify(input_of(9, 1, 2), *proof).ok());
    CHECK_FALSE(p.verify(shared::Bytes(5, 0), *proof).ok());
    CHECK_FALSE(p.prove(shared::Bytes(5, 0), 1).ok());
    shared::Bytes damaged = *proof;
    damaged[damaged.size() / 2] ^= 0x40;
    CHECK_FALSE(p.verify(input, damaged).ok());
}

TEST_CASE("difficulty ranges grow with difficulty and each fills one trace size") {
    using shared::fib::n_range_for_difficulty;
    const int wire[] = {0, 3, 5, 10, 15, 16, 17, 18, 19};
    std::uint32_t previous_max = 0;
    unsigned previous_log = 0;
    for (int d : wire) {
        CAPTURE(d);
        const shared::fib::NRange r = n_range_for_difficulty(d);
        CHECK(r.min <= r.max);
        if (d != 0) CHECK(r.min > previous_max);
        const auto low = shared::stark::layout_for(r.min);
        const auto high = shared::stark::layout_for(r.max);
        REQUIRE(low.has_value());
        REQUIRE(high.has_value());
        CHECK(low->log_trace == high->log_trace);
        CHECK(low->log_trace > previous_log);
        previous_max = r.max;
        previous_log = low->log_trace;
    }
    CHECK(n_range_for_difficulty(0).max == (1u << 14) - 2);
    CHECK(n_range_for_difficulty(15).min == (1u << 19) - 1);
    CHECK(n_range_for_difficulty(42).min == n_range_for_difficulty(0).min);  // unknown: SMALL
    CHECK(n_range_for_difficulty(-1).max == n_range_for_difficulty(0).max);
}
