// Writes the fuzzer's protobuf seeds: one valid encoding of each message that
// fuzz_replies decodes, prefixed by the byte that selects its target there.
// Usage: make_seeds DIR. The text seeds (error bodies, Retry-After values) are
// committed in tests/fuzz/corpus/ instead.
#include <cstdio>
#include <fstream>
#include <string>

#include "shared/codec.h"
#include "shared/worker_codec.h"

namespace {

using namespace shared;

// Must match Target in fuzz_replies.cpp.
enum Selector : std::uint8_t {
    kGetProofTaskResponse = 0,
    kGetTasksResponse = 1,
    kGetNodeResponse = 2,
    kUserResponse = 3,
    kRegisterNodeResponse = 4,
    kSubmitProofRequest = 5,
    kGetProofTaskRequest = 6,
    kWorkerFrame = 7,
};

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

bool write_seed(const std::string& dir, const std::string& name, Selector selector, const Expected<Bytes>& bytes) {
    if (!bytes) {
        std::fprintf(stderr, "make_seeds: %s: %s\n", name.c_str(), bytes.error().c_str());
        return false;
    }
    std::ofstream out(dir + "/seed-" + name, std::ios::binary);
    out.put(static_cast<char>(selector));
    out.write(reinterpret_cast<const char*>(bytes->data()), static_cast<std::streamsize>(bytes->size()));
    return static_cast<bool>(out);
}

bool write_orchestrator_seeds(const std::string& dir) {
    bool ok = write_seed(dir, "get-proof-task-response", kGetProofTaskResponse,
                         encode(GetProofTaskResponse{sample_task("task-1", 3)}));
    ok &= write_seed(dir, "get-proof-task-response-no-task", kGetProofTaskResponse, encode(GetProofTaskResponse{}));
    ok &= write_seed(dir, "get-tasks-response", kGetTasksResponse,
                     encode(GetTasksResponse{{sample_task("task-1", 1), sample_task("task-2", 2)}, "cursor-2"}));
    ok &= write_seed(dir, "get-node-response", kGetNodeResponse,
                     encode(GetNodeResponse{"0x52908400098527886E0F7030069857D2E4169EE7"}));
    ok &= write_seed(dir, "user-response", kUserResponse,
                     encode(UserResponse{{{"node-1", NodeType::CliProver}, {"node-2", NodeType::WebProver}},
                                         "cursor", "user-1", "0x52908400098527886E0F7030069857D2E4169EE7"}));
    ok &= write_seed(dir, "register-node-response", kRegisterNodeResponse, encode(RegisterNodeResponse{"node-9"}));

    SubmitProofRequest submit;
    submit.proof_hash = std::string(64, 'a');
    submit.node_telemetry = NodeTelemetry{1000, 2000, 3000, "DE"};
    submit.task_id = "task-1";
    submit.ed25519_public_key = Bytes(32, 3);
    submit.signature = Bytes(64, 4);
    submit.all_proof_hashes = {std::string(64, 'b'), std::string(64, 'c')};
    submit.proofs = {Bytes(40, 5), Bytes(40, 6)};
    ok &= write_seed(dir, "submit-proof-request", kSubmitProofRequest, encode(submit));
    submit.proofs.clear();
    submit.all_proof_hashes.clear();
    submit.proof = Bytes(100, 7);
    ok &= write_seed(dir, "submit-proof-request-single", kSubmitProofRequest, encode(submit));

    ok &= write_seed(dir, "get-proof-task-request", kGetProofTaskRequest,
                     encode(GetProofTaskRequest{"node-1", NodeType::CliProver, Bytes(32, 8),
                                                static_cast<int>(Difficulty::Large)}));
    return ok;
}

bool write_worker_seeds(const std::string& dir) {
    bool ok = write_seed(dir, "frame-hello", kWorkerFrame, wire::encode(wire::Hello{123, 1, 2, "0.1.0"}));
    ok &= write_seed(dir, "frame-assign", kWorkerFrame,
                     wire::encode(wire::Assign{"task-1", "fib_input_initial", {Bytes(12, 1), Bytes(12, 2)}, 2, 1}));
    ok &= write_seed(dir, "frame-heartbeat", kWorkerFrame, wire::encode(wire::Heartbeat{"task-1", 1 << 20, 2 << 20, 1}));
    ok &= write_seed(dir, "frame-result", kWorkerFrame,
                     wire::encode(wire::Result{"task-1", {Bytes(40, 9), Bytes(40, 10)}, {1000, 2000}, 3 << 20, 3000, 2}));
    ok &= write_seed(dir, "frame-failure", kWorkerFrame,
                     wire::encode(wire::Failure{"task-1", wire::FailureKind::MalformedInput, "input 1 is short", 1}));
    ok &= write_seed(dir, "frame-shutdown", kWorkerFrame, wire::encode(wire::Shutdown{}));
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
