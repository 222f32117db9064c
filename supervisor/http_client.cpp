// libcurl multi on libuv: every socket curl wants watched gets a uv_poll, curl's
// timeout becomes a uv_timer, and finished transfers are reaped after each action.
#include "supervisor/http_client.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <memory>

namespace supervisor {

struct HttpClient::Transfer {
    CURL* easy = nullptr;
    curl_slist* headers = nullptr;
    HttpRequest request;
    HttpResponse response;
    Callback callback;
    bool body_too_large = false;
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();

    ~Transfer() {
        if (headers) curl_slist_free_all(headers);
        if (easy) curl_easy_cleanup(easy);
    }
};

struct HttpClient::SocketContext {
    uv_poll_t poll{};
    curl_socket_t fd;
    HttpClient* client;
};

std::size_t HttpClient::on_body(char* data, std::size_t size, std::size_t count, void* userp) {
    auto* transfer = static_cast<Transfer*>(userp);
    const std::size_t n = size * count;
    if (transfer->response.body.size() + n > transfer->request.max_reply_bytes) {
        transfer->body_too_large = true;
        return 0;  // curl fails the transfer with CURLE_WRITE_ERROR
    }
    transfer->response.body.insert(transfer->response.body.end(), data, data + n);
    return n;
}

std::size_t HttpClient::on_header(char* data, std::size_t size, std::size_t count, void* userp) {
    auto* transfer = static_cast<Transfer*>(userp);
    const std::size_t n = size * count;
    std::string line(data, n);
    const auto colon = line.find(':');
    if (colon == std::string::npos) {
        // A status line starts a new header block (e.g. after a 100 Continue).
        if (line.rfind("HTTP/", 0) == 0) transfer->response.retry_after.reset();
        return n;
    }
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string value = line.substr(colon + 1);
    const auto first = value.find_first_not_of(" \t");
    const auto last = value.find_last_not_of(" \t\r\n");
    value = first == std::string::npos ? "" : value.substr(first, last - first + 1);
    if (name == "retry-after") transfer->response.retry_after = value;
    if (name == "content-type") transfer->response.content_type = value;
    return n;
}

HttpClient::HttpClient(uv_loop_t* loop, std::string user_agent) : loop_(loop), user_agent_(std::move(user_agent)) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    multi_ = curl_multi_init();
    uv_timer_init(loop_, &timer_);
    timer_.data = this;
    curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &HttpClient::on_socket);
    curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &HttpClient::on_timer_change);
    curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
}

HttpClient::~HttpClient() {
    cancel_all();
    curl_multi_cleanup(multi_);
}

void HttpClient::close() {
    if (closed_) return;
    closed_ = true;
    cancel_all();
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
}

void HttpClient::start(const HttpRequest& request, Callback callback) {
    auto transfer = std::make_unique<Transfer>();
    transfer->request = request;
    transfer->callback = std::move(callback);
    CURL* easy = curl_easy_init();
    transfer->easy = easy;
    curl_easy_setopt(easy, CURLOPT_URL, transfer->request.url.c_str());
    curl_easy_setopt(easy, CURLOPT_USERAGENT, user_agent_.c_str());
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, request.connect_timeout_ms);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, request.total_timeout_ms);
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &HttpClient::on_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, transfer.get());
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &HttpClient::on_header);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, transfer.get());
    curl_easy_setopt(easy, CURLOPT_PRIVATE, transfer.get());
    transfer->headers = curl_slist_append(transfer->headers, "Content-Type: application/octet-stream");
    transfer->headers = curl_slist_append(transfer->headers, "Accept: application/octet-stream");
    transfer->headers = curl_slist_append(transfer->headers, "Expect:");
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, transfer->headers);
    if (request.method == "POST") {
        curl_easy_setopt(easy, CURLOPT_POST, 1L);
        curl_easy_setopt(easy, CURLOPT_POSTFIELDS, transfer->request.body.data());
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(transfer->request.body.size()));
    }
    curl_multi_add_handle(multi_, easy);
    live_.insert(transfer.get());
    transfer.release();  // owned by the multi handle until finish_transfers()
}

void HttpClient::cancel_all() {
    for (Transfer* transfer : live_) {
        curl_multi_remove_handle(multi_, transfer->easy);
        delete transfer;
    }
    live_.clear();
}

int HttpClient::on_socket(CURL*, curl_socket_t fd, int action, void* userp, void* socketp) {
    auto* self = static_cast<HttpClient*>(userp);
    auto* context = static_cast<SocketContext*>(socketp);
    if (action == CURL_POLL_REMOVE) {
        if (context) {
            uv_poll_stop(&context->poll);
            uv_close(reinterpret_cast<uv_handle_t*>(&context->poll),
                     [](uv_handle_t* h) { delete static_cast<SocketContext*>(h->data); });
            curl_multi_assign(self->multi_, fd, nullptr);
        }
        return 0;
    }
    if (!context) {
        context = new SocketContext{};
        context->fd = fd;
        context->client = self;
        uv_poll_init_socket(self->loop_, &context->poll, fd);
        context->poll.data = context;
        curl_multi_assign(self->multi_, fd, context);
    }
    int events = 0;
    if (action != CURL_POLL_OUT) events |= UV_READABLE;
    if (action != CURL_POLL_IN) events |= UV_WRITABLE;
    uv_poll_start(&context->poll, events, &HttpClient::on_poll);
    return 0;
}

void HttpClient::on_poll(uv_poll_t* poll, int status, int events) {
    auto* context = static_cast<SocketContext*>(poll->data);
    HttpClient* self = context->client;
    int flags = 0;
    if (status < 0) flags = CURL_CSELECT_ERR;
    if (events & UV_READABLE) flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
    self->drive(context->fd, flags);
}

int HttpClient::on_timer_change(CURLM*, long timeout_ms, void* userp) {
    auto* self = static_cast<HttpClient*>(userp);
    if (timeout_ms < 0) {
        uv_timer_stop(&self->timer_);
    } else {
        uv_timer_start(&self->timer_, &HttpClient::on_timeout, static_cast<std::uint64_t>(timeout_ms), 0);
    }
    return 0;
}

void HttpClient::on_timeout(uv_timer_t* timer) {
    static_cast<HttpClient*>(timer->data)->drive(CURL_SOCKET_TIMEOUT, 0);
}

void HttpClient::drive(curl_socket_t fd, int events) {
    int running = 0;
    curl_multi_socket_action(multi_, fd, events, &running);
    finish_transfers();
}

void HttpClient::finish_transfers() {
    int pending = 0;
    while (CURLMsg* message = curl_multi_info_read(multi_, &pending)) {
        if (message->msg != CURLMSG_DONE) continue;
        Transfer* raw = nullptr;
        curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &raw);
        std::unique_ptr<Transfer> transfer(raw);
        const CURLcode code = message->data.result;
        curl_multi_remove_handle(multi_, message->easy_handle);
        live_.erase(raw);
        HttpResponse& response = transfer->response;
        if (code == CURLE_OK) {
            curl_easy_getinfo(transfer->easy, CURLINFO_RESPONSE_CODE, &response.status);
        } else {
            response.status = 0;
            response.error = transfer->body_too_large
                                 ? "reply body over " + std::to_string(transfer->request.max_reply_bytes) + " bytes"
                                 : curl_easy_strerror(code);
        }
        response.elapsed_s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - transfer->started).count();
        Callback callback = std::move(transfer->callback);
        HttpResponse done = std::move(response);
        transfer.reset();
        callback(std::move(done));
    }
}

}  // namespace supervisor
