// What an orchestrator's answer means for the caller (the spec's status table),
// apart from HTTP: the core decides on these without knowing about curl.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace supervisor {

enum class Reply {
    Ok,           // 2xx and, where a body is expected, a body that decodes
    NotFound,     // 404
    Conflict,     // 409 (on submit: already accepted)
    RateLimited,  // 429; retry_after_s when the server said when
    Rejected,     // 400, 422 and other 4xx: final
    Retry,        // 5xx, timeout, reset, refused, a body that does not decode
};
std::string_view to_string(Reply reply);

struct Outcome {
    Reply reply = Reply::Retry;
    long status = 0;
    std::optional<double> retry_after_s;
    std::string message;  // what went wrong, for the log: the server's message or ours
    double elapsed_s = 0;
};

}  // namespace supervisor
