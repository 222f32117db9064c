// supervisor: parse the command line, build the node, run it, map the result to an exit code.
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "shared/log.h"
#include "shared/node_key.h"
#include "supervisor/identity.h"
#include "supervisor/control_socket.h"
#include "supervisor/options.h"
#include "supervisor/paths.h"
#include "supervisor/supervisor.h"

namespace {

constexpr int kExitUsage = 2;

int usage_error(const std::string& message) {
    std::fprintf(stderr, "supervisor: %s\n", message.c_str());
    return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
    // A peer that hangs up (a `status` client, a metrics scraper, the orchestrator)
    // must cost one write an EPIPE, never the node its life.
    std::signal(SIGPIPE, SIG_IGN);
    const std::vector<std::string> args(argv, argv + argc);
    auto options = supervisor::parse_options(args);
    if (!options) return usage_error(options.error());
    if (options->command == supervisor::Command::Help) {
        std::fputs(options->help_text.c_str(), stdout);
        return 0;
    }
    switch (options->command) {
        case supervisor::Command::RegisterUser: return supervisor::run_register_user(*options);
        case supervisor::Command::RegisterNode: return supervisor::run_register_node(*options);
        case supervisor::Command::Logout: return supervisor::run_logout(*options);
        case supervisor::Command::Status: {
            auto status = supervisor::read_status(options->state_dir / "control.sock");
            if (!status) {
                std::fprintf(stderr, "supervisor: %s\n", status.error().c_str());
                return 1;
            }
            std::fputs(status->c_str(), stdout);
            return 0;
        }
        default: break;
    }
    // Flags win; what they leave out comes from the identity saved by register-node.
    // Anonymous mode has no identity, so a broken config file must not stop it.
    if (!options->anonymous) {
        if (auto identity = supervisor::resolve_identity(*options); !identity) return usage_error(identity.error());
    }
    if (options->orchestrator_url.empty() && !options->anonymous) {
        return usage_error("--orchestrator-url: required (or saved by `supervisor register-user`)");
    }
    if (options->node_id.empty() && !options->anonymous) {
        return usage_error("--node-id: required; run `supervisor register-node` once to save one in " +
                           options->config_path.string());
    }

    shared::init_logging("supervisor");
    if (options->max_threads_given) {
        spdlog::warn("--max-threads is deprecated and ignored; --per-task-threads sets the threads of one task");
    }
    auto key = shared::NodeKey::load_or_create(options->state_dir / "node.key");
    if (!key) return usage_error(key.error());
    const std::string worker = supervisor::find_worker(options->worker_path, supervisor::self_executable());
    supervisor::Supervisor node(std::move(*options), std::move(*key), worker);
    return node.run();
}
