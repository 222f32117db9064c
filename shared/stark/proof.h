// The fib_input_initial proof as data, and its byte format (docs/stark.md, "Proof format").
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "shared/expected.h"
#include "shared/stark/field.h"
#include "shared/stark/hash.h"
#include "shared/stark/protocol.h"

namespace shared::stark {

// What one query opens: the coset of 8 LDE rows of the trace and of the
// composition segments, and the coset of 8 values in each committed FRI layer.
struct QueryOpening {
    std::vector<Fp> trace_rows;   // 8 rows x kColumns, row-major
    std::vector<Digest> trace_path;
    std::vector<Fp2> comp_rows;   // 8 rows x kSegments
    std::vector<Digest> comp_path;
    std::vector<std::array<Fp2, kFold>> layer_values;  // one coset per committed layer
    std::vector<std::vector<Digest>> layer_paths;
};

struct Proof {
    std::uint32_t output = 0;
    Digest trace_root{};
    Digest comp_root{};
    std::vector<Fp2> ood;  // T_c(z) for each column, T_c(z·g) for each column, H_t(z) for each segment
    std::vector<Digest> layer_roots;
    std::vector<Fp2> final_poly;  // coefficients, lowest first
    std::uint64_t nonce = 0;
    std::vector<QueryOpening> queries;
};

std::vector<std::uint8_t> serialize(const Proof& proof);

// Reads exactly layout.proof_size bytes; fails on any other length, an unknown
// version or a field element that is not canonical, so that every proof has
// one encoding and nothing is allocated beyond what the layout allows.
Expected<Proof> parse(std::span<const std::uint8_t> bytes, const Layout& layout);

// The output a proof claims, read before its layout is known; nullopt when too short.
std::optional<std::uint32_t> peek_output(std::span<const std::uint8_t> bytes);

}  // namespace shared::stark
