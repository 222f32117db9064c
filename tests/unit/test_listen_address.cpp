// Unit tests for parse_listen_address: HOST:PORT, [IPv6]:PORT, :PORT, and what is refused.
#include <doctest.h>

#include <string>

#include "supervisor/listen_address.h"

using supervisor::parse_listen_address;

namespace {

std::string error_of(const char* text) {
    auto parsed = parse_listen_address(text);
    REQUIRE_FALSE(parsed);
    return parsed.error();
}

}  // namespace

TEST_CASE("the three forms") {
    auto v4 = parse_listen_address("127.0.0.1:9464");
    REQUIRE(v4);
    CHECK(v4->host == "127.0.0.1");
    CHECK(v4->port == 9464);
    auto name = parse_listen_address("localhost:0");
    REQUIRE(name);
    CHECK(name->host == "localhost");
    CHECK(name->port == 0);
    auto v6 = parse_listen_address("[::1]:0");
    REQUIRE(v6);
    CHECK(v6->host == "::1");
    CHECK(v6->port == 0);
    auto any = parse_listen_address(":65535");
    REQUIRE(any);
    CHECK(any->host.empty());
    CHECK(any->port == 65535);
    auto v6_any = parse_listen_address("[::]:9464");
    REQUIRE(v6_any);
    CHECK(v6_any->host == "::");
}

TEST_CASE("bad ports name the port") {
    CHECK(error_of("127.0.0.1:99999") == "'127.0.0.1:99999': the port '99999' is not a number from 0 to 65535");
    CHECK(error_of(":abc") == "':abc': the port 'abc' is not a number from 0 to 65535");
    CHECK(error_of("127.0.0.1:") == "'127.0.0.1:': the port '' is not a number from 0 to 65535");
    CHECK(error_of("127.0.0.1:-1").find("is not a number from 0 to 65535") != std::string::npos);
    CHECK(error_of("127.0.0.1:12x").find("'12x'") != std::string::npos);
    CHECK(error_of("[::1]:99999").find("'99999'") != std::string::npos);
}

TEST_CASE("bad forms say which forms are meant") {
    CHECK(error_of("9464") == "'9464' is not HOST:PORT, [IPv6]:PORT or :PORT (every interface: :9464)");
    CHECK(error_of("bad") == "'bad' is not HOST:PORT, [IPv6]:PORT or :PORT");
    CHECK(error_of("::1:9464") == "'::1:9464': an IPv6 address goes in brackets, as in [::1]:9464");
    CHECK(error_of("[::1]9464") == "'[::1]9464' is not HOST:PORT, [IPv6]:PORT or :PORT");
    CHECK(error_of("[::1") == "'[::1' is not HOST:PORT, [IPv6]:PORT or :PORT");
    CHECK(error_of("[127.0.0.1]:80") == "'[127.0.0.1]:80': '127.0.0.1' is not an IPv6 address");
    CHECK(error_of("[]:80") == "'[]:80': '' is not an IPv6 address");
}

TEST_CASE("url_host brackets IPv6 only") {
    CHECK(supervisor::url_host("::1") == "[::1]");
    CHECK(supervisor::url_host("127.0.0.1") == "127.0.0.1");
    CHECK(supervisor::url_host("localhost") == "localhost");
}
