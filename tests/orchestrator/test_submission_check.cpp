// Unit tests of the submission checks: order of checks, signatures and the payload rules per task type.
#include <doctest.h>

#include "shared/node_key.h"
#include "shared/programs/argon2id_pow.h"
#include "shared/proof_hash.h"
#include "submission_check.h"

using orch::TaskRecord;
using orch::TaskState;

namespace {

// A program whose proof of an input is the input reversed: cheap and checkable.
shared::Expected<std::string> reverse_verify(shared::ByteView input, shared::ByteView proof) {
    shared::Bytes reversed(input.rbegin(), input.rend());
    if (shared::Bytes(proof.begin(), proof.end()) != reversed) return shared::fail("not the reversed input");
    return std::string("ok");
}
std::string any_input(shared::ByteView) { return {}; }
shared::Expected<shared::Bytes> no_prove(shared::ByteView, unsigned) { return shared::fail("no"); }
const shared::Program kReverse{"reverse", true, any_input, no_prove, reverse_verify};

shared::Bytes reversed(const shared::Bytes& b) { return {b.rbegin(), b.rend()}; }

struct Fixture {
    shared::NodeKey key = shared::NodeKey::generate();
    TaskRecord task;

    explicit Fixture(shared::TaskType type, std::size_t inputs = 1) {
        task.task_id = "task-1-abc";
        task.node_id = "node-1";
        task.public_key.assign(key.public_key().begin(), key.public_key().end());
        task.program_id = "reverse";
        task.task_type = static_cast<int>(type);
        for (std::size_t i = 0; i < inputs; ++i) task.inputs.push_back({1, 2, static_cast<std::uint8_t>(i)});
        task.issued_at = 1000;
        task.deadline = 1600;
    }

    // A submission that follows the spec's table for the task's type.
    shared::SubmitProofRequest valid() const {
        shared::SubmitProofRequest s;
        s.task_id = task.task_id;
        s.ed25519_public_key = task.public_key;
        std::vector<std::string> hashes;
        for (const auto& input : task.inputs) hashes.push_back(shared::proof_hash(reversed(input)));
        switch (static_cast<shared::TaskType>(task.task_type)) {
            case shared::TaskType::ProofRequired:
                for (const auto& input : task.inputs) s.proofs.push_back(reversed(input));
                if (s.proofs.size() == 1) s.proof = s.proofs[0];
                s.proof_hash = hashes[0];
                break;
            case shared::TaskType::ProofHash:
                s.proof_hash = shared::combine_hashes(hashes);
                break;
            case shared::TaskType::AllProofHashes:
                s.all_proof_hashes = hashes;
                s.proof_hash = shared::combine_hashes(hashes);
                break;
        }
        return s;
    }

    void sign(shared::SubmitProofRequest& s) const {
        auto message = shared::signature_message(s.task_id, s.proof_hash);
        auto signature = key.sign(shared::as_bytes(message));
        s.signature.assign(signature.begin(), signature.end());
    }

    orch::Verdict check(shared::SubmitProofRequest s, double now = 1100, bool resign = true) const {
        if (resign) sign(s);
        return orch::check_submission(&task, s, now, &kReverse);
    }
};

}  // namespace

TEST_CASE("a valid submission of each task type is accepted") {
    for (auto type : {shared::TaskType::ProofRequired, shared::TaskType::ProofHash,
                      shared::TaskType::AllProofHashes}) {
        for (std::size_t inputs : {1u, 3u}) {
            Fixture f(type, inputs);
            auto verdict = f.check(f.valid());
            CAPTURE(static_cast<int>(type));
            CAPTURE(inputs);
            CHECK(verdict.status == 200);
            CHECK(verdict.outcome == "accepted");
            CHECK(verdict.new_state == TaskState::Accepted);
        }
    }
}

TEST_CASE("unknown, repeated and late submissions") {
    Fixture f(shared::TaskType::ProofHash);
    auto s = f.valid();
    f.sign(s);
    auto unknown = orch::check_submission(nullptr, s, 1100, &kReverse);
    CHECK(unknown.status == 404);
    CHECK(unknown.outcome == "unknown");
    CHECK_FALSE(unknown.new_state);

    auto late = f.check(f.valid(), 1600);
    CHECK(late.status == 404);
    CHECK(late.outcome == "expired");
    CHECK(late.new_state == TaskState::Expired);

    f.task.state = TaskState::Accepted;
    auto repeat = f.check(f.valid(), 1100);
    CHECK(repeat.status == 409);
    CHECK(repeat.outcome == "repeat");
    // Idempotent even after the deadline: the proof was done in time.
    CHECK(f.check(f.valid(), 5000).status == 409);

    f.task.state = TaskState::Expired;
    CHECK(f.check(f.valid(), 1100).status == 404);
}

TEST_CASE("the key must be the one the task was issued to, and leaves the task alone") {
    Fixture f(shared::TaskType::ProofHash);
    auto other = shared::NodeKey::generate();
    auto s = f.valid();
    s.ed25519_public_key.assign(other.public_key().begin(), other.public_key().end());
    auto message = shared::signature_message(s.task_id, s.proof_hash);
    auto signature = other.sign(shared::as_bytes(message));
    s.signature.assign(signature.begin(), signature.end());
    auto verdict = orch::check_submission(&f.task, s, 1100, &kReverse);
    CHECK(verdict.status == 422);
    CHECK(verdict.message == "key does not match the key the task was issued to");
    CHECK_FALSE(verdict.new_state);
}

