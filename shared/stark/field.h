// Goldilocks field arithmetic (p = 2^64 - 2^32 + 1) and its quadratic extension.
#pragma once

#include <cstdint>

namespace shared::stark {

inline constexpr std::uint64_t kModulus = 0xFFFFFFFF00000001ull;
// 2^64 mod p: what a carry out of 64 bits is worth.
inline constexpr std::uint64_t kEpsilon = 0xFFFFFFFFull;

// An element of F_p, always kept canonical (< p) so that equality and
// serialisation need no further reduction.
struct Fp {
    std::uint64_t v = 0;

    constexpr Fp() = default;
    constexpr explicit Fp(std::uint64_t value) : v(value >= kModulus ? value - kModulus : value) {}
    static constexpr Fp raw(std::uint64_t canonical) {
        Fp f;
        f.v = canonical;
        return f;
    }
    static constexpr Fp zero() { return raw(0); }
    static constexpr Fp one() { return raw(1); }

    friend constexpr bool operator==(Fp a, Fp b) { return a.v == b.v; }
};

// The arithmetic below is branch-free: on random field elements a branch on a
// carry mispredicts half the time, which costs more than the arithmetic.
constexpr Fp operator+(Fp a, Fp b) {
    // a + b - p = a + (b + eps) - 2^64: a carry out means a + b >= p.
    std::uint64_t s = 0;
    const bool carry = __builtin_add_overflow(a.v, b.v + kEpsilon, &s);
    return Fp::raw(s - (kEpsilon & (static_cast<std::uint64_t>(carry) - 1)));
}

constexpr Fp operator-(Fp a, Fp b) {
    std::uint64_t d = 0;
    const bool borrow = __builtin_sub_overflow(a.v, b.v, &d);
    // With a borrow d is a - b + 2^64, and a - b + p is d - eps.
    return Fp::raw(d - (kEpsilon & (0 - static_cast<std::uint64_t>(borrow))));
}

constexpr Fp operator-(Fp a) { return Fp::zero() - a; }

// Reduces a 128-bit product using 2^64 = 2^32 - 1 and 2^96 = -1 (mod p).
constexpr Fp reduce128(unsigned __int128 x) {
    const auto lo = static_cast<std::uint64_t>(x);
    const auto hi = static_cast<std::uint64_t>(x >> 64);
    const std::uint64_t hi_hi = hi >> 32;
    const std::uint64_t hi_lo = hi & kEpsilon;
    std::uint64_t t0 = 0;
    const bool borrow = __builtin_sub_overflow(lo, hi_hi, &t0);
    t0 -= kEpsilon & (0 - static_cast<std::uint64_t>(borrow));
    const std::uint64_t t1 = (hi_lo << 32) - hi_lo;  // hi_lo * eps
    std::uint64_t t2 = 0;
    const bool carry = __builtin_add_overflow(t0, t1, &t2);
    t2 += kEpsilon & (0 - static_cast<std::uint64_t>(carry));
    // Canonical form: t2 >= p exactly when t2 + eps carries.
    std::uint64_t u = 0;
    const bool over = __builtin_add_overflow(t2, kEpsilon, &u);
    const std::uint64_t keep = 0 - static_cast<std::uint64_t>(over);
    return Fp::raw((u & keep) | (t2 & ~keep));
}

constexpr Fp operator*(Fp a, Fp b) {
    return reduce128(static_cast<unsigned __int128>(a.v) * b.v);
}

inline Fp& operator+=(Fp& a, Fp b) { return a = a + b; }
inline Fp& operator-=(Fp& a, Fp b) { return a = a - b; }
inline Fp& operator*=(Fp& a, Fp b) { return a = a * b; }

constexpr Fp pow(Fp base, std::uint64_t exp) {
    Fp result = Fp::one();
    while (exp != 0) {
        if (exp & 1) result = result * base;
        base = base * base;
        exp >>= 1;
    }
    return result;
}

// Fermat inverse; the inverse of zero is zero, which callers that can meet a
// zero (the verifier, on adversarial input) treat as a failed check, not a crash.
constexpr Fp inverse(Fp a) { return pow(a, kModulus - 2); }

// A sum of products with a single reduction: 128-bit accumulation, counting
// the carries out of bit 128 (2^128 = -2^32 mod p). Good for up to 2^32 terms.
class DotAccumulator {
public:
    void add(Fp a, Fp b) {
        const unsigned __int128 product = static_cast<unsigned __int128>(a.v) * b.v;
        sum_ += product;
        carries_ += sum_ < product;
    }
    Fp value() const { return reduce128(sum_) - Fp::raw(carries_ << 32); }

private:
    unsigned __int128 sum_ = 0;
    std::uint64_t carries_ = 0;
};

// 7 generates F_p^*, so it is also a quadratic non-residue (the extension is
// F_p[X]/(X^2 - 7)) and a coset shift disjoint from every 2-power subgroup.
inline constexpr Fp kGenerator = Fp::raw(7);
inline constexpr unsigned kTwoAdicity = 32;

// A primitive 2^log_size-th root of unity.
constexpr Fp root_of_unity(unsigned log_size) {
    const Fp top = pow(kGenerator, (kModulus - 1) >> kTwoAdicity);
    return pow(top, std::uint64_t{1} << (kTwoAdicity - log_size));
}

// An element c0 + c1·X of F_p[X]/(X^2 - 7).
struct Fp2 {
    Fp c0, c1;

