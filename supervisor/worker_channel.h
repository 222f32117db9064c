// The supervisor's end of the worker protocol: a ZeroMQ ROUTER socket on an ipc
// endpoint, watched by a uv_poll on ZMQ_FD. Workers' routing ids are their pids.
#pragma once

#include <uv.h>

#include <functional>
#include <string>
#include <zmq.hpp>

#include "shared/expected.h"
#include "shared/worker_codec.h"

namespace supervisor {

class WorkerChannel {
public:
    // `frame` is the decoded message, or why it could not be decoded.
    using OnMessage = std::function<void(const std::string& routing_id, shared::Expected<shared::wire::Message>&& frame)>;

    WorkerChannel(uv_loop_t* loop, OnMessage on_message);
    ~WorkerChannel();
    WorkerChannel(const WorkerChannel&) = delete;
    WorkerChannel& operator=(const WorkerChannel&) = delete;

    shared::Status bind(const std::string& endpoint);
    // Fails when the worker is not connected (ZMQ_ROUTER_MANDATORY) or the
    // message exceeds the protocol's bounds. Never blocks.
    shared::Status send(const std::string& routing_id, const shared::wire::Message& message);
    void close();

private:
    static void on_readable(uv_poll_t* poll, int status, int events);
    void drain();
    void drain_once();

    uv_loop_t* loop_;
    OnMessage on_message_;
    zmq::context_t context_{1};
    zmq::socket_t router_;
    uv_poll_t poll_{};
    bool polling_ = false;
    bool draining_ = false;
};

}  // namespace supervisor