TEST_CASE("a bad signature is 422") {
    Fixture f(shared::TaskType::ProofHash);
    auto s = f.valid();
    f.sign(s);
    s.signature[0] ^= 1;
    auto verdict = f.check(s, 1100, false);
    CHECK(verdict.status == 422);
    CHECK(verdict.name == "InvalidSignature");
    CHECK(verdict.new_state == TaskState::Rejected);

    s.signature.resize(10);
    CHECK(f.check(s, 1100, false).status == 422);
    // Signed over another task id.
    auto moved = f.valid();
    f.sign(moved);
    moved.task_id = "task-2";
    CHECK(orch::check_submission(&f.task, moved, 1100, &kReverse).status == 422);
}

TEST_CASE("PROOF_REQUIRED payload rules") {
    Fixture one(shared::TaskType::ProofRequired, 1);
    Fixture three(shared::TaskType::ProofRequired, 3);

    auto s = one.valid();
    s.proof.clear();
    CHECK(one.check(s).status == 400);  // proof must equal proofs[0] for one input

    s = three.valid();
    s.proof = s.proofs[0];
    CHECK(three.check(s).status == 400);  // proof must be empty for several inputs

    s = three.valid();
    s.proofs.pop_back();
    CHECK(three.check(s).status == 400);

    s = three.valid();
    s.proof_hash = shared::proof_hash(s.proofs[1]);
    CHECK(three.check(s).message == "proof_hash is not the hash of the first proof");

    s = three.valid();
    s.all_proof_hashes = {s.proof_hash, s.proof_hash, s.proof_hash};
    CHECK(three.check(s).status == 400);

    s = three.valid();
    std::swap(s.proofs[1], s.proofs[2]);
    auto verdict = three.check(s);
    CHECK(verdict.status == 422);
    CHECK(verdict.name == "ProofVerificationFailed");
    CHECK(verdict.message == "proof 1: not the reversed input");

    // Without a verifier the proofs cannot be accepted.
    s = three.valid();
    three.sign(s);
    CHECK(orch::check_submission(&three.task, s, 1100, nullptr).status == 422);
}

TEST_CASE("PROOF_HASH payload rules") {
    Fixture f(shared::TaskType::ProofHash, 2);
    auto s = f.valid();
    s.proofs = {{1}, {2}};
    CHECK(f.check(s).status == 400);
    s = f.valid();
    s.proof = {1};
    CHECK(f.check(s).status == 400);
    s = f.valid();
    s.all_proof_hashes = {s.proof_hash};
    CHECK(f.check(s).status == 400);
    s = f.valid();
    for (auto& c : s.proof_hash) c = static_cast<char>(std::toupper(c));
    CHECK(f.check(s).message == "proof_hash is not 64 lowercase hex digits");
}

TEST_CASE("ALL_PROOF_HASHES payload rules") {
    Fixture f(shared::TaskType::AllProofHashes, 3);
    auto s = f.valid();
    s.all_proof_hashes.pop_back();
    CHECK(f.check(s).status == 400);
    s = f.valid();
    std::swap(s.all_proof_hashes[0], s.all_proof_hashes[1]);
    CHECK(f.check(s).message == "proof_hash is not the combined hash of all_proof_hashes");
    s = f.valid();
    s.all_proof_hashes[2] = "abc";
    CHECK(f.check(s).status == 400);
    s = f.valid();
    s.proofs = {{1}, {2}, {3}};
    CHECK(f.check(s).status == 400);
}

TEST_CASE("a task type no submission can satisfy") {
    Fixture f(shared::TaskType::ProofHash);
    f.task.task_type = 7;
    CHECK(f.check(f.valid()).status == 400);
}

TEST_CASE("is_hash_hex") {
    CHECK(orch::is_hash_hex(std::string(64, 'a')));
    CHECK_FALSE(orch::is_hash_hex(std::string(63, 'a')));
    CHECK_FALSE(orch::is_hash_hex(std::string(64, 'A')));
    CHECK_FALSE(orch::is_hash_hex(std::string(64, 'g')));
}

TEST_CASE("a real argon2id_pow proof passes the real verifier, and a wrong nonce does not") {
    const auto* program = shared::find_program("argon2id_pow");
    REQUIRE(program != nullptr);
    Fixture f(shared::TaskType::ProofRequired, 1);
    f.task.program_id = "argon2id_pow";
    shared::argon2id::Input input;
    for (std::size_t i = 0; i < input.seed.size(); ++i) input.seed[i] = static_cast<std::uint8_t>(i);
    input.target_bits = 8;
    f.task.inputs = {shared::argon2id::encode_input(input)};
    // The spec's vector: with seed 00..1f, opslimit 1 and 8 KiB, nonce 109 has 8 zero bits.
    shared::Bytes proof(8);
    shared::store_le64(proof.data(), 109);

    shared::SubmitProofRequest s;
    s.task_id = f.task.task_id;
    s.ed25519_public_key = f.task.public_key;
    s.proofs = {proof};
    s.proof = proof;
    s.proof_hash = shared::proof_hash(proof);
    f.sign(s);
    CHECK(orch::check_submission(&f.task, s, 1100, program).status == 200);

    shared::store_le64(s.proofs[0].data(), 0);  // 4 leading zero bits only
    s.proof = s.proofs[0];
    s.proof_hash = shared::proof_hash(s.proof);
    f.sign(s);
    auto verdict = orch::check_submission(&f.task, s, 1100, program);
    CHECK(verdict.status == 422);
    CHECK(verdict.message.rfind("proof 0: ", 0) == 0);
}
