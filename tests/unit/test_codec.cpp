// Round trips and bounds of every orchestrator message (shared/codec.h).
#include <doctest.h>

#include "shared/bounds.h"
#include "shared/codec.h"

using namespace shared;

namespace {

Task sample_task() {
    Task t;
    t.task_id = "task-42";
    t.program_id = "argon2id_pow";
    t.inputs = {Bytes(41, 7), Bytes(41, 9), Bytes(12, 1)};
    t.task_type = static_cast<int>(TaskType::AllProofHashes);
    t.difficulty = static_cast<int>(Difficulty::Large);
    t.created_at_seconds = 1790000000;
    return t;
}

void check_same(const Task& a, const Task& b) {
    CHECK(a.task_id == b.task_id);
    CHECK(a.program_id == b.program_id);
    CHECK(a.inputs == b.inputs);
    CHECK(a.task_type == b.task_type);
    CHECK(a.difficulty == b.difficulty);
    CHECK(a.created_at_seconds == b.created_at_seconds);
}

template <class M, class Decode>
M round_trip(const M& message, Decode decode) {
    auto bytes = encode(message);
    REQUIRE_MESSAGE(bytes.ok(), (bytes.ok() ? "" : bytes.error()));
    auto back = decode(*bytes);
    REQUIRE_MESSAGE(back.ok(), (back.ok() ? "" : back.error()));
    return *back;
}

}  // namespace

TEST_CASE("Task round trip") { check_same(round_trip(sample_task(), decode_Task), sample_task()); }

TEST_CASE("a task with only the deprecated single input reads as one input") {
    Task t = sample_task();
    t.inputs = {Bytes(12, 3)};
    Task back = round_trip(t, decode_Task);
    CHECK(back.inputs == t.inputs);
}

TEST_CASE("GetProofTaskRequest round trip") {
    GetProofTaskRequest m{"node-1", NodeType::CliProver, Bytes(32, 0xab), static_cast<int>(Difficulty::Medium)};
    auto back = round_trip(m, decode_GetProofTaskRequest);
    CHECK(back.node_id == "node-1");
    CHECK(back.node_type == NodeType::CliProver);
    CHECK(back.ed25519_public_key == Bytes(32, 0xab));
    CHECK(back.max_difficulty == 5);
}

TEST_CASE("GetProofTaskResponse round trip, with and without a task") {
    GetProofTaskResponse with{sample_task()};
    auto back = round_trip(with, decode_GetProofTaskResponse);
    REQUIRE(back.task.has_value());
    check_same(*back.task, sample_task());
    CHECK_FALSE(round_trip(GetProofTaskResponse{}, decode_GetProofTaskResponse).task.has_value());
}

TEST_CASE("GetTasksRequest round trip") {
    auto back = round_trip(GetTasksRequest{"node-7", "cursor-3"}, decode_GetTasksRequest);
    CHECK(back.node_id == "node-7");
    CHECK(back.next_cursor == "cursor-3");
}

TEST_CASE("GetTasksResponse round trip and its bound") {
    GetTasksResponse m;
    for (int i = 0; i < 5; ++i) {
        Task t = sample_task();
        t.task_id += "-" + std::to_string(i);
        m.tasks.push_back(t);
    }
    m.next_cursor = "next";
    auto back = round_trip(m, decode_GetTasksResponse);
    REQUIRE(back.tasks.size() == 5);
    check_same(back.tasks[4], m.tasks[4]);
    CHECK(back.next_cursor == "next");

    m.tasks.resize(kMaxTasksPerList + 1, sample_task());
    CHECK_FALSE(encode(m).ok());
}

TEST_CASE("NodeTelemetry round trip keeps absent fields absent") {
    NodeTelemetry m;
    m.flops_per_sec = 12;
    m.memory_capacity = 0;  // present and zero is not absent
    auto back = round_trip(m, decode_NodeTelemetry);
    CHECK(back.flops_per_sec == 12);
    CHECK(back.memory_capacity == 0);
    CHECK_FALSE(back.memory_used.has_value());
    CHECK_FALSE(back.location.has_value());
}

TEST_CASE("SubmitProofRequest round trip with large proofs") {
    SubmitProofRequest m;
    m.proof_hash = std::string(64, 'a');
    m.node_telemetry = NodeTelemetry{1, 2, 3, std::string("CH")};
    m.proof = Bytes(200000, 5);
    m.task_id = "task-9";
    m.ed25519_public_key = Bytes(32, 1);
    m.signature = Bytes(64, 2);
    m.all_proof_hashes = {std::string(64, 'b'), std::string(64, 'c')};
    m.proofs = {Bytes(200000, 5), Bytes(3, 6)};
    auto back = round_trip(m, decode_SubmitProofRequest);
    CHECK(back.proof_hash == m.proof_hash);
    REQUIRE(back.node_telemetry.has_value());
    CHECK(back.node_telemetry->location == "CH");
    CHECK(back.node_telemetry->memory_capacity == 3);
    CHECK(back.proof == m.proof);
    CHECK(back.task_id == "task-9");
    CHECK(back.ed25519_public_key == m.ed25519_public_key);
    CHECK(back.signature == m.signature);
    CHECK(back.all_proof_hashes == m.all_proof_hashes);
    CHECK(back.proofs == m.proofs);
}

