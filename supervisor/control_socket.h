// The node's control socket, STATE/control.sock: `supervisor status` connects and
// reads one JSON document describing the running node. A libuv pipe on the
// supervisor's loop; the document is built on the loop, so no lock is needed.
#pragma once

#include <uv.h>

#include <filesystem>
#include <functional>
#include <string>

#include "shared/expected.h"

namespace supervisor {

class ControlSocket {
public:
    using Report = std::function<std::string()>;

    ControlSocket(uv_loop_t* loop, std::filesystem::path path, Report report);
    ControlSocket(const ControlSocket&) = delete;
    ControlSocket& operator=(const ControlSocket&) = delete;

    // True when a node already answers on this path (two nodes must not share a state directory).
    static bool in_use(const std::filesystem::path& path);
    // Replaces a stale socket file left by a node that died; fails when the path
    // is too long for a unix socket or cannot be bound.
    shared::Status listen();
    void close();

private:
    static void on_connection(uv_stream_t* server, int status);

    uv_loop_t* loop_;
    std::filesystem::path path_;
    Report report_;
    uv_pipe_t server_{};
    bool listening_ = false;
};

// The client side, for `supervisor status`: the node's report, or why there is none.
shared::Expected<std::string> read_status(const std::filesystem::path& path);

}  // namespace supervisor
