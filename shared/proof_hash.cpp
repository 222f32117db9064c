// The spec's per-proof hash, combined hash and signature message.
#include "shared/proof_hash.h"

#include "shared/keccak.h"

namespace shared {

std::string proof_hash(ByteView proof) {
    return keccak256_hex(proof);
}

// The spec hashes the ASCII hex strings themselves, not the bytes they encode.
std::string combine_hashes(const std::vector<std::string>& hashes) {
    std::string concatenated;
    for (const std::string& hash : hashes) concatenated += hash;
    return keccak256_hex(as_bytes(concatenated));
}

std::string signature_message(std::string_view task_id, std::string_view proof_hash) {
    std::string message = "0 | ";
    message += task_id;
    message += " | ";
    message += proof_hash;
    return message;
}

}  // namespace shared
