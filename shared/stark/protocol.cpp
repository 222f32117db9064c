// The parts of the fib_input_initial STARK that the prover and verifier share.
#include "shared/stark/protocol.h"

#include <algorithm>

namespace shared::stark {
namespace {

constexpr std::size_t kDigestBytes = 32;
constexpr std::size_t kExtBytes = 16;
// Squeezes allowed while sampling queries; 44 distinct indices among at least
// 512 practically never need more than 8 (8 indices per squeeze).
constexpr unsigned kMaxQuerySqueezes = 1000;

std::size_t query_bytes(const Layout& l) {
    std::size_t bytes = kFold * kColumns * 8 + l.query_depth() * kDigestBytes;  // trace coset and path
    bytes += kFold * kSegments * kExtBytes + l.query_depth() * kDigestBytes;   // composition coset and path
    for (unsigned layer = 1; layer < l.folds; ++layer) {
        bytes += kFold * kExtBytes + l.layer_depth(layer) * kDigestBytes;
    }
    return bytes;
}

}  // namespace

std::optional<Layout> layout_for(std::uint32_t n) {
    Layout l;
    l.log_trace = kMinLogTrace;
    // Rows 0..n+1 hold the state before each of the n+1 steps and after the last.
    while ((std::uint64_t{1} << l.log_trace) < std::uint64_t{n} + 2) ++l.log_trace;
    if (l.log_trace > kMaxLogTrace) return std::nullopt;
    l.log_lde = l.log_trace + kLogBlowup;
    std::size_t degree = l.trace_size();
    while (degree > kMaxFinalDegree) {
        degree >>= kLogFold;
        ++l.folds;
    }
    l.final_degree = degree;
    l.proof_size = 1 + 4 + 2 * kDigestBytes + kDeepTerms * kExtBytes +
                   (l.folds - 1) * kDigestBytes + l.final_degree * kExtBytes + 8 +
                   kQueries * query_bytes(l);
    return l;
}

Fp lde_shift() { return kGenerator; }

Transcript begin_transcript(std::string_view program_id, const Statement& s) {
    Transcript t("provenode fib_input_initial STARK");
    t.absorb_u64(kProofVersion);
    t.absorb(program_id);
    // The 12-byte input, then the claimed output.
    t.absorb_u64(s.n);
    t.absorb_u64(s.init_a);
    t.absorb_u64(s.init_b);
    t.absorb_u64(s.output);
    for (unsigned p : {kLogBlowup, kLogFold, kQueries, kGrindingBits}) t.absorb_u64(p);
    t.absorb_u64(kMaxFinalDegree);
    return t;
}

Digest hash_leaf(std::span<const Fp> values) {
    // Leaves are at most 8 x 17 elements; bytes go through a stack buffer.
    std::uint8_t buffer[kFold * kColumns * 8];
    Sha256 h;
    std::size_t used = 0;
    for (const Fp v : values) {
        for (int i = 0; i < 8; ++i) buffer[used++] = static_cast<std::uint8_t>(v.v >> (8 * i));
        if (used == sizeof buffer) {
            h.update({buffer, used});
            used = 0;
        }
    }
    h.update({buffer, used});
    return h.finish();
}

// Three binary folds with beta, beta^2, beta^4; each maps f(y), f(-y) to
// 2·(f_even(y^2) + beta·f_odd(y^2)), and the factor 8 is removed at the end.
Fp2 fold_coset(std::array<Fp2, kFold> v, Fp2 beta_over_x) {
    static const Fp w8_inv = inverse(root_of_unity(3));
    static const Fp inv8 = inverse(Fp::raw(8));
    Fp2 factor = beta_over_x;  // beta / y for the pair's first point y
    for (unsigned half = kFold / 2; half >= 1; half /= 2) {
        // Within this level the points are x'·w_(2·half)^m, so beta'/y steps by w^-1.
        const Fp step = pow(w8_inv, kFold / (2 * half));
        Fp2 f = factor;
        for (unsigned m = 0; m < half; ++m) {
            const Fp2 a = v[m];
            const Fp2 b = v[m + half];
            v[m] = (a + b) + (a - b) * f;
            f = f * step;
        }
        factor = factor * factor;
    }
    return v[0] * inv8;
}

std::vector<std::size_t> sample_queries(Transcript& t, std::size_t domain) {
    std::vector<std::size_t> out;
    const std::size_t mask = domain - 1;  // the domain is a power of two
    for (unsigned squeeze = 0; squeeze < kMaxQuerySqueezes && out.size() < kQueries; ++squeeze) {
        const Digest d = t.squeeze();
        for (std::size_t i = 0; i + 4 <= d.size() && out.size() < kQueries; i += 4) {
            const std::size_t q = (std::size_t{d[i]} | std::size_t{d[i + 1]} << 8 |
                                   std::size_t{d[i + 2]} << 16 | std::size_t{d[i + 3]} << 24) & mask;
            if (std::find(out.begin(), out.end(), q) == out.end()) out.push_back(q);
        }
    }
    return out;
}

std::vector<Fp2> challenge_powers(Fp2 challenge, std::size_t count) {
    std::vector<Fp2> out(count);
    Fp2 p = Fp2::one();
    for (auto& v : out) {
        v = p;
        p = p * challenge;
    }
    return out;
}

DeepCombiner::DeepCombiner(Fp2 gamma, std::span<const Fp2> ood) : gamma_(challenge_powers(gamma, kDeepTerms)) {
    for (unsigned c = 0; c < kColumns; ++c) {
        k_z_ += gamma_[c] * ood[c];
        k_zg_ += gamma_[kColumns + c] * ood[kColumns + c];
    }
    for (unsigned t = 0; t < kSegments; ++t) k_z_ += gamma_[2 * kColumns + t] * ood[2 * kColumns + t];
}

}  // namespace shared::stark
