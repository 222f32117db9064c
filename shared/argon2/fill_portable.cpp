// The portable fill kernel: RFC 9106's compression G in plain 64-bit arithmetic, for any CPU.
#include <bit>

#include "shared/argon2/fill_segment.h"

namespace shared::argon2 {
namespace {

// BlaMka's multiplication-hardened addition: x + y + 2 * lo32(x) * lo32(y).
inline std::uint64_t blamka(std::uint64_t x, std::uint64_t y) {
    return x + y + 2 * (x & 0xffffffffu) * (y & 0xffffffffu);
}

inline void quarter(std::uint64_t& a, std::uint64_t& b, std::uint64_t& c, std::uint64_t& d) {
    a = blamka(a, b);
    d = std::rotr(d ^ a, 32);
    c = blamka(c, d);
    b = std::rotr(b ^ c, 24);
    a = blamka(a, b);
    d = std::rotr(d ^ a, 16);
    c = blamka(c, d);
    b = std::rotr(b ^ c, 63);
}

// The permutation P (RFC 9106 §3.6) on the 16 words v[at(0)] ... v[at(15)].
template <class At>
inline void permute(std::uint64_t* v, At at) {
    quarter(v[at(0)], v[at(4)], v[at(8)], v[at(12)]);
    quarter(v[at(1)], v[at(5)], v[at(9)], v[at(13)]);
    quarter(v[at(2)], v[at(6)], v[at(10)], v[at(14)]);
    quarter(v[at(3)], v[at(7)], v[at(11)], v[at(15)]);
    quarter(v[at(0)], v[at(5)], v[at(10)], v[at(15)]);
    quarter(v[at(1)], v[at(6)], v[at(11)], v[at(12)]);
    quarter(v[at(2)], v[at(7)], v[at(8)], v[at(13)]);
    quarter(v[at(3)], v[at(4)], v[at(9)], v[at(14)]);
}

struct PortableKernel {
    // out = G(prev, ref), or out ^= G(prev, ref) with_xor; out may be ref.
    template <class Hook>
    static void compress(const Block& prev, const Block& ref, Block& out, bool with_xor, Hook&& first_word_done) {
        Block r;
        Block keep;
        for (std::uint32_t k = 0; k < kBlockWords; ++k) {
            r.v[k] = ref.v[k] ^ prev.v[k];
            keep.v[k] = with_xor ? r.v[k] ^ out.v[k] : r.v[k];
        }
        // The 1 KiB block as an 8x8 matrix of 16-byte registers: P on each row of
        // 16 words, then on each column of pairs (RFC 9106 §3.5).
        for (std::uint32_t row = 0; row < 8; ++row) permute(r.v, [row](std::uint32_t j) { return 16 * row + j; });
        for (std::uint32_t col = 0; col < 8; ++col) {
            permute(r.v, [col](std::uint32_t j) { return 2 * col + (j & 1) + 16 * (j >> 1); });
        }
        for (std::uint32_t k = 0; k < kBlockWords; ++k) out.v[k] = keep.v[k] ^ r.v[k];
        first_word_done(out.v[0]);
    }
};

}  // namespace

void fill_memory_portable(const Instance& instance) {
    fill_memory<PortableKernel>(instance);
}

}  // namespace shared::argon2