TEST_CASE("SubmitProofRequest bounds") {
    SubmitProofRequest m;
    m.proof = Bytes(kMaxProofBytes + 1);
    CHECK_FALSE(encode(m).ok());
    m.proof.clear();
    m.signature = Bytes(65);
    CHECK_FALSE(encode(m).ok());
    m.signature.clear();
    m.task_id = std::string(kMaxIdLength + 1, 'x');
    CHECK_FALSE(encode(m).ok());
    m.task_id = std::string(kMaxIdLength, 'x');
    CHECK(encode(m).ok());
}

TEST_CASE("registration messages round trip") {
    auto user = round_trip(RegisterUserRequest{"0f8fad5b-d9cb-469f-a165-70867728950e", "0xabc"},
                           decode_RegisterUserRequest);
    CHECK(user.uuid == "0f8fad5b-d9cb-469f-a165-70867728950e");
    CHECK(user.wallet_address == "0xabc");
    auto node = round_trip(RegisterNodeRequest{NodeType::CliProver, "user-1"}, decode_RegisterNodeRequest);
    CHECK(node.user_id == "user-1");
    CHECK(node.node_type == NodeType::CliProver);
    CHECK(round_trip(RegisterNodeResponse{"node-5"}, decode_RegisterNodeResponse).node_id == "node-5");
    auto n = round_trip(Node{"node-6", NodeType::WebProver}, decode_Node);
    CHECK(n.node_id == "node-6");
    CHECK(n.node_type == NodeType::WebProver);
    CHECK(round_trip(GetNodeResponse{"0xdef"}, decode_GetNodeResponse).wallet_address == "0xdef");
    UserResponse u{{Node{"a", NodeType::CliProver}, Node{"b", NodeType::WebProver}}, "cur", "user-2", "0x1"};
    auto ub = round_trip(u, decode_UserResponse);
    REQUIRE(ub.nodes.size() == 2);
    CHECK(ub.nodes[1].node_id == "b");
    CHECK(ub.nodes_next_cursor == "cur");
    CHECK(ub.user_id == "user-2");
    CHECK(ub.wallet_address == "0x1");
}

TEST_CASE("decoders refuse garbage, truncation and oversize without crashing") {
    auto good = encode(GetProofTaskResponse{sample_task()});
    REQUIRE(good.ok());
    Bytes cut(good->begin(), good->begin() + good->size() / 2);
    CHECK_FALSE(decode_GetProofTaskResponse(cut).ok());

    Bytes html(reinterpret_cast<const std::uint8_t*>("<html>502 Bad Gateway</html>"),
               reinterpret_cast<const std::uint8_t*>("<html>502 Bad Gateway</html>") + 28);
    CHECK_FALSE(decode_GetProofTaskResponse(html).ok());

    // An input longer than the 64 bytes the .options allow: field 5 of Task, inside field 4.
    Bytes task{0x2a, 0x43};  // field 5, length 67
    task.insert(task.end(), 67, 0x11);
    Bytes response = {0x22};  // field 4 (the task), then its length and bytes
    response.push_back(static_cast<std::uint8_t>(task.size()));
    for (std::uint8_t b : task) response.push_back(b);
    auto decoded = decode_GetProofTaskResponse(response);
    CHECK_FALSE(decoded.ok());

    // A proof over kMaxProofBytes in a submission names the bound.
    SubmitProofRequest big;
    big.proofs = {Bytes(kMaxProofBytes, 1)};
    auto bytes = encode(big);
    REQUIRE(bytes.ok());
    const Bytes header{0x52, 0x81, 0x80, 0x80, 0x02};  // field 10, length 4 MiB + 1
    bytes->insert(bytes->end(), header.begin(), header.end());
    bytes->resize(bytes->size() + kMaxProofBytes + 1, 0);
    auto refused = decode_SubmitProofRequest(*bytes);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().find("allowed") != std::string::npos);

    for (int seed = 0; seed < 2000; ++seed) {
        Bytes noise(seed % 97);
        for (std::size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<std::uint8_t>(seed * 31 + i * 17);
        (void)decode_GetProofTaskResponse(noise);
        (void)decode_GetTasksResponse(noise);
        (void)decode_SubmitProofRequest(noise);
    }
}

TEST_CASE("difficulty names parse in any case") {
    CHECK(parse_difficulty("small_medium") == Difficulty::SmallMedium);
    CHECK(parse_difficulty("Extra-Large-2") == Difficulty::ExtraLarge2);
    CHECK(parse_difficulty("LARGE") == Difficulty::Large);
    CHECK_FALSE(parse_difficulty("huge").has_value());
    CHECK(to_string(Difficulty::ExtraLarge5) == "EXTRA_LARGE_5");
    CHECK(difficulty_from_wire(10) == Difficulty::Large);
    CHECK_FALSE(difficulty_from_wire(4).has_value());
    CHECK(task_type_from_wire(2) == TaskType::AllProofHashes);
    CHECK_FALSE(task_type_from_wire(3).has_value());
}
