// EIP-55: a hex letter of an address is upper case where the matching nibble of
// Keccak-256(lowercase hex digits) is 8 or more, which catches most typing errors.
#include "shared/eip55.h"

#include <array>
#include <cctype>

#include "shared/keccak.h"

namespace shared {
namespace {

constexpr std::size_t kHexDigits = 40;

bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

std::string lowered(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// Which letters the address uses: digits alone count as neither case.
struct Cases {
    bool lower = false;
    bool upper = false;
};

Cases cases_of(std::string_view hex) {
    Cases cases;
    for (char c : hex) {
        if (c >= 'a' && c <= 'f') cases.lower = true;
        if (c >= 'A' && c <= 'F') cases.upper = true;
    }
    return cases;
}

}  // namespace

bool is_address(std::string_view text) {
    if (text.size() != 2 + kHexDigits || !text.starts_with("0x")) return false;
    for (char c : text.substr(2)) {
        if (!is_hex(c)) return false;
    }
    return true;
}

std::string to_checksum_address(std::string_view lower_hex_without_0x) {
    const std::string lower = lowered(lower_hex_without_0x);
    const std::array<std::uint8_t, 32> hash = keccak256(as_bytes(lower));
    std::string out = "0x";
    for (std::size_t i = 0; i < lower.size(); ++i) {
        // Nibble i of the hash: the high half of byte i/2 for even i, the low half for odd.
        const unsigned nibble = i / 2 < hash.size() ? (i % 2 == 0 ? hash[i / 2] >> 4 : hash[i / 2] & 0x0f) : 0;
        const char c = lower[i];
        out += (c >= 'a' && c <= 'f' && nibble >= 8) ? static_cast<char>(c - 'a' + 'A') : c;
    }
    return out;
}

Status check_wallet_address(std::string_view text) {
    if (!is_address(text)) {
        return fail("'" + std::string(text) + "' is not a wallet address: expected 0x followed by 40 hex digits");
    }
    const std::string_view hex = text.substr(2);
    const Cases cases = cases_of(hex);
    // One case throughout carries no checksum, as EIP-55 allows.
    if (!(cases.lower && cases.upper)) return Ok{};
    // The right spelling is not shown: copying it would turn a mistyped address
    // into a "valid" one and defeat the checksum.
    if (to_checksum_address(hex) != text) {
        return fail("'" + std::string(text) +
                    "': the EIP-55 checksum is wrong (the mixed case does not match the address; "
                    "a character may be mistyped)");
    }
    return Ok{};
}

Expected<std::string> canonical_wallet_address(std::string_view text) {
    if (auto checked = check_wallet_address(text); !checked) return fail(checked.error());
    return to_checksum_address(text.substr(2));
}

}  // namespace shared
