// Radix-2 decimation-in-frequency NTT with per-stage contiguous twiddles.
#include "shared/stark/ntt.h"

#include <algorithm>
#include <utility>

namespace shared::stark {

Ntt::Ntt(unsigned log_size)
    : log_size_(log_size), root_(root_of_unity(log_size)),
      size_inverse_(stark::inverse(Fp(std::uint64_t{1} << log_size))) {
    const std::size_t n = size();
    twiddles_.assign(std::max<std::size_t>(n, 2), Fp::one());
    if (n < 2) return;
    // The last stage (half = n/2) holds root^i; each smaller stage takes every
    // other twiddle of the stage above it.
    const std::size_t top = n / 2;
    Fp w = Fp::one();
    for (std::size_t i = 0; i < top; ++i) {
        twiddles_[top + i] = w;
        w *= root_;
    }
    for (std::size_t half = top / 2; half >= 1; half /= 2) {
        for (std::size_t i = 0; i < half; ++i) twiddles_[half + i] = twiddles_[2 * half + 2 * i];
    }
}

namespace {

// One DIF stage over [0, len): butterflies between points `half` apart.
void dif_stage(Fp* a, std::size_t len, std::size_t half, const Fp* tw) {
    for (std::size_t start = 0; start < len; start += 2 * half) {
        Fp* lo = a + start;
        Fp* hi = lo + half;
        for (std::size_t i = 0; i < half; ++i) {
            const Fp u = lo[i];
            const Fp v = hi[i];
            lo[i] = u + v;
            hi[i] = (u - v) * tw[i];
        }
    }
}

// One DIT stage: the mirror image of dif_stage.
void dit_stage(Fp* a, std::size_t len, std::size_t half, const Fp* tw) {
    for (std::size_t start = 0; start < len; start += 2 * half) {
        Fp* lo = a + start;
        Fp* hi = lo + half;
        for (std::size_t i = 0; i < half; ++i) {
            const Fp u = lo[i];
            const Fp v = hi[i] * tw[i];
            lo[i] = u + v;
            hi[i] = u - v;
        }
    }
}

std::size_t reverse_bits(std::size_t i, unsigned log_n) {
    std::uint64_t r = i;
    r = ((r >> 1) & 0x5555555555555555ull) | ((r & 0x5555555555555555ull) << 1);
    r = ((r >> 2) & 0x3333333333333333ull) | ((r & 0x3333333333333333ull) << 2);
    r = ((r >> 4) & 0x0F0F0F0F0F0F0F0Full) | ((r & 0x0F0F0F0F0F0F0F0Full) << 4);
    return log_n == 0 ? 0 : __builtin_bswap64(r) >> (64 - log_n);
}

// Elements per cache block (256 KiB): stages whose butterflies stay inside a
// block run block by block, so large transforms stream memory only for their
// first few stages.
constexpr std::size_t kBlock = std::size_t{1} << 15;

}  // namespace

void Ntt::dif_bit_reversed(std::span<Fp> values) const {
    Fp* a = values.data();
    const std::size_t n = size();
    const std::size_t block = std::min(n, kBlock);
    std::size_t half = n / 2;
    for (; half >= block; half /= 2) dif_stage(a, n, half, twiddles_.data() + half);
    for (std::size_t start = 0; start < n; start += block) {
        for (std::size_t h = half; h >= 2; h /= 2) dif_stage(a + start, block, h, twiddles_.data() + h);
        // The last stage's only twiddle is 1.
        for (std::size_t i = start; i + 1 < start + block; i += 2) {
            const Fp u = a[i];
            const Fp v = a[i + 1];
            a[i] = u + v;
            a[i + 1] = u - v;
        }
    }
}

// Bit-reversed input to natural output; small stages run block by block first.
void Ntt::dit_from_bit_reversed(std::span<Fp> values) const {
    Fp* a = values.data();
    const std::size_t n = size();
    const std::size_t block = std::min(n, kBlock);
    for (std::size_t start = 0; start < n; start += block) {
        for (std::size_t i = start; i + 1 < start + block; i += 2) {  // twiddle 1
            const Fp u = a[i];
            const Fp v = a[i + 1];
            a[i] = u + v;
            a[i + 1] = u - v;
        }
        for (std::size_t h = 2; h < block; h *= 2) dit_stage(a + start, block, h, twiddles_.data() + h);
    }
    for (std::size_t half = block; half < n; half *= 2) dit_stage(a, n, half, twiddles_.data() + half);
}

void Ntt::forward(std::span<Fp> values) const {
    dif_bit_reversed(values);
    bit_reverse_permute(values);
}

// The inverse transform is the forward one read backwards: NTT(a)[-i] = n·a[i].
void Ntt::inverse(std::span<Fp> values) const {
    forward(values);
    std::reverse(values.begin() + 1, values.end());
    for (Fp& v : values) v *= size_inverse_;
}

void Ntt::coset_forward(std::span<const Fp> coefs, Fp shift, std::span<Fp> out) const {
    Fp power = Fp::one();
    for (std::size_t i = 0; i < size(); ++i) {
        out[i] = coefs[i] * power;
        power *= shift;
    }
    forward(out);
}

void Ntt::scaled_forward(std::span<const Fp> coefs, std::span<const Fp> shift_powers,
                         std::span<Fp> out) const {
    // Scaling scatters straight into bit-reversed order, which saves the
    // separate permutation pass a DIF transform would need.
    for (std::size_t i = 0; i < size(); ++i) out[reverse_bits(i, log_size_)] = coefs[i] * shift_powers[i];
    dit_from_bit_reversed(out);
}

void bit_reverse_permute(std::span<Fp> values) {
    const std::size_t n = values.size();
    if (n <= 2) return;
    const auto log_n = static_cast<unsigned>(__builtin_ctzll(n));
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t r = reverse_bits(i, log_n);
        if (i < r) std::swap(values[i], values[r]);
    }
}

std::vector<Fp> powers(Fp shift, std::size_t count) {
    std::vector<Fp> out(count);
    Fp p = Fp::one();
    for (auto& v : out) {
        v = p;
        p *= shift;
    }
    return out;
}

}  // namespace shared::stark
