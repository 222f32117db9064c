// /metrics, /healthz and /readyz over cpp-httplib. Debian's civetweb (which
// prometheus-cpp's Exposer uses) is built without IPv6, so [::1]:PORT needs
// another server; cpp-httplib also lets us choose the socket options.
#include "supervisor/metrics_server.h"

#include <fcntl.h>
#include <httplib.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace supervisor {

namespace {

constexpr int kThreads = 2;  // a scraper and a probe at once; more wait their turn
constexpr const char* kTextFormat = "text/plain; version=0.0.4; charset=utf-8";

// SO_REUSEADDR only: httplib's default also sets SO_REUSEPORT, with which a
// second node on the same port would bind without error and share the scrapes.
// IPv6 sockets take IPv4 too, so that :PORT (bound to ::) is every interface.
// Close-on-exec, or workers spawned later would hold the listening socket.
void socket_options(int sock) {
    const int yes = 1, no = 0;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    int domain = 0;
    socklen_t length = sizeof domain;
    if (::getsockopt(sock, SOL_SOCKET, SO_DOMAIN, &domain, &length) == 0 && domain == AF_INET6) {
        ::setsockopt(sock, IPPROTO_IPV6, IPV6_V6ONLY, &no, sizeof no);
    }
    ::fcntl(sock, F_SETFD, FD_CLOEXEC);
}

std::string resolve_error(const std::string& host) {
    addrinfo hints{};
    hints.ai_flags = AI_PASSIVE;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found);
    if (found) ::freeaddrinfo(found);
    return rc == 0 ? std::string() : std::string(::gai_strerror(rc));
}

}  // namespace

MetricsServer::MetricsServer(std::function<std::string()> scrape, const Health& health)
    : scrape_(std::move(scrape)), health_(health), http_(std::make_unique<httplib::Server>()) {}

MetricsServer::~MetricsServer() {
    http_->stop();
    if (thread_.joinable()) thread_.join();
}

void MetricsServer::add_routes() {
    auto answer = [](httplib::Response& res, const HealthAnswer& health) {
        res.status = health.status;
        res.set_content(health.body + "\n", "text/plain; charset=utf-8");
    };
    http_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
        res.set_content(scrape_(), kTextFormat);
    });
    http_->Get("/healthz", [this, answer](const httplib::Request&, httplib::Response& res) {
        answer(res, health_.healthz());
    });
    http_->Get("/readyz", [this, answer](const httplib::Request&, httplib::Response& res) {
        answer(res, health_.readyz());
    });
    http_->Get("/", [](const httplib::Request&, httplib::Response& res) {
        res.set_content("provenode: /metrics, /healthz, /readyz\n", "text/plain; charset=utf-8");
    });
}

shared::Expected<int> MetricsServer::bind(const ListenAddress& address) {
    if (!address.host.empty()) {
        if (auto why = resolve_error(address.host); !why.empty()) return shared::fail(why);
    }
    // Every interface: IPv6 and IPv4 on one socket, or IPv4 alone on a host without IPv6.
    const std::vector<std::string> hosts = address.host.empty() ? std::vector<std::string>{"::", "0.0.0.0"}
                                                                : std::vector<std::string>{address.host};
    int error = 0;
    for (const auto& host : hosts) {
        errno = 0;
        const int port = address.port == 0 ? http_->bind_to_any_port(host)
                                           : (http_->bind_to_port(host, address.port) ? address.port : -1);
        if (port > 0) return port;
        error = errno;
        if (error != EAFNOSUPPORT) break;
    }
    return shared::fail(error != 0 ? std::strerror(error) : "cannot bind there");
}

shared::Expected<int> MetricsServer::start(const ListenAddress& address) {
    http_->set_socket_options(socket_options);
    // One request per connection: a kept-alive connection is open nearly all the
    // time under a scraper, and a worker spawned meanwhile would inherit it
    // (httplib's accept() does not set close-on-exec).
    http_->set_keep_alive_max_count(1);
    http_->set_read_timeout(5);
    http_->set_write_timeout(5);
    http_->new_task_queue = [] { return new httplib::ThreadPool(kThreads); };
    add_routes();
    auto port = bind(address);
    if (!port) return port;
    thread_ = std::thread([this] { http_->listen_after_bind(); });
    // stop() does nothing until the thread is in its accept loop, so the
    // destructor could not end a server that had not got there yet: wait for it
    // (at set-up, before the loop runs; it takes the time a thread needs to start).
    while (!http_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return port;
}

}  // namespace supervisor
