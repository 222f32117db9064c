// Unit tests for the spec's per-proof hash, combined hash and signature message.
#include <doctest.h>

#include "shared/keccak.h"
#include "shared/proof_hash.h"

TEST_CASE("a proof hash is the lowercase hex Keccak-256 of the proof bytes") {
    CHECK(shared::proof_hash(shared::Bytes{}) ==
          "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    CHECK(shared::proof_hash(shared::as_bytes("abc")) ==
          "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
}

TEST_CASE("combined hash: the spec's vectors") {
    CHECK(shared::combine_hashes({"a1b2c3d4e5f6"}) ==
          "966f43edb4fb988490ec112be0d646d119651650d74e4244ec3d291a1c073cf2");
    CHECK(shared::combine_hashes({"a1b2c3d4e5f6", "7890abcdef12", "345678901234"}) ==
          "98400b67ac1179a39e81a37ff904cf6baf9d442faeced4ffa13adf00bca2f5e0");
}

TEST_CASE("combined hash depends on the order of the inputs") {
    CHECK(shared::combine_hashes({"7890abcdef12", "a1b2c3d4e5f6", "345678901234"}) !=
          shared::combine_hashes({"a1b2c3d4e5f6", "7890abcdef12", "345678901234"}));
    CHECK(shared::combine_hashes({}) == shared::keccak256_hex(shared::Bytes{}));
}

TEST_CASE("signature message: version 0, single spaces around each bar") {
    CHECK(shared::signature_message("task-1", "abcd") == "0 | task-1 | abcd");
    CHECK(shared::signature_message("", "") == "0 |  | ");
}
