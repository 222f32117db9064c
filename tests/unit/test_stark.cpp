// Tests of the fib_input_initial STARK: arithmetic, NTT, FRI fold, the AIR,
// prove/verify on the spec's vectors, statement binding and tampered proofs.
#include <doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "shared/bounds.h"
#include "shared/programs/fib_input_initial.h"
#include "shared/stark/field.h"
#include "shared/stark/ntt.h"
#include "shared/stark/proof.h"
#include "shared/stark/protocol.h"
#include "shared/stark/stark.h"
#include "shared/stark/testing.h"

using namespace shared::stark;

namespace {

using ProofBytes = std::vector<std::uint8_t>;

// A fixed pseudo-random sequence, so that failures reproduce.
struct Lcg {
    std::uint64_t s = 0x9E3779B97F4A7C15ull;
    std::uint64_t next() {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        return s ^ (s >> 29);
    }
    Fp fp() { return Fp(next()); }
    Fp2 ext() { return {fp(), fp()}; }
};

const ProofBytes& small_proof() {
    static const ProofBytes proof = [] {
        auto p = prove_fib(kFibProgramId, {9, 1, 1}, 2);
        REQUIRE_MESSAGE(p.ok(), p.error());
        return *p;
    }();
    return proof;
}

}  // namespace

TEST_CASE("Goldilocks arithmetic agrees with 128-bit reference arithmetic") {
    Lcg rng;
    for (int i = 0; i < 100000; ++i) {
        std::uint64_t a = rng.next() % kModulus;
        std::uint64_t b = rng.next() % kModulus;
        if (i % 7 == 0) a = kModulus - 1 - i % 3;  // values near p exercise every carry
        if (i % 11 == 0) b = kModulus - 1 - i % 5;
        const auto wide_a = static_cast<unsigned __int128>(a);
        CHECK((Fp::raw(a) * Fp::raw(b)).v == static_cast<std::uint64_t>(wide_a * b % kModulus));
        CHECK((Fp::raw(a) + Fp::raw(b)).v == static_cast<std::uint64_t>((wide_a + b) % kModulus));
        CHECK((Fp::raw(a) - Fp::raw(b)).v == static_cast<std::uint64_t>((wide_a + kModulus - b) % kModulus));
    }
    const Fp x = rng.fp();
    CHECK(x * inverse(x) == Fp::one());
    const Fp2 y = rng.ext();
    CHECK(y * inverse(y) == Fp2::one());
    const Fp2 unit(Fp::zero(), Fp::one());
    CHECK(unit * unit == Fp2(Fp::raw(7)));  // X^2 = 7
}

TEST_CASE("lazy dot products match term-by-term sums, carries included") {
    Lcg rng;
    DotAccumulator lazy;
    Fp plain;
    for (int i = 0; i < 40; ++i) {
        // Values near p make most 128-bit partial sums carry.
        const Fp a = Fp::raw(kModulus - 1 - rng.next() % 1000);
        const Fp b = i % 3 == 0 ? rng.fp() : Fp::raw(kModulus - 1 - rng.next() % 1000);
        lazy.add(a, b);
        plain += a * b;
        CHECK(lazy.value() == plain);
    }
}

TEST_CASE("roots of unity have exactly their order") {
    for (unsigned k : {1u, 5u, 20u, 32u}) {
        const Fp w = root_of_unity(k);
        CHECK(pow(w, std::uint64_t{1} << k) == Fp::one());
        CHECK_FALSE(pow(w, std::uint64_t{1} << (k - 1)) == Fp::one());
    }
}

