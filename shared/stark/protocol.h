// What the prover and the verifier of the fib_input_initial STARK must agree on:
// parameters, proof layout, the AIR's constraints, the transcript's opening and
// the FRI fold. docs/stark.md describes each in words.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "shared/stark/field.h"
#include "shared/stark/hash.h"
#include "shared/stark/transcript.h"

namespace shared::stark {

inline constexpr std::uint8_t kProofVersion = 1;

// Security parameters (docs/stark.md, "Security"): 44 queries at rate 1/4 give
// 88 bits, 16 bits of grinding give 16 more.
inline constexpr unsigned kLogBlowup = 2;
inline constexpr unsigned kBlowup = 1u << kLogBlowup;
inline constexpr unsigned kLogFold = 3;     // FRI folds by 8 per layer
inline constexpr unsigned kFold = 1u << kLogFold;
inline constexpr unsigned kQueries = 44;
inline constexpr unsigned kGrindingBits = 16;
inline constexpr std::size_t kMaxFinalDegree = 64;

// The trace: column 0 is a, columns 1..16 the base-4 digits of b, least
// significant first; b itself is their weighted sum and has no column.
inline constexpr unsigned kDigits = 16;
inline constexpr unsigned kColumns = 1 + kDigits;
inline constexpr unsigned kSegments = 3;  // the composition polynomial has degree < 3N
inline constexpr unsigned kMinLogTrace = 10;
inline constexpr unsigned kMaxLogTrace = 24;
inline constexpr unsigned kConstraints = kDigits + 2 + 3;
inline constexpr unsigned kDeepTerms = 2 * kColumns + kSegments;

struct Statement {
    std::uint32_t n = 0;
    std::uint32_t init_a = 0;
    std::uint32_t init_b = 0;
    std::uint32_t output = 0;
};

// Every size in a proof follows from the trace length, itself from n.
struct Layout {
    unsigned log_trace = 0;  // N = 2^log_trace rows
    unsigned log_lde = 0;    // D = 4N evaluation points
    unsigned folds = 0;      // FRI layers after the DEEP layer; the last one is sent as a polynomial
    std::size_t final_degree = 0;
    std::size_t proof_size = 0;

