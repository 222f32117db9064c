// Number-theoretic transforms over Goldilocks: radix-2, in place, one size per Ntt.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "shared/stark/field.h"

namespace shared::stark {

// The twiddles of one power-of-two size, computed once and shared (read only)
// by every thread that transforms a column of that size.
class Ntt {
public:
    explicit Ntt(unsigned log_size);

    unsigned log_size() const { return log_size_; }
    std::size_t size() const { return std::size_t{1} << log_size_; }
    Fp root() const { return root_; }

    // Coefficients to evaluations at root^0, root^1, ... (natural order).
    void forward(std::span<Fp> values) const;
    // Evaluations in natural order back to coefficients.
    void inverse(std::span<Fp> values) const;
    // Evaluations on the coset shift·<root> of the polynomial with these
    // coefficients: forward() of coefs[i]·shift^i, written to out.
    void coset_forward(std::span<const Fp> coefs, Fp shift, std::span<Fp> out) const;
    // The same with the powers of the shift precomputed (shared by all columns).
    void scaled_forward(std::span<const Fp> coefs, std::span<const Fp> shift_powers, std::span<Fp> out) const;

private:
    void dif_bit_reversed(std::span<Fp> values) const;
    void dit_from_bit_reversed(std::span<Fp> values) const;

    unsigned log_size_;
    Fp root_;
    Fp size_inverse_;
    // twiddles_[half + i] = (primitive (2·half)-th root)^i for each stage's half size.
    std::vector<Fp> twiddles_;
};

void bit_reverse_permute(std::span<Fp> values);

// The powers shift^0 .. shift^(count-1).
std::vector<Fp> powers(Fp shift, std::size_t count);

}  // namespace shared::stark
