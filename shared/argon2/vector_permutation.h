// RFC 9106's permutation P on a state held as four rows of vector lanes, written once for the SIMD kernels.
//
// Included by fill_avx2.cpp and fill_avx512.cpp only; internal linkage for the
// reason fill_segment.h gives.
#pragma once

namespace shared::argon2 {
namespace {

// _MM_SHUFFLE orders for turning four 64-bit lanes left by one, two and three.
constexpr int kTurnLeft1 = 0x39;  // lanes 1, 2, 3, 0
constexpr int kTurnLeft2 = 0x4e;  // lanes 2, 3, 0, 1
constexpr int kTurnLeft3 = 0x93;  // lanes 3, 0, 1, 2

// G's quarter-round (RFC 9106 §3.6, GB) on every column (a[i], b[i], c[i], d[i])
// at once, with the kernel's BlaMka addition, XOR and rotation right.
template <class Rows, class V>
inline void quarters(V& a, V& b, V& c, V& d) {
    a = Rows::blamka(a, b);
    d = Rows::template rotr<32>(Rows::bit_xor(d, a));
    c = Rows::blamka(c, d);
    b = Rows::template rotr<24>(Rows::bit_xor(b, c));
    a = Rows::blamka(a, b);
    d = Rows::template rotr<16>(Rows::bit_xor(d, a));
    c = Rows::blamka(c, d);
    b = Rows::template rotr<63>(Rows::bit_xor(b, c));
}

// P on the state: G on the columns, then on the diagonals. Rows::turn_rows<B,
// C, D> shuffles rows b, c and d; turning them left by one, two and three lanes
// lines the diagonals up as columns, and by three, two and one puts them back.
template <class Rows, class V>
inline void permute_state(V& a, V& b, V& c, V& d) {
    quarters<Rows>(a, b, c, d);
    Rows::template turn_rows<kTurnLeft1, kTurnLeft2, kTurnLeft3>(b, c, d);
    quarters<Rows>(a, b, c, d);
    Rows::template turn_rows<kTurnLeft3, kTurnLeft2, kTurnLeft1>(b, c, d);
}

}  // namespace
}  // namespace shared::argon2
