// The spec's per-proof hash, combined hash and signature message.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "bytes.h"

namespace shared {

// Lowercase hex Keccak-256 of the proof bytes.
std::string proof_hash(ByteView proof);

// Keccak-256 over the concatenated ASCII hex hashes, in input order.
std::string combine_hashes(const std::vector<std::string>& hashes);

// "0 | <task_id> | <proof_hash>": what the node signs with Ed25519.
std::string signature_message(std::string_view task_id, std::string_view proof_hash);

}  // namespace shared
