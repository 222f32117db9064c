// Unit tests for Metrics::serve over real loopback sockets: the three paths, IPv6, and bind errors.
#include <doctest.h>

#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "supervisor/metrics.h"

using supervisor::Metrics;

namespace {

bool has_ipv6_loopback() {
    const int sock = ::socket(AF_INET6, SOCK_STREAM, 0);
    if (sock < 0) return false;
    sockaddr_in6 address{};
    address.sin6_family = AF_INET6;
    address.sin6_addr = in6addr_loopback;
    const bool ok = ::bind(sock, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(sock);
    return ok;
}

int port_of(const std::string& url) { return std::stoi(url.substr(url.rfind(':') + 1)); }

}  // namespace

TEST_CASE("127.0.0.1:0 serves /metrics, /healthz and /readyz; the kernel's port is in the URL") {
    Metrics metrics;
    auto url = metrics.serve("127.0.0.1:0");
    REQUIRE_MESSAGE(url, url.error());
    CHECK(url->rfind("http://127.0.0.1:", 0) == 0);
    httplib::Client client("127.0.0.1", port_of(*url));

    auto scrape = client.Get("/metrics");
    REQUIRE(scrape);
    CHECK(scrape->status == 200);
    CHECK(scrape->get_header_value("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
    CHECK(scrape->body.find("provenode_build_info{version=\"" PROVENODE_VERSION "\"} 1") != std::string::npos);

    auto health = client.Get("/healthz");
    REQUIRE(health);
    CHECK(health->status == 503);  // no tick yet
    metrics.loop_alive(shared::SteadyClock().now_us());
    health = client.Get("/healthz");
    REQUIRE(health);
    CHECK(health->status == 200);
    CHECK(health->body.rfind("ok: the loop ticked", 0) == 0);

    auto ready = client.Get("/readyz");
    REQUIRE(ready);
    CHECK(ready->status == 503);
    metrics.set_ready(true, "1 workers up");
    ready = client.Get("/readyz");
    REQUIRE(ready);
    CHECK(ready->status == 200);
    CHECK(ready->body == "ready: 1 workers up\n");

    auto missing = client.Get("/nothing");
    REQUIRE(missing);
    CHECK(missing->status == 404);
}

TEST_CASE("[::1]:0 serves over IPv6") {
    if (!has_ipv6_loopback()) {
        MESSAGE("no IPv6 loopback on this host; skipped");
        return;
    }
    Metrics metrics;
    auto url = metrics.serve("[::1]:0");
    REQUIRE_MESSAGE(url, url.error());
    CHECK(url->rfind("http://[::1]:", 0) == 0);
    httplib::Client client("::1", port_of(*url));
    auto scrape = client.Get("/metrics");
    REQUIRE(scrape);
    CHECK(scrape->status == 200);
}

TEST_CASE(":0 is every interface: reachable on 127.0.0.1") {
    Metrics metrics;
    auto url = metrics.serve(":0");
    REQUIRE_MESSAGE(url, url.error());
    httplib::Client client("127.0.0.1", port_of(*url));
    auto ready = client.Get("/readyz");
    REQUIRE(ready);
    CHECK(ready->status == 503);
}

TEST_CASE("a port in use is one line naming the flag, the address and the reason; no second listener") {
    Metrics first;
    auto url = first.serve("127.0.0.1:0");
    REQUIRE(url);
    const std::string address = "127.0.0.1:" + std::to_string(port_of(*url));
    Metrics second;
    auto again = second.serve(address);
    REQUIRE_FALSE(again);
    CHECK(again.error() == "--metrics-addr: cannot listen on " + address + ": Address already in use");
}

TEST_CASE("bad addresses: refused before binding, each with its reason") {
    Metrics metrics;
    auto range = metrics.serve("127.0.0.1:99999");
    REQUIRE_FALSE(range);
    CHECK(range.error() == "--metrics-addr: '127.0.0.1:99999': the port '99999' is not a number from 0 to 65535");
    auto unknown = metrics.serve("no-such-host.invalid:0");
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().rfind("--metrics-addr: cannot listen on no-such-host.invalid:0: ", 0) == 0);
    CHECK(unknown.error().find('\n') == std::string::npos);
    // An address of no interface here (TEST-NET-1, never assigned to a host).
    auto foreign = metrics.serve("192.0.2.1:0");
    REQUIRE_FALSE(foreign);
    CHECK(foreign.error() == "--metrics-addr: cannot listen on 192.0.2.1:0: Cannot assign requested address");
}