TEST_CASE("NTT evaluates polynomials and inverts") {
    Lcg rng;
    const Ntt ntt(6);
    std::vector<Fp> coefs(64);
    for (auto& c : coefs) c = rng.fp();
    const Fp shift = kGenerator;
    std::vector<Fp> evals(64);
    ntt.coset_forward(coefs, shift, evals);
    for (std::size_t i : {0u, 1u, 17u, 63u}) {
        const Fp x = shift * pow(ntt.root(), i);
        Fp direct;
        for (std::size_t k = coefs.size(); k-- > 0;) direct = direct * x + coefs[k];
        CHECK(evals[i] == direct);
    }
    std::vector<Fp> round = coefs;
    ntt.forward(round);
    ntt.inverse(round);
    CHECK(round == coefs);
}

TEST_CASE("the DIT coset transform agrees with the DIF one, below and above the cache block") {
    Lcg rng;
    for (unsigned log_n : {1u, 2u, 7u, 15u, 16u, 17u}) {
        CAPTURE(log_n);
        const Ntt ntt(log_n);
        std::vector<Fp> coefs(ntt.size());
        for (auto& c : coefs) c = rng.fp();
        std::vector<Fp> dif(ntt.size()), dit(ntt.size());
        ntt.coset_forward(coefs, kGenerator, dif);
        ntt.scaled_forward(coefs, powers(kGenerator, ntt.size()), dit);
        CHECK(dif == dit);
    }
}

TEST_CASE("FRI fold of a coset is sum_k beta^k f_k(x^8)") {
    Lcg rng;
    // f(y) = sum_k y^k f_k(y^8) with f_k(u) = c_k + d_k u: degree 16.
    std::array<Fp2, 8> c, d;
    for (auto& v : c) v = rng.ext();
    for (auto& v : d) v = rng.ext();
    const Fp x = rng.fp();
    const Fp2 beta = rng.ext();
    const Fp x8 = pow(x, 8);
    std::array<Fp2, kFold> values;
    for (unsigned m = 0; m < kFold; ++m) {
        const Fp y = x * pow(root_of_unity(3), m);
        for (unsigned k = 0; k < 8; ++k) values[m] += (c[k] + d[k] * x8) * pow(y, k);
    }
    Fp2 expected;
    for (unsigned k = 0; k < 8; ++k) expected += pow(beta, k) * (c[k] + d[k] * x8);
    CHECK(fold_coset(values, beta * inverse(x)) == expected);
}

TEST_CASE("the AIR accepts the recurrence and rejects range and wrapping violations") {
    const Statement s{3, 0xFFFFFFF0u, 0x20u, 0};
    const std::vector<Fp2> alpha = challenge_powers(Fp2(Fp::raw(5), Fp::raw(3)), kConstraints);
    auto row = [](std::uint32_t a, std::uint64_t b) {
        std::vector<Fp> r{Fp::raw(a)};
        for (unsigned j = 0; j < kDigits; ++j) r.push_back(Fp::raw((b >> (2 * j)) & 3));
        return r;
    };
    const auto cur = row(0xFFFFFFF0u, 0x20u);
    const auto wrapped = row(0x20u, 0x10u);  // 0xFFFFFFF0 + 0x20 wraps to 0x10
    Numerators ok = numerators<Fp>(cur.data(), wrapped.data(), alpha.data(), s);
    CHECK(ok.every_row == Fp2::zero());
    CHECK(ok.transition == Fp2::zero());
    CHECK(ok.first_row == Fp2::zero());
    const auto off_by_one = row(0x20u, 0x11u);
    CHECK_FALSE(numerators<Fp>(cur.data(), off_by_one.data(), alpha.data(), s).transition == Fp2::zero());
    auto bad_digit = cur;
    bad_digit[5] = Fp::raw(4);  // a digit outside 0..3
    CHECK_FALSE(numerators<Fp>(bad_digit.data(), wrapped.data(), alpha.data(), s).every_row == Fp2::zero());
    // Without the range check the unwrapped sum would satisfy the rest: it fails the digits.
    auto unwrapped = wrapped;
    unwrapped[16] = Fp::raw(4);  // 0x10 + 4·4^15 = 0x10 + 2^32
    CHECK(numerators<Fp>(cur.data(), unwrapped.data(), alpha.data(), s).transition == Fp2::zero());
    CHECK_FALSE(numerators<Fp>(unwrapped.data(), cur.data(), alpha.data(), s).every_row == Fp2::zero());
}

