// Unit tests for hex conversion and little-endian loads and stores.
#include <doctest.h>

#include "shared/bytes.h"

using shared::Bytes;

TEST_CASE("to_hex writes lowercase, two digits per byte") {
    CHECK(shared::to_hex(Bytes{}) == "");
    CHECK(shared::to_hex(Bytes{0x00, 0x0f, 0xa0, 0xff}) == "000fa0ff");
    CHECK(shared::to_hex(shared::as_bytes("abc")) == "616263");
}

TEST_CASE("from_hex accepts either case and round-trips") {
    auto bytes = shared::from_hex("000FA0ff");
    REQUIRE(bytes.has_value());
    CHECK(*bytes == Bytes{0x00, 0x0f, 0xa0, 0xff});
    CHECK(shared::from_hex("")->empty());

    Bytes all(256);
    for (int i = 0; i < 256; ++i) all[i] = static_cast<std::uint8_t>(i);
    CHECK(shared::from_hex(shared::to_hex(all)) == all);
}

TEST_CASE("from_hex rejects odd length and non-hex digits") {
    CHECK_FALSE(shared::from_hex("abc").has_value());
    CHECK_FALSE(shared::from_hex("0g").has_value());
    CHECK_FALSE(shared::from_hex("g0").has_value());
    CHECK_FALSE(shared::from_hex(" 00").has_value());
    CHECK_FALSE(shared::from_hex("0x00").has_value());
}

TEST_CASE("little-endian loads read the low byte first") {
    const Bytes b{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x88};
    CHECK(shared::load_le32(b.data()) == 0x04030201u);
    CHECK(shared::load_le32(b.data() + 4) == 0x88070605u);
    CHECK(shared::load_le64(b.data()) == 0x8807060504030201ull);
}

TEST_CASE("little-endian stores are the inverse of loads") {
    Bytes b(8, 0);
    shared::store_le32(b.data(), 0xdeadbeefu);
    CHECK(b == Bytes{0xef, 0xbe, 0xad, 0xde, 0, 0, 0, 0});
    shared::store_le64(b.data(), 0x0102030405060708ull);
    CHECK(b == Bytes{0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01});
    CHECK(shared::load_le64(b.data()) == 0x0102030405060708ull);
    shared::store_le64(b.data(), ~0ull);
    CHECK(shared::load_le64(b.data()) == ~0ull);
}
