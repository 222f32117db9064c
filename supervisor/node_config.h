// The node's identity between runs (user id, wallet, node id, orchestrator), a
// JSON file in the XDG config directory written by register-user and register-node.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "shared/expected.h"

namespace supervisor {

struct NodeConfig {
    std::string user_id;
    std::string wallet_address;
    std::string node_id;
    std::string orchestrator_url;

    // nullopt when the file does not exist: nobody registered yet. A file that
    // cannot be read, is not a JSON object, has a field of the wrong type, an
    // invalid wallet address or a URL that is not http(s) is an error naming the file and what is wrong.
    // The wallet is read back in its EIP-55 spelling, however the file spells it.
    static shared::Expected<std::optional<NodeConfig>> load(const std::filesystem::path& path);
    // Writes atomically (temp file, fsync, rename, fsync of the directory) with mode
    // 0600, creating missing parent directories with mode 0700.
    shared::Status save(const std::filesystem::path& path) const;
    // True when a file was removed, false when there was none.
    static shared::Expected<bool> remove(const std::filesystem::path& path);
};

}  // namespace supervisor
