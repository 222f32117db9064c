// Building and signing a SubmitProofRequest.
#include "supervisor/submission.h"

#include "shared/proof_hash.h"

namespace supervisor {

shared::Expected<shared::SubmitProofRequest> build_submission(const shared::Task& task,
                                                              const std::vector<shared::Bytes>& proofs,
                                                              const shared::NodeKey& key,
                                                              std::optional<shared::NodeTelemetry> telemetry) {
    if (proofs.empty() || proofs.size() != task.inputs.size()) {
        return shared::fail("task " + task.task_id + " has " + std::to_string(task.inputs.size()) + " inputs but " +
                            std::to_string(proofs.size()) + " proofs");
    }
    auto type = shared::task_type_from_wire(task.task_type);
    if (!type) return shared::fail("task " + task.task_id + " has unknown task type " + std::to_string(task.task_type));

    std::vector<std::string> hashes;
    for (const auto& proof : proofs) hashes.push_back(shared::proof_hash(proof));

    shared::SubmitProofRequest request;
    request.node_type = shared::NodeType::CliProver;
    request.task_id = task.task_id;
    request.node_telemetry = std::move(telemetry);
    switch (*type) {
        case shared::TaskType::ProofRequired:
            request.proof_hash = hashes.front();
            if (proofs.size() == 1) request.proof = proofs.front();
            request.proofs = proofs;
            break;
        case shared::TaskType::ProofHash:
            request.proof_hash = shared::combine_hashes(hashes);
            break;
        case shared::TaskType::AllProofHashes:
            request.proof_hash = shared::combine_hashes(hashes);
            request.all_proof_hashes = hashes;
            break;
    }
    const auto& pk = key.public_key();
    request.ed25519_public_key.assign(pk.begin(), pk.end());
    const auto signature = key.sign(shared::as_bytes(shared::signature_message(task.task_id, request.proof_hash)));
    request.signature.assign(signature.begin(), signature.end());
    return request;
}

}  // namespace supervisor
