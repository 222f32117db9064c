// SHA-256 digests (OpenSSL's libcrypto, which uses the CPU's SHA extensions).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace shared::stark {

using Digest = std::array<std::uint8_t, 32>;

Digest sha256(std::span<const std::uint8_t> data);
// SHA-256 of a || b: a Merkle node from its two children.
Digest sha256_pair(const Digest& a, const Digest& b);

// Incremental SHA-256, for inputs gathered in pieces (the transcript).
class Sha256 {
public:
    Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;
    void update(std::span<const std::uint8_t> data);
    Digest finish();

private:
    alignas(16) std::uint8_t state_[128];  // holds an OpenSSL SHA256_CTX (112 bytes)
};

}  // namespace shared::stark
