// What the server answers to a submission: the spec's checks, in order, as pure
// logic over the task's record (no I/O, no clock of its own).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "shared/codec.h"
#include "shared/program.h"
#include "store.h"

namespace orch {

struct Verdict {
    int status = 200;
    std::string name;     // the JSON error "name"; empty on success
    std::string outcome;  // accepted | repeat | rejected | expired | unknown
    std::string message;
    std::optional<TaskState> new_state;
};

// The checks, first failure wins:
//   unknown task -> 404; already accepted -> 409 (idempotent, even past the
//   deadline); expired or past the deadline -> 404 and expired; key differs from
//   the key the task was issued to -> 422 (the task is left as it was: a stranger
//   cannot spoil another node's task); bad signature -> 422; payload against the
//   task type's rules -> 400; a proof the program's verifier refuses -> 422.
// `program` is the task's program (nullptr when unknown); it is used only for
// PROOF_REQUIRED, whose proofs the server verifies.
Verdict check_submission(const TaskRecord* task, const shared::SubmitProofRequest& submission,
                         double now, const shared::Program* program);

// The payload rules of the spec's table for the task's type; the reason, or
// nullopt when the payload has the right shape and hashes.
std::optional<std::string> payload_violation(const TaskRecord& task,
                                             const shared::SubmitProofRequest& submission);

// Every proof against its input with the program's verifier; the first
// verifier message of a failure, naming the input, or nullopt.
std::optional<std::string> proof_failure(const TaskRecord& task,
                                         const shared::SubmitProofRequest& submission,
                                         const shared::Program* program);

// 64 lowercase hex digits, the form of every hash in a submission.
bool is_hash_hex(std::string_view text);

}  // namespace orch
