// A unix socket that answers every connection with the node's status.
#include "supervisor/control_socket.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace supervisor {

namespace {

// One answer in flight: the client, the bytes, and the write request.
struct Answer {
    uv_pipe_t client{};
    uv_write_t write{};
    std::string text;
};

void close_answer(uv_handle_t* handle) { delete static_cast<Answer*>(handle->data); }

bool someone_listens(const std::filesystem::path& path) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    const bool connected = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return connected;
}

}  // namespace

bool ControlSocket::in_use(const std::filesystem::path& path) {
    return path.string().size() < sizeof(sockaddr_un{}.sun_path) && std::filesystem::exists(path) && someone_listens(path);
}

ControlSocket::ControlSocket(uv_loop_t* loop, std::filesystem::path path, Report report)
    : loop_(loop), path_(std::move(path)), report_(std::move(report)) {}

shared::Status ControlSocket::listen() {
    if (path_.string().size() >= sizeof(sockaddr_un{}.sun_path)) {
        return shared::fail("control socket path " + path_.string() + " is too long for a unix socket");
    }
    if (std::filesystem::exists(path_)) {
        if (someone_listens(path_)) return shared::fail("another node answers on " + path_.string());
        std::error_code ec;
        std::filesystem::remove(path_, ec);  // left by a node that was killed
    }
    uv_pipe_init(loop_, &server_, 0);
    server_.data = this;
    listening_ = true;
    if (int rc = uv_pipe_bind(&server_, path_.c_str()); rc != 0) {
        return shared::fail("cannot bind the control socket " + path_.string() + ": " + uv_strerror(rc));
    }
    if (int rc = uv_listen(reinterpret_cast<uv_stream_t*>(&server_), 8, &ControlSocket::on_connection); rc != 0) {
        return shared::fail("cannot listen on the control socket " + path_.string() + ": " + uv_strerror(rc));
    }
    return shared::Ok{};
}

void ControlSocket::close() {
    if (!listening_) return;
    listening_ = false;
    uv_close(reinterpret_cast<uv_handle_t*>(&server_), nullptr);
    std::error_code ec;
    std::filesystem::remove(path_, ec);
}

void ControlSocket::on_connection(uv_stream_t* server, int status) {
    auto* self = static_cast<ControlSocket*>(server->data);
    if (status < 0) return;
    auto* answer = new Answer;
    uv_pipe_init(self->loop_, &answer->client, 0);
    answer->client.data = answer;
    if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&answer->client)) != 0) {
        uv_close(reinterpret_cast<uv_handle_t*>(&answer->client), close_answer);
        return;
    }
    answer->text = self->report_() + "\n";
    uv_buf_t buffer = uv_buf_init(answer->text.data(), static_cast<unsigned>(answer->text.size()));
    answer->write.data = answer;
    const int rc = uv_write(&answer->write, reinterpret_cast<uv_stream_t*>(&answer->client), &buffer, 1,
                            [](uv_write_t* request, int) {
                                auto* a = static_cast<Answer*>(request->data);
                                uv_close(reinterpret_cast<uv_handle_t*>(&a->client), close_answer);
                            });
    if (rc != 0) uv_close(reinterpret_cast<uv_handle_t*>(&answer->client), close_answer);
}

shared::Expected<std::string> read_status(const std::filesystem::path& path) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return shared::fail(std::string("socket: ") + std::strerror(errno));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        const std::string why = std::strerror(errno);
        ::close(fd);
        return shared::fail("no node answers on " + path.string() + " (" + why + "); is it running with this --state-dir?");
    }
    timeval timeout{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    std::string text;
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        text.append(buffer, static_cast<std::size_t>(n));
        if (text.size() > (1u << 20)) break;
    }
    ::close(fd);
    if (text.empty()) return shared::fail("the node on " + path.string() + " sent no status");
    return text;
}

}  // namespace supervisor
