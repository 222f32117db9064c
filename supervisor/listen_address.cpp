// Parsing of HOST:PORT, [IPv6]:PORT and :PORT.
#include "supervisor/listen_address.h"

#include <arpa/inet.h>

#include <charconv>

namespace supervisor {

namespace {

constexpr const char* kForms = "HOST:PORT, [IPv6]:PORT or :PORT";

shared::Expected<int> parse_port(std::string_view text, std::string_view whole) {
    int port = -1;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || port < 0 || port > 65535) {
        return shared::fail("'" + std::string(whole) + "': the port '" + std::string(text) +
                            "' is not a number from 0 to 65535");
    }
    return port;
}

}  // namespace

shared::Expected<ListenAddress> parse_listen_address(std::string_view text) {
    const std::string whole(text);
    ListenAddress address;
    std::string_view port_text;
    if (text.starts_with('[')) {
        const auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
            return shared::fail("'" + whole + "' is not " + kForms);
        }
        address.host = std::string(text.substr(1, close - 1));
        in6_addr parsed{};
        if (inet_pton(AF_INET6, address.host.c_str(), &parsed) != 1) {
            return shared::fail("'" + whole + "': '" + address.host + "' is not an IPv6 address");
        }
        port_text = text.substr(close + 2);
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string_view::npos) {
            const bool bare_port = !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
            const std::string hint = bare_port ? " (every interface: :" + whole + ")" : "";
            return shared::fail("'" + whole + "' is not " + kForms + hint);
        }
        address.host = std::string(text.substr(0, colon));
        if (address.host.find(':') != std::string::npos) {
            return shared::fail("'" + whole + "': an IPv6 address goes in brackets, as in [::1]:9464");
        }
        port_text = text.substr(colon + 1);
    }
    auto port = parse_port(port_text, text);
    if (!port) return shared::fail(port.error());
    address.port = *port;
    return address;
}

std::string url_host(const std::string& host) {
    if (host.find(':') != std::string::npos) return "[" + host + "]";
    return host;
}

}  // namespace supervisor
