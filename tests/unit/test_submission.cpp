// Unit tests for building a submission: the fields per task type and the signature.
#include <doctest.h>

#include <string>
#include <vector>

#include "shared/node_key.h"
#include "shared/proof_hash.h"
#include "supervisor/submission.h"

using supervisor::build_submission;

namespace {

shared::Task task_of(int type, std::size_t inputs, const std::string& id = "task-42") {
    shared::Task t;
    t.task_id = id;
    t.program_id = "fib_input_initial";
    t.task_type = type;
    for (std::size_t i = 0; i < inputs; ++i) t.inputs.push_back(shared::Bytes(12, static_cast<std::uint8_t>(i)));
    return t;
}

std::vector<shared::Bytes> proofs_of(std::size_t n) {
    std::vector<shared::Bytes> proofs;
    for (std::size_t i = 0; i < n; ++i) {
        proofs.push_back(shared::Bytes(10 + i, static_cast<std::uint8_t>(0xa0 + i)));
    }
    return proofs;
}

std::vector<std::string> hashes_of(const std::vector<shared::Bytes>& proofs) {
    std::vector<std::string> hashes;
    for (const auto& p : proofs) hashes.push_back(shared::proof_hash(p));
    return hashes;
}

// The signature checks out over "0 | task_id | proof_hash" with the request's own key,
// and that key is the node key.
void check_signature(const shared::SubmitProofRequest& r, const shared::NodeKey& key) {
    const auto& pk = key.public_key();
    CHECK(r.ed25519_public_key == shared::Bytes(pk.begin(), pk.end()));
    REQUIRE(r.signature.size() == 64);
    const auto message = shared::signature_message(r.task_id, r.proof_hash);
    CHECK(shared::verify_signature(r.ed25519_public_key, shared::as_bytes(message), r.signature));
    // And it does not verify over another proof hash or another task id.
    const auto other = shared::signature_message(r.task_id + "x", r.proof_hash);
    CHECK_FALSE(shared::verify_signature(r.ed25519_public_key, shared::as_bytes(other), r.signature));
}

}  // namespace

TEST_CASE("PROOF_REQUIRED with one proof carries it as proof and in proofs") {
    const auto key = shared::NodeKey::generate();
    const auto proofs = proofs_of(1);
    auto r = build_submission(task_of(0, 1), proofs, key, std::nullopt);
    REQUIRE(r.ok());
    CHECK(r->task_id == "task-42");
    CHECK(r->node_type == shared::NodeType::CliProver);
    CHECK(r->proof_hash == shared::proof_hash(proofs[0]));
    CHECK(r->proof == proofs[0]);
    CHECK(r->proofs == proofs);
    CHECK(r->all_proof_hashes.empty());
    CHECK_FALSE(r->node_telemetry.has_value());
    check_signature(*r, key);
}

TEST_CASE("PROOF_REQUIRED with several proofs: first hash, no single proof, every proof") {
    const auto key = shared::NodeKey::generate();
    const auto proofs = proofs_of(3);
    auto r = build_submission(task_of(0, 3), proofs, key, std::nullopt);
    REQUIRE(r.ok());
    CHECK(r->proof_hash == shared::proof_hash(proofs[0]));
    CHECK(r->proof_hash != shared::combine_hashes(hashes_of(proofs)));
    CHECK(r->proof.empty());
    CHECK(r->proofs == proofs);
    CHECK(r->all_proof_hashes.empty());
    check_signature(*r, key);
}

TEST_CASE("PROOF_HASH carries the combined hash and nothing else") {
    const auto key = shared::NodeKey::generate();
    const auto proofs = proofs_of(3);
    auto r = build_submission(task_of(1, 3), proofs, key, std::nullopt);
    REQUIRE(r.ok());
    CHECK(r->proof_hash == shared::combine_hashes(hashes_of(proofs)));
    CHECK(r->proof.empty());
    CHECK(r->proofs.empty());
    CHECK(r->all_proof_hashes.empty());
    check_signature(*r, key);
}

TEST_CASE("PROOF_HASH with one proof is the combined hash of one, not the proof hash") {
    const auto key = shared::NodeKey::generate();
    const auto proofs = proofs_of(1);
    auto r = build_submission(task_of(1, 1), proofs, key, std::nullopt);
    REQUIRE(r.ok());
    CHECK(r->proof_hash == shared::combine_hashes({shared::proof_hash(proofs[0])}));
    CHECK(r->proof_hash != shared::proof_hash(proofs[0]));
    CHECK(r->proof.empty());
    check_signature(*r, key);
}

TEST_CASE("ALL_PROOF_HASHES carries the combined hash and every hash in order") {
    const auto key = shared::NodeKey::generate();
    const auto proofs = proofs_of(4);
    auto r = build_submission(task_of(2, 4), proofs, key, std::nullopt);
    REQUIRE(r.ok());
    const auto hashes = hashes_of(proofs);
    CHECK(r->proof_hash == shared::combine_hashes(hashes));
    CHECK(r->all_proof_hashes == hashes);
    CHECK(r->proof.empty());
    CHECK(r->proofs.empty());
    check_signature(*r, key);
}

TEST_CASE("telemetry is carried as given") {
    const auto key = shared::NodeKey::generate();
    shared::NodeTelemetry telemetry;
    telemetry.flops_per_sec = 12;
    telemetry.memory_used = 3000;
    auto r = build_submission(task_of(0, 1), proofs_of(1), key, telemetry);
    REQUIRE(r.ok());
    REQUIRE(r->node_telemetry.has_value());
    CHECK(r->node_telemetry->flops_per_sec == std::optional<std::int32_t>(12));
    CHECK(r->node_telemetry->memory_used == std::optional<std::int32_t>(3000));
    CHECK_FALSE(r->node_telemetry->location.has_value());
}

TEST_CASE("two keys give two signatures, each verifying only with its own key") {
    const auto a = shared::NodeKey::generate();
    const auto b = shared::NodeKey::generate();
    auto ra = build_submission(task_of(1, 2), proofs_of(2), a, std::nullopt);
    auto rb = build_submission(task_of(1, 2), proofs_of(2), b, std::nullopt);
    REQUIRE(ra.ok());
    REQUIRE(rb.ok());
    CHECK(ra->signature != rb->signature);
    const auto message = shared::signature_message(ra->task_id, ra->proof_hash);
    CHECK_FALSE(shared::verify_signature(rb->ed25519_public_key, shared::as_bytes(message), ra->signature));
}

TEST_CASE("a proof count that does not match the inputs fails") {
    const auto key = shared::NodeKey::generate();
    auto fewer = build_submission(task_of(0, 3), proofs_of(2), key, std::nullopt);
    REQUIRE_FALSE(fewer.ok());
    CHECK(fewer.error().find("task-42") != std::string::npos);
    CHECK_FALSE(build_submission(task_of(2, 1), proofs_of(2), key, std::nullopt).ok());
    CHECK_FALSE(build_submission(task_of(1, 0), proofs_of(0), key, std::nullopt).ok());
}

TEST_CASE("an unknown task type fails") {
    const auto key = shared::NodeKey::generate();
    auto r = build_submission(task_of(7, 1), proofs_of(1), key, std::nullopt);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().find("7") != std::string::npos);
    CHECK_FALSE(build_submission(task_of(-1, 1), proofs_of(1), key, std::nullopt).ok());
}
