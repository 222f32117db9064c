// The fib_input_initial prover: trace, LDE, composition, DEEP, FRI, queries.
#include <algorithm>
#include <array>
#include <atomic>
#include <limits>
#include <string>

#include "shared/stark/merkle.h"
#include "shared/stark/ntt.h"
#include "shared/stark/parallel.h"
#include "shared/stark/proof.h"
#include "shared/stark/protocol.h"
#include "shared/stark/stark.h"
#include "shared/stark/testing.h"

namespace shared::stark {
namespace {

using Column = std::vector<Fp>;
// Points per parallel chunk in the pointwise phases: large enough to amortise
// one field inversion per chunk, small enough to balance threads.
constexpr std::size_t kChunk = 4096;

template <class F>
void batch_inverse(std::span<F> values) {
    if (values.empty()) return;
    std::vector<F> prefix(values.size());
    F acc = F::one();
    for (std::size_t i = 0; i < values.size(); ++i) {
        prefix[i] = acc;
        acc = acc * values[i];
    }
    F inv = inverse(acc);
    for (std::size_t i = values.size(); i-- > 0;) {
        const F v = values[i];
        values[i] = inv * prefix[i];
        inv = inv * v;
    }
}

// Calls body(begin, end) over [0, count) in chunks of `chunk` spread on the threads.
template <class Body>
void for_chunks(unsigned threads, std::size_t count, std::size_t chunk, Body&& body) {
    const std::size_t chunks = (count + chunk - 1) / chunk;
    parallel_for(threads, chunks, [&](std::size_t lo, std::size_t hi) {
        for (std::size_t c = lo; c < hi; ++c) body(c * chunk, std::min(count, (c + 1) * chunk));
    });
}

// Rows 0..N-1 of the recurrence; row n+1 holds the output in b. The rows past
// n+1 continue the recurrence, so the transition holds on every row but the last.
std::vector<Column> build_trace(const FibInput& in, const Layout& l, unsigned threads, std::uint32_t& output) {
    const std::size_t rows = l.trace_size();
    std::vector<std::uint32_t> b(rows + 1);  // b[i] is row i's a, b[i + 1] its b
    b[0] = in.init_a;
    b[1] = in.init_b;
    for (std::size_t i = 1; i < rows; ++i) b[i + 1] = b[i - 1] + b[i];  // u32 wrapping, as in the statement
    output = b[std::size_t{in.n} + 2];
    // The loop above is serial by nature; spreading the digits is not.
    std::vector<Column> cols(kColumns);
    parallel_tasks(threads, kColumns, [&](std::size_t c) {
        cols[c].resize(rows);
        for (std::size_t i = 0; i < rows; ++i) {
            cols[c][i] = Fp::raw(c == 0 ? b[i] : (b[i + 1] >> (2 * (c - 1))) & 3);
        }
    });
    return cols;
}

struct Domain {
    const Layout& layout;
    Ntt ntt;  // size N
    Fp shift = lde_shift();
    Fp lde_root;  // w_D
    // coset_powers[j][i] = coset_shift(j)^i: the scaling before each coset's NTT.
    std::array<Column, kBlowup> coset_powers;

    Domain(const Layout& l, unsigned threads) : layout(l), ntt(l.log_trace), lde_root(root_of_unity(l.log_lde)) {
        parallel_tasks(threads, kBlowup, [&](std::size_t j) {
            coset_powers[j] = powers(coset_shift(static_cast<unsigned>(j)), n());
        });
    }

