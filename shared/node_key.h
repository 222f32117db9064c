// The node's Ed25519 key (libsodium), kept in the state directory with mode 0600.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>

#include "bytes.h"
#include "expected.h"

namespace shared {

using PublicKey = std::array<std::uint8_t, 32>;
using Signature = std::array<std::uint8_t, 64>;

class NodeKey {
public:
    // Reads the key file, or creates it (mode 0600, written atomically) when absent.
    // A file of the wrong size or mode wider than 0600 is an error naming the file.
    static Expected<NodeKey> load_or_create(const std::filesystem::path& file);
    static NodeKey generate();

    const PublicKey& public_key() const { return public_key_; }
    Signature sign(ByteView message) const;

private:
    NodeKey() = default;
    std::array<std::uint8_t, 64> secret_key_{};
    PublicKey public_key_{};
};

bool verify_signature(ByteView public_key, ByteView message, ByteView signature);

}  // namespace shared
