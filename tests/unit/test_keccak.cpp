// Unit tests for Keccak-256: the spec's vectors and lengths around the 136-byte rate.
#include <doctest.h>

#include <string>

#include "shared/keccak.h"

namespace {

std::string keccak_of(const std::string& text) {
    return shared::keccak256_hex(shared::as_bytes(text));
}

}  // namespace

TEST_CASE("the spec's vectors, which SHA3-256 would not give") {
    CHECK(keccak_of("") == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    CHECK(keccak_of("abc") == "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
    CHECK(keccak_of("The quick brown fox jumps over the lazy dog") ==
          "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15");
}

// The expected values come from an independent pure-Python Keccak sponge that was
// itself checked against hashlib.sha3_256 (same permutation, other padding).
TEST_CASE("lengths around the rate boundary") {
    CHECK(keccak_of(std::string(135, 'a')) ==
          "34367dc248bbd832f4e3e69dfaac2f92638bd0bbd18f2912ba4ef454919cf446");
    CHECK(keccak_of(std::string(136, 'a')) ==
          "a6c4d403279fe3e0af03729caada8374b5ca54d8065329a3ebcaeb4b60aa386e");
    CHECK(keccak_of(std::string(137, 'a')) ==
          "d869f639c7046b4929fc92a4d988a8b22c55fbadb802c0c66ebcd484f1915f39");
    CHECK(keccak_of(std::string(272, 'a')) ==
          "cf7fcd4f705ee749930d19ca84561a9bf62516bd90a471545fa2f49fdc7e63c8");
    CHECK(keccak_of(std::string(200, '\xa3')) ==
          "3a57666b048777f2c953dc4456f45a2588e1cb6f2da760122d530ac2ce607d4a");
}

TEST_CASE("the binary and hex forms agree, and every length hashes differently") {
    std::string text;
    std::string previous;
    for (int n = 0; n <= 300; ++n) {
        const auto digest = shared::keccak256(shared::as_bytes(text));
        const std::string hex = shared::keccak256_hex(shared::as_bytes(text));
        CHECK(shared::to_hex(digest) == hex);
        CHECK(hex.size() == 64);
        CHECK(hex != previous);
        previous = hex;
        text.push_back(static_cast<char>(n * 7 + 3));
    }
}
