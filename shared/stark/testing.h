// Test hooks of the fib_input_initial prover: proofs of false statements, so
// that tests can show the verifier rejects them. Not for production code.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "shared/expected.h"
#include "shared/stark/field.h"
#include "shared/stark/stark.h"

namespace shared::stark {

// Alters the trace columns (kColumns of N values, column 0 = a, then the
// digits of b) and the claimed output after the honest trace is built.
using TraceTamper = std::function<void(std::vector<std::vector<Fp>>& columns, std::uint32_t& output)>;

// Proves with the tampered trace, skipping the prover's own consistency
// checks: the result is the best a cheating prover following the protocol
// can send.
Expected<std::vector<std::uint8_t>> prove_fib_tampered(std::string_view program_id, const FibInput& input,
                                                       unsigned threads, const TraceTamper& tamper);

}  // namespace shared::stark
