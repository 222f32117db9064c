// register-user, register-node and logout: one blocking exchange each with the
// orchestrator on a private libuv loop, and the NodeConfig file they keep.
#include "supervisor/identity.h"

#include <sodium.h>
#include <uv.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "shared/eip55.h"
#include "supervisor/http_client.h"
#include "supervisor/node_config.h"

namespace supervisor {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

int print_error(int code, const std::string& message) {
    std::fprintf(stderr, "supervisor: %s\n", message.c_str());
    return code;
}

// The identity commands run without the supervisor's loop, so each gets a loop of
// its own and waits on it for one answer at a time.
class OneShot {
public:
    explicit OneShot(const std::string& base_url) {
        uv_loop_init(&loop_);
        http_.emplace(&loop_, "provenode/" PROVENODE_VERSION);
        client_.emplace(*http_, base_url);
    }
    OneShot(const OneShot&) = delete;
    OneShot& operator=(const OneShot&) = delete;

    ~OneShot() {
        client_.reset();
        http_->close();
        uv_run(&loop_, UV_RUN_NOWAIT);  // the timer's close callback, before its memory goes
        http_.reset();                  // curl's cleanup may close the poll of a kept-alive connection
        uv_run(&loop_, UV_RUN_NOWAIT);
        uv_loop_close(&loop_);
    }

    // Starts one request; returns its outcome and decoded body once the callback ran.
    template <class T, class Start>
    std::pair<Outcome, std::optional<T>> call(Start start) {
        bool finished = false;
        Outcome outcome;
        std::optional<T> body;
        start(*client_, [&](const Outcome& o, std::optional<T>&& b) {
            outcome = o;
            body = std::move(b);
            finished = true;
        });
        wait(finished, outcome);
        return {outcome, std::move(body)};
    }

    template <class Start>
    Outcome call_without_body(Start start) {
        bool finished = false;
        Outcome outcome;
        start(*client_, [&](const Outcome& o) {
            outcome = o;
            finished = true;
        });
        wait(finished, outcome);
        return outcome;
    }

private:
    void wait(const bool& finished, Outcome& outcome) {
        // uv_run returns 0 once nothing is left to wait for; the client always calls
        // back before that, so the fallback only guards against a loop with no end.
        while (!finished) {
            if (uv_run(&loop_, UV_RUN_ONCE) == 0 && !finished) {
                outcome.message = "the request ended without an answer";
                return;
            }
        }
    }

    uv_loop_t loop_{};
    std::optional<HttpClient> http_;
    std::optional<OrchestratorClient> client_;
};

// "HTTP 404: no user 7" or, without a response, curl's reason.
std::string describe(const Outcome& outcome) {
    if (outcome.status == 0) return "no answer: " + (outcome.message.empty() ? "unknown error" : outcome.message);
    std::string text = "HTTP " + std::to_string(outcome.status);
    if (!outcome.message.empty()) text += ": " + outcome.message;
    return text;
}

std::string request_failed(const std::string& what, const std::string& url, const Outcome& outcome) {
    if (outcome.status == 0) return "cannot reach the orchestrator at " + url + " (" + what + "): " + describe(outcome);
    return "the orchestrator at " + url + " refused " + what + ": " + describe(outcome);
}

// The orchestrator to talk to: the flag, else the one saved at registration.
shared::Expected<std::string> orchestrator_url(const Options& options, const std::optional<NodeConfig>& config) {
    if (!options.orchestrator_url.empty()) return options.orchestrator_url;
    if (config && !config->orchestrator_url.empty()) return config->orchestrator_url;
    return shared::fail("--orchestrator-url: required (none saved in " + options.config_path.string() + ")");
}

// POST /v3/users, then GET /v3/users/{wallet}: the server keeps the first user of a
// wallet, so the id it answers with may be an earlier one than the UUID just sent.
shared::Expected<std::string> register_and_look_up(OneShot& session, const std::string& url,
                                                   const std::string& wallet) {
    const shared::RegisterUserRequest request{make_uuid_v4(), wallet};
    const Outcome posted = session.call_without_body([&](OrchestratorClient& client, auto done) {
        client.register_user(request, std::move(done));
    });
    // 409: the wallet is registered already, which is what we wanted.
    if (posted.reply != Reply::Ok && posted.reply != Reply::Conflict) {
        return shared::fail(request_failed("POST /v3/users", url, posted));
    }
    auto [looked_up, user] = session.call<shared::UserResponse>([&](OrchestratorClient& client, auto done) {
        client.get_user(wallet, std::move(done));
    });
    if (looked_up.reply != Reply::Ok) return shared::fail(request_failed("GET /v3/users/" + wallet, url, looked_up));
    if (user->user_id.empty()) return shared::fail("the orchestrator at " + url + " answered without a user id");
    return user->user_id;
}

}  // namespace

