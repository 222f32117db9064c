// ROUTER socket on the libuv loop. ZMQ_FD signals edges, not levels: after every
// wake-up and every send, read while ZMQ_EVENTS says POLLIN.
#include "supervisor/worker_channel.h"

namespace supervisor {

WorkerChannel::WorkerChannel(uv_loop_t* loop, OnMessage on_message)
    : loop_(loop), on_message_(std::move(on_message)), router_(context_, zmq::socket_type::router) {
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
    uv_poll_start(&poll_, UV_READABLE, &WorkerChannel::on_readable);
    polling_ = true;
    return shared::Ok{};
}

shared::Status WorkerChannel::send(const std::string& routing_id, const shared::wire::Message& message) {
    auto frame = shared::wire::encode(message);
    if (!frame) return shared::fail(frame.error());
    try {
        auto sent = router_.send(zmq::buffer(routing_id), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
        // A message part once queued cannot be taken back: an interrupted second part is sent again.
        for (int i = 0; sent && i < 100; ++i) {
            try {
                sent = router_.send(zmq::buffer(frame->data(), frame->size()), zmq::send_flags::dontwait);
                break;
            } catch (const zmq::error_t& e) {
                if (e.num() != EINTR) throw;
            }
        }
        if (!sent) return shared::fail("worker " + routing_id + " is not taking messages");
    } catch (const zmq::error_t& e) {
        return shared::fail("send to worker " + routing_id + " failed: " + e.what());
    }
    drain();  // a send may have consumed the edge that announced incoming frames
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

void WorkerChannel::on_readable(uv_poll_t* poll, int, int) { static_cast<WorkerChannel*>(poll->data)->drain(); }

// A signal (SIGCHLD when a worker exits) can interrupt any ZeroMQ call: cppzmq
// throws EINTR, which is no error here, so the read is simply tried again.
void WorkerChannel::drain() {
    if (draining_ || !router_) return;  // on_message_ may send, which calls drain again
    draining_ = true;
    for (int interrupted = 0; interrupted < 100; ++interrupted) {
        try {
            drain_once();
            break;
        } catch (const zmq::error_t& e) {
            if (e.num() == EINTR) continue;
            on_message_("", shared::fail(std::string("worker socket: ") + e.what()));
            break;
        }
    }
    draining_ = false;
}

void WorkerChannel::drain_once() {
    while (router_ && (router_.get(zmq::sockopt::events) & ZMQ_POLLIN)) {
        zmq::message_t identity;
        zmq::message_t payload;
        if (!router_.recv(identity, zmq::recv_flags::dontwait)) break;
        std::string routing_id = identity.to_string();
        if (!identity.more() || !router_.recv(payload, zmq::recv_flags::dontwait)) {
            on_message_(routing_id, shared::fail("frame without a body"));
            continue;
        }
        if (payload.more()) {  // a worker sends one part; drop the rest and say so
            zmq::message_t extra;
            while (router_.recv(extra, zmq::recv_flags::dontwait) && extra.more()) {
            }
            on_message_(routing_id, shared::fail("frame has more than one part"));
            continue;
        }
        shared::ByteView bytes(static_cast<const std::uint8_t*>(payload.data()), payload.size());
        on_message_(routing_id, shared::wire::decode(bytes));
    }
}

}  // namespace supervisor