    constexpr Fp2() = default;
    constexpr Fp2(Fp a) : c0(a) {}  // NOLINT: the base field embeds implicitly
    constexpr Fp2(Fp a, Fp b) : c0(a), c1(b) {}
    static constexpr Fp2 zero() { return {}; }
    static constexpr Fp2 one() { return Fp2(Fp::one()); }

    friend constexpr bool operator==(const Fp2& a, const Fp2& b) = default;
};

constexpr Fp2 operator+(Fp2 a, Fp2 b) { return {a.c0 + b.c0, a.c1 + b.c1}; }
constexpr Fp2 operator-(Fp2 a, Fp2 b) { return {a.c0 - b.c0, a.c1 - b.c1}; }
constexpr Fp2 operator-(Fp2 a) { return {-a.c0, -a.c1}; }
constexpr Fp2 operator*(Fp2 a, Fp b) { return {a.c0 * b, a.c1 * b}; }
constexpr Fp2 operator*(Fp a, Fp2 b) { return b * a; }

constexpr Fp2 operator*(Fp2 a, Fp2 b) {
    const Fp a0b0 = a.c0 * b.c0;
    const Fp a1b1 = a.c1 * b.c1;
    // Karatsuba: (a0 + a1)(b0 + b1) - a0b0 - a1b1 = a0b1 + a1b0.
    const Fp cross = (a.c0 + a.c1) * (b.c0 + b.c1) - a0b0 - a1b1;
    return {a0b0 + Fp::raw(7) * a1b1, cross};
}

inline Fp2& operator+=(Fp2& a, Fp2 b) { return a = a + b; }
inline Fp2& operator-=(Fp2& a, Fp2 b) { return a = a - b; }
inline Fp2& operator*=(Fp2& a, Fp2 b) { return a = a * b; }
inline Fp2& operator*=(Fp2& a, Fp b) { return a = a * b; }

constexpr Fp2 pow(Fp2 base, std::uint64_t exp) {
    Fp2 result = Fp2::one();
    while (exp != 0) {
        if (exp & 1) result = result * base;
        base = base * base;
        exp >>= 1;
    }
    return result;
}

// (c0 - c1·X) / (c0^2 - 7·c1^2); zero maps to zero as in the base field.
constexpr Fp2 inverse(Fp2 a) {
    const Fp norm = a.c0 * a.c0 - Fp::raw(7) * a.c1 * a.c1;
    const Fp inv = inverse(norm);
    return {a.c0 * inv, -(a.c1 * inv)};
}

// sum_i a_i·v_i for extension weights a_i: base-field values take the lazy
// path (two accumulators), extension values the plain one.
class ExtDot {
public:
    void add(Fp2 a, Fp v) {
        c0_.add(a.c0, v);
        c1_.add(a.c1, v);
    }
    void add(Fp2 a, Fp2 v) { plain_ += a * v; }
    Fp2 value() const { return Fp2(c0_.value(), c1_.value()) + plain_; }

private:
    DotAccumulator c0_, c1_;
    Fp2 plain_;
};

}  // namespace shared::stark
