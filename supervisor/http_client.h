// An HTTP client on the supervisor's libuv loop: libcurl's multi interface driven
// by uv_poll and uv_timer, as curl's multi-uv example does. Nothing here blocks.
#pragma once

#include <curl/curl.h>
#include <uv.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "shared/bytes.h"

namespace supervisor {

struct HttpRequest {
    std::string method;  // GET or POST
    std::string url;
    shared::Bytes body;
    long connect_timeout_ms = 10'000;
    long total_timeout_ms = 30'000;
    std::size_t max_reply_bytes = 1 << 20;
};

struct HttpResponse {
    long status = 0;            // 0 when no response came (network error, timeout)
    std::string error;          // curl's explanation when status is 0 or the body was cut
    shared::Bytes body;
    std::string content_type;
    std::optional<std::string> retry_after;  // raw header value
    double elapsed_s = 0;
};

class HttpClient {
public:
    using Callback = std::function<void(HttpResponse&&)>;

    HttpClient(uv_loop_t* loop, std::string user_agent);
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    // Starts a request; the callback runs on the loop when it ends, however it ends.
    void start(const HttpRequest& request, Callback callback);
    // Aborts every request in flight; their callbacks are not called.
    void cancel_all();
    std::size_t in_flight() const { return live_.size(); }
    // Closes the uv handles; the loop can then end.
    void close();

private:
    struct Transfer;
    struct SocketContext;

    static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* userp);
    static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* userp);
    static int on_socket(CURL* easy, curl_socket_t fd, int action, void* userp, void* socketp);
    static int on_timer_change(CURLM* multi, long timeout_ms, void* userp);
    static void on_timeout(uv_timer_t* timer);
    static void on_poll(uv_poll_t* poll, int status, int events);
    void drive(curl_socket_t fd, int events);
    void finish_transfers();

    uv_loop_t* loop_;
    std::string user_agent_;
    CURLM* multi_ = nullptr;
    uv_timer_t timer_{};
    std::unordered_set<Transfer*> live_;  // owned; freed when done or cancelled
    bool closed_ = false;
};

}  // namespace supervisor
