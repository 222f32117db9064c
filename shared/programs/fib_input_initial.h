// fib_input_initial: u32 wrapping Fibonacci, proven with the STARK in shared/stark/.
#pragma once

#include <cstdint>

#include "shared/bytes.h"
#include "shared/expected.h"

namespace shared::fib {

inline constexpr std::size_t kInputSize = 12;

struct Input {
    std::uint32_t n = 0;
    std::uint32_t init_a = 0;
    std::uint32_t init_b = 0;
};

Input decode_input(ByteView input);  // input must be kInputSize bytes
Bytes encode_input(const Input& input);

// The statement: a = init_a; b = init_b; repeat n + 1 times { c = a + b; a = b; b = c }; output b.
std::uint32_t compute_output(const Input& input);

// The n a task of each difficulty draws from (docs/stark.md, "Difficulty"):
// each range fills one trace size, so memory per proof is set by difficulty.
struct NRange {
    std::uint32_t min, max;
};
// Wire values: SMALL=0, SMALL_MEDIUM=3, MEDIUM=5, LARGE=10, EXTRA_LARGE=15,
// EXTRA_LARGE_2..5=16..19; any other value gets the SMALL range.
NRange n_range_for_difficulty(int difficulty_wire_value);

}  // namespace shared::fib
