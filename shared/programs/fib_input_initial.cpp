// fib_input_initial: input codec, the reference loop, difficulty ranges and the
// Program entry that proves and verifies with shared/stark.
#include "shared/programs/fib_input_initial.h"

#include <string>

#include "shared/programs/programs.h"
#include "shared/stark/stark.h"

namespace shared::fib {
namespace {

// Inline little-endian helpers: this file is part of the stark library, which
// does not link bytes.cpp.
std::uint32_t read_le32(const std::uint8_t* p) {
    return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
           static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

void write_le32(std::uint8_t* p, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

std::string check_input(ByteView input) {
    if (input.size() != kInputSize) {
        return "fib_input_initial input must be " + std::to_string(kInputSize) + " bytes, got " +
               std::to_string(input.size());
    }
    return {};
}

stark::FibInput to_stark(const Input& in) { return {in.n, in.init_a, in.init_b}; }

Expected<Bytes> prove(ByteView input, unsigned threads) {
    if (auto why = check_input(input); !why.empty()) return fail(why);
    return stark::prove_fib(stark::kFibProgramId, to_stark(decode_input(input)), threads);
}

Expected<std::string> verify(ByteView input, ByteView proof) {
    if (auto why = check_input(input); !why.empty()) return fail(why);
    auto output = stark::verify_fib(stark::kFibProgramId, to_stark(decode_input(input)), proof);
    if (!output) return fail(output.error());
    return "output " + std::to_string(*output);
}

// log2 of the trace rows for each difficulty; a range [2^(k-1) - 1, 2^k - 2]
// is exactly the n whose n + 2 rows round up to 2^k.
int log_trace_for(int difficulty) {
    switch (difficulty) {
        case 3: return 15;   // SMALL_MEDIUM
        case 5: return 16;   // MEDIUM
        case 10: return 18;  // LARGE
        case 15: return 20;  // EXTRA_LARGE
        case 16: return 21;  // EXTRA_LARGE_2
        case 17: return 22;  // EXTRA_LARGE_3
        case 18: return 23;  // EXTRA_LARGE_4
        case 19: return 24;  // EXTRA_LARGE_5
        default: return 14;  // SMALL, and anything unknown
    }
}

}  // namespace

Input decode_input(ByteView input) {
    return {read_le32(input.data()), read_le32(input.data() + 4), read_le32(input.data() + 8)};
}

Bytes encode_input(const Input& input) {
    Bytes out(kInputSize);
    write_le32(out.data(), input.n);
    write_le32(out.data() + 4, input.init_a);
    write_le32(out.data() + 8, input.init_b);
    return out;
}

std::uint32_t compute_output(const Input& input) {
    std::uint32_t a = input.init_a;
    std::uint32_t b = input.init_b;
    for (std::uint64_t i = 0; i <= input.n; ++i) {
        const std::uint32_t c = a + b;
        a = b;
        b = c;
    }
    return b;
}

NRange n_range_for_difficulty(int difficulty_wire_value) {
    const int k = log_trace_for(difficulty_wire_value);
    return {(std::uint32_t{1} << (k - 1)) - 1, (std::uint32_t{1} << k) - 2};
}

}  // namespace shared::fib

namespace shared::programs {

const Program& fib_input_initial() {
    static const Program program{stark::kFibProgramId, false, &fib::check_input, &fib::prove, &fib::verify};
    return program;
}

}  // namespace shared::programs
