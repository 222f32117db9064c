// The address of a listening socket as an operator writes it: HOST:PORT,
// [IPv6]:PORT or :PORT (every interface), checked before anything binds.
#pragma once

#include <string>
#include <string_view>

#include "shared/expected.h"

namespace supervisor {

struct ListenAddress {
    std::string host;  // a name or an address as getaddrinfo takes it; empty: every interface
    int port = 0;      // 0: the kernel chooses
};

// Errors say what is wrong with the text, without naming the flag.
shared::Expected<ListenAddress> parse_listen_address(std::string_view text);

// The host as it goes into a URL: "127.0.0.1", "[::1]", "localhost".
std::string url_host(const std::string& host);

}  // namespace supervisor
