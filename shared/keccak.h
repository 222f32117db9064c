// Keccak-256 (original padding, as in Ethereum; not SHA3-256).
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "bytes.h"

namespace shared {

std::array<std::uint8_t, 32> keccak256(ByteView data);
std::string keccak256_hex(ByteView data);

}  // namespace shared
