// Unit tests for argon2id_pow: the spec's vectors, parallel search against libsodium, malformed inputs.
#include <doctest.h>

#include <string>

#include "shared/program.h"
#include "shared/programs/argon2id_pow.h"
#include "shared/programs/programs.h"
#include "tests/support/address_space_limit.h"

namespace a2 = shared::argon2id;
using test_support::AddressSpaceLimit;

namespace {

// The spec's vector input: seed 0x00..0x1f, opslimit 1, memlimit 8 KiB.
a2::Input spec_input(std::uint8_t target_bits) {
    a2::Input input;
    for (std::size_t i = 0; i < a2::kSeedSize; ++i) input.seed[i] = static_cast<std::uint8_t>(i);
    input.target_bits = target_bits;
    input.opslimit = 1;
    input.memlimit_kib = 8;
    return input;
}

shared::Bytes nonce_proof(std::uint64_t nonce) {
    shared::Bytes proof(8);
    shared::store_le64(proof.data(), nonce);
    return proof;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("the spec's hash vectors") {
    auto h0 = a2::hash(spec_input(8), 0);
    REQUIRE(h0.ok());
    CHECK(shared::to_hex(*h0) == "0ab2f54499e8896028bced4a54b019e027469b8c45db21e33874e7b3ba00e433");
    CHECK(a2::leading_zero_bits(*h0) == 4);

    auto h109 = a2::hash(spec_input(8), 109);
    REQUIRE(h109.ok());
    CHECK(shared::to_hex(*h109) == "00853bdeffe89fcc47d93c42a28d6af947fa617a07a5b2a6fb5cd8a84d1d7963");
    CHECK(a2::leading_zero_bits(*h109) == 8);
}

TEST_CASE("leading zero bits count from the most significant bit of the first byte") {
    CHECK(a2::leading_zero_bits(shared::Bytes{0x80, 0x00}) == 0);
    CHECK(a2::leading_zero_bits(shared::Bytes{0x01, 0xff}) == 7);
    CHECK(a2::leading_zero_bits(shared::Bytes{0x00, 0x10}) == 11);
    CHECK(a2::leading_zero_bits(shared::Bytes{0x00, 0x00}) == 16);
}

TEST_CASE("prove finds the smallest nonce, 109, with 1 and with 4 threads") {
    const auto& program = shared::programs::argon2id_pow();
    const shared::Bytes input = a2::encode_input(spec_input(8));
    CHECK(program.check_input(input).empty());
    for (unsigned threads : {1u, 4u, 3u}) {
        CAPTURE(threads);
        auto proof = program.prove(input, threads);
        REQUIRE(proof.ok());
        CHECK(*proof == nonce_proof(109));
    }
}

TEST_CASE("verify accepts the right nonce and says what it proves") {
    const auto& program = shared::programs::argon2id_pow();
    const shared::Bytes input = a2::encode_input(spec_input(8));
    auto text = program.verify(input, nonce_proof(109));
    REQUIRE(text.ok());
    CHECK(*text == "nonce 109, H=00853bdeffe89fcc47d93c42a28d6af947fa617a07a5b2a6fb5cd8a84d1d7963, "
                   "8 leading zero bits");
}

TEST_CASE("verify rejects a nonce below the target and a proof of the wrong size") {
    const auto& program = shared::programs::argon2id_pow();
    const shared::Bytes input = a2::encode_input(spec_input(8));
    auto low = program.verify(input, nonce_proof(0));
    REQUIRE_FALSE(low.ok());
    CHECK(low.error() == "H has only 4 leading zero bits, target 8");

    auto short_proof = program.verify(input, shared::Bytes(7));
    REQUIRE_FALSE(short_proof.ok());
    CHECK(contains(short_proof.error(), "proof must be 8 bytes"));
    CHECK_FALSE(program.verify(input, shared::Bytes(9)).ok());
}

TEST_CASE("encode and decode are inverses") {
    a2::Input input = spec_input(40);
    input.opslimit = 0x01020304;
    input.memlimit_kib = 0xa0b0c0d0;
    const shared::Bytes raw = a2::encode_input(input);
    REQUIRE(raw.size() == 41);
    CHECK(raw[32] == 40);
    CHECK(raw[33] == 0x04);  // little-endian
    auto back = a2::decode_input(raw);
    REQUIRE(back.ok());
    CHECK(back->seed == input.seed);
    CHECK(back->target_bits == 40);
    CHECK(back->opslimit == 0x01020304u);
    CHECK(back->memlimit_kib == 0xa0b0c0d0u);
}

TEST_CASE("malformed inputs are rejected with what is wrong") {
    const auto& program = shared::programs::argon2id_pow();
    const shared::Bytes good = a2::encode_input(spec_input(8));

    CHECK(contains(program.check_input(shared::Bytes(40)), "41 bytes"));
    CHECK(contains(program.check_input(shared::Bytes(42)), "41 bytes"));
    CHECK(contains(program.check_input(shared::Bytes{}), "41 bytes"));

    auto input = spec_input(41);
    CHECK(contains(program.check_input(a2::encode_input(input)), "target_bits 41"));
    input = spec_input(40);
    CHECK(program.check_input(a2::encode_input(input)).empty());

    input.opslimit = 0;
    CHECK(contains(program.check_input(a2::encode_input(input)), "opslimit"));
    input = spec_input(8);
    input.memlimit_kib = 7;
    CHECK(contains(program.check_input(a2::encode_input(input)), "memlimit_kib 7"));

    CHECK_FALSE(a2::decode_input(shared::Bytes(40)).ok());
    CHECK_FALSE(program.verify(shared::Bytes(40), nonce_proof(109)).ok());
}

TEST_CASE("a memory limit that cannot be mapped is a prover error, not a crash") {
    auto input = spec_input(1);
    input.memlimit_kib = 0xffffffffu;  // 4 TiB
    AddressSpaceLimit limit(1ull << 30);
    auto proof = shared::programs::argon2id_pow().prove(a2::encode_input(input), 2);
    REQUIRE_FALSE(proof.ok());
    CHECK(contains(proof.error(), "cannot map 4194304 MiB of Argon2 memory"));
}

TEST_CASE("libsodium, the verifier's hash, cannot satisfy such a limit either: an error, not a crash") {
    auto input = spec_input(1);
    input.memlimit_kib = 0xffffffffu;
    AddressSpaceLimit limit(1ull << 30);
    auto digest = a2::hash(input, 0);
    REQUIRE_FALSE(digest.ok());
    CHECK(contains(digest.error(), "crypto_pwhash failed"));
}

TEST_CASE("find_nonce gives the smallest nonce libsodium accepts, for random inputs and thread counts") {
    for (std::uint8_t round = 0; round < 6; ++round) {
        auto input = spec_input(static_cast<std::uint8_t>(3 + round % 3));
        input.seed.assign(32, static_cast<std::uint8_t>(round * 37 + 1));
        input.opslimit = 1 + round % 2;
        input.memlimit_kib = 8 + 13 * round;
        const unsigned threads = 1 + round % 3;
        CAPTURE(round);
        auto found = a2::find_nonce(input, threads);
        REQUIRE(found.ok());
        for (std::uint64_t nonce = 0; nonce <= *found; ++nonce) {
            auto digest = a2::hash(input, nonce);
            REQUIRE(digest.ok());
            CHECK((a2::leading_zero_bits(*digest) >= input.target_bits) == (nonce == *found));
        }
    }
}
