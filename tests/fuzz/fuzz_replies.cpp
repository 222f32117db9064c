// libFuzzer target over everything that decodes bytes from outside the node:
// the orchestrator's replies, the requests the local orchestrator decodes, the
// worker frames, the error-body classifier and the Retry-After parser.
//
// The first byte picks the target (fuzz_target.h, modulo its count); the rest is
// the input. A decode that succeeds is encoded again and decoded again, and a
// round trip that changes the value traps: a field the node acts on (a task id,
// the inputs) must survive the codec unchanged.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string>
#include <variant>

#include "shared/codec.h"
#include "shared/worker_codec.h"
#include "supervisor/orchestrator_client.h"
#include "supervisor/request_timer.h"
#include "tests/fuzz/fuzz_target.h"

namespace {

using namespace shared;
using fuzz::Target;

// A broken invariant is a crash for libFuzzer; the line says which one.
[[noreturn]] void broken(const char* what) {
    std::fprintf(stderr, "fuzz_replies: invariant broken: %s\n", what);
    std::fflush(stderr);
    __builtin_trap();
}

void expect(bool condition, const char* what) {
    if (!condition) broken(what);
}

// Encodes a decoded value and decodes it again; both must succeed, since a
// decoded value is within the bounds the encoder enforces.
template <class M, class Decode>
M round_trip(const M& message, Decode decode, const char* name) {
    auto bytes = encode(message);
    if (!bytes) {
        std::fprintf(stderr, "fuzz_replies: %s: re-encode failed: %s\n", name, bytes.error().c_str());
        broken("a decoded value re-encodes");
    }
    auto back = decode(ByteView(*bytes));
    if (!back) {
        std::fprintf(stderr, "fuzz_replies: %s: re-decode failed: %s\n", name, back.error().c_str());
        broken("a re-encoded value decodes");
    }
    return std::move(*back);
}

// --- orchestrator messages ---------------------------------------------------

void check_bounds(const Task& t) {
    expect(t.task_id.size() <= 127 && t.program_id.size() <= 63, "task ids within bounds");
    expect(t.inputs.size() <= 64, "at most 64 inputs");
    for (const Bytes& input : t.inputs) expect(input.size() <= 64, "inputs of at most 64 bytes");
}

void check_same(const Task& a, const Task& b) {
    expect(a.task_id == b.task_id, "task_id survives a round trip");
    expect(a.program_id == b.program_id, "program_id survives a round trip");
    expect(a.inputs.size() == b.inputs.size(), "the inputs count survives a round trip");
    expect(a.inputs == b.inputs, "the inputs survive a round trip");
    expect(a.task_type == b.task_type, "task_type survives a round trip");
    expect(a.difficulty == b.difficulty, "difficulty survives a round trip");
    expect(a.created_at_seconds == b.created_at_seconds, "created_at survives a round trip");
}

void fuzz_get_proof_task_response(ByteView body) {
    auto reply = decode_GetProofTaskResponse(body);
    if (!reply) return;
    if (reply->task) check_bounds(*reply->task);
    const auto back = round_trip(*reply, decode_GetProofTaskResponse, "GetProofTaskResponse");
    expect(back.task.has_value() == reply->task.has_value(), "task presence survives a round trip");
    if (reply->task) check_same(*reply->task, *back.task);
}

void fuzz_get_tasks_response(ByteView body) {
    auto reply = decode_GetTasksResponse(body);
    if (!reply) return;
    expect(reply->tasks.size() <= 32, "at most 32 tasks in a list");
    for (const Task& task : reply->tasks) check_bounds(task);
    const auto back = round_trip(*reply, decode_GetTasksResponse, "GetTasksResponse");
    expect(back.tasks.size() == reply->tasks.size(), "the task count survives a round trip");
    for (std::size_t i = 0; i < back.tasks.size(); ++i) check_same(reply->tasks[i], back.tasks[i]);
    expect(back.next_cursor == reply->next_cursor, "next_cursor survives a round trip");
}

void fuzz_get_node_response(ByteView body) {
    auto reply = decode_GetNodeResponse(body);
    if (!reply) return;
    const auto back = round_trip(*reply, decode_GetNodeResponse, "GetNodeResponse");
    expect(back.wallet_address == reply->wallet_address, "wallet_address survives a round trip");
}

void fuzz_user_response(ByteView body) {
    auto reply = decode_UserResponse(body);
    if (!reply) return;
    expect(reply->nodes.size() <= 64, "at most 64 nodes");
    const auto back = round_trip(*reply, decode_UserResponse, "UserResponse");
    expect(back.nodes.size() == reply->nodes.size(), "the node count survives a round trip");
    for (std::size_t i = 0; i < back.nodes.size(); ++i) {
        expect(back.nodes[i].node_id == reply->nodes[i].node_id, "node_id survives a round trip");
        expect(back.nodes[i].node_type == reply->nodes[i].node_type, "node_type survives a round trip");
    }
    expect(back.nodes_next_cursor == reply->nodes_next_cursor, "nodes_next_cursor survives a round trip");
    expect(back.user_id == reply->user_id, "user_id survives a round trip");
    expect(back.wallet_address == reply->wallet_address, "wallet_address survives a round trip");
}

void fuzz_register_node_response(ByteView body) {
    auto reply = decode_RegisterNodeResponse(body);
    if (!reply) return;
    const auto back = round_trip(*reply, decode_RegisterNodeResponse, "RegisterNodeResponse");
    expect(back.node_id == reply->node_id, "node_id survives a round trip");
}

void check_same(const std::optional<NodeTelemetry>& a, const std::optional<NodeTelemetry>& b) {
    expect(a.has_value() == b.has_value(), "telemetry presence survives a round trip");
    if (!a) return;
    expect(a->flops_per_sec == b->flops_per_sec && a->memory_used == b->memory_used &&
               a->memory_capacity == b->memory_capacity && a->location == b->location,
           "telemetry survives a round trip");
}

void fuzz_submit_proof_request(ByteView body) {
    auto request = decode_SubmitProofRequest(body);
    if (!request) return;
    expect(request->proofs.size() <= 64 && request->all_proof_hashes.size() <= 64, "at most 64 proofs");
    const auto back = round_trip(*request, decode_SubmitProofRequest, "SubmitProofRequest");
    expect(back.node_type == request->node_type, "node_type survives a round trip");
    expect(back.proof_hash == request->proof_hash, "proof_hash survives a round trip");
    check_same(request->node_telemetry, back.node_telemetry);
    expect(back.proof == request->proof, "proof survives a round trip");
    expect(back.task_id == request->task_id, "task_id survives a round trip");
    expect(back.ed25519_public_key == request->ed25519_public_key, "the public key survives a round trip");
    expect(back.signature == request->signature, "the signature survives a round trip");
    expect(back.all_proof_hashes == request->all_proof_hashes, "all_proof_hashes survive a round trip");
    expect(back.proofs.size() == request->proofs.size(), "the proofs count survives a round trip");
    expect(back.proofs == request->proofs, "the proofs survive a round trip");
}

void fuzz_get_proof_task_request(ByteView body) {
    auto request = decode_GetProofTaskRequest(body);
    if (!request) return;
    const auto back = round_trip(*request, decode_GetProofTaskRequest, "GetProofTaskRequest");
    expect(back.node_id == request->node_id, "node_id survives a round trip");
    expect(back.node_type == request->node_type, "node_type survives a round trip");
    expect(back.ed25519_public_key == request->ed25519_public_key, "the public key survives a round trip");
    expect(back.max_difficulty == request->max_difficulty, "max_difficulty survives a round trip");
}

// --- worker frames -----------------------------------------------------------

struct SameFrame {
    const wire::Message& other;