std::string make_uuid_v4() {
    if (sodium_init() < 0) std::abort();  // no entropy source: no identifier can be made
    std::array<unsigned char, 16> b{};
    randombytes_buf(b.data(), b.size());
    b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4: random
    b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // variant 10: RFC 9562
    char text[37];
    std::snprintf(text, sizeof text, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
                  b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
    return text;
}

int run_register_user(const Options& options) {
    if (options.wallet_address.empty()) return print_error(kExitUsage, "--wallet-address: required by register-user");
    // One wallet is one user whatever case it was typed in: stored and sent checksummed.
    auto canonical = shared::canonical_wallet_address(options.wallet_address);
    if (!canonical) return print_error(kExitUsage, "--wallet-address: " + canonical.error());
    const std::string& wallet = *canonical;
    auto config = NodeConfig::load(options.config_path);
    if (!config) return print_error(kExitUsage, config.error());
    auto url = orchestrator_url(options, *config);
    if (!url) return print_error(kExitUsage, url.error());

    OneShot session(*url);
    auto user_id = register_and_look_up(session, *url, wallet);
    if (!user_id) return print_error(kExitFailure, "register-user: " + user_id.error());

    NodeConfig saved{*user_id, wallet, "", *url};
    // A node belongs to a user: keep the node id only while the user is the same.
    if (*config && (*config)->user_id == *user_id) saved.node_id = (*config)->node_id;
    if (auto s = saved.save(options.config_path); !s) return print_error(kExitFailure, s.error());
    std::printf("registered user %s for wallet %s\n", user_id->c_str(), wallet.c_str());
    return kExitOk;
}

int run_register_node(const Options& options) {
    auto config = NodeConfig::load(options.config_path);
    if (!config) return print_error(kExitUsage, config.error());
    if (!*config || (*config)->user_id.empty()) {
        return print_error(kExitUsage, "no user saved in " + options.config_path.string() +
                                           ": run `supervisor register-user --wallet-address ADDR` first");
    }
    auto url = orchestrator_url(options, *config);
    if (!url) return print_error(kExitUsage, url.error());

    OneShot session(*url);
    const shared::RegisterNodeRequest request{shared::NodeType::CliProver, (*config)->user_id};
    auto [outcome, reply] = session.call<shared::RegisterNodeResponse>([&](OrchestratorClient& client, auto done) {
        client.register_node(request, std::move(done));
    });
    if (outcome.reply != Reply::Ok) {
        return print_error(kExitFailure, "register-node: " + request_failed("POST /v3/nodes", *url, outcome));
    }
    if (reply->node_id.empty()) {
        return print_error(kExitFailure, "register-node: the orchestrator at " + *url + " answered without a node id");
    }
    NodeConfig saved = **config;
    const std::string previous = saved.node_id;
    saved.node_id = reply->node_id;
    saved.orchestrator_url = *url;
    if (auto s = saved.save(options.config_path); !s) return print_error(kExitFailure, s.error());
    if (previous.empty()) std::printf("registered node %s\n", saved.node_id.c_str());
    else std::printf("registered node %s (replacing node %s)\n", saved.node_id.c_str(), previous.c_str());
    return kExitOk;
}

int run_logout(const Options& options) {
    const std::filesystem::path& path = options.config_path;
    // The file is read first so that a --config pointing at something else (a typo,
    // another program's file) is refused instead of deleted.
    auto config = NodeConfig::load(path);
    if (!config) return print_error(kExitUsage, config.error() + "; not removed (delete it by hand if it is yours)");
    if (!*config) {
        std::printf("nothing to remove: no config file at %s\n", path.c_str());
        return kExitOk;
    }
    auto removed = NodeConfig::remove(path);
    if (!removed) return print_error(kExitFailure, removed.error());
    const NodeConfig& c = **config;
    auto or_none = [](const std::string& s) { return s.empty() ? std::string("none") : s; };
    std::printf("removed %s (user %s, wallet %s, node %s); the node key %s stays\n", path.c_str(),
                or_none(c.user_id).c_str(), or_none(c.wallet_address).c_str(), or_none(c.node_id).c_str(),
                (options.state_dir / "node.key").c_str());
    return kExitOk;
}

shared::Status resolve_identity(Options& options) {
    // A file named on purpose that is not there is a typo, not "nobody registered".
    std::error_code ec;
    if (options.config_path_given && !std::filesystem::exists(options.config_path, ec)) {
        return shared::fail("--config: " + options.config_path.string() + " does not exist");
    }
    // Flags win, and with both given a broken config file does not stand in the way.
    if (!options.node_id.empty() && !options.orchestrator_url.empty()) return shared::Ok{};
    auto config = NodeConfig::load(options.config_path);
    if (!config) return shared::fail(config.error());
    if (!*config) return shared::Ok{};  // nothing saved: start's own checks name the missing flags
    if (options.node_id.empty()) options.node_id = (*config)->node_id;
    if (options.orchestrator_url.empty()) options.orchestrator_url = (*config)->orchestrator_url;
    return shared::Ok{};
}

void check_node(OrchestratorClient& client, const std::string& node_id,
                std::function<void(shared::Expected<std::string>)> done) {
    const std::string url = client.base_url();
    client.get_node(node_id, [node_id, url, done = std::move(done)](const Outcome& outcome,
                                                                     std::optional<shared::GetNodeResponse>&&) {
        switch (outcome.reply) {
            case Reply::Ok:
                done(std::string());
                return;
            case Reply::NotFound:
                // Fetching as an unknown node would only ever earn 404s: stop and say how to fix it.
                done(shared::fail("node " + node_id + " is unknown to the orchestrator at " + url +
                                  ": run `supervisor register-node` (or check --node-id)"));
                return;
            default:
                // An outage now says nothing about the node; the fetch loop has its own backoff.
                done("cannot check node " + node_id + " with the orchestrator at " + url + " (" + describe(outcome) +
                     "); starting anyway");
                return;
        }
    });
}

}  // namespace supervisor
