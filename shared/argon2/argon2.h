// Our Argon2id (RFC 9106, version 0x13), computed in an arena the caller keeps between hashes.
//
// It gives what libsodium's crypto_pwhash(..., crypto_pwhash_ALG_ARGON2ID13)
// gives for one lane and no secret, and what the RFC gives for any lanes,
// secret and associated data. Lanes are filled one after another on the
// calling thread (the proof of work parallelises over nonces instead). The
// arena is not wiped after a hash: this is for the proof of work, whose inputs
// are public, not for hashing passwords.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "shared/argon2/arena.h"
#include "shared/argon2/isa.h"
#include "shared/bytes.h"
#include "shared/expected.h"

namespace shared::argon2 {

inline constexpr std::uint32_t kVersion = 0x13;
// libsodium's BLAKE2b, which H' uses, gives 16 to 64 bytes; RFC 9106 allows 4.
inline constexpr std::size_t kMinTagBytes = 16;
inline constexpr std::size_t kMinSaltBytes = 8;
inline constexpr std::uint32_t kMaxLanes = 0xffffff;

struct Params {
    ByteView password{};         // P
    ByteView salt{};             // S, at least 8 bytes
    ByteView secret{};           // K, may be empty
    ByteView associated_data{};  // X, may be empty
    std::uint32_t passes = 1;       // t, at least 1
    std::uint32_t memory_kib = 8;   // m, at least 8 per lane
    std::uint32_t lanes = 1;        // p, 1 to 2^24 - 1
};

// m', the blocks a hash fills: m rounded down to a multiple of 4 per lane.
std::uint64_t memory_blocks(const Params& params);

// Empty when Argon2id accepts these parameters and a tag of `tag_bytes`,
// otherwise what is wrong.
std::string check(const Params& params, std::size_t tag_bytes);

// Argon2id of `params` into `tag`, in the first memory_blocks(params) blocks of
// `arena`, with the kernel `isa`; fails on bad parameters, an arena too small,
// or a kernel this CPU lacks.
Status hash(const Params& params, const Arena& arena, std::span<std::uint8_t> tag, Isa isa);

// The same with configured_isa(): the best kernel, or PROVENODE_ARGON2's.
Status hash(const Params& params, const Arena& arena, std::span<std::uint8_t> tag);

}  // namespace shared::argon2
