// The AVX2 fill kernel: G with each 16-word state of P in four 256-bit registers (built with -mavx2).
#include <immintrin.h>

#include "shared/argon2/fill_segment.h"
#include "shared/argon2/vector_permutation.h"

namespace shared::argon2 {
namespace {

// One state's rows in four registers, one 64-bit lane per column.
struct Avx2Rows {
    static __m256i blamka(__m256i x, __m256i y) {
        const __m256i product = _mm256_mul_epu32(x, y);  // lo32(x) * lo32(y), per 64-bit lane
        return _mm256_add_epi64(_mm256_add_epi64(x, y), _mm256_add_epi64(product, product));
    }
    static __m256i bit_xor(__m256i x, __m256i y) { return _mm256_xor_si256(x, y); }

    // AVX2 has no rotation: whole bytes are byte shuffles, 63 is a left shift by one.
    template <int N>
    static __m256i rotr(__m256i x) {
        if constexpr (N == 32) return _mm256_shuffle_epi32(x, _MM_SHUFFLE(2, 3, 0, 1));
        if constexpr (N == 24) {
            return _mm256_shuffle_epi8(x, _mm256_setr_epi8(3, 4, 5, 6, 7, 0, 1, 2, 11, 12, 13, 14, 15, 8, 9, 10, 3, 4,
                                                           5, 6, 7, 0, 1, 2, 11, 12, 13, 14, 15, 8, 9, 10));
        }
        if constexpr (N == 16) {
            return _mm256_shuffle_epi8(x, _mm256_setr_epi8(2, 3, 4, 5, 6, 7, 0, 1, 10, 11, 12, 13, 14, 15, 8, 9, 2, 3,
                                                           4, 5, 6, 7, 0, 1, 10, 11, 12, 13, 14, 15, 8, 9));
        }
        if constexpr (N == 63) return _mm256_xor_si256(_mm256_srli_epi64(x, 63), _mm256_add_epi64(x, x));
    }

    template <int B, int C, int D>
    static void turn_rows(__m256i& b, __m256i& c, __m256i& d) {
        b = _mm256_permute4x64_epi64(b, B);
        c = _mm256_permute4x64_epi64(c, C);
        d = _mm256_permute4x64_epi64(d, D);
    }
};

inline void permute(__m256i& a, __m256i& b, __m256i& c, __m256i& d) {
    permute_state<Avx2Rows>(a, b, c, d);
}

// The second half of G for the states 2j and 2j+1, whose 16 words are the
// column pairs 2j and 2j+1 of the block: in the 32 registers of the block
// (r[k] = words 4k..4k+3) those are the halves of r[j], r[j+4], ..., r[j+28].
inline void permute_column_pairs(__m256i* r, int j) {
    __m256i rows[8];
    for (int i = 0; i < 4; ++i) {
        rows[i] = _mm256_permute2x128_si256(r[j + 8 * i], r[j + 8 * i + 4], 0x20);      // state 2j
        rows[i + 4] = _mm256_permute2x128_si256(r[j + 8 * i], r[j + 8 * i + 4], 0x31);  // state 2j+1
    }
    permute(rows[0], rows[1], rows[2], rows[3]);
    permute(rows[4], rows[5], rows[6], rows[7]);
    for (int i = 0; i < 4; ++i) {
        r[j + 8 * i] = _mm256_permute2x128_si256(rows[i], rows[i + 4], 0x20);
        r[j + 8 * i + 4] = _mm256_permute2x128_si256(rows[i], rows[i + 4], 0x31);
    }
}

struct Avx2Kernel {
    template <class Hook>
    static void compress(const Block& prev, const Block& ref, Block& out, bool with_xor, Hook&& first_word_done) {
        const auto* p = reinterpret_cast<const __m256i*>(prev.v);
        const auto* q = reinterpret_cast<const __m256i*>(ref.v);
        auto* o = reinterpret_cast<__m256i*>(out.v);
        __m256i r[32];
        for (int k = 0; k < 32; ++k) r[k] = _mm256_xor_si256(_mm256_load_si256(q + k), _mm256_load_si256(p + k));
        // First half of G: P on each row of 16 words, registers 4i..4i+3.
        for (int i = 0; i < 8; ++i) permute(r[4 * i], r[4 * i + 1], r[4 * i + 2], r[4 * i + 3]);
        permute_column_pairs(r, 0);
        // Word 0 is final now (its state is done); the caller looks ahead with it.
        std::uint64_t first = static_cast<std::uint64_t>(_mm256_extract_epi64(r[0], 0)) ^ ref.v[0] ^ prev.v[0];
        if (with_xor) first ^= out.v[0];
        first_word_done(first);
        for (int j = 1; j < 4; ++j) permute_column_pairs(r, j);
        // out = P(R) ^ R (^ old out), R read again from L1 rather than kept in registers.
        for (int k = 0; k < 32; ++k) {
            __m256i v = _mm256_xor_si256(r[k], _mm256_xor_si256(_mm256_load_si256(q + k), _mm256_load_si256(p + k)));
            if (with_xor) v = _mm256_xor_si256(v, _mm256_load_si256(o + k));
            _mm256_store_si256(o + k, v);
        }
    }
};

}  // namespace

void fill_memory_avx2(const Instance& instance) {
    fill_memory<Avx2Kernel>(instance);
}

}  // namespace shared::argon2