    std::size_t n() const { return layout.trace_size(); }
    // The point of coset-major position (j, k).
    Fp coset_shift(unsigned j) const { return shift * pow(lde_root, j); }
    // Coset-major index of member m of the FRI coset q: natural position
    // p = q + m·D/8 is LDE coset p mod 4, row p / 4.
    std::size_t member(std::size_t q, unsigned m) const {
        return (q % kBlowup) * n() + q / kBlowup + m * (n() / kFold);
    }
};

void interpolate(std::vector<Column>& cols, const Domain& d, unsigned threads) {
    parallel_tasks(threads, cols.size(), [&](std::size_t c) { d.ntt.inverse(cols[c]); });
}

// Coefficients to evaluations on the 4 cosets of the LDE domain, coset-major:
// each coset is a size-N NTT, which keeps every transform small and independent.
std::vector<Column> extend(const std::vector<Column>& coefs, const Domain& d, unsigned threads) {
    const std::size_t n = d.n();
    std::vector<Column> lde(coefs.size());
    parallel_tasks(threads, coefs.size(), [&](std::size_t c) { lde[c].resize(n * kBlowup); });
    parallel_tasks(threads, coefs.size() * kBlowup, [&](std::size_t task) {
        const std::size_t c = task / kBlowup;
        const auto j = static_cast<unsigned>(task % kBlowup);
        d.ntt.scaled_forward(coefs[c], d.coset_powers[j], std::span<Fp>(lde[c]).subspan(j * n, n));
    });
    return lde;
}

// One leaf per coset of 8 LDE points: their rows, row after row.
MerkleTree commit_rows(const std::vector<Column>& lde, const Domain& d, unsigned threads) {
    std::vector<Digest> leaves(d.layout.query_domain());
    parallel_for(threads, leaves.size(), [&](std::size_t lo, std::size_t hi) {
        std::vector<Fp> row(kFold * lde.size());
        for (std::size_t q = lo; q < hi; ++q) {
            for (unsigned m = 0; m < kFold; ++m) {
                const std::size_t pos = d.member(q, m);
                for (std::size_t c = 0; c < lde.size(); ++c) row[m * lde.size() + c] = lde[c][pos];
            }
            leaves[q] = hash_leaf(row);
        }
    });
    return MerkleTree(std::move(leaves), threads);
}

using CosetEvals = std::array<std::array<Column, 2>, 4>;

// The composition polynomial on s·<w_4N>, enough points for its degree (below
// 3N); with a blowup of 4 that is the whole LDE, cosets j = 0..3.
CosetEvals evaluate_composition(const std::vector<Column>& lde, const Domain& d,
                                const std::vector<Fp2>& alpha, const Statement& s, unsigned threads) {
    const std::size_t n = d.n();
    const Fp g = d.ntt.root();
    const Fp g_last = pow(g, n - 1);
    const Fp g_out = pow(g, std::uint64_t{s.n} + 1);
    CosetEvals out;
    for (auto& coset : out) {
        for (auto& part : coset) part.resize(n);
    }
    // One parallel region over the 4 cosets; chunks never straddle two of them.
    for_chunks(threads, 4 * n, std::min(kChunk, n), [&](std::size_t lo_all, std::size_t hi_all) {
        const std::size_t jj = lo_all / n;
        const std::size_t lo = lo_all % n;
        const std::size_t hi = lo + (hi_all - lo_all);
        const std::size_t j = jj * (kBlowup / 4);
        const Fp x0 = d.coset_shift(static_cast<unsigned>(j));
        const Fp zerofier_inv = inverse(pow(x0, n) - Fp::one());  // x^N is constant on a coset
        std::vector<Fp> inv(2 * (hi - lo));  // 1/(x - 1), then 1/(x - g^(n+1))
        Fp x = x0 * pow(g, lo);
        for (std::size_t i = 0; i < hi - lo; ++i, x *= g) {
            inv[i] = x - Fp::one();
            inv[hi - lo + i] = x - g_out;
        }
        batch_inverse(std::span<Fp>(inv));
        x = x0 * pow(g, lo);
        Fp cur[kColumns], next[kColumns];
        for (std::size_t k = lo; k < hi; ++k, x *= g) {
            for (unsigned c = 0; c < kColumns; ++c) {
                cur[c] = lde[c][j * n + k];
                next[c] = lde[c][j * n + (k + 1) % n];
            }
            const Numerators num = numerators<Fp>(cur, next, alpha.data(), s);
            const Fp2 h = (num.every_row + num.transition * (x - g_last)) * zerofier_inv +
                          num.first_row * inv[k - lo] + num.output_row * inv[hi - lo + k - lo];
            out[jj][0][k] = h.c0;
            out[jj][1][k] = h.c1;
        }
    });
    return out;
}

// From the four cosets' values to the coefficients of H_0, H_1, H_2 with
// H(x) = H_0(x) + x^N H_1(x) + x^2N H_2(x): an inverse NTT per coset, then an
// inverse 4-point DFT across cosets for each coefficient index. Returns the
// columns [H_0.c0, H_0.c1, H_1.c0, ...]; fails if H has degree 3N or more,
// which means the trace breaks a constraint.
Expected<std::vector<Column>> composition_coefficients(CosetEvals& evals, const Domain& d, bool strict,
                                                       unsigned threads) {
    const std::size_t n = d.n();
    parallel_tasks(threads, 8, [&](std::size_t task) { d.ntt.inverse(evals[task / 2][task % 2]); });
    std::array<Fp, 4> sigma_inv;
    for (unsigned jj = 0; jj < 4; ++jj) sigma_inv[jj] = inverse(d.coset_shift(jj * (kBlowup / 4)));
    // weight[jj][t] = w_4^(-jj·t) / 4 · s^(-tN)
    const Fp w4_inv = inverse(root_of_unity(2));
    const Fp s_inv_n = inverse(pow(d.shift, n));
    std::array<std::array<Fp, 4>, 4> weight;
    for (unsigned jj = 0; jj < 4; ++jj) {
        for (unsigned t = 0; t < 4; ++t) {
            weight[jj][t] = pow(w4_inv, jj * t) * inverse(Fp::raw(4)) * pow(s_inv_n, t);
        }
    }
    std::vector<Column> coefs(2 * kSegments, Column(n));
    std::atomic<bool> too_high{false};
    for_chunks(threads, n, kChunk, [&](std::size_t lo, std::size_t hi) {
        std::array<Fp, 4> p;
        for (unsigned jj = 0; jj < 4; ++jj) p[jj] = pow(sigma_inv[jj], lo);
        for (std::size_t r = lo; r < hi; ++r) {
            for (unsigned comp = 0; comp < 2; ++comp) {
                std::array<Fp, 4> u{};
                for (unsigned jj = 0; jj < 4; ++jj) {
                    const Fp f = evals[jj][comp][r] * p[jj];
                    for (unsigned t = 0; t < 4; ++t) u[t] += f * weight[jj][t];
                }
                if (!(u[3] == Fp::zero())) too_high.store(true);
                for (unsigned t = 0; t < kSegments; ++t) coefs[2 * t + comp][r] = u[t];
            }
            for (unsigned jj = 0; jj < 4; ++jj) p[jj] *= sigma_inv[jj];
        }
    });
    if (strict && too_high.load()) return fail("internal error: the trace does not satisfy the AIR");
    return coefs;
}

// x^0 .. x^(count-1), each thread starting its chunk from a pow().
std::vector<Fp2> ext_powers(Fp2 x, std::size_t count, unsigned threads) {
    std::vector<Fp2> out(count);
    for_chunks(threads, count, kChunk, [&](std::size_t lo, std::size_t hi) {
        Fp2 p = pow(x, lo);
        for (std::size_t i = lo; i < hi; ++i, p = p * x) out[i] = p;
    });
    return out;
}

// sum_i coefs[i]·x^i against a table of powers: independent multiplications
// instead of Horner's chain of dependent ones.
Fp2 evaluate(const Column& coefs, const std::vector<Fp2>& x_powers) {
    Fp acc0, acc1;
    for (std::size_t i = 0; i < coefs.size(); ++i) {
        acc0 += x_powers[i].c0 * coefs[i];
        acc1 += x_powers[i].c1 * coefs[i];
    }
    return {acc0, acc1};
}

// T_c(z), T_c(z·g) for each column, then H_t(z) for each segment.
std::vector<Fp2> ood_values(const std::vector<Column>& trace, const std::vector<Column>& comp, Fp2 z,
                            const Domain& d, unsigned threads) {
    const std::vector<Fp2> z_powers = ext_powers(z, d.n(), threads);
    const std::vector<Fp2> zg_powers = ext_powers(z * d.ntt.root(), d.n(), threads);
    std::vector<Fp2> parts(2 * kColumns + 2 * kSegments);
    parallel_tasks(threads, parts.size(), [&](std::size_t i) {
        if (i < 2 * kColumns) parts[i] = evaluate(trace[i % kColumns], i < kColumns ? z_powers : zg_powers);
        else parts[i] = evaluate(comp[i - 2 * kColumns], z_powers);
    });
    std::vector<Fp2> ood(parts.begin(), parts.begin() + 2 * kColumns);
    const Fp2 x_unit(Fp::zero(), Fp::one());  // H_t = H_t.c0 + X·H_t.c1
    for (unsigned t = 0; t < kSegments; ++t) {
        ood.push_back(parts[2 * kColumns + 2 * t] + x_unit * parts[2 * kColumns + 2 * t + 1]);
    }
    return ood;
}

// The DEEP composition on every LDE point, coset-major.
std::vector<Fp2> deep_values(const std::vector<Column>& trace_lde, const std::vector<Column>& comp_lde,
                             const DeepCombiner& combiner, Fp2 z, const Domain& d, unsigned threads) {
    const std::size_t n = d.n();
    const Fp g = d.ntt.root();
    const Fp2 zg = z * g;
    std::vector<Fp2> out(n * kBlowup);
    const std::size_t chunk = std::min(kChunk, n);  // chunks never straddle two cosets
    for_chunks(threads, out.size(), chunk, [&](std::size_t lo, std::size_t hi) {
        const std::size_t count = hi - lo;
        const auto j = static_cast<unsigned>(lo / n);
        const Fp x0 = d.coset_shift(j) * pow(g, lo % n);
        std::vector<Fp> inv(2 * count);
        Fp x = x0;
        for (std::size_t i = 0; i < count; ++i, x *= g) {
            inv[i] = norm_at(x, z);
            inv[count + i] = norm_at(x, zg);
        }
        batch_inverse(std::span<Fp>(inv));
        Fp row[kColumns];
        Fp2 comp_row[kSegments];
        x = x0;
        for (std::size_t i = 0; i < count; ++i, x *= g) {
            for (unsigned c = 0; c < kColumns; ++c) row[c] = trace_lde[c][lo + i];
            for (unsigned t = 0; t < kSegments; ++t) comp_row[t] = {comp_lde[2 * t][lo + i], comp_lde[2 * t + 1][lo + i]};
            out[lo + i] = combiner.value(row, comp_row, inverse_with_norm(x, z, inv[i]),
                                         inverse_with_norm(x, zg, inv[count + i]));
        }
    });
    return out;
}

// Folds a layer of 2^log_size values on shift·<w> by 8; get(q, m) is member m
// of the coset whose folded point is q. The result is in natural order.
template <class Get>
std::vector<Fp2> fold_layer(unsigned log_size, Fp shift, Fp2 beta, Get get, unsigned threads) {
    std::vector<Fp2> out(std::size_t{1} << (log_size - kLogFold));
    const Fp root_inv = inverse(root_of_unity(log_size));
    const Fp shift_inv = inverse(shift);
    for_chunks(threads, out.size(), kChunk, [&](std::size_t lo, std::size_t hi) {
        Fp x_inv = shift_inv * pow(root_inv, lo);
        std::array<Fp2, kFold> v;
        for (std::size_t q = lo; q < hi; ++q, x_inv *= root_inv) {
            for (unsigned m = 0; m < kFold; ++m) v[m] = get(q, m);
            out[q] = fold_coset(v, beta * x_inv);
        }
    });
    return out;
}

MerkleTree commit_layer(const std::vector<Fp2>& layer, unsigned threads) {
    const std::size_t leaves = layer.size() / kFold;
    std::vector<Digest> hashes(leaves);
    parallel_for(threads, leaves, [&](std::size_t lo, std::size_t hi) {
        std::array<Fp, 2 * kFold> row;
        for (std::size_t q = lo; q < hi; ++q) {
            for (unsigned m = 0; m < kFold; ++m) {
                row[2 * m] = layer[q + m * leaves].c0;
                row[2 * m + 1] = layer[q + m * leaves].c1;
            }
            hashes[q] = hash_leaf(row);
        }
    });
    return MerkleTree(std::move(hashes), threads);
}

// The coefficients of the last layer, a polynomial on shift·<w> of degree
// below final_degree; fails (a prover bug) if a higher coefficient is not zero.
Expected<std::vector<Fp2>> final_polynomial(const std::vector<Fp2>& layer, Fp shift, std::size_t degree,
                                            bool strict) {
    const auto log_size = static_cast<unsigned>(__builtin_ctzll(layer.size()));
    const Ntt ntt(log_size);
    std::array<Column, 2> parts{Column(layer.size()), Column(layer.size())};
    for (std::size_t i = 0; i < layer.size(); ++i) {
        parts[0][i] = layer[i].c0;
        parts[1][i] = layer[i].c1;
    }
    ntt.inverse(parts[0]);
    ntt.inverse(parts[1]);
    std::vector<Fp2> coefs;
    const Fp shift_inv = inverse(shift);
    Fp scale = Fp::one();
    for (std::size_t i = 0; i < layer.size(); ++i, scale *= shift_inv) {
        const Fp2 c = Fp2(parts[0][i], parts[1][i]) * scale;
        if (i < degree) coefs.push_back(c);
        else if (strict && !(c == Fp2::zero())) return fail("internal error: FRI's last layer is not of low degree");
    }
    return coefs;
}

// The smallest nonce that meets the grinding target, searched in rounds of
// `batch` nonces per thread (a round covers about twice the expected work):
// deterministic whatever the thread count.
std::uint64_t grind(const Transcript& t, unsigned threads) {
    constexpr std::uint64_t kNone = std::numeric_limits<std::uint64_t>::max();
    const std::uint64_t batch = std::max<std::uint64_t>(1024, (std::uint64_t{2} << kGrindingBits) / threads);
    for (std::uint64_t base = 0;; base += batch * threads) {
        std::vector<std::uint64_t> found(threads, kNone);
        parallel_for(threads, threads, [&](std::size_t lo, std::size_t hi) {
            for (std::size_t w = lo; w < hi; ++w) {
                for (std::uint64_t i = 0; i < batch; ++i) {
                    const std::uint64_t nonce = base + w * batch + i;
                    if (t.pow_ok(nonce, kGrindingBits)) {
                        found[w] = nonce;
                        break;
                    }
                }
            }
        });
        const std::uint64_t best = *std::min_element(found.begin(), found.end());
        if (best != kNone) return best;
    }
}

// All the state of one proof, released phase by phase as it stops being needed.
class FibProver {
public:
    // A tamper function (tests only) alters the trace once built; the prover
    // then skips its own checks and sends whatever results, for the verifier to catch.
    FibProver(const Layout& layout, unsigned threads, const TraceTamper* tamper)
        : layout_(layout), domain_(layout, threads), threads_(threads), tamper_(tamper) {}

