// The orchestrator's messages: C++ values to nanopb structs and back.
#include "shared/codec.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <memory>
#include <utility>

#include "orchestrator.pb.h"
#include "shared/bounds.h"
#include "shared/nanopb_glue.h"

namespace shared {

namespace pb = pbglue;

namespace {

struct DifficultyName {
    Difficulty value;
    std::string_view name;
};

constexpr std::array<DifficultyName, 9> kDifficulties{{
    {Difficulty::Small, "SMALL"},
    {Difficulty::SmallMedium, "SMALL_MEDIUM"},
    {Difficulty::Medium, "MEDIUM"},
    {Difficulty::Large, "LARGE"},
    {Difficulty::ExtraLarge, "EXTRA_LARGE"},
    {Difficulty::ExtraLarge2, "EXTRA_LARGE_2"},
    {Difficulty::ExtraLarge3, "EXTRA_LARGE_3"},
    {Difficulty::ExtraLarge4, "EXTRA_LARGE_4"},
    {Difficulty::ExtraLarge5, "EXTRA_LARGE_5"},
}};

Error too_long(std::string_view field) {
    return fail(std::string(field) + " exceeds its bound");
}

// Runs a decode and prefers the callback's own explanation of a failure.
Status decode_with_sink(const pb_msgdesc_t* fields, void* message, ByteView bytes,
                        std::initializer_list<const pb::BytesSink*> sinks) {
    Status status = pb::decode_message(fields, message, bytes);
    if (status) return status;
    for (const pb::BytesSink* sink : sinks) {
        if (!sink->error.empty()) return fail(sink->error);
    }
    return status;
}

// --- Task -----------------------------------------------------------------

Status to_pb(const Task& in, nexus_orchestrator_Task& out) {
    if (!pb::put_string(out.task_id, in.task_id)) return too_long("task_id");
    if (!pb::put_string(out.program_id, in.program_id)) return too_long("program_id");
    if (in.inputs.size() > kMaxInputs) return too_long("public_inputs_list");
    for (const Bytes& input : in.inputs) {
        if (!pb::put_bytes(out.public_inputs_list[out.public_inputs_list_count++], input)) {
            return too_long("public_inputs_list entry");
        }
    }
    // Old clients read the deprecated single input.
    if (in.inputs.size() == 1) pb::put_bytes(out.public_inputs, in.inputs[0]);
    out.has_created_at = in.created_at_seconds != 0;
    out.created_at.seconds = in.created_at_seconds;
    pb::put_enum(out.task_type, in.task_type);
    pb::put_enum(out.difficulty, in.difficulty);
    return Ok{};
}

Task from_pb(const nexus_orchestrator_Task& in) {
    Task out;
    out.task_id = pb::get_string(in.task_id);
    out.program_id = pb::get_string(in.program_id);
    const pb_size_t count = std::min<pb_size_t>(in.public_inputs_list_count, kMaxInputs);
    for (pb_size_t i = 0; i < count; ++i) out.inputs.push_back(pb::get_bytes(in.public_inputs_list[i]));
    if (out.inputs.empty() && in.public_inputs.size > 0) out.inputs.push_back(pb::get_bytes(in.public_inputs));
    out.task_type = pb::get_enum(in.task_type);
    out.difficulty = pb::get_enum(in.difficulty);
    out.created_at_seconds = in.has_created_at ? in.created_at.seconds : 0;
    return out;
}

// --- GetTasksResponse: tasks are decoded one at a time by a callback ---------

struct TaskSink {
    std::vector<Task>* out;
    std::string error;
};

bool decode_task_cb(pb_istream_t* stream, const pb_field_t*, void** arg) {
    auto* sink = static_cast<TaskSink*>(*arg);
    if (sink->out->size() >= kMaxTasksPerList) {
        sink->error = "tasks repeats more than " + std::to_string(kMaxTasksPerList) + " times";
        return false;
    }
    auto task = std::make_unique<nexus_orchestrator_Task>();
    if (!pb_decode(stream, nexus_orchestrator_Task_fields, task.get())) return false;
    sink->out->push_back(from_pb(*task));
    return true;
}

bool encode_tasks_cb(pb_ostream_t* stream, const pb_field_t* field, void* const* arg) {
    const auto* tasks = static_cast<const std::vector<Task>*>(*arg);
    for (const Task& task : *tasks) {
        auto message = std::make_unique<nexus_orchestrator_Task>();
        if (!to_pb(task, *message)) return false;
        if (!pb_encode_tag_for_field(stream, field) ||
            !pb_encode_submessage(stream, nexus_orchestrator_Task_fields, message.get())) {
            return false;
        }
    }
    return true;
}

// --- NodeTelemetry -----------------------------------------------------------

Status to_pb(const NodeTelemetry& in, nexus_orchestrator_NodeTelemetry& out) {
    out.has_flops_per_sec = in.flops_per_sec.has_value();
    out.flops_per_sec = in.flops_per_sec.value_or(0);
    out.has_memory_used = in.memory_used.has_value();
    out.memory_used = in.memory_used.value_or(0);
    out.has_memory_capacity = in.memory_capacity.has_value();
    out.memory_capacity = in.memory_capacity.value_or(0);
    out.has_location = in.location.has_value();
    if (in.location && !pb::put_string(out.location, *in.location)) return too_long("location");
    return Ok{};
}

NodeTelemetry from_pb(const nexus_orchestrator_NodeTelemetry& in) {
    NodeTelemetry out;
    if (in.has_flops_per_sec) out.flops_per_sec = in.flops_per_sec;
    if (in.has_memory_used) out.memory_used = in.memory_used;
    if (in.has_memory_capacity) out.memory_capacity = in.memory_capacity;
    if (in.has_location) out.location = pb::get_string(in.location);
    return out;
}

// --- Node ----------------------------------------------------------------------

Status to_pb(const Node& in, nexus_orchestrator_Node& out) {
    if (!pb::put_string(out.node_id, in.node_id)) return too_long("node_id");
    pb::put_enum(out.node_type, static_cast<int>(in.node_type));
    return Ok{};
}

Node from_pb(const nexus_orchestrator_Node& in) {
    return Node{pb::get_string(in.node_id), static_cast<NodeType>(pb::get_enum(in.node_type))};
}

// Heap-allocates the nanopb struct: some are several KiB.
template <class PbMessage>
std::unique_ptr<PbMessage> make_pb() {
    return std::make_unique<PbMessage>();
}

// Decodes into a fresh nanopb struct, then converts it to our value.
template <class PbMessage, class Convert>
auto decode_as(const pb_msgdesc_t* fields, ByteView bytes, Convert convert)
    -> Expected<decltype(convert(std::declval<const PbMessage&>()))> {
    auto pbm = make_pb<PbMessage>();
    if (Status s = pb::decode_message(fields, pbm.get(), bytes); !s) return fail(s.error());
    return convert(*pbm);
}

}  // namespace

// --- names ---------------------------------------------------------------------

std::string_view to_string(Difficulty d) {
    for (const auto& entry : kDifficulties) {
        if (entry.value == d) return entry.name;
    }
    return "UNKNOWN";
}

std::optional<Difficulty> parse_difficulty(std::string_view name) {
    std::string normal;
    for (char c : name) normal += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    for (const auto& entry : kDifficulties) {
        if (entry.name == normal) return entry.value;
    }
    return std::nullopt;
}

std::optional<Difficulty> difficulty_from_wire(int value) {
    for (const auto& entry : kDifficulties) {
        if (static_cast<int>(entry.value) == value) return entry.value;
    }
    return std::nullopt;
}

std::vector<Difficulty> all_difficulties() {
    std::vector<Difficulty> out;
    for (const auto& entry : kDifficulties) out.push_back(entry.value);
    return out;
}

std::string_view to_string(TaskType t) {
    switch (t) {
        case TaskType::ProofRequired: return "PROOF_REQUIRED";
        case TaskType::ProofHash: return "PROOF_HASH";
        case TaskType::AllProofHashes: return "ALL_PROOF_HASHES";
    }
    return "UNKNOWN";
}

std::optional<TaskType> task_type_from_wire(int value) {
    if (value < 0 || value > 2) return std::nullopt;
    return static_cast<TaskType>(value);
}

// --- messages ------------------------------------------------------------------

Expected<Bytes> encode(const Task& message) {
    auto pbm = make_pb<nexus_orchestrator_Task>();
    if (Status s = to_pb(message, *pbm); !s) return fail(s.error());
    return pb::encode_message(nexus_orchestrator_Task_fields, pbm.get());
}

Expected<Task> decode_Task(ByteView bytes) {
    return decode_as<nexus_orchestrator_Task>(nexus_orchestrator_Task_fields, bytes,
                     [](const auto& m) -> Task {
        return from_pb(m);
    });
}

Expected<Bytes> encode(const GetProofTaskRequest& message) {
    auto pbm = make_pb<nexus_orchestrator_GetProofTaskRequest>();
    if (!pb::put_string(pbm->node_id, message.node_id)) return too_long("node_id");
    pb::put_enum(pbm->node_type, static_cast<int>(message.node_type));
    if (!pb::put_bytes(pbm->ed25519_public_key, message.ed25519_public_key)) return too_long("ed25519_public_key");
    pb::put_enum(pbm->max_difficulty, message.max_difficulty);
    return pb::encode_message(nexus_orchestrator_GetProofTaskRequest_fields, pbm.get());
}

Expected<GetProofTaskRequest> decode_GetProofTaskRequest(ByteView bytes) {
    return decode_as<nexus_orchestrator_GetProofTaskRequest>(nexus_orchestrator_GetProofTaskRequest_fields, bytes,
                     [](const auto& m) -> GetProofTaskRequest {
        GetProofTaskRequest out;
        out.node_id = pb::get_string(m.node_id);
        out.node_type = static_cast<NodeType>(pb::get_enum(m.node_type));
        out.ed25519_public_key = pb::get_bytes(m.ed25519_public_key);
        out.max_difficulty = pb::get_enum(m.max_difficulty);
        return out;
    });
}

Expected<Bytes> encode(const GetProofTaskResponse& message) {
    auto pbm = make_pb<nexus_orchestrator_GetProofTaskResponse>();
    if (message.task) {
        const Task& task = *message.task;
        pbm->has_task = true;
        if (Status s = to_pb(task, pbm->task); !s) return fail(s.error());
        // The deprecated top-level fields, for clients of the older API.
        pb::put_string(pbm->task_id, task.task_id);
        pb::put_string(pbm->program_id, task.program_id);
        if (!task.inputs.empty()) pb::put_bytes(pbm->public_inputs, task.inputs[0]);
    }
    return pb::encode_message(nexus_orchestrator_GetProofTaskResponse_fields, pbm.get());
}

Expected<GetProofTaskResponse> decode_GetProofTaskResponse(ByteView bytes) {
    return decode_as<nexus_orchestrator_GetProofTaskResponse>(nexus_orchestrator_GetProofTaskResponse_fields, bytes,
                     [](const auto& m) -> GetProofTaskResponse {
        GetProofTaskResponse out;
        if (m.has_task) out.task = from_pb(m.task);
        return out;
    });
}

Expected<Bytes> encode(const GetTasksRequest& message) {
    auto pbm = make_pb<nexus_orchestrator_GetTasksRequest>();
    if (!pb::put_string(pbm->node_id, message.node_id)) return too_long("node_id");
    if (!pb::put_string(pbm->next_cursor, message.next_cursor)) return too_long("next_cursor");
    return pb::encode_message(nexus_orchestrator_GetTasksRequest_fields, pbm.get());
}

Expected<GetTasksRequest> decode_GetTasksRequest(ByteView bytes) {
    return decode_as<nexus_orchestrator_GetTasksRequest>(nexus_orchestrator_GetTasksRequest_fields, bytes,
                     [](const auto& m) -> GetTasksRequest {
        return GetTasksRequest{pb::get_string(m.node_id), pb::get_string(m.next_cursor)};
    });
}

Expected<Bytes> encode(const GetTasksResponse& message) {
    if (message.tasks.size() > kMaxTasksPerList) return too_long("tasks");
    auto pbm = make_pb<nexus_orchestrator_GetTasksResponse>();
    pbm->tasks.funcs.encode = &encode_tasks_cb;
    pbm->tasks.arg = const_cast<std::vector<Task>*>(&message.tasks);
    if (!pb::put_string(pbm->next_cursor, message.next_cursor)) return too_long("next_cursor");
    return pb::encode_message(nexus_orchestrator_GetTasksResponse_fields, pbm.get());
}

Expected<GetTasksResponse> decode_GetTasksResponse(ByteView bytes) {
    GetTasksResponse out;
    TaskSink sink{&out.tasks, {}};
    auto pbm = make_pb<nexus_orchestrator_GetTasksResponse>();
    pbm->tasks.funcs.decode = &decode_task_cb;
    pbm->tasks.arg = &sink;
    if (Status s = pb::decode_message(nexus_orchestrator_GetTasksResponse_fields, pbm.get(), bytes); !s) {
        return fail(sink.error.empty() ? s.error() : sink.error);
    }
    out.next_cursor = pb::get_string(pbm->next_cursor);
    return out;
}

Expected<Bytes> encode(const NodeTelemetry& message) {
    auto pbm = make_pb<nexus_orchestrator_NodeTelemetry>();
    if (Status s = to_pb(message, *pbm); !s) return fail(s.error());
    return pb::encode_message(nexus_orchestrator_NodeTelemetry_fields, pbm.get());
}

Expected<NodeTelemetry> decode_NodeTelemetry(ByteView bytes) {
    return decode_as<nexus_orchestrator_NodeTelemetry>(nexus_orchestrator_NodeTelemetry_fields, bytes,
                     [](const auto& m) -> NodeTelemetry {
        return from_pb(m);
    });
}

Expected<Bytes> encode(const SubmitProofRequest& message) {
    if (message.proof.size() > kMaxProofBytes) return too_long("proof");
    if (message.proofs.size() > kMaxInputs) return too_long("proofs");
    for (const Bytes& proof : message.proofs) {
        if (proof.size() > kMaxProofBytes) return too_long("proofs entry");
    }
    if (message.all_proof_hashes.size() > kMaxInputs) return too_long("all_proof_hashes");
    auto pbm = make_pb<nexus_orchestrator_SubmitProofRequest>();
    pb::put_enum(pbm->node_type, static_cast<int>(message.node_type));
    if (!pb::put_string(pbm->proof_hash, message.proof_hash)) return too_long("proof_hash");
    if (message.node_telemetry) {
        pbm->has_node_telemetry = true;
        if (Status s = to_pb(*message.node_telemetry, pbm->node_telemetry); !s) return fail(s.error());
    }
    const ByteView proof(message.proof);
    pb::set_encode(pbm->proof, &proof);
    if (!pb::put_string(pbm->task_id, message.task_id)) return too_long("task_id");
    if (!pb::put_bytes(pbm->ed25519_public_key, message.ed25519_public_key)) return too_long("ed25519_public_key");
    if (!pb::put_bytes(pbm->signature, message.signature)) return too_long("signature");
    for (const std::string& hash : message.all_proof_hashes) {
        if (!pb::put_string(pbm->all_proof_hashes[pbm->all_proof_hashes_count++], hash)) {
            return too_long("all_proof_hashes entry");
        }
    }
    pb::set_encode(pbm->proofs, &message.proofs);
    return pb::encode_message(nexus_orchestrator_SubmitProofRequest_fields, pbm.get());
}

Expected<SubmitProofRequest> decode_SubmitProofRequest(ByteView bytes) {
    SubmitProofRequest out;
    std::vector<Bytes> single;
    pb::BytesSink proof_sink{&single, 1, kMaxProofBytes, true, {}};
    pb::BytesSink proofs_sink{&out.proofs, kMaxInputs, kMaxProofBytes, false, {}};
    auto pbm = make_pb<nexus_orchestrator_SubmitProofRequest>();
    pb::set_decode(pbm->proof, &proof_sink);
    pb::set_decode(pbm->proofs, &proofs_sink);
    if (Status s = decode_with_sink(nexus_orchestrator_SubmitProofRequest_fields, pbm.get(), bytes,
                                    {&proof_sink, &proofs_sink});
        !s) {
        return fail(s.error());
    }
    out.node_type = static_cast<NodeType>(pb::get_enum(pbm->node_type));
    out.proof_hash = pb::get_string(pbm->proof_hash);
    if (pbm->has_node_telemetry) out.node_telemetry = from_pb(pbm->node_telemetry);
    if (!single.empty()) out.proof = std::move(single.front());
    out.task_id = pb::get_string(pbm->task_id);
    out.ed25519_public_key = pb::get_bytes(pbm->ed25519_public_key);
    out.signature = pb::get_bytes(pbm->signature);
    const pb_size_t count = std::min<pb_size_t>(pbm->all_proof_hashes_count, kMaxInputs);
    for (pb_size_t i = 0; i < count; ++i) out.all_proof_hashes.push_back(pb::get_string(pbm->all_proof_hashes[i]));
    return out;
}

Expected<Bytes> encode(const RegisterUserRequest& message) {
    auto pbm = make_pb<nexus_orchestrator_RegisterUserRequest>();
    if (!pb::put_string(pbm->uuid, message.uuid)) return too_long("uuid");
    if (!pb::put_string(pbm->wallet_address, message.wallet_address)) return too_long("wallet_address");
    return pb::encode_message(nexus_orchestrator_RegisterUserRequest_fields, pbm.get());
}

Expected<RegisterUserRequest> decode_RegisterUserRequest(ByteView bytes) {
    return decode_as<nexus_orchestrator_RegisterUserRequest>(nexus_orchestrator_RegisterUserRequest_fields, bytes,
                     [](const auto& m) -> RegisterUserRequest {
        return RegisterUserRequest{pb::get_string(m.uuid), pb::get_string(m.wallet_address)};
    });
}

Expected<Bytes> encode(const RegisterNodeRequest& message) {
    auto pbm = make_pb<nexus_orchestrator_RegisterNodeRequest>();
    pb::put_enum(pbm->node_type, static_cast<int>(message.node_type));
    if (!pb::put_string(pbm->user_id, message.user_id)) return too_long("user_id");
    return pb::encode_message(nexus_orchestrator_RegisterNodeRequest_fields, pbm.get());
}

Expected<RegisterNodeRequest> decode_RegisterNodeRequest(ByteView bytes) {
    return decode_as<nexus_orchestrator_RegisterNodeRequest>(nexus_orchestrator_RegisterNodeRequest_fields, bytes,
                     [](const auto& m) -> RegisterNodeRequest {
        return RegisterNodeRequest{static_cast<NodeType>(pb::get_enum(m.node_type)), pb::get_string(m.user_id)};
    });
}

Expected<Bytes> encode(const RegisterNodeResponse& message) {
    auto pbm = make_pb<nexus_orchestrator_RegisterNodeResponse>();
    if (!pb::put_string(pbm->node_id, message.node_id)) return too_long("node_id");
    return pb::encode_message(nexus_orchestrator_RegisterNodeResponse_fields, pbm.get());
}

Expected<RegisterNodeResponse> decode_RegisterNodeResponse(ByteView bytes) {
    return decode_as<nexus_orchestrator_RegisterNodeResponse>(nexus_orchestrator_RegisterNodeResponse_fields, bytes,
                     [](const auto& m) -> RegisterNodeResponse {
        return RegisterNodeResponse{pb::get_string(m.node_id)};
    });
}

Expected<Bytes> encode(const Node& message) {
    auto pbm = make_pb<nexus_orchestrator_Node>();
    if (Status s = to_pb(message, *pbm); !s) return fail(s.error());
    return pb::encode_message(nexus_orchestrator_Node_fields, pbm.get());
}

Expected<Node> decode_Node(ByteView bytes) {
    return decode_as<nexus_orchestrator_Node>(nexus_orchestrator_Node_fields, bytes,
                     [](const auto& m) -> Node {
        return from_pb(m);
    });
}

Expected<Bytes> encode(const GetNodeResponse& message) {
    auto pbm = make_pb<nexus_orchestrator_GetNodeResponse>();
    if (!pb::put_string(pbm->wallet_address, message.wallet_address)) return too_long("wallet_address");
    return pb::encode_message(nexus_orchestrator_GetNodeResponse_fields, pbm.get());
}

Expected<GetNodeResponse> decode_GetNodeResponse(ByteView bytes) {
    return decode_as<nexus_orchestrator_GetNodeResponse>(nexus_orchestrator_GetNodeResponse_fields, bytes,
                     [](const auto& m) -> GetNodeResponse {
        return GetNodeResponse{pb::get_string(m.wallet_address)};
    });
}

Expected<Bytes> encode(const UserResponse& message) {
    if (message.nodes.size() > 64) return too_long("nodes");
    auto pbm = make_pb<nexus_orchestrator_UserResponse>();
    for (const Node& node : message.nodes) {
        if (Status s = to_pb(node, pbm->nodes[pbm->nodes_count++]); !s) return fail(s.error());
    }
    if (!pb::put_string(pbm->nodes_next_cursor, message.nodes_next_cursor)) return too_long("nodes_next_cursor");
    if (!pb::put_string(pbm->user_id, message.user_id)) return too_long("user_id");
    if (!pb::put_string(pbm->wallet_address, message.wallet_address)) return too_long("wallet_address");
    return pb::encode_message(nexus_orchestrator_UserResponse_fields, pbm.get());
}

Expected<UserResponse> decode_UserResponse(ByteView bytes) {
    return decode_as<nexus_orchestrator_UserResponse>(nexus_orchestrator_UserResponse_fields, bytes,
                     [](const auto& m) -> UserResponse {
        UserResponse out;
        for (pb_size_t i = 0; i < m.nodes_count && i < 64; ++i) out.nodes.push_back(from_pb(m.nodes[i]));
        out.nodes_next_cursor = pb::get_string(m.nodes_next_cursor);
        out.user_id = pb::get_string(m.user_id);
        out.wallet_address = pb::get_string(m.wallet_address);
        return out;
    });
}

}  // namespace shared