TEST_CASE("the spec's vectors prove and verify with their outputs") {
    struct Vector {
        FibInput input;
        std::uint32_t output;
    };
    for (const Vector& v : {Vector{{9, 1, 1}, 144}, Vector{{0, 0, 1}, 1}, Vector{{1, 0, 1}, 2},
                            Vector{{100, 1, 1}, 3870634317u}, Vector{{65535, 1, 1}, 462089048u}}) {
        CAPTURE(v.input.n);
        auto proof = prove_fib(kFibProgramId, v.input, 2);
        REQUIRE_MESSAGE(proof.ok(), proof.error());
        CHECK(proof->size() <= shared::kMaxProofBytes);
        auto out = verify_fib(kFibProgramId, v.input, *proof);
        REQUIRE_MESSAGE(out.ok(), out.error());
        CHECK(*out == v.output);
    }
    CHECK(shared::fib::compute_output({1000000, 3, 7}) == 792310079u);  // proven in its own test
}

// A 2^20-row trace: about 8 s of CPU and 1.1 GiB of memory, 12 s on a loaded
// 2-core machine, under the ~20 s the issue allows for a unit test.
TEST_CASE("the spec's largest vector, n = 1000000, proves and verifies") {
    auto proof = prove_fib(kFibProgramId, {1000000, 3, 7}, 2);
    REQUIRE_MESSAGE(proof.ok(), proof.error());
    auto out = verify_fib(kFibProgramId, {1000000, 3, 7}, *proof);
    REQUIRE_MESSAGE(out.ok(), out.error());
    CHECK(*out == 792310079u);
}

TEST_CASE("proofs do not depend on the thread count") {
    auto one = prove_fib(kFibProgramId, {1000, 5, 8}, 1);
    auto three = prove_fib(kFibProgramId, {1000, 5, 8}, 3);
    REQUIRE(one.ok());
    REQUIRE(three.ok());
    CHECK(*one == *three);
}

TEST_CASE("a proof is bound to its input, output and program id") {
    const ProofBytes& proof = small_proof();
    REQUIRE(verify_fib(kFibProgramId, {9, 1, 1}, proof).ok());
    CHECK_FALSE(verify_fib(kFibProgramId, {10, 1, 1}, proof).ok());  // same trace size
    CHECK_FALSE(verify_fib(kFibProgramId, {9, 2, 1}, proof).ok());
    CHECK_FALSE(verify_fib(kFibProgramId, {9, 1, 2}, proof).ok());
    ProofBytes other_output = proof;
    other_output[1] ^= 1;  // claims 145
    CHECK_FALSE(verify_fib(kFibProgramId, {9, 1, 1}, other_output).ok());

    auto foreign = prove_fib("fib_input_initial_v2", {9, 1, 1}, 1);
    REQUIRE(foreign.ok());
    CHECK(verify_fib("fib_input_initial_v2", {9, 1, 1}, *foreign).ok());
    auto rejected = verify_fib(kFibProgramId, {9, 1, 1}, *foreign);
    CHECK_FALSE(rejected.ok());
}

