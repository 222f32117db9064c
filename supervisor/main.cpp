// supervisor: parse the command line, build the node, run it, map the result to an exit code.
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "shared/log.h"
#include "shared/node_key.h"
#include "supervisor/identity.h"
#include "supervisor/control_socket.h"
#include "supervisor/options.h"
#include "supervisor/status_view.h"
#include "supervisor/paths.h"
#include "supervisor/supervisor.h"

namespace {

constexpr int kExitUsage = 2;

int usage_error(const std::string& message) {
    std::fprintf(stderr, "supervisor: %s\n", message.c_str());
    return kExitUsage;
}

// A table for a person, or with --json the node's document exactly as it sent it.
int run_status(const supervisor::Options& options) {
    auto status = supervisor::read_status(options.state_dir / "control.sock");
    if (!status) {
        std::fprintf(stderr, "supervisor: %s\n", status.error().c_str());
        return 1;
    }
    if (options.status_json) {
        std::fputs(status->c_str(), stdout);
        return 0;
    }
    auto text = supervisor::format_status(*status);
    if (!text) {
        std::fprintf(stderr, "supervisor: %s; `supervisor status --json` shows it as sent\n", text.error().c_str());
        return 1;
    }
    std::fputs(text->c_str(), stdout);
    return 0;
}

// Workers log to the stderr they inherit, in the form the supervisor was asked
// for: they read these variables (shared::init_logging), set before any spawns.
void pass_log_settings_to_workers(const shared::LogSettings& log) {
    const auto level = spdlog::level::to_string_view(log.level);
    ::setenv(shared::kLogLevelVariable, std::string(level.data(), level.size()).c_str(), 1);
    ::setenv(shared::kLogFormatVariable, std::string(shared::to_string(log.format)).c_str(), 1);
}

int run_start(supervisor::Options options) {
    // Flags win; what they leave out comes from the identity saved by register-node.
    // Anonymous mode has no identity, so a broken config file must not stop it.
    if (!options.anonymous) {
        if (auto identity = supervisor::resolve_identity(options); !identity) return usage_error(identity.error());
    }
    if (options.orchestrator_url.empty() && !options.anonymous) {
        return usage_error("--orchestrator-url: required (or saved by `supervisor register-user`)");
    }
    if (options.node_id.empty() && !options.anonymous) {
        return usage_error("--node-id: required; run `supervisor register-node` once to save one in " +
                           options.config_path.string());
    }
    if (auto logging = shared::init_logging("supervisor", options.log); !logging) return usage_error(logging.error());
    pass_log_settings_to_workers(options.log);
    if (options.max_threads_given) {
        spdlog::warn("--max-threads is deprecated and ignored; --per-task-threads sets the threads of one task");
    }
    auto key = shared::NodeKey::load_or_create(options.state_dir / "node.key");
    if (!key) return usage_error(key.error());
    const std::string worker = supervisor::find_worker(options.worker_path, supervisor::self_executable()).string();
    supervisor::Supervisor node(std::move(options), std::move(*key), worker);
    return node.run();
}

}  // namespace

int main(int argc, char** argv) {
    // A peer that hangs up (a `status` client, a metrics scraper, the orchestrator)
    // must cost one write an EPIPE, never the node its life.
    std::signal(SIGPIPE, SIG_IGN);
    auto options = supervisor::parse_options(std::vector<std::string>(argv, argv + argc));
    if (!options) return usage_error(options.error());
    switch (options->command) {
        case supervisor::Command::Help:
        case supervisor::Command::Version: std::fputs(options->help_text.c_str(), stdout); return 0;
        case supervisor::Command::RegisterUser: return supervisor::run_register_user(*options);
        case supervisor::Command::RegisterNode: return supervisor::run_register_node(*options);
        case supervisor::Command::Logout: return supervisor::run_logout(*options);
        case supervisor::Command::Status: return run_status(*options);
        case supervisor::Command::Start: break;
    }
    return run_start(std::move(*options));
}
