// The orchestrator's messages as C++ values, and their protobuf encoding (nanopb).
// Decoders bound every field (proto/orchestrator.options, bounds.h) and return an
// error naming what was wrong; they never throw or crash on any input.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bytes.h"
#include "expected.h"

namespace shared {

enum class NodeType : int { WebProver = 0, CliProver = 1 };
enum class TaskType : int { ProofRequired = 0, ProofHash = 1, AllProofHashes = 2 };
enum class Difficulty : int {
    Small = 0, SmallMedium = 3, Medium = 5, Large = 10, ExtraLarge = 15,
    ExtraLarge2 = 16, ExtraLarge3 = 17, ExtraLarge4 = 18, ExtraLarge5 = 19,
};

// Spec names (SMALL, SMALL_MEDIUM, ...); parsing accepts any case and '-' for '_'.
std::string_view to_string(Difficulty d);
std::optional<Difficulty> parse_difficulty(std::string_view name);
std::optional<Difficulty> difficulty_from_wire(int value);
std::vector<Difficulty> all_difficulties();  // in increasing order
std::string_view to_string(TaskType t);
std::optional<TaskType> task_type_from_wire(int value);

// Wire values are kept as ints so that an unknown enum value from the server can
// be reported for its task instead of failing the whole decode.
struct Task {
    std::string task_id;
    std::string program_id;
    std::vector<Bytes> inputs;  // public_inputs_list, or the deprecated single input
    int task_type = 0;
    int difficulty = 0;
    std::int64_t created_at_seconds = 0;
};

struct GetProofTaskRequest {
    std::string node_id;
    NodeType node_type = NodeType::CliProver;
    Bytes ed25519_public_key;
    int max_difficulty = 0;
};

struct GetProofTaskResponse {
    std::optional<Task> task;  // absent task: the caller reports a server error
};

struct GetTasksRequest {
    std::string node_id;
    std::string next_cursor;
};

struct GetTasksResponse {
    std::vector<Task> tasks;
    std::string next_cursor;
};

struct NodeTelemetry {
    std::optional<std::int32_t> flops_per_sec;
    std::optional<std::int32_t> memory_used;
    std::optional<std::int32_t> memory_capacity;
    std::optional<std::string> location;
};

struct SubmitProofRequest {
    NodeType node_type = NodeType::CliProver;
    std::string proof_hash;
    std::optional<NodeTelemetry> node_telemetry;
    Bytes proof;
    std::string task_id;
    Bytes ed25519_public_key;
    Bytes signature;
    std::vector<std::string> all_proof_hashes;
    std::vector<Bytes> proofs;
};

struct RegisterUserRequest {
    std::string uuid;
    std::string wallet_address;
};

struct RegisterNodeRequest {
    NodeType node_type = NodeType::CliProver;
    std::string user_id;
};

struct RegisterNodeResponse {
    std::string node_id;
};

struct Node {
    std::string node_id;
    NodeType node_type = NodeType::CliProver;
};

struct GetNodeResponse {
    std::string wallet_address;
};

struct UserResponse {
    std::vector<Node> nodes;
    std::string nodes_next_cursor;
    std::string user_id;
    std::string wallet_address;
};

// One encode and one decode per message. Encoders fail only when a value
// exceeds the bounds of the .options files.
#define SHARED_CODEC(Message)                           \
    Expected<Bytes> encode(const Message& message);     \
    Expected<Message> decode_##Message(ByteView bytes);

SHARED_CODEC(Task)
SHARED_CODEC(GetProofTaskRequest)
SHARED_CODEC(GetProofTaskResponse)
SHARED_CODEC(GetTasksRequest)
SHARED_CODEC(GetTasksResponse)
SHARED_CODEC(NodeTelemetry)
SHARED_CODEC(SubmitProofRequest)
SHARED_CODEC(RegisterUserRequest)
SHARED_CODEC(RegisterNodeRequest)
SHARED_CODEC(RegisterNodeResponse)
SHARED_CODEC(Node)
SHARED_CODEC(GetNodeResponse)
SHARED_CODEC(UserResponse)

#undef SHARED_CODEC

}  // namespace shared