    template <class M>
    const M& peer() const { return std::get<M>(other); }

    void operator()(const wire::Hello& m) const {
        const auto& o = peer<wire::Hello>();
        expect(m.pid == o.pid && m.worker_index == o.worker_index && m.hardware_threads == o.hardware_threads &&
                   m.version == o.version,
               "a hello survives a round trip");
    }
    void operator()(const wire::Assign& m) const {
        const auto& o = peer<wire::Assign>();
        expect(m.task_id == o.task_id && m.program_id == o.program_id, "an assign's ids survive a round trip");
        expect(m.inputs == o.inputs, "an assign's inputs survive a round trip");
        expect(m.threads == o.threads && m.attempt == o.attempt, "an assign's counts survive a round trip");
    }
    void operator()(const wire::Heartbeat& m) const {
        const auto& o = peer<wire::Heartbeat>();
        expect(m.task_id == o.task_id && m.rss_bytes == o.rss_bytes && m.peak_rss_bytes == o.peak_rss_bytes &&
                   m.proofs_done == o.proofs_done,
               "a heartbeat survives a round trip");
    }
    void operator()(const wire::Result& m) const {
        const auto& o = peer<wire::Result>();
        expect(m.task_id == o.task_id, "a result's task_id survives a round trip");
        expect(m.proofs == o.proofs && m.proof_micros == o.proof_micros, "a result's proofs survive a round trip");
        expect(m.peak_rss_bytes == o.peak_rss_bytes && m.total_micros == o.total_micros &&
                   m.threads_used == o.threads_used,
               "a result's counters survive a round trip");
    }
    void operator()(const wire::Failure& m) const {
        const auto& o = peer<wire::Failure>();
        expect(m.task_id == o.task_id && m.kind == o.kind && m.message == o.message &&
                   m.input_index == o.input_index,
               "a failure survives a round trip");
    }
    void operator()(const wire::Shutdown&) const {}
};

void fuzz_worker_frame(ByteView frame) {
    auto message = wire::decode(frame);
    if (!message) return;
    auto bytes = wire::encode(*message);
    if (!bytes) {
        std::fprintf(stderr, "fuzz_replies: worker frame: re-encode failed: %s\n", bytes.error().c_str());
        broken("a decoded frame re-encodes");
    }
    auto back = wire::decode(ByteView(*bytes));
    if (!back) {
        std::fprintf(stderr, "fuzz_replies: worker frame: re-decode failed: %s\n", back.error().c_str());
        broken("a re-encoded frame decodes");
    }
    expect(back->index() == message->index(), "the frame kind survives a round trip");
    std::visit(SameFrame{*back}, *message);
}

// --- HTTP answers ------------------------------------------------------------

void check_retry_after(const std::optional<double>& seconds) {
    if (!seconds) return;
    expect(std::isfinite(*seconds) && *seconds >= 0 && *seconds <= 24 * 3600, "Retry-After within [0, 1 day]");
}

// Input: status (2 bytes, little-endian, taken modulo 700), a flag byte (bit 0:
// a Retry-After header is present), the header's length (1 byte), the header,
// then the body.
void fuzz_classify(ByteView input) {
    if (input.size() < 4) return;
    supervisor::HttpResponse response;
    response.status = (input[0] | input[1] << 8) % 700;
    const bool has_retry_after = input[2] & 1;
    const std::size_t header_size = std::min<std::size_t>(input[3], input.size() - 4);
    if (has_retry_after) response.retry_after = std::string(input.begin() + 4, input.begin() + 4 + header_size);
    response.body.assign(input.begin() + 4 + (has_retry_after ? header_size : 0), input.end());

    const supervisor::Outcome outcome = supervisor::classify(response);
    const long s = response.status;
    expect(outcome.status == s, "classify keeps the status");
    using supervisor::Reply;
    const Reply expected = s >= 200 && s < 300 ? Reply::Ok
                           : s == 404          ? Reply::NotFound
                           : s == 409          ? Reply::Conflict
                           : s == 429          ? Reply::RateLimited
                           : s >= 400 && s < 500 ? Reply::Rejected
                                               : Reply::Retry;
    expect(outcome.reply == expected, "classify follows the status table");
    // The message goes into one log line: bounded, and no line breaks.
    expect(outcome.message.size() <= 300, "the server's message is cut to 300 bytes");
    expect(outcome.message.find_first_of("\r\n") == std::string::npos, "the server's message is one line");
    check_retry_after(outcome.retry_after_s);
    expect(!outcome.retry_after_s || s == 429 || s == 503, "Retry-After only counts on 429 and 503");
}

void fuzz_retry_after(ByteView input) {
    const std::string value(input.begin(), input.end());
    check_retry_after(supervisor::parse_retry_after(value, 1'790'000'000));
    check_retry_after(supervisor::parse_retry_after(value, std::time(nullptr)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const ByteView body(data + 1, size - 1);
    switch (static_cast<Target>(data[0] % static_cast<std::uint8_t>(Target::Count))) {
        case Target::GetProofTaskResponse: fuzz_get_proof_task_response(body); break;
        case Target::GetTasksResponse: fuzz_get_tasks_response(body); break;
        case Target::GetNodeResponse: fuzz_get_node_response(body); break;
        case Target::UserResponse: fuzz_user_response(body); break;
        case Target::RegisterNodeResponse: fuzz_register_node_response(body); break;
        case Target::SubmitProofRequest: fuzz_submit_proof_request(body); break;
        case Target::GetProofTaskRequest: fuzz_get_proof_task_request(body); break;
        case Target::WorkerFrame: fuzz_worker_frame(body); break;
        case Target::Classify: fuzz_classify(body); break;
        case Target::RetryAfter: fuzz_retry_after(body); break;
        case Target::Count: break;
    }
    return 0;
}
