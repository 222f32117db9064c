// Keccak-256 with the original Keccak padding (0x01 ... 0x80), as Ethereum uses it.
#include "shared/keccak.h"

#include <bit>
#include <cstring>

namespace shared {
namespace {

constexpr std::size_t kRate = 136;  // bytes absorbed per permutation: 1600 - 2 * 256 bits

constexpr std::uint64_t kRoundConstants[24] = {
    0x0000000000000001ull, 0x0000000000008082ull, 0x800000000000808aull, 0x8000000080008000ull,
    0x000000000000808bull, 0x0000000080000001ull, 0x8000000080008081ull, 0x8000000000008009ull,
    0x000000000000008aull, 0x0000000000000088ull, 0x0000000080008009ull, 0x000000008000000aull,
    0x000000008000808bull, 0x800000000000008bull, 0x8000000000008089ull, 0x8000000000008003ull,
    0x8000000000008002ull, 0x8000000000000080ull, 0x000000000000800aull, 0x800000008000000aull,
    0x8000000080008081ull, 0x8000000000008080ull, 0x0000000080000001ull, 0x8000000080008008ull,
};

// Rotation offsets and the pi lane order, walked in rho-pi's cycle starting at lane 1.
constexpr int kRho[24] = {1,  3,  6,  10, 15, 21, 28, 36, 45, 55, 2,  14,
                          27, 41, 56, 8,  25, 43, 62, 18, 39, 61, 20, 44};
constexpr int kPi[24] = {10, 7,  11, 17, 18, 3, 5,  16, 8,  21, 24, 4,
                         15, 23, 19, 13, 12, 2, 20, 14, 22, 9,  6,  1};

using State = std::uint64_t[25];  // lane (x, y) at index x + 5 * y

void keccak_f1600(State& a) {
    for (std::uint64_t rc : kRoundConstants) {
        std::uint64_t c[5];
        for (int x = 0; x < 5; ++x) c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
        for (int x = 0; x < 5; ++x) {
            const std::uint64_t d = c[(x + 4) % 5] ^ std::rotl(c[(x + 1) % 5], 1);
            for (int y = 0; y < 25; y += 5) a[x + y] ^= d;
        }
        std::uint64_t carried = a[1];
        for (int i = 0; i < 24; ++i) {
            const std::uint64_t next = a[kPi[i]];
            a[kPi[i]] = std::rotl(carried, kRho[i]);
            carried = next;
        }
        for (int y = 0; y < 25; y += 5) {
            std::uint64_t row[5];
            for (int x = 0; x < 5; ++x) row[x] = a[y + x];
            for (int x = 0; x < 5; ++x) a[y + x] = row[x] ^ (~row[(x + 1) % 5] & row[(x + 2) % 5]);
        }
        a[0] ^= rc;
    }
}

void absorb_block(State& state, const std::uint8_t* block) {
    for (std::size_t i = 0; i < kRate / 8; ++i) state[i] ^= load_le64(block + 8 * i);
    keccak_f1600(state);
}

}  // namespace

std::array<std::uint8_t, 32> keccak256(ByteView data) {
    State state{};
    std::size_t offset = 0;
    for (; data.size() - offset >= kRate; offset += kRate) absorb_block(state, data.data() + offset);

    // The last block always exists: Keccak pads even an input that fills the rate.
    std::uint8_t last[kRate] = {};
    const std::size_t tail = data.size() - offset;
    if (tail > 0) std::memcpy(last, data.data() + offset, tail);
    last[tail] ^= 0x01;  // Keccak's domain byte; SHA3-256 would put 0x06 here
    last[kRate - 1] ^= 0x80;
    absorb_block(state, last);

    std::array<std::uint8_t, 32> digest{};
    for (std::size_t i = 0; i < 4; ++i) store_le64(digest.data() + 8 * i, state[i]);
    return digest;
}

std::string keccak256_hex(ByteView data) {
    return to_hex(keccak256(data));
}

}  // namespace shared
