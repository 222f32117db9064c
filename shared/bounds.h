// Bounds shared by the codecs, the programs and the local orchestrator. The
// static ones mirror proto/*.options; the proof bounds are enforced in code
// because proofs are nanopb callbacks.
#pragma once

#include <cstddef>

namespace shared {

inline constexpr std::size_t kMaxInputs = 64;             // inputs per task
inline constexpr std::size_t kMaxInputBytes = 64;         // bytes per input
inline constexpr std::size_t kMaxProofBytes = 4u << 20;   // bytes per proof
inline constexpr std::size_t kMaxIdLength = 127;          // task, node and user ids
inline constexpr std::size_t kMaxProgramIdLength = 63;
inline constexpr std::size_t kMaxTasksPerList = 32;       // GetTasksResponse.tasks
inline constexpr std::size_t kMaxReplyBytes = 1u << 20;   // any orchestrator reply body
inline constexpr std::size_t kMaxSubmitBytes = kMaxInputs * kMaxProofBytes + 65536;

}  // namespace shared
