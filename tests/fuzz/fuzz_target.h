// The first byte of a fuzz_replies input: which decoder gets the rest. Shared
// with make_seeds, which writes one seed per target.
#pragma once

#include <cstdint>

namespace fuzz {

enum class Target : std::uint8_t {
    GetProofTaskResponse,
    GetTasksResponse,
    GetNodeResponse,
    UserResponse,
    RegisterNodeResponse,
    SubmitProofRequest,
    GetProofTaskRequest,
    WorkerFrame,
    Classify,    // status, Retry-After and an error body: see fuzz_classify
    RetryAfter,  // a Retry-After header value
    Count,
};

}  // namespace fuzz
