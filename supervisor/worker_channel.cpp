// ROUTER socket on the libuv loop. ZMQ_FD signals edges, not levels: the shell
// reads while ZMQ_EVENTS says POLLIN, after every wake-up and before every turn.
// A signal (SIGCHLD when a worker exits) can interrupt any ZeroMQ call: cppzmq
// throws EINTR, which is no error here, so the one call is tried again, and a
// message is never restarted halfway.
#include "supervisor/worker_channel.h"

namespace supervisor {

namespace {
constexpr int kMaxInterrupts = 1000;
}

WorkerChannel::WorkerChannel(uv_loop_t* loop, OnMessage on_message, OnReadable on_readable)
    : loop_(loop),
      on_message_(std::move(on_message)),
      on_readable_(std::move(on_readable)),
      router_(context_, zmq::socket_type::router) {
    router_.set(zmq::sockopt::linger, 0);
    router_.set(zmq::sockopt::router_mandatory, 1);
    router_.set(zmq::sockopt::sndhwm, 10000);
    router_.set(zmq::sockopt::rcvhwm, 10000);
}

WorkerChannel::~WorkerChannel() { close(); }

shared::Status WorkerChannel::bind(const std::string& endpoint) {
    try {
        router_.bind(endpoint);
    } catch (const zmq::error_t& e) {
        return shared::fail("cannot bind " + endpoint + ": " + e.what());
    }
    const int fd = router_.get(zmq::sockopt::fd);
    uv_poll_init(loop_, &poll_, fd);
    poll_.data = this;
    uv_poll_start(&poll_, UV_READABLE, &WorkerChannel::on_poll);
    polling_ = true;
    return shared::Ok{};
}

bool WorkerChannel::send_part(zmq::const_buffer part, zmq::send_flags flags) {
    for (int i = 0; i < kMaxInterrupts; ++i) {
        try {
            return router_.send(part, flags | zmq::send_flags::dontwait).has_value();
        } catch (const zmq::error_t& e) {
            if (e.num() != EINTR) throw;
        }
    }
    return false;
}

shared::Status WorkerChannel::send(const std::string& routing_id, const shared::wire::Message& message) {
    auto frame = shared::wire::encode(message);
    if (!frame) return shared::fail(frame.error());
    if (!router_) return shared::fail("the worker socket is closed");
    try {
        if (!send_part(zmq::buffer(routing_id), zmq::send_flags::sndmore)) {
            return shared::fail("worker " + routing_id + " is not taking messages");
        }
        // The routing part is queued and cannot be taken back: the body must follow it,
        // or the next message's routing part would become this one's body.
        if (!send_part(zmq::buffer(frame->data(), frame->size()), zmq::send_flags::none)) {
            return shared::fail("the message to worker " + routing_id + " was cut after its routing part");
        }
    } catch (const zmq::error_t& e) {
        return shared::fail("send to worker " + routing_id + " failed: " + e.what());
    }
    return shared::Ok{};
}

void WorkerChannel::close() {
    if (polling_) {
        uv_poll_stop(&poll_);
        uv_close(reinterpret_cast<uv_handle_t*>(&poll_), nullptr);
        polling_ = false;
    }
    if (router_) router_.close();
}

void WorkerChannel::on_poll(uv_poll_t* poll, int, int) { static_cast<WorkerChannel*>(poll->data)->on_readable_(); }

bool WorkerChannel::has_input() {
    for (int i = 0; router_ && i < kMaxInterrupts; ++i) {
        try {
            return (router_.get(zmq::sockopt::events) & ZMQ_POLLIN) != 0;
        } catch (const zmq::error_t& e) {
            if (e.num() != EINTR) return false;
        }
    }
    return false;
}

// One part, retried on EINTR only; false when none is waiting.
bool WorkerChannel::recv_part(zmq::message_t& part) {
    for (int i = 0; i < kMaxInterrupts; ++i) {
        try {
            return router_.recv(part, zmq::recv_flags::dontwait).has_value();
        } catch (const zmq::error_t& e) {
            if (e.num() != EINTR) throw;
        }
    }
    return false;
}

void WorkerChannel::drain() {
    try {
        while (has_input()) {
            zmq::message_t identity;
            if (!recv_part(identity)) break;
            const std::string routing_id = identity.to_string();
            zmq::message_t payload;
            if (!identity.more() || !recv_part(payload)) {
                on_message_(routing_id, shared::fail("frame without a body"));
                continue;
            }
            if (payload.more()) {  // a worker sends one part; drop the rest and say so
                zmq::message_t extra;
                while (recv_part(extra) && extra.more()) {
                }
                on_message_(routing_id, shared::fail("frame has more than one part"));
                continue;
            }
            shared::ByteView bytes(static_cast<const std::uint8_t*>(payload.data()), payload.size());
            on_message_(routing_id, shared::wire::decode(bytes));
        }
    } catch (const zmq::error_t& e) {
        on_message_("", shared::fail(std::string("worker socket: ") + e.what()));
    }
}

}  // namespace supervisor
