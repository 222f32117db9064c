// The supervisor-worker protocol (proto/worker.proto) as C++ values, and its
// nanopb encoding. A frame is one Envelope with exactly one body.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "bytes.h"
#include "expected.h"

namespace shared::wire {

inline constexpr std::uint32_t kProtocolVersion = 1;

struct Hello {
    std::uint32_t pid = 0;
    std::uint32_t worker_index = 0;
    std::uint32_t hardware_threads = 0;
    std::string version;
};

struct Assign {
    std::string task_id;
    std::string program_id;
    std::vector<Bytes> inputs;
    std::uint32_t threads = 1;
    std::uint32_t attempt = 1;
    std::uint64_t dispatch_id = 0;  // echoed in the Result or Failure
};

struct Heartbeat {
    std::string task_id;
    std::uint64_t rss_bytes = 0;
    std::uint64_t peak_rss_bytes = 0;
    std::uint32_t proofs_done = 0;
    std::uint64_t assigns_received = 0;
};

struct Result {
    std::string task_id;
    std::vector<Bytes> proofs;
    std::vector<std::uint64_t> proof_micros;
    std::uint64_t peak_rss_bytes = 0;
    std::uint64_t total_micros = 0;
    std::uint32_t threads_used = 0;
    std::uint64_t dispatch_id = 0;
};

enum class FailureKind : int { ProverError = 0, MalformedInput = 1, UnsupportedProgram = 2, BadRequest = 3 };

struct Failure {
    std::string task_id;
    FailureKind kind = FailureKind::ProverError;
    std::string message;
    std::uint32_t input_index = 0;
    std::uint64_t dispatch_id = 0;
};

struct Shutdown {};

using Message = std::variant<Hello, Assign, Heartbeat, Result, Failure, Shutdown>;

Expected<Bytes> encode(const Message& message);
// Rejects a wrong protocol version, no body or more than one body, and anything
// over the bounds of proto/worker.options.
Expected<Message> decode(ByteView frame);

}  // namespace shared::wire
