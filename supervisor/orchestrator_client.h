// The orchestrator's endpoints (spec/orchestrator-api.md) over HttpClient:
// builds each request, decodes each reply within its bounds, and sorts every
// answer into what the caller must do about it. Never throws, never crashes on a reply.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "shared/codec.h"
#include "supervisor/http_client.h"
#include "supervisor/outcome.h"

namespace supervisor {

class OrchestratorClient {
public:
    template <class T>
    using Callback = std::function<void(const Outcome&, std::optional<T>&&)>;

    OrchestratorClient(HttpClient& http, std::string base_url);

    // Fails (and `done` is never called) when the request cannot be encoded; otherwise
    // `done` runs later, on the loop, never inside this call.
    shared::Status fetch_task(const shared::GetProofTaskRequest& request, Callback<shared::Task> done);
    void list_tasks(const std::string& node_id, const std::string& cursor, Callback<shared::GetTasksResponse> done);
    // `encoded` is a SubmitProofRequest as spooled.
    void submit(const shared::Bytes& encoded, std::function<void(const Outcome&)> done);
    void get_node(const std::string& node_id, Callback<shared::GetNodeResponse> done);
    void register_user(const shared::RegisterUserRequest& request, std::function<void(const Outcome&)> done);
    void get_user(const std::string& wallet, Callback<shared::UserResponse> done);
    void register_node(const shared::RegisterNodeRequest& request, Callback<shared::RegisterNodeResponse> done);

    const std::string& base_url() const { return base_url_; }

private:
    std::string url(const std::string& path) const { return base_url_ + path; }

    HttpClient& http_;
    std::string base_url_;
};

// Sorts an HTTP answer (without looking at a success body). Exposed for tests.
Outcome classify(const HttpResponse& response);
std::string url_encode(const std::string& text);

}  // namespace supervisor
