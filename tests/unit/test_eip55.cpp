// Unit tests for EIP-55 wallet addresses: the EIP's own vectors, case flips, bad shapes.
#include <doctest.h>

#include <cctype>
#include <string>
#include <vector>

#include "shared/eip55.h"

namespace {

// The examples of the EIP-55 specification, each already in checksum spelling.
const std::vector<std::string> kSpecVectors = {
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
};

std::string lower(std::string text) {
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

std::string upper_hex(const std::string& address) {
    std::string out = "0x";
    for (char c : address.substr(2)) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

// Flips the case of the first hex letter, so the spelling no longer matches the hash.
std::string flip_one_letter(std::string address) {
    for (std::size_t i = 2; i < address.size(); ++i) {
        char& c = address[i];
        if (std::isalpha(static_cast<unsigned char>(c))) {
            c = std::islower(static_cast<unsigned char>(c)) ? static_cast<char>(std::toupper(c))
                                                            : static_cast<char>(std::tolower(c));
            break;
        }
    }
    return address;
}

}  // namespace

TEST_CASE("the specification's vectors are computed and accepted") {
    for (const auto& address : kSpecVectors) {
        CAPTURE(address);
        CHECK(shared::to_checksum_address(lower(address.substr(2))) == address);
        CHECK(shared::to_checksum_address(upper_hex(address).substr(2)) == address);
        CHECK(shared::check_wallet_address(address).ok());
    }
}

TEST_CASE("a one-letter case flip fails and says the checksum is wrong") {
    for (const auto& address : kSpecVectors) {
        const std::string flipped = flip_one_letter(address);
        CAPTURE(flipped);
        REQUIRE(flipped != address);
        auto status = shared::check_wallet_address(flipped);
        REQUIRE_FALSE(status.ok());
        CHECK(status.error().find("checksum is wrong") != std::string::npos);
        CHECK(status.error().find(flipped) != std::string::npos);
    }
}

TEST_CASE("one case throughout carries no checksum and is accepted") {
    for (const auto& address : kSpecVectors) {
        CHECK(shared::check_wallet_address(lower(address)).ok());
        CHECK(shared::check_wallet_address(upper_hex(address)).ok());
    }
    CHECK(shared::check_wallet_address("0x0000000000000000000000000000000000000000").ok());
}

TEST_CASE("anything but 0x and 40 hex digits is not an address") {
    const std::vector<std::string> bad = {
        "",
        "0x",
        "5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",     // no 0x
        "0X5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",   // upper-case X
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe",    // 39 digits
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAedd",  // 41 digits
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg",   // not hex
        " 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",  // leading space
    };
    for (const auto& text : bad) {
        CAPTURE(text);
        CHECK_FALSE(shared::is_address(text));
        auto status = shared::check_wallet_address(text);
        REQUIRE_FALSE(status.ok());
        CHECK(status.error().find("40 hex digits") != std::string::npos);
    }
    CHECK(shared::is_address("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"));
}

TEST_CASE("every spelling of one wallet has one canonical form, the checksummed one") {
    for (const auto& address : kSpecVectors) {
        CAPTURE(address);
        for (const std::string& typed : {address, lower(address), upper_hex(address)}) {
            auto canonical = shared::canonical_wallet_address(typed);
            REQUIRE(canonical.ok());
            CHECK(*canonical == address);
        }
    }
}

TEST_CASE("canonicalising refuses what checking refuses") {
    const std::string wrong = flip_one_letter(kSpecVectors[0]);
    auto refused = shared::canonical_wallet_address(wrong);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().find("checksum is wrong") != std::string::npos);
    CHECK_FALSE(shared::canonical_wallet_address("0x1234").ok());
    CHECK_FALSE(shared::canonical_wallet_address("5aaeb6053f3e94c9b9a09f33669435e7ef1beaed").ok());
}
