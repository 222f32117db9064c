// The fib_input_initial verifier: replays the transcript, checks the
// composition at the out-of-domain point, the grinding, and every query.
#include <string>

#include "shared/bounds.h"
#include "shared/stark/merkle.h"
#include "shared/stark/proof.h"
#include "shared/stark/protocol.h"
#include "shared/stark/stark.h"

namespace shared::stark {
namespace {

// The challenges, drawn in the prover's order.
struct Challenges {
    std::vector<Fp2> alpha;
    Fp2 z;
    Fp2 gamma;
    std::vector<Fp2> betas;  // one per fold
    std::vector<std::size_t> queries;
};

Expected<Challenges> replay(Transcript& t, const Proof& p, const Layout& l) {
    Challenges c;
    t.absorb_digest(p.trace_root);
    c.alpha = challenge_powers(t.challenge_ext(), kConstraints);
    t.absorb_digest(p.comp_root);
    c.z = t.challenge_ext();
    // Outside F_p, z is no LDE point and no N-th root of unity (those all lie in
    // F_p), so no divisor below can vanish. Inside it (probability 2^-64) the
    // proof is refused, as the prover refuses to make it.
    if (c.z.c1 == Fp::zero()) return fail("out-of-domain point fell in the base field");
    for (Fp2 v : p.ood) t.absorb_ext(v);
    c.gamma = t.challenge_ext();
    c.betas.push_back(t.challenge_ext());
    for (const Digest& root : p.layer_roots) {
        t.absorb_digest(root);
        c.betas.push_back(t.challenge_ext());
    }
    for (Fp2 v : p.final_poly) t.absorb_ext(v);
    if (!t.pow_ok(p.nonce, kGrindingBits)) return fail("proof of work does not meet the grinding target");
    t.absorb_u64(p.nonce);
    c.queries = sample_queries(t, l.query_domain());
    if (c.queries.size() != kQueries) return fail("too few distinct queries");
    return c;
}

// H(z) from the committed segments must equal the constraints combined at z.
bool composition_matches(const Proof& p, const Challenges& c, const Statement& s, const Layout& l) {
    const std::size_t n = l.trace_size();
    const Fp g = root_of_unity(l.log_trace);
    const Fp2 z = c.z;
    const Numerators num = numerators<Fp2>(p.ood.data(), p.ood.data() + kColumns, c.alpha.data(), s);
    const Fp2 z_n = pow(z, n);
    const Fp2 combined = (num.every_row + num.transition * (z - Fp2(pow(g, n - 1)))) * inverse(z_n - Fp2::one()) +
                         num.first_row * inverse(z - Fp2::one()) +
                         num.output_row * inverse(z - Fp2(pow(g, std::uint64_t{s.n} + 1)));
    Fp2 from_segments;
    Fp2 z_tn = Fp2::one();
    for (unsigned t = 0; t < kSegments; ++t, z_tn = z_tn * z_n) from_segments += z_tn * p.ood[2 * kColumns + t];
    return combined == from_segments;
}

Fp2 evaluate(const std::vector<Fp2>& coefs, Fp2 x) {
    Fp2 acc;
    for (std::size_t i = coefs.size(); i-- > 0;) acc = acc * x + coefs[i];
    return acc;
}

// The DEEP values at the 8 points of coset q, from the opened rows, folded
// once: the value of FRI layer 1 at position q.
Fp2 first_fold(const QueryOpening& o, std::size_t q, const Challenges& c, const DeepCombiner& combiner,
               const Layout& l) {
    const Fp w_d = root_of_unity(l.log_lde);
    const Fp x0 = lde_shift() * pow(w_d, q);
    const Fp w8 = pow(w_d, l.query_domain());  // members are x0·w_8^m
    const Fp2 zg = c.z * root_of_unity(l.log_trace);
    std::array<Fp2, kFold> values;
    Fp x = x0;
    for (unsigned m = 0; m < kFold; ++m, x *= w8) {
        const Fp2 inv_z = inverse(Fp2(x) - c.z);
        const Fp2 inv_zg = inverse(Fp2(x) - zg);
        values[m] = combiner.value(&o.trace_rows[m * kColumns], &o.comp_rows[m * kSegments], inv_z, inv_zg);
    }
    return fold_coset(values, c.betas[0] * inverse(x0));
}

Digest hash_layer_leaf(const std::array<Fp2, kFold>& values) {
    std::array<Fp, 2 * kFold> row;
    for (unsigned m = 0; m < kFold; ++m) {
        row[2 * m] = values[m].c0;
        row[2 * m + 1] = values[m].c1;
    }
    return hash_leaf(row);
}

Status check_query(const Proof& p, const QueryOpening& o, std::size_t q, const Challenges& c,
                   const DeepCombiner& combiner, const Layout& l) {
    if (!verify_path(p.trace_root, hash_leaf(o.trace_rows), q, o.trace_path)) return fail("trace opening does not match its commitment");
    std::vector<Fp> comp_flat;
    for (Fp2 v : o.comp_rows) {
        comp_flat.push_back(v.c0);
        comp_flat.push_back(v.c1);
    }
    if (!verify_path(p.comp_root, hash_leaf(comp_flat), q, o.comp_path)) return fail("composition opening does not match its commitment");
    Fp2 value = first_fold(o, q, c, combiner, l);
    std::size_t position = q;
    Fp shift = pow(lde_shift(), kFold);
    for (unsigned layer = 1; layer < l.folds; ++layer) {
        const unsigned log_size = l.log_lde - kLogFold * layer;
        const std::size_t leaves = (std::size_t{1} << log_size) / kFold;
        const std::size_t leaf = position % leaves;
        const auto& values = o.layer_values[layer - 1];
        if (!(values[position / leaves] == value)) return fail("FRI layer " + std::to_string(layer) + " is inconsistent with the fold below it");
        if (!verify_path(p.layer_roots[layer - 1], hash_layer_leaf(values), leaf, o.layer_paths[layer - 1])) {
            return fail("FRI layer " + std::to_string(layer) + " opening does not match its commitment");
        }
        const Fp x = shift * pow(root_of_unity(log_size), leaf);
        value = fold_coset(values, c.betas[layer] * inverse(x));
        position = leaf;
        shift = pow(shift, kFold);
    }
    const unsigned log_final = l.log_lde - kLogFold * l.folds;
    const Fp x = shift * pow(root_of_unity(log_final), position);
    if (!(evaluate(p.final_poly, Fp2(x)) == value)) return fail("FRI's last layer disagrees with the folds");
    return Ok{};
}

Expected<std::uint32_t> verify_one(std::string_view program_id, const FibInput& input,
                                   std::span<const std::uint8_t> bytes) {
    if (bytes.size() > kMaxProofBytes) return fail("proof is larger than " + std::to_string(kMaxProofBytes) + " bytes");
    const std::optional<Layout> layout = layout_for(input.n);
    if (!layout) return fail("n = " + std::to_string(input.n) + " is beyond what this verifier accepts");
    auto proof = parse(bytes, *layout);
    if (!proof) return fail(proof.error());
    const Proof& p = *proof;
    const Statement s{input.n, input.init_a, input.init_b, p.output};
    Transcript t = begin_transcript(program_id, s);
    auto challenges = replay(t, p, *layout);
    if (!challenges) return fail(challenges.error());
    if (!composition_matches(p, *challenges, s, *layout)) return fail("composition polynomial does not match the constraints at z");
    const DeepCombiner combiner(challenges->gamma, p.ood);
    for (std::size_t i = 0; i < kQueries; ++i) {
        auto ok = check_query(p, p.queries[i], challenges->queries[i], *challenges, combiner, *layout);
        if (!ok) return fail(ok.error());
    }
    return p.output;
}

}  // namespace

Expected<std::uint32_t> verify_fib(std::string_view program_id, const FibInput& input,
                                   std::span<const std::uint8_t> bytes) {
    try {
        return verify_one(program_id, input, bytes);
    } catch (const std::exception& e) {
        // Allocations are bounded by the layout, so this is an out-of-memory machine.
        return fail(std::string("verification failed: ") + e.what());
    }
}

}  // namespace shared::stark