    std::size_t trace_size() const { return std::size_t{1} << log_trace; }
    std::size_t lde_size() const { return std::size_t{1} << log_lde; }
    unsigned committed_layers() const { return folds - 1; }
    // Queries pick a coset of 8 LDE points: D/8 of them, one Merkle leaf each.
    std::size_t query_domain() const { return lde_size() >> kLogFold; }
    unsigned query_depth() const { return log_lde - kLogFold; }
    // Depth of the Merkle tree of FRI layer l (1 <= l < folds): one leaf per coset of 8.
    unsigned layer_depth(unsigned layer) const { return log_lde - kLogFold * layer - kLogFold; }
};

// nullopt when n needs more than 2^kMaxLogTrace rows.
std::optional<Layout> layout_for(std::uint32_t n);

// The point of LDE position (coset j, row k): shift·w_D^j·w_N^k, the layout the
// prover stores its extended columns in ("coset-major").
Fp lde_shift();

// The transcript with the program id, the statement and the parameters absorbed.
Transcript begin_transcript(std::string_view program_id, const Statement& statement);

// The hash of one Merkle leaf: the little-endian bytes of its field elements.
Digest hash_leaf(std::span<const Fp> values);

// FRI fold of a coset of 8 values f(x·w_8^m), m = 0..7, into the value of the
// folded polynomial at x^8: sum_k beta^k f_k(x^8) where f(y) = sum_k y^k f_k(y^8).
Fp2 fold_coset(std::array<Fp2, kFold> values, Fp2 beta_over_x);

// kQueries distinct indices in [0, domain), drawn from the transcript.
std::vector<std::size_t> sample_queries(Transcript& transcript, std::size_t domain);

// The alpha-combined constraint numerators at one point, grouped by divisor.
struct Numerators {
    Fp2 every_row;   // over x^N - 1
    Fp2 transition;  // over (x^N - 1) / (x - g^(N-1))
    Fp2 first_row;   // over x - 1
    Fp2 output_row;  // over x - g^(n+1)
};

template <class V>
V value_b(const V* row) {
    // Horner in base 4, doubling twice instead of multiplying by 4.
    V b = row[kDigits];
    for (unsigned j = kDigits - 1; j >= 1; --j) {
        b = b + b;
        b = b + b;
        b = b + row[j];
    }
    return b;
}

// V is Fp on the prover's LDE and Fp2 at the verifier's out-of-domain point.
// alpha holds kConstraints powers of the composition challenge.
template <class V>
Numerators numerators(const V* cur, const V* next, const Fp2* alpha, const Statement& s) {
    Numerators out;
    // Each digit d satisfies d(d-1)(d-2)(d-3) = 0, written (d^2-3d)(d^2-3d+2).
    ExtDot digits;
    for (unsigned j = 0; j < kDigits; ++j) {
        const V d = cur[1 + j];
        const V t = d * (d - V(Fp::raw(3)));
        digits.add(alpha[j], t * (t + V(Fp::raw(2))));
    }
    out.every_row = digits.value();
    const V b = value_b(cur);
    const V b_next = value_b(next);
    // a' = b, and b' = a + b or a + b - 2^32: with a, b, b' all below 2^32,
    // exactly one of the two holds, and it is the u32 wrapping sum.
    const V w = b_next - cur[0] - b;
    out.transition = alpha[kDigits] * (next[0] - b) +
                     alpha[kDigits + 1] * (w * (w + V(Fp::raw(std::uint64_t{1} << 32))));
    out.first_row = alpha[kDigits + 2] * (cur[0] - V(Fp::raw(s.init_a))) +
                    alpha[kDigits + 3] * (b - V(Fp::raw(s.init_b)));
    out.output_row = alpha[kDigits + 4] * (b - V(Fp::raw(s.output)));
    return out;
}

std::vector<Fp2> challenge_powers(Fp2 challenge, std::size_t count);

// The DEEP composition: for each LDE point x,
//   sum_c g_c (T_c(x) - T_c(z)) / (x - z) + sum_c g'_c (T_c(x) - T_c(zg)) / (x - zg)
//   + sum_t g''_t (H_t(x) - H_t(z)) / (x - z),
// with the constants moved out of the per-point sums.
class DeepCombiner {
public:
    DeepCombiner(Fp2 gamma, std::span<const Fp2> ood);

    // trace_row: kColumns values; comp_row: kSegments values; the two inverses
    // are 1/(x - z) and 1/(x - z·g).
    Fp2 value(const Fp* trace_row, const Fp2* comp_row, Fp2 inv_at_z, Fp2 inv_at_zg) const {
        ExtDot num_z, num_zg;
        for (unsigned c = 0; c < kColumns; ++c) {
            num_z.add(gamma_[c], trace_row[c]);
            num_zg.add(gamma_[kColumns + c], trace_row[c]);
        }
        for (unsigned t = 0; t < kSegments; ++t) num_z.add(gamma_[2 * kColumns + t], comp_row[t]);
        return (num_z.value() - k_z_) * inv_at_z + (num_zg.value() - k_zg_) * inv_at_zg;
    }

private:
    std::vector<Fp2> gamma_;
    Fp2 k_z_, k_zg_;
};

// 1/(x - z) for x in the base field: the conjugate over the norm, so that batch
// inversion can work on base-field norms.
inline Fp norm_at(Fp x, Fp2 z) {
    const Fp d = x - z.c0;
    return d * d - Fp::raw(7) * z.c1 * z.c1;
}
inline Fp2 inverse_with_norm(Fp x, Fp2 z, Fp inv_norm) { return {(x - z.c0) * inv_norm, z.c1 * inv_norm}; }

}  // namespace shared::stark
