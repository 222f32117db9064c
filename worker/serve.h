// `worker serve`: the worker's life under a supervisor, over a ZeroMQ DEALER socket.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <zmq.hpp>

#include "worker/job_runner.h"

namespace worker {

struct ServeOptions {
    std::string endpoint;           // the supervisor's ROUTER, e.g. ipc:///run/provenode/workers
    unsigned index = 0;             // the supervisor's slot number, for logs and the hello
    pid_t parent_pid = 0;           // the supervisor; the worker must not outlive it
    bool allow_test_programs = false;
};

inline constexpr std::chrono::milliseconds kHeartbeatInterval{1000};
inline constexpr std::chrono::milliseconds kResendInterval{20};

// Sets up death-with-parent and logging, then serves until Shutdown. Returns the
// process exit code: 0 after Shutdown, 1 when the parent is already gone or the
// socket cannot be set up.
int serve(const ServeOptions& options);

// The main thread's loop: it owns the socket, sends heartbeats on time, and hands
// each task to a job thread so that proving can never delay a heartbeat.
class Server {
public:
    explicit Server(ServeOptions options);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Runs until Shutdown; returns only to report a setup error (exit code 1).
    int run();

private:
    struct RunningJob;

    void poll_once();
    void on_frame(const zmq::message_t& frame);
    void on_assign(shared::wire::Assign assign);
    void on_job_done();
    void send_heartbeat();
    void send(const shared::wire::Message& message);
    bool send_frame(const shared::Bytes& frame, std::string_view what);
    void resend_result();
    void send_failure(shared::wire::Failure failure);
    [[noreturn]] void exit_now(int code);

    ServeOptions options_;
    zmq::context_t context_;
    zmq::socket_t socket_;
    int job_done_fd_ = -1;  // eventfd: the job thread wakes the poll when it is done
    std::unique_ptr<RunningJob> job_;
    std::chrono::steady_clock::time_point next_heartbeat_;
    std::uint64_t undecodable_frames_ = 0;
    std::uint64_t assigns_received_ = 0;
    struct UnsentResult {
        std::string task_id;
        shared::Bytes frame;
    };
    std::optional<UnsentResult> unsent_result_;
};

}  // namespace worker
