// Argon2's 1 KiB block and the memory layout the fill kernels of every ISA share.
#pragma once

#include <cstdint>

namespace shared::argon2 {

inline constexpr std::uint32_t kBlockWords = 128;         // 64-bit words in a block
inline constexpr std::uint32_t kBlockBytes = 1024;
inline constexpr std::uint32_t kSyncPoints = 4;           // slices per lane (RFC 9106 SL)
inline constexpr std::uint32_t kAddressesInBlock = 128;   // J1||J2 pairs per address block
inline constexpr std::uint64_t kTypeArgon2id = 2;         // y in H0 and in the address input

// 64-byte aligned so that one block is 16 whole cache lines and vector loads are aligned.
struct alignas(64) Block {
    std::uint64_t v[kBlockWords];
};
static_assert(sizeof(Block) == kBlockBytes);

// What the fill pass needs to know: the memory matrix (lanes rows of lane_length
// blocks, row after row) and the number of passes. Plain data, no functions, so
// that the per-ISA translation units compiled with different -m flags share no
// inline code.
struct Instance {
    Block* memory;
    std::uint32_t passes;
    std::uint32_t lanes;
    std::uint32_t lane_length;      // q = m' / p
    std::uint32_t segment_length;   // q / 4
    std::uint32_t memory_blocks;    // m'
};

// Fills every block after the first two of each lane, pass after pass (RFC 9106
// §3.2 steps 5 and 6), with one kernel each. Only call an ISA's function where
// cpu_supports() says the CPU has it.
void fill_memory_portable(const Instance& instance);
void fill_memory_avx2(const Instance& instance);
void fill_memory_avx512(const Instance& instance);

}  // namespace shared::argon2
