// What a submission carries, by task type (the spec's table), signed with the node key.
#pragma once

#include <optional>
#include <vector>

#include "shared/codec.h"
#include "shared/expected.h"
#include "shared/node_key.h"

namespace supervisor {

// Proofs must be in input order, one per input. Fails for an unknown task type
// or a proof count that does not match the task's inputs.
shared::Expected<shared::SubmitProofRequest> build_submission(const shared::Task& task,
                                                              const std::vector<shared::Bytes>& proofs,
                                                              const shared::NodeKey& key,
                                                              std::optional<shared::NodeTelemetry> telemetry);

}  // namespace supervisor
