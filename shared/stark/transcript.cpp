// Fiat-Shamir transcript over SHA-256.
#include "shared/stark/transcript.h"

namespace shared::stark {
namespace {

constexpr std::uint8_t kTagAbsorb = 1;
constexpr std::uint8_t kTagSqueeze = 2;
constexpr std::uint8_t kTagPow = 3;

std::uint64_t le64(const std::uint8_t* p) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

void put_le64(std::uint8_t* p, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

}  // namespace

Transcript::Transcript(std::string_view domain) {
    state_ = sha256({reinterpret_cast<const std::uint8_t*>(domain.data()), domain.size()});
}

void Transcript::absorb(std::span<const std::uint8_t> data) {
    Sha256 h;
    h.update(state_);
    h.update({&kTagAbsorb, 1});
    h.update(data);
    state_ = h.finish();
}

void Transcript::absorb(std::string_view text) {
    absorb_u64(text.size());  // length first, so that concatenations cannot collide
    absorb({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

void Transcript::absorb_u64(std::uint64_t value) {
    std::uint8_t bytes[8];
    put_le64(bytes, value);
    absorb(bytes);
}

void Transcript::absorb_ext(Fp2 value) {
    std::uint8_t bytes[16];
    put_le64(bytes, value.c0.v);
    put_le64(bytes + 8, value.c1.v);
    absorb(bytes);
}

Digest Transcript::squeeze() {
    Sha256 h;
    h.update(state_);
    h.update({&kTagSqueeze, 1});
    state_ = h.finish();
    return state_;
}

// Reducing a uniform u64 mod p biases the result by at most 2^-32 in
// statistical distance, far below what any challenge needs.
Fp2 Transcript::challenge_ext() {
    const Digest d = squeeze();
    return {Fp(le64(d.data())), Fp(le64(d.data() + 8))};
}

bool Transcript::pow_ok(std::uint64_t nonce, unsigned bits) const {
    std::uint8_t bytes[8];
    put_le64(bytes, nonce);
    Sha256 h;
    h.update(state_);
    h.update({&kTagPow, 1});
    h.update(bytes);
    const Digest d = h.finish();
    for (unsigned i = 0; i < bits; ++i) {
        if ((d[i / 8] >> (7 - i % 8)) & 1) return false;
    }
    return true;
}

}  // namespace shared::stark
