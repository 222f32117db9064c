// Identity commands (register-user, register-node, logout) and the identity checks
// of `supervisor start`: who this node proves for, kept in the NodeConfig file.
#pragma once

#include <functional>
#include <string>

#include "shared/expected.h"
#include "supervisor/options.h"
#include "supervisor/orchestrator_client.h"

namespace supervisor {

// Each command prints its result (stdout) or its one-line error (stderr) and
// returns the exit code: 0 done, 1 the orchestrator or the disk failed, 2 usage
// or configuration error naming the flag or file.
int run_register_user(const Options& options);
int run_register_node(const Options& options);
int run_logout(const Options& options);

// For start: fills options.node_id and options.orchestrator_url from the config
// file where the flags left them empty (flags win). The file is not read when the
// flags give both. An unreadable or invalid file is an error naming it, and so is
// a --config given explicitly that does not exist.
shared::Status resolve_identity(Options& options);

// Asks the orchestrator whether it knows node_id (GET /v3/nodes/{id}). The callback
// gets an error only when the node is unknown (404), which start must not ignore;
// any other failure gives a warning text (an outage must not block start), and a
// known node an empty string.
void check_node(OrchestratorClient& client, const std::string& node_id,
                std::function<void(shared::Expected<std::string>)> done);

// A random (version 4, RFC 9562 variant) UUID in lowercase 8-4-4-4-12 form.
std::string make_uuid_v4();

}  // namespace supervisor
