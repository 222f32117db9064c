// SHA-256 through OpenSSL's low-level API: the EVP layer costs a provider
// lookup per call, which dominates for the 64-byte inputs of Merkle nodes.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "shared/stark/hash.h"

#include <openssl/sha.h>

namespace shared::stark {

static_assert(sizeof(SHA256_CTX) <= 128);

Digest sha256(std::span<const std::uint8_t> data) {
    SHA256_CTX ctx;
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, data.data(), data.size());
    Digest out;
    SHA256_Final(out.data(), &ctx);
    return out;
}

Digest sha256_pair(const Digest& a, const Digest& b) {
    SHA256_CTX ctx;
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, a.data(), a.size());
    SHA256_Update(&ctx, b.data(), b.size());
    Digest out;
    SHA256_Final(out.data(), &ctx);
    return out;
}

Sha256::Sha256() { SHA256_Init(reinterpret_cast<SHA256_CTX*>(state_)); }

void Sha256::update(std::span<const std::uint8_t> data) {
    SHA256_Update(reinterpret_cast<SHA256_CTX*>(state_), data.data(), data.size());
}

Digest Sha256::finish() {
    Digest out;
    SHA256_Final(out.data(), reinterpret_cast<SHA256_CTX*>(state_));
    return out;
}

}  // namespace shared::stark
