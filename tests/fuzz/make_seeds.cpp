// Writes the fuzzer's protobuf seeds: one valid encoding of each message that
// fuzz_replies decodes, prefixed by the byte that selects its target there.
// Usage: make_seeds DIR. The text seeds (error bodies, Retry-After values) are
// committed in tests/fuzz/corpus/ instead.
#include <cstdio>
#include <fstream>
#include <string>

#include "shared/codec.h"
#include "shared/worker_codec.h"
#include "tests/fuzz/fuzz_target.h"

namespace {

using namespace shared;
using fuzz::Target;

Task sample_task(const std::string& id, std::size_t inputs) {
    Task t;
    t.task_id = id;
    t.program_id = "fib_input_initial";
    for (std::size_t i = 0; i < inputs; ++i) t.inputs.push_back(Bytes(12, static_cast<std::uint8_t>(i + 1)));
    t.task_type = static_cast<int>(TaskType::ProofRequired);
    t.difficulty = static_cast<int>(Difficulty::SmallMedium);
    t.created_at_seconds = 1790000000;
    return t;
}

bool write_seed(const std::string& dir, const std::string& name, Target target, const Expected<Bytes>& bytes) {
    if (!bytes) {
        std::fprintf(stderr, "make_seeds: %s: %s\n", name.c_str(), bytes.error().c_str());
        return false;
    }
    std::ofstream out(dir + "/seed-" + name, std::ios::binary);
    out.put(static_cast<char>(target));
    out.write(reinterpret_cast<const char*>(bytes->data()), static_cast<std::streamsize>(bytes->size()));
    return static_cast<bool>(out);
}

bool write_orchestrator_seeds(const std::string& dir) {
    bool ok = write_seed(dir, "get-proof-task-response", Target::GetProofTaskResponse,
                         encode(GetProofTaskResponse{sample_task("task-1", 3)}));
    ok &= write_seed(dir, "get-proof-task-response-no-task", Target::GetProofTaskResponse, encode(GetProofTaskResponse{}));
    // Enum values this build does not know: they must decode without undefined
    // behaviour and reach the caller, which reports the task.
    Task unknown = sample_task("task-unknown", 1);
    unknown.task_type = 7;
    unknown.difficulty = 46;
    ok &= write_seed(dir, "get-proof-task-response-unknown-enums", Target::GetProofTaskResponse,
                     encode(GetProofTaskResponse{unknown}));
    ok &= write_seed(dir, "get-tasks-response", Target::GetTasksResponse,
                     encode(GetTasksResponse{{sample_task("task-1", 1), sample_task("task-2", 2)}, "cursor-2"}));
    ok &= write_seed(dir, "get-node-response", Target::GetNodeResponse,
                     encode(GetNodeResponse{"0x52908400098527886E0F7030069857D2E4169EE7"}));
    ok &= write_seed(dir, "user-response", Target::UserResponse,
                     encode(UserResponse{{{"node-1", NodeType::CliProver}, {"node-2", static_cast<NodeType>(9)}},
                                         "cursor", "user-1", "0x52908400098527886E0F7030069857D2E4169EE7"}));
    ok &= write_seed(dir, "register-node-response", Target::RegisterNodeResponse, encode(RegisterNodeResponse{"node-9"}));

    SubmitProofRequest submit;
    submit.proof_hash = std::string(64, 'a');
    submit.node_telemetry = NodeTelemetry{1000, 2000, 3000, "DE"};
    submit.task_id = "task-1";
    submit.ed25519_public_key = Bytes(32, 3);
    submit.signature = Bytes(64, 4);
    submit.all_proof_hashes = {std::string(64, 'b'), std::string(64, 'c')};
    submit.proofs = {Bytes(40, 5), Bytes(40, 6)};
    ok &= write_seed(dir, "submit-proof-request", Target::SubmitProofRequest, encode(submit));
    submit.proofs.clear();
    submit.all_proof_hashes.clear();
    submit.proof = Bytes(100, 7);
    ok &= write_seed(dir, "submit-proof-request-single", Target::SubmitProofRequest, encode(submit));

    ok &= write_seed(dir, "get-proof-task-request", Target::GetProofTaskRequest,
                     encode(GetProofTaskRequest{"node-1", NodeType::CliProver, Bytes(32, 8),
                                                static_cast<int>(Difficulty::Large)}));
    return ok;
}

bool write_worker_seeds(const std::string& dir) {
    bool ok = write_seed(dir, "frame-hello", Target::WorkerFrame, wire::encode(wire::Hello{123, 1, 2, "0.1.0"}));
    ok &= write_seed(dir, "frame-assign", Target::WorkerFrame,
                     wire::encode(wire::Assign{"task-1", "fib_input_initial", {Bytes(12, 1), Bytes(12, 2)}, 2, 1}));
    ok &= write_seed(dir, "frame-heartbeat", Target::WorkerFrame, wire::encode(wire::Heartbeat{"task-1", 1 << 20, 2 << 20, 1}));
    ok &= write_seed(dir, "frame-result", Target::WorkerFrame,
                     wire::encode(wire::Result{"task-1", {Bytes(40, 9), Bytes(40, 10)}, {1000, 2000}, 3 << 20, 3000, 2}));
    ok &= write_seed(dir, "frame-failure", Target::WorkerFrame,
                     wire::encode(wire::Failure{"task-1", wire::FailureKind::MalformedInput, "input 1 is short", 1}));
    ok &= write_seed(dir, "frame-failure-unknown-kind", Target::WorkerFrame,
                     wire::encode(wire::Failure{"task-1", static_cast<wire::FailureKind>(9), "?", 0}));
    ok &= write_seed(dir, "frame-shutdown", Target::WorkerFrame, wire::encode(wire::Shutdown{}));
    return ok;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: make_seeds DIR\n");
        return 2;
    }
    const bool orchestrator_ok = write_orchestrator_seeds(argv[1]);
    const bool worker_ok = write_worker_seeds(argv[1]);
    return orchestrator_ok && worker_ok ? 0 : 1;
}