    Expected<std::vector<std::uint8_t>> run(std::string_view program_id, const FibInput& input);

private:
    Status commit_trace_and_composition(Transcript& t);
    Status run_fri(Transcript& t);
    QueryOpening open(std::size_t q) const;

    const Layout& layout_;
    Domain domain_;
    unsigned threads_;
    Statement statement_;
    std::vector<Column> trace_;  // values, then coefficients
    std::vector<Column> trace_lde_, comp_coefs_, comp_lde_;
    std::optional<MerkleTree> trace_tree_, comp_tree_;
    std::vector<std::vector<Fp2>> layers_;  // committed FRI layers 1..folds-1
    std::vector<MerkleTree> layer_trees_;
    Proof proof_;
    const TraceTamper* tamper_;
};

Status FibProver::commit_trace_and_composition(Transcript& t) {
    interpolate(trace_, domain_, threads_);
    trace_lde_ = extend(trace_, domain_, threads_);
    trace_tree_.emplace(commit_rows(trace_lde_, domain_, threads_));
    proof_.trace_root = trace_tree_->root();
    t.absorb_digest(proof_.trace_root);
    const std::vector<Fp2> alpha = challenge_powers(t.challenge_ext(), kConstraints);
    CosetEvals evals = evaluate_composition(trace_lde_, domain_, alpha, statement_, threads_);
    auto coefs = composition_coefficients(evals, domain_, tamper_ == nullptr, threads_);
    if (!coefs) return fail(coefs.error());
    comp_coefs_ = std::move(*coefs);
    comp_lde_ = extend(comp_coefs_, domain_, threads_);
    comp_tree_.emplace(commit_rows(comp_lde_, domain_, threads_));
    proof_.comp_root = comp_tree_->root();
    t.absorb_digest(proof_.comp_root);
    return Ok{};
}

Status FibProver::run_fri(Transcript& t) {
    const Fp2 z = t.challenge_ext();
    if (z.c1 == Fp::zero()) return fail("out-of-domain point fell in the base field (probability 2^-64)");
    proof_.ood = ood_values(trace_, comp_coefs_, z, domain_, threads_);
    for (Fp2 v : proof_.ood) t.absorb_ext(v);
    trace_ = {};
    comp_coefs_ = {};
    const DeepCombiner combiner(t.challenge_ext(), proof_.ood);
    std::vector<Fp2> deep = deep_values(trace_lde_, comp_lde_, combiner, z, domain_, threads_);
    std::vector<Fp2> layer = fold_layer(layout_.log_lde, domain_.shift, t.challenge_ext(),
        [&](std::size_t q, unsigned m) { return deep[domain_.member(q, m)]; }, threads_);
    deep = {};
    Fp shift = pow(domain_.shift, kFold);
    for (unsigned l = 1; l < layout_.folds; ++l) {
        layer_trees_.push_back(commit_layer(layer, threads_));
        proof_.layer_roots.push_back(layer_trees_.back().root());
        t.absorb_digest(proof_.layer_roots.back());
        layers_.push_back(std::move(layer));
        const std::vector<Fp2>& in = layers_.back();
        const std::size_t stride = in.size() / kFold;
        layer = fold_layer(layout_.log_lde - kLogFold * l, shift, t.challenge_ext(),
            [&](std::size_t q, unsigned m) { return in[q + m * stride]; }, threads_);
        shift = pow(shift, kFold);
    }
    auto final_poly = final_polynomial(layer, shift, layout_.final_degree, tamper_ == nullptr);
    if (!final_poly) return fail(final_poly.error());
    proof_.final_poly = std::move(*final_poly);
    for (Fp2 c : proof_.final_poly) t.absorb_ext(c);
    return Ok{};
}

QueryOpening FibProver::open(std::size_t q) const {
    QueryOpening o;
    for (unsigned m = 0; m < kFold; ++m) {
        const std::size_t pos = domain_.member(q, m);
        for (const Column& c : trace_lde_) o.trace_rows.push_back(c[pos]);
        for (unsigned t = 0; t < kSegments; ++t) o.comp_rows.emplace_back(comp_lde_[2 * t][pos], comp_lde_[2 * t + 1][pos]);
    }
    trace_tree_->append_path(q, o.trace_path);
    comp_tree_->append_path(q, o.comp_path);
    std::size_t position = q;
    for (std::size_t l = 0; l < layers_.size(); ++l) {
        const std::size_t leaves = layers_[l].size() / kFold;
        const std::size_t leaf = position % leaves;
        std::array<Fp2, kFold> values;
        for (unsigned m = 0; m < kFold; ++m) values[m] = layers_[l][leaf + m * leaves];
        o.layer_values.push_back(values);
        o.layer_paths.emplace_back();
        layer_trees_[l].append_path(leaf, o.layer_paths.back());
        position = leaf;
    }
    return o;
}

Expected<std::vector<std::uint8_t>> FibProver::run(std::string_view program_id, const FibInput& input) {
    statement_ = {input.n, input.init_a, input.init_b, 0};
    trace_ = build_trace(input, layout_, threads_, statement_.output);
    if (tamper_ != nullptr) (*tamper_)(trace_, statement_.output);
    proof_.output = statement_.output;
    Transcript t = begin_transcript(program_id, statement_);
    if (auto s = commit_trace_and_composition(t); !s) return fail(s.error());
    if (auto s = run_fri(t); !s) return fail(s.error());
    proof_.nonce = grind(t, threads_);
    t.absorb_u64(proof_.nonce);
    const std::vector<std::size_t> queries = sample_queries(t, layout_.query_domain());
    if (queries.size() != kQueries) return fail("internal error: too few distinct queries");
    for (std::size_t q : queries) proof_.queries.push_back(open(q));
    std::vector<std::uint8_t> bytes = serialize(proof_);
    if (bytes.size() != layout_.proof_size) return fail("internal error: proof size does not match its layout");
    return bytes;
}

Expected<std::vector<std::uint8_t>> prove_one(std::string_view program_id, const FibInput& input,
                                              unsigned threads, const TraceTamper* tamper) {
    const std::optional<Layout> layout = layout_for(input.n);
    if (!layout) {
        return fail("n = " + std::to_string(input.n) + " needs more than 2^" +
                    std::to_string(kMaxLogTrace) + " trace rows");
    }
    try {
        FibProver prover(*layout, std::max(1u, threads), tamper);
        return prover.run(program_id, input);
    } catch (const std::exception& e) {
        // std::bad_alloc for a trace too big for this machine, or thread creation failing.
        return fail(std::string("proving failed: ") + e.what());
    }
}

}  // namespace

Expected<std::vector<std::uint8_t>> prove_fib(std::string_view program_id, const FibInput& input,
                                              unsigned threads) {
    return prove_one(program_id, input, threads, nullptr);
}

Expected<std::vector<std::uint8_t>> prove_fib_tampered(std::string_view program_id, const FibInput& input,
                                                       unsigned threads, const TraceTamper& tamper) {
    return prove_one(program_id, input, threads, &tamper);
}

}  // namespace shared::stark
