// The AVX-512 fill kernel: G on two 16-word states of P at once in 512-bit registers (built with -mavx512f).
#include <immintrin.h>

#include "shared/argon2/fill_segment.h"
#include "shared/argon2/vector_permutation.h"

namespace shared::argon2 {
namespace {

// Two states' rows, one state in each 256-bit half: eight columns at once.
struct Avx512Rows {
    static __m512i blamka(__m512i x, __m512i y) {
        const __m512i product = _mm512_mul_epu32(x, y);  // lo32(x) * lo32(y), per 64-bit lane
        return _mm512_add_epi64(_mm512_add_epi64(x, y), _mm512_add_epi64(product, product));
    }
    static __m512i bit_xor(__m512i x, __m512i y) { return _mm512_xor_si512(x, y); }
    template <int N>
    static __m512i rotr(__m512i x) { return _mm512_ror_epi64(x, N); }

    // permutex turns the lanes of each 256-bit half on its own.
    template <int B, int C, int D>
    static void turn_rows(__m512i& b, __m512i& c, __m512i& d) {
        b = _mm512_permutex_epi64(b, B);
        c = _mm512_permutex_epi64(c, C);
        d = _mm512_permutex_epi64(d, D);
    }
};

inline void permute(__m512i& a, __m512i& b, __m512i& c, __m512i& d) {
    permute_state<Avx512Rows>(a, b, c, d);
}

constexpr int kLowHalves = _MM_SHUFFLE(1, 0, 1, 0);   // shuffle_i64x2: low 256 bits of each source
constexpr int kHighHalves = _MM_SHUFFLE(3, 2, 3, 2);  // and the high 256 bits of each

// First half of G for the rows 2g and 2g+1 of the block (z[k] = words 8k..8k+7,
// so row i is z[2i], z[2i+1]): a state's rows a|b and c|d are the halves of its
// two registers, regrouped so that one register holds row a of both states.
inline void permute_rows(__m512i* z, int g) {
    __m512i a = _mm512_shuffle_i64x2(z[4 * g], z[4 * g + 2], kLowHalves);
    __m512i b = _mm512_shuffle_i64x2(z[4 * g], z[4 * g + 2], kHighHalves);
    __m512i c = _mm512_shuffle_i64x2(z[4 * g + 1], z[4 * g + 3], kLowHalves);
    __m512i d = _mm512_shuffle_i64x2(z[4 * g + 1], z[4 * g + 3], kHighHalves);
    permute(a, b, c, d);
    z[4 * g] = _mm512_shuffle_i64x2(a, b, kLowHalves);
    z[4 * g + 2] = _mm512_shuffle_i64x2(a, b, kHighHalves);
    z[4 * g + 1] = _mm512_shuffle_i64x2(c, d, kLowHalves);
    z[4 * g + 3] = _mm512_shuffle_i64x2(c, d, kHighHalves);
}

// Second half of G for the column pairs 4h..4h+3 (states 4h..4h+3): column pair
// c is 128-bit lane c % 4 of z[c / 4 + 2 * row]. Each state's row takes lane c
// of two registers; two states share a register, and four states fill the
// registers that the lanes came from.
template <class Hook>
inline void permute_column_pairs(__m512i* z, int h, Hook&& after_first_pair) {
    const __m512i lanes01 = _mm512_setr_epi64(0, 1, 8, 9, 2, 3, 10, 11);
    const __m512i lanes23 = _mm512_setr_epi64(4, 5, 12, 13, 6, 7, 14, 15);
    const __m512i evens = _mm512_setr_epi64(0, 1, 4, 5, 8, 9, 12, 13);
    const __m512i odds = _mm512_setr_epi64(2, 3, 6, 7, 10, 11, 14, 15);
    __m512i lo[4];  // states 4h, 4h+1: rows a, b, c, d
    __m512i hi[4];  // states 4h+2, 4h+3
    for (int i = 0; i < 4; ++i) {
        lo[i] = _mm512_permutex2var_epi64(z[h + 4 * i], lanes01, z[h + 4 * i + 2]);
        hi[i] = _mm512_permutex2var_epi64(z[h + 4 * i], lanes23, z[h + 4 * i + 2]);
    }
    permute(lo[0], lo[1], lo[2], lo[3]);
    after_first_pair(lo[0]);
    permute(hi[0], hi[1], hi[2], hi[3]);
    for (int i = 0; i < 4; ++i) {
        z[h + 4 * i] = _mm512_permutex2var_epi64(lo[i], evens, hi[i]);
        z[h + 4 * i + 2] = _mm512_permutex2var_epi64(lo[i], odds, hi[i]);
    }
}

struct Avx512Kernel {
    template <class Hook>
    static void compress(const Block& prev, const Block& ref, Block& out, bool with_xor, Hook&& first_word_done) {
        const std::uint64_t* p = prev.v;
        const std::uint64_t* q = ref.v;
        std::uint64_t* o = out.v;
        __m512i z[16];
        for (int k = 0; k < 16; ++k) z[k] = _mm512_xor_si512(_mm512_load_si512(q + 8 * k), _mm512_load_si512(p + 8 * k));
        for (int g = 0; g < 4; ++g) permute_rows(z, g);
        // Word 0 is final once state 0 is done; the caller looks ahead with it.
        permute_column_pairs(z, 0, [&](__m512i state0) {
            std::uint64_t first = static_cast<std::uint64_t>(_mm_cvtsi128_si64(_mm512_castsi512_si128(state0)));
            first ^= q[0] ^ p[0];
            if (with_xor) first ^= o[0];
            first_word_done(first);
        });
        permute_column_pairs(z, 1, [](__m512i) {});
        // out = P(R) ^ R (^ old out), R read again from L1 rather than kept in registers.
        for (int k = 0; k < 16; ++k) {
            __m512i v = _mm512_xor_si512(z[k], _mm512_xor_si512(_mm512_load_si512(q + 8 * k), _mm512_load_si512(p + 8 * k)));
            if (with_xor) v = _mm512_xor_si512(v, _mm512_load_si512(o + 8 * k));
            _mm512_store_si512(o + 8 * k, v);
        }
    }
};

}  // namespace

void fill_memory_avx512(const Instance& instance) {
    fill_memory<Avx512Kernel>(instance);
}

}  // namespace shared::argon2
