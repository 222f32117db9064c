// Byte strings and their lowercase hex form, used by every executable.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace shared {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

std::string to_hex(ByteView bytes);

// Accepts upper or lower case; nullopt for odd length or a non-hex digit.
std::optional<Bytes> from_hex(std::string_view hex);

inline ByteView as_bytes(std::string_view text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

// Little-endian integer reads and writes, for program inputs.
std::uint32_t load_le32(const std::uint8_t* p);
std::uint64_t load_le64(const std::uint8_t* p);
void store_le32(std::uint8_t* p, std::uint32_t v);
void store_le64(std::uint8_t* p, std::uint64_t v);

}  // namespace shared
