// The HTTP endpoint on --metrics-addr: /metrics in the Prometheus text format,
// /healthz and /readyz. cpp-httplib serves it from threads of its own, which
// only read what the loop publishes.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "shared/expected.h"
#include "supervisor/health.h"
#include "supervisor/listen_address.h"

namespace httplib {
class Server;
}

namespace supervisor {

class MetricsServer {
public:
    // `scrape` makes the text of /metrics; it runs on the server's threads.
    MetricsServer(std::function<std::string()> scrape, const Health& health);
    ~MetricsServer();  // stops serving and joins the threads
    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;

    // Binds and starts serving; returns the port bound (the kernel's choice for port 0).
    // The error says why in one line, without the flag's name.
    shared::Expected<int> start(const ListenAddress& address);

private:
    void add_routes();
    shared::Expected<int> bind(const ListenAddress& address);

    std::function<std::string()> scrape_;
    const Health& health_;
    std::unique_ptr<httplib::Server> http_;
    std::thread thread_;
};

}  // namespace supervisor
