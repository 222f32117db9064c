// The Fiat-Shamir transcript: a SHA-256 hash chain over everything the prover sends.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "shared/stark/field.h"
#include "shared/stark/hash.h"

namespace shared::stark {

class Transcript {
public:
    explicit Transcript(std::string_view domain);

    // state = SHA-256(state || tag || data); the one-byte tag keeps absorbing and
    // squeezing from ever hashing the same bytes.
    void absorb(std::span<const std::uint8_t> data);
    void absorb(std::string_view text);
    void absorb_u64(std::uint64_t value);
    void absorb_digest(const Digest& digest) { absorb(digest); }
    void absorb_ext(Fp2 value);

    Digest squeeze();
    Fp2 challenge_ext();

    // Proof of work: SHA-256(state || 0x03 || nonce) must start with `bits` zero bits.
    bool pow_ok(std::uint64_t nonce, unsigned bits) const;

private:
    Digest state_;
};

}  // namespace shared::stark