TEST_CASE("a prover cheating on one constraint is caught by the verifier") {
    const FibInput input{9, 1, 1};
    using Columns = std::vector<std::vector<Fp>>;
    // The hook itself, left honest, still yields a valid proof.
    auto honest = prove_fib_tampered(kFibProgramId, input, 2, [](Columns&, std::uint32_t&) {});
    REQUIRE(honest.ok());
    CHECK(verify_fib(kFibProgramId, input, *honest).ok());

    SUBCASE("a false output on an honest trace: only the output boundary breaks") {
        auto proof = prove_fib_tampered(kFibProgramId, input, 2, [](Columns&, std::uint32_t& out) { out += 1; });
        REQUIRE(proof.ok());
        CHECK_FALSE(verify_fib(kFibProgramId, input, *proof).ok());
    }
    SUBCASE("an out-of-range digit with the same b: only the range check breaks") {
        auto proof = prove_fib_tampered(kFibProgramId, input, 2, [](Columns& cols, std::uint32_t&) {
            // Row 3 holds b = 5 = 1 + 1·4; write it as 5 + 0·4 instead.
            REQUIRE(cols[1][3] == Fp::raw(1));
            REQUIRE(cols[2][3] == Fp::raw(1));
            cols[1][3] = Fp::raw(5);
            cols[2][3] = Fp::zero();
        });
        REQUIRE(proof.ok());
        CHECK_FALSE(verify_fib(kFibProgramId, input, *proof).ok());
    }
    SUBCASE("a broken step: only the transition breaks") {
        auto proof = prove_fib_tampered(kFibProgramId, input, 2,
                                        [](Columns& cols, std::uint32_t&) { cols[0][4] += Fp::one(); });
        REQUIRE(proof.ok());
        CHECK_FALSE(verify_fib(kFibProgramId, input, *proof).ok());
    }
}

TEST_CASE("every sampled single-byte corruption is rejected") {
    const ProofBytes& proof = small_proof();
    constexpr std::size_t kSamples = 400;
    std::size_t rejected = 0;
    for (std::size_t i = 0; i < kSamples; ++i) {
        const std::size_t pos = i * (proof.size() - 1) / (kSamples - 1);  // first to last byte
        ProofBytes bad = proof;
        bad[pos] ^= static_cast<std::uint8_t>(1u << (i % 8));
        auto out = verify_fib(kFibProgramId, {9, 1, 1}, bad);
        if (!out.ok()) ++rejected;
        else FAIL_CHECK("corruption at byte " << pos << " accepted");
    }
    CHECK(rejected == kSamples);
}

TEST_CASE("truncated, empty, oversized and foreign-version proofs are rejected cleanly") {
    const ProofBytes& proof = small_proof();
    const FibInput input{9, 1, 1};
    CHECK_FALSE(verify_fib(kFibProgramId, input, {}).ok());
    CHECK_FALSE(verify_fib(kFibProgramId, input, ProofBytes(proof.begin(), proof.end() - 1)).ok());
    CHECK_FALSE(verify_fib(kFibProgramId, input, ProofBytes(proof.begin(), proof.begin() + 5)).ok());
    CHECK_FALSE(verify_fib(kFibProgramId, input, ProofBytes(proof.begin(), proof.begin() + 1)).ok());
    ProofBytes longer = proof;
    longer.push_back(0);
    CHECK_FALSE(verify_fib(kFibProgramId, input, longer).ok());
    CHECK_FALSE(verify_fib(kFibProgramId, input, ProofBytes(shared::kMaxProofBytes + 1, 1)).ok());
    ProofBytes version = proof;
    version[0] = 2;
    auto out = verify_fib(kFibProgramId, input, version);
    REQUIRE_FALSE(out.ok());
    CHECK(out.error().find("version") != std::string::npos);
    // A proof for a different trace size has the wrong length for this input.
    CHECK_FALSE(verify_fib(kFibProgramId, {5000, 1, 1}, proof).ok());
}

TEST_CASE("n beyond the largest trace is refused by prover and verifier") {
    CHECK_FALSE(prove_fib(kFibProgramId, {0xFFFFFFFFu, 1, 1}, 1).ok());
    CHECK_FALSE(verify_fib(kFibProgramId, {0xFFFFFFFFu, 1, 1}, small_proof()).ok());
    const auto largest = layout_for((1u << kMaxLogTrace) - 2);
    REQUIRE(largest.has_value());
    CHECK(largest->proof_size <= shared::kMaxProofBytes);
    CHECK_FALSE(layout_for((1u << kMaxLogTrace) - 1).has_value());
}
