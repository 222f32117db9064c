// The supervisor's end of the worker protocol: a ZeroMQ ROUTER socket on an ipc
// endpoint, watched by a uv_poll on ZMQ_FD. Workers' routing ids are their pids.
// send() only sends: it never reads, so no handler ever runs inside a send. The
// shell reads with drain() when the socket is readable and before every turn.
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
    // Called from the uv_poll callback: frames may be waiting (the edge of ZMQ_FD).
    using OnReadable = std::function<void()>;

    WorkerChannel(uv_loop_t* loop, OnMessage on_message, OnReadable on_readable);
    ~WorkerChannel();
    WorkerChannel(const WorkerChannel&) = delete;
    WorkerChannel& operator=(const WorkerChannel&) = delete;

    shared::Status bind(const std::string& endpoint);
    // Fails when the worker is not connected (ZMQ_ROUTER_MANDATORY) or the message
    // exceeds the protocol's bounds. Never blocks, never reads.
    shared::Status send(const std::string& routing_id, const shared::wire::Message& message);
    // Reads every waiting frame, one on_message each.
    void drain();
    // True when frames wait to be read (a send may have consumed the edge that said so).
    bool has_input();
    void close();

private:
    static void on_poll(uv_poll_t* poll, int status, int events);
    bool recv_part(zmq::message_t& part);
    bool send_part(zmq::const_buffer part, zmq::send_flags flags);

    uv_loop_t* loop_;
    OnMessage on_message_;
    OnReadable on_readable_;
    zmq::context_t context_{1};
    zmq::socket_t router_;
    uv_poll_t poll_{};
    bool polling_ = false;
};

}  // namespace supervisor
