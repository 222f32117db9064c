// The answers of injected faults, and the connection reset.
#include "fault_injector.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <ctime>
#include <filesystem>

#include <nlohmann/json.hpp>

namespace orch {
namespace {

constexpr std::size_t kOversizeBytes = 2u << 20;

constexpr const char* kHtmlPage =
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n";

void json_error(httplib::Response& res, int status, const char* name, const std::string& message) {
    res.status = status;
    nlohmann::json body = {{"name", name}, {"message", message}, {"httpCode", status}};
    res.set_content(body.dump(), "application/json");
}

struct Endpoint4 {
    std::string host;
    int port = -1;
};

Endpoint4 describe(const sockaddr_storage& addr, socklen_t len) {
    char host[NI_MAXHOST];
    char port[NI_MAXSERV];
    if (getnameinfo(reinterpret_cast<const sockaddr*>(&addr), len, host, sizeof host, port,
                    sizeof port, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        return {};
    }
    return {host, std::atoi(port)};
}

bool is_connection_of(int fd, const httplib::Request& req) {
    sockaddr_storage peer{}, local{};
    socklen_t peer_len = sizeof peer, local_len = sizeof local;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0) return false;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) != 0) return false;
    const auto remote = describe(peer, peer_len);
    const auto here = describe(local, local_len);
    return remote.port == req.remote_port && remote.host == req.remote_addr &&
           here.port == req.local_port;
}

}  // namespace

bool replaces_handler(FaultKind kind) {
    switch (kind) {
        case FaultKind::Delay:
        case FaultKind::Expire:
        case FaultKind::Truncate: return false;
        default: return true;
    }
}

std::string http_date(double unix_seconds) {
    const std::time_t t = static_cast<std::time_t>(std::ceil(unix_seconds));
    std::tm tm{};
    gmtime_r(&t, &tm);
    static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday],
                  tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                  tm.tm_sec);
    return buffer;
}

void answer_with_fault(const FaultSpec& spec, httplib::Response& res, Prng& prng, double now) {
    switch (spec.kind) {
        case FaultKind::TooMany:
            res.set_header("Retry-After", spec.retry_after);
            json_error(res, 429, "RateLimited", "too many requests (injected)");
            break;
        case FaultKind::TooManyDate:
            res.set_header("Retry-After", http_date(now + std::stod(spec.retry_after)));
            json_error(res, 429, "RateLimited", "too many requests (injected)");
            break;
        case FaultKind::TooManyBare:
            json_error(res, 429, "RateLimited", "too many requests (injected)");
            break;
        case FaultKind::Internal:
            json_error(res, 500, "InternalServerError", "internal error (injected)");
            break;
        case FaultKind::Unavailable:
            json_error(res, 503, "ServiceUnavailable", "service unavailable (injected)");
            break;
        case FaultKind::Html:
            res.status = 502;
            res.set_content(kHtmlPage, "text/html");
            break;
        case FaultKind::Garbage: {
            res.status = 200;
            auto bytes = prng.bytes(16 + prng.between(0, 240));
            res.set_content(std::string(bytes.begin(), bytes.end()), "application/octet-stream");
            break;
        }
        case FaultKind::Oversize: {
            res.status = 200;
            auto bytes = prng.bytes(kOversizeBytes);
            res.set_content(std::string(bytes.begin(), bytes.end()), "application/octet-stream");
            break;
        }
        default:
            json_error(res, 500, "InternalServerError", "fault kind without an answer");
            break;
    }
}

void truncate_body(httplib::Response& res) { res.body.resize(res.body.size() / 2); }

bool reset_connection(const httplib::Request& req) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
        int fd = -1;
        try {
            fd = std::stoi(entry.path().filename().string());
        } catch (...) {
            continue;
        }
        if (!is_connection_of(fd, req)) continue;
        linger abort{1, 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
        shutdown(fd, SHUT_RDWR);
        return true;
    }
    return false;
}

}  // namespace orch
