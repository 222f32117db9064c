// The submission checks of the spec's hashes, signatures and status tables.
#include "submission_check.h"

#include <algorithm>

#include "shared/node_key.h"
#include "shared/proof_hash.h"

namespace orch {
namespace {

Verdict reject(int status, std::string name, std::string message,
               std::optional<TaskState> new_state = TaskState::Rejected) {
    return Verdict{status, std::move(name), "rejected", std::move(message), new_state};
}

std::optional<std::string> proof_required_violation(const TaskRecord& task,
                                                    const shared::SubmitProofRequest& s) {
    if (!s.all_proof_hashes.empty()) return "all_proof_hashes must be empty for PROOF_REQUIRED";
    if (s.proofs.size() != task.inputs.size()) {
        return "proofs has " + std::to_string(s.proofs.size()) + " entries, the task has " +
               std::to_string(task.inputs.size()) + " inputs";
    }
    if (task.inputs.size() == 1 && s.proof != s.proofs[0]) {
        return "proof must equal proofs[0] when the task has exactly one input";
    }
    if (task.inputs.size() != 1 && !s.proof.empty()) {
        return "proof must be empty when the task has more than one input";
    }
    if (!s.proofs.empty() && s.proof_hash != shared::proof_hash(s.proofs[0])) {
        return "proof_hash is not the hash of the first proof";
    }
    return std::nullopt;
}

std::optional<std::string> proof_hash_violation(const shared::SubmitProofRequest& s) {
    if (!s.proof.empty() || !s.proofs.empty()) return "proof and proofs must be empty for PROOF_HASH";
    if (!s.all_proof_hashes.empty()) return "all_proof_hashes must be empty for PROOF_HASH";
    return std::nullopt;
}

std::optional<std::string> all_proof_hashes_violation(const TaskRecord& task,
                                                      const shared::SubmitProofRequest& s) {
    if (!s.proof.empty() || !s.proofs.empty()) {
        return "proof and proofs must be empty for ALL_PROOF_HASHES";
    }
    if (s.all_proof_hashes.size() != task.inputs.size()) {
        return "all_proof_hashes has " + std::to_string(s.all_proof_hashes.size()) +
               " entries, the task has " + std::to_string(task.inputs.size()) + " inputs";
    }
    for (std::size_t i = 0; i < s.all_proof_hashes.size(); ++i) {
        if (!is_hash_hex(s.all_proof_hashes[i])) {
            return "all_proof_hashes[" + std::to_string(i) + "] is not 64 lowercase hex digits";
        }
    }
    if (s.proof_hash != shared::combine_hashes(s.all_proof_hashes)) {
        return "proof_hash is not the combined hash of all_proof_hashes";
    }
    return std::nullopt;
}

}  // namespace

bool is_hash_hex(std::string_view text) {
    return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

std::optional<std::string> payload_violation(const TaskRecord& task,
                                             const shared::SubmitProofRequest& submission) {
    if (!is_hash_hex(submission.proof_hash)) return "proof_hash is not 64 lowercase hex digits";
    switch (task.task_type) {
        case static_cast<int>(shared::TaskType::ProofRequired):
            return proof_required_violation(task, submission);
        case static_cast<int>(shared::TaskType::ProofHash):
            return proof_hash_violation(submission);
        case static_cast<int>(shared::TaskType::AllProofHashes):
            return all_proof_hashes_violation(task, submission);
        default:
            return "the task has task_type " + std::to_string(task.task_type) +
                   ", which no submission can satisfy";
    }
}

std::optional<std::string> proof_failure(const TaskRecord& task,
                                         const shared::SubmitProofRequest& submission,
                                         const shared::Program* program) {
    if (task.task_type != static_cast<int>(shared::TaskType::ProofRequired)) return std::nullopt;
    if (program == nullptr) return "program " + task.program_id + " has no verifier here";
    for (std::size_t i = 0; i < task.inputs.size() && i < submission.proofs.size(); ++i) {
        auto verified = program->verify(task.inputs[i], submission.proofs[i]);
        if (!verified) return "proof " + std::to_string(i) + ": " + verified.error();
    }
    return std::nullopt;
}

Verdict check_submission(const TaskRecord* task, const shared::SubmitProofRequest& submission,
                         double now, const shared::Program* program) {
    if (task == nullptr) {
        return {404, "TaskNotFound", "unknown", "unknown task " + submission.task_id, std::nullopt};
    }
    if (task->state == TaskState::Accepted) {
        return {409, "TaskAlreadyAccepted", "repeat", "task already accepted", std::nullopt};
    }
    if (task->state == TaskState::Expired || now >= task->deadline) {
        return {404, "TaskExpired", "expired", "task expired: past its deadline",
                TaskState::Expired};
    }
    if (submission.ed25519_public_key != task->public_key) {
        return reject(422, "KeyMismatch", "key does not match the key the task was issued to",
                      std::nullopt);
    }
    const auto message = shared::signature_message(submission.task_id, submission.proof_hash);
    if (submission.signature.size() != 64 ||
        !shared::verify_signature(submission.ed25519_public_key, shared::as_bytes(message),
                                  submission.signature)) {
        return reject(422, "InvalidSignature", "invalid signature over '" + message + "'");
    }
    if (auto violation = payload_violation(*task, submission)) {
        return reject(400, "InvalidSubmission", *violation);
    }
    if (auto failure = proof_failure(*task, submission, program)) {
        return reject(422, "ProofVerificationFailed", *failure);
    }
    return {200, "", "accepted", "accepted", TaskState::Accepted};
}

}  // namespace orch
