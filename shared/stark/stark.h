// The fib_input_initial STARK: prove and verify (design and format in docs/stark.md).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "shared/expected.h"

namespace shared::stark {

inline constexpr std::string_view kFibProgramId = "fib_input_initial";

struct FibInput {
    std::uint32_t n = 0;
    std::uint32_t init_a = 0;
    std::uint32_t init_b = 0;
};

// A proof that the u32 Fibonacci loop on `input` outputs what the proof states,
// bound to `program_id` (tests pass another id to check that binding).
Expected<std::vector<std::uint8_t>> prove_fib(std::string_view program_id, const FibInput& input,
                                              unsigned threads);

// The proven output, or why the proof is rejected. Never throws, never reads or
// allocates beyond the bounds the input's layout sets.
Expected<std::uint32_t> verify_fib(std::string_view program_id, const FibInput& input,
                                   std::span<const std::uint8_t> proof);

}  // namespace shared::stark
