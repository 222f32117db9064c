// Requests to the orchestrator and the sorting of its answers (the spec's status table).
#include "supervisor/orchestrator_client.h"

#include <nlohmann/json.hpp>

#include <ctime>

#include "shared/bounds.h"
#include "supervisor/request_timer.h"

namespace supervisor {

std::string_view to_string(Reply reply) {
    switch (reply) {
        case Reply::Ok: return "ok";
        case Reply::NotFound: return "not found";
        case Reply::Conflict: return "conflict";
        case Reply::RateLimited: return "rate limited";
        case Reply::Rejected: return "rejected";
        case Reply::Retry: return "retry";
    }
    return "unknown";
}

namespace {

// The server's explanation: the JSON error's message, else the start of the body
// with anything unprintable replaced, so a proxy's HTML page stays one log line.
std::string server_message(const HttpResponse& response) {
    if (response.body.empty()) return "";
    try {
        auto json = nlohmann::json::parse(response.body.begin(), response.body.end());
        if (json.is_object() && json.contains("message") && json["message"].is_string()) {
            // Control characters (a newline in the server's text) would split the log line.
            std::string message = json["message"].get<std::string>().substr(0, 300);
            for (char& c : message) {
                if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
            }
            return message;
        }
    } catch (...) {
    }
    std::string text;
    for (std::size_t i = 0; i < response.body.size() && text.size() < 120; ++i) {
        const char c = static_cast<char>(response.body[i]);
        text += (c >= 0x20 && c < 0x7f) ? c : ' ';
    }
    return "body: " + text;
}

template <class T, class Decode>
void finish(const HttpResponse& response, Decode decode, const OrchestratorClient::Callback<T>& done) {
    Outcome outcome = classify(response);
    if (outcome.reply != Reply::Ok) {
        done(outcome, std::nullopt);
        return;
    }
    auto decoded = decode(response.body);
    if (!decoded) {
        outcome.reply = Reply::Retry;
        outcome.message = "undecodable reply (" + decoded.error() + ")";
        done(outcome, std::nullopt);
        return;
    }
    done(outcome, std::optional<T>(std::move(*decoded)));
}

HttpRequest make(const std::string& method, const std::string& url, shared::Bytes body = {}) {
    HttpRequest request;
    request.method = method;
    request.url = url;
    request.body = std::move(body);
    request.max_reply_bytes = shared::kMaxReplyBytes;
    return request;
}

}  // namespace

Outcome classify(const HttpResponse& response) {
    Outcome outcome;
    outcome.status = response.status;
    outcome.elapsed_s = response.elapsed_s;
    const long s = response.status;
    if (s == 0) {
        outcome.reply = Reply::Retry;
        outcome.message = response.error.empty() ? "no response" : response.error;
        return outcome;
    }
    outcome.message = server_message(response);
    if (s >= 200 && s < 300) outcome.reply = Reply::Ok;
    else if (s == 404) outcome.reply = Reply::NotFound;
    else if (s == 409) outcome.reply = Reply::Conflict;
    else if (s == 429) outcome.reply = Reply::RateLimited;
    else if (s >= 400 && s < 500) outcome.reply = Reply::Rejected;
    else outcome.reply = Reply::Retry;
    if (s == 429 || s == 503) {
        if (response.retry_after) outcome.retry_after_s = parse_retry_after(*response.retry_after, std::time(nullptr));
    }
    return outcome;
}

std::string url_encode(const std::string& text) {
    static const char* kHex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

OrchestratorClient::OrchestratorClient(HttpClient& http, std::string base_url) : http_(http), base_url_(std::move(base_url)) {
    while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
}

shared::Status OrchestratorClient::fetch_task(const shared::GetProofTaskRequest& request, Callback<shared::Task> done) {
    auto body = shared::encode(request);
    if (!body) return shared::fail("cannot encode the task request: " + body.error());
    http_.start(make("POST", url("/v3/tasks"), std::move(*body)), [done](HttpResponse&& response) {
        finish<shared::Task>(response, [](const shared::Bytes& bytes) -> shared::Expected<shared::Task> {
            auto decoded = shared::decode_GetProofTaskResponse(bytes);
            if (!decoded) return shared::fail(decoded.error());
            if (!decoded->task) return shared::fail("the reply has no task");
            return std::move(*decoded->task);
        }, done);
    });
    return shared::Ok{};
}

void OrchestratorClient::list_tasks(const std::string& node_id, const std::string& cursor,
                                    Callback<shared::GetTasksResponse> done) {
    std::string path = "/v3/tasks/" + url_encode(node_id);
    if (!cursor.empty()) path += "?next_cursor=" + url_encode(cursor);
    http_.start(make("GET", url(path)), [done](HttpResponse&& response) {
        finish<shared::GetTasksResponse>(response, shared::decode_GetTasksResponse, done);
    });
}

void OrchestratorClient::submit(const shared::Bytes& encoded, std::function<void(const Outcome&)> done) {
    HttpRequest request = make("POST", url("/v3/tasks/submit"), encoded);
    // A large proof on a slow uplink is not a failure: allow 30 s plus 1 s per 64 KiB.
    request.total_timeout_ms = 30'000 + static_cast<long>(encoded.size() / 65536) * 1000;
    http_.start(request, [done](HttpResponse&& response) { done(classify(response)); });
}

void OrchestratorClient::get_node(const std::string& node_id, Callback<shared::GetNodeResponse> done) {
    http_.start(make("GET", url("/v3/nodes/" + url_encode(node_id))), [done](HttpResponse&& response) {
        finish<shared::GetNodeResponse>(response, shared::decode_GetNodeResponse, done);
    });
}

void OrchestratorClient::register_user(const shared::RegisterUserRequest& request,
                                       std::function<void(const Outcome&)> done) {
    auto body = shared::encode(request);
    if (!body) {
        done(Outcome{Reply::Rejected, 0, std::nullopt, body.error(), 0});
        return;
    }
    http_.start(make("POST", url("/v3/users"), std::move(*body)), [done](HttpResponse&& response) {
        done(classify(response));
    });
}

void OrchestratorClient::get_user(const std::string& wallet, Callback<shared::UserResponse> done) {
    http_.start(make("GET", url("/v3/users/" + url_encode(wallet))), [done](HttpResponse&& response) {
        finish<shared::UserResponse>(response, shared::decode_UserResponse, done);
    });
}

void OrchestratorClient::register_node(const shared::RegisterNodeRequest& request,
                                       Callback<shared::RegisterNodeResponse> done) {
    auto body = shared::encode(request);
    if (!body) {
        done(Outcome{Reply::Rejected, 0, std::nullopt, body.error(), 0}, std::nullopt);
        return;
    }
    http_.start(make("POST", url("/v3/nodes"), std::move(*body)), [done](HttpResponse&& response) {
        finish<shared::RegisterNodeResponse>(response, shared::decode_RegisterNodeResponse, done);
    });
}

}  // namespace supervisor
