// The HTTP side of the local orchestrator: the spec's /v3 routes, the admin
// routes, fault injection and one record per request.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include <httplib.h>

#include "faults.h"
#include "options.h"
#include "prng.h"
#include "store.h"
#include "task_factory.h"

namespace orch {

// Unix time in seconds with microsecond precision, as the tables store it.
double unix_now();

class Server {
public:
    Server(const Options& options, Store& store, TaskFactory& factory, FaultTable& faults,
           Prng& prng);
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Binds the listening socket; returns the port. Throws std::runtime_error.
    int bind();
    // Serves until stop(); false when the accept loop failed.
    bool run();
    // Safe from any thread (the signal thread calls it).
    void stop();

private:
    // One request on its way through the routes: what the request log records.
    struct Exchange {
        Endpoint endpoint;
        double arrived_at;
        std::optional<FaultSpec> fault;
        bool reset = false;
        // --latency-ms after arrival: no answer (nor reset) leaves before then.
        std::chrono::steady_clock::time_point answer_at = std::chrono::steady_clock::now();
    };
    using Handler = void (Server::*)(const httplib::Request&, httplib::Response&, Exchange&);

    void install_routes();
    void widen_backlog();
    httplib::Server::Handler route(Endpoint endpoint, Handler handler);
    void serve(Endpoint endpoint, Handler handler, const httplib::Request& req,
               httplib::Response& res);
    void apply_fault_before(Exchange& exchange, const httplib::Request& req,
                            httplib::Response& res, bool& run_handler);
    void finish(const Exchange& exchange, const httplib::Request& req,
                const httplib::Response& res);
    void record_faulted_submission(const Exchange& exchange, const httplib::Request& req,
                                   const httplib::Response& res);

    // The spec's routes.
    void on_fetch(const httplib::Request& req, httplib::Response& res, Exchange& exchange);
    void on_list(const httplib::Request& req, httplib::Response& res, Exchange& exchange);
    void on_submit(const httplib::Request& req, httplib::Response& res, Exchange& exchange);
    void on_register_user(const httplib::Request& req, httplib::Response& res, Exchange& exchange);
    void on_get_user(const httplib::Request& req, httplib::Response& res, Exchange& exchange);
    void on_register_node(const httplib::Request& req, httplib::Response& res, Exchange& exchange);
    void on_get_node(const httplib::Request& req, httplib::Response& res, Exchange& exchange);
    // Admin routes (JSON), never faulted.
    void on_add_faults(const httplib::Request& req, httplib::Response& res, Exchange& exchange);
    void on_clear_faults(const httplib::Request& req, httplib::Response& res, Exchange& exchange);
    void on_get_faults(const httplib::Request& req, httplib::Response& res, Exchange& exchange);
    void on_queue_tasks(const httplib::Request& req, httplib::Response& res, Exchange& exchange);
    void on_stats(const httplib::Request& req, httplib::Response& res, Exchange& exchange);
    void on_unknown_route(const httplib::Request& req, httplib::Response& res, Exchange& exchange);

    // Takes one of the --max-tasks slots; false when they are used up.
    bool reserve_task_slot();
    std::string new_task_id();
    std::string new_node_id();
    bool node_may_fetch(const std::string& node_id);

    const Options& options_;
    Store& store_;
    TaskFactory& factory_;
    FaultTable& faults_;
    Prng& prng_;
    httplib::Server http_;
    int listen_fd_ = -1;  // seen by the socket-options callback
    std::mutex issue_mutex_;
    std::uint64_t issued_ = 0;  // tasks issued by this process (for --max-tasks)
    std::atomic<std::int64_t> next_task_number_;
};

}  // namespace orch
