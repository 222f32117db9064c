// Ethereum addresses and their EIP-55 mixed-case checksum (Keccak-256 of the lowercase hex).
#pragma once

#include <string>
#include <string_view>

#include "expected.h"

namespace shared {

// True for "0x" followed by exactly 40 hex digits of any case; says nothing of the checksum.
bool is_address(std::string_view text);

// The EIP-55 spelling of an address given as 40 lowercase hex digits without "0x";
// the result carries the "0x". Upper-case input is lowered first.
std::string to_checksum_address(std::string_view lower_hex_without_0x);

// Accepts an address whose hex digits are all one case (no checksum to check) or
// whose mixed case matches EIP-55 exactly. The error says what is wrong, without a
// flag name: the caller knows where the address came from.
Status check_wallet_address(std::string_view text);

// The one spelling a wallet is stored, sent and compared in: its EIP-55 form,
// whatever case it was typed in. Refused as check_wallet_address refuses.
Expected<std::string> canonical_wallet_address(std::string_view text);

}  // namespace shared
