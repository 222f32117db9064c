// argon2id_pow: find a nonce whose Argon2id hash has enough leading zero bits.
#pragma once

#include <array>
#include <cstdint>

#include "shared/argon2/arena.h"
#include "shared/bytes.h"
#include "shared/expected.h"

namespace shared::argon2id {

inline constexpr std::size_t kInputSize = 41;   // seed, target_bits, opslimit, memlimit_kib
inline constexpr std::size_t kSeedSize = 32;
inline constexpr std::size_t kProofSize = 8;    // the nonce, u64 little-endian
inline constexpr unsigned kMaxTargetBits = 40;
inline constexpr std::uint32_t kMinOpslimit = 1;
inline constexpr std::uint32_t kMinMemlimitKib = 8;

using Digest = std::array<std::uint8_t, 32>;

struct Input {
    Bytes seed = Bytes(kSeedSize);
    std::uint8_t target_bits = 0;
    std::uint32_t opslimit = kMinOpslimit;
    std::uint32_t memlimit_kib = kMinMemlimitKib;
};

// encode_input expects a 32-byte seed; decode_input rejects what check_input rejects.
Bytes encode_input(const Input& input);
Expected<Input> decode_input(ByteView input);

// H for one nonce by libsodium's crypto_pwhash: the verifier's hash, and the
// reference for ours. Fails only when libsodium does (e.g. memory it cannot allocate).
Expected<Digest> hash(const Input& input, std::uint64_t nonce);

// The 1 KiB blocks H fills for this input: what an arena for it must hold.
std::uint64_t arena_blocks(const Input& input);

// H for one nonce by our Argon2id (shared/argon2) in `arena`, which holds
// arena_blocks(input) blocks: the prover's hash, equal to hash().
Expected<Digest> hash_in(const argon2::Arena& arena, const Input& input, std::uint64_t nonce);

// Counted from the most significant bit of the first byte.
unsigned leading_zero_bits(ByteView digest);

// The smallest nonce whose H meets the target, searched with `threads` threads,
// each hashing with hash_in in an arena of argon2::arena_pool().
Expected<std::uint64_t> find_nonce(const Input& input, unsigned threads);

// What each difficulty (by wire value) asks of a prover, so that memory per proof
// grows with difficulty as on the network: SMALL 8 MiB and 3 bits, SMALL_MEDIUM
// 16 MiB and 4, MEDIUM 32 MiB and 4, LARGE 64 MiB and 5, EXTRA_LARGE and up
// 256 MiB and 5 (opslimit 1). The local orchestrator issues from it, anonymous
// mode proves from it.
struct Params {
    unsigned target_bits;
    unsigned memlimit_kib;
    unsigned opslimit = 1;
};
Params params_for_difficulty(int difficulty_wire_value);

}  // namespace shared::argon2id
