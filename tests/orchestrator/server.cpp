// The local orchestrator's HTTP routes: each /v3 route decodes with the shared
// codec, answers per the spec, and every request is logged and recorded.
#include "server.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <chrono>
#include <cmath>
#include <thread>

#include "fault_injector.h"
#include "shared/bounds.h"
#include "shared/codec.h"
#include "shared/program.h"
#include "submission_check.h"

namespace orch {
namespace {

constexpr const char* kProtobuf = "application/octet-stream";
// Each keep-alive connection holds a thread while it is open, and each delayed
// answer (--latency-ms, the delay fault) holds one while it waits: a node with 64
// workers has some 64 fetches and submissions in flight at once, and delayed
// answers must never queue behind each other for a thread.
constexpr std::size_t kThreads = 256;
// httplib's is 5: a burst of new connections (a node opening 32 fetches at once)
// overflows such an accept queue, and the kernel drops the SYNs beyond it, which
// the client sends again only a second later.
constexpr int kListenBacklog = 512;
// httplib closes a connection after 5 requests by default; a real server keeps it
// for many more (nginx: 1000), and every reconnect costs the client a round trip.
constexpr std::size_t kKeepAliveRequests = 1000;

// Set by Server::finish on the thread that serves the request, read by the
// logger that httplib calls on the same thread after the answer is written:
// what httplib answers without a route (413, 400 on a bad request line, an
// unknown method) is then still recorded.
thread_local bool t_recorded = false;

shared::ByteView body_bytes(const httplib::Request& req) { return shared::as_bytes(req.body); }

void json_error(httplib::Response& res, int status, const std::string& name,
                const std::string& message) {
    res.status = status;
    nlohmann::json body = {{"name", name}, {"message", message}, {"httpCode", status}};
    res.set_content(body.dump(), "application/json");
}

void json_ok(httplib::Response& res, const nlohmann::json& body) {
    res.status = 200;
    res.set_content(body.dump(), "application/json");
}

// 200 with the encoded message, or 500 when it does not fit the bounds.
template <class Message>
void protobuf_ok(httplib::Response& res, const Message& message) {
    auto bytes = shared::encode(message);
    if (!bytes) {
        json_error(res, 500, "InternalServerError", "cannot encode the answer: " + bytes.error());
        return;
    }
    res.status = 200;
    res.set_content(std::string(bytes->begin(), bytes->end()), kProtobuf);
}

shared::Task to_wire(const TaskRecord& record) {
    shared::Task task;
    task.task_id = record.task_id;
    task.program_id = record.program_id;
    task.inputs = record.inputs;
    task.task_type = record.task_type;
    task.difficulty = record.difficulty;
    task.created_at_seconds = static_cast<std::int64_t>(std::floor(record.issued_at));
    return task;
}

// Task types and difficulties of /admin/tasks: a spec name or any wire integer
// (unknown values are allowed on purpose, to test how clients set them aside).
std::optional<int> wire_value(const nlohmann::json& value, bool is_task_type) {
    if (value.is_number_integer()) return value.get<int>();
    if (!value.is_string()) return std::nullopt;
    const auto name = value.get<std::string>();
    if (is_task_type) {
        for (int wire = 0; wire <= 2; ++wire) {
            auto type = shared::task_type_from_wire(wire);
            std::string spec_name(shared::to_string(*type));
            for (auto& c : spec_name) c = static_cast<char>(std::tolower(c));
            std::string wanted = name;
            for (auto& c : wanted) c = static_cast<char>(c == '-' ? '_' : std::tolower(c));
            if (spec_name == wanted) return wire;
        }
        return std::nullopt;
    }
    auto difficulty = shared::parse_difficulty(name);
    if (!difficulty) return std::nullopt;
    return static_cast<int>(*difficulty);
}

shared::Expected<TaskSpec> admin_task(const nlohmann::json& body) {
    if (!body.is_object()) return shared::fail("the body must be a JSON object");
    TaskSpec spec;
    spec.program_id = body.value("program_id", std::string());
    const bool unchecked = body.value("unchecked", false);
    const auto* program = shared::find_program(spec.program_id);
    if (program == nullptr && !unchecked) {
        return shared::fail("unknown program_id '" + spec.program_id + "' (\"unchecked\": true to issue it anyway)");
    }
    auto task_type = wire_value(body.value("task_type", nlohmann::json("proof_required")), true);
    auto difficulty = wire_value(body.value("difficulty", nlohmann::json("small")), false);
    if (!task_type) return shared::fail("bad task_type");
    if (!difficulty) return shared::fail("bad difficulty");
    spec.task_type = *task_type;
    spec.difficulty = *difficulty;
    const auto inputs = body.value("inputs", nlohmann::json::array());
    // With "unchecked", a task with no inputs may be issued on purpose (a bad task for the node to refuse).
    if (!inputs.is_array() || (inputs.empty() && !unchecked) || inputs.size() > shared::kMaxInputs) {
        return shared::fail("inputs must be a list of 1 to " + std::to_string(shared::kMaxInputs) + " hex strings");
    }
    for (const auto& item : inputs) {
        auto bytes = item.is_string() ? shared::from_hex(item.get<std::string>()) : std::nullopt;
        if (!bytes || bytes->size() > shared::kMaxInputBytes) {
            return shared::fail("each input is hex of at most " + std::to_string(shared::kMaxInputBytes) + " bytes");
        }
        if (program != nullptr && !unchecked) {
            if (auto problem = program->check_input(*bytes); !problem.empty()) {
                return shared::fail("input " + std::to_string(spec.inputs.size()) + ": " + problem);
            }
        }
        spec.inputs.push_back(std::move(*bytes));
    }
    return spec;
}

}  // namespace

double unix_now() {
    using namespace std::chrono;
    return static_cast<double>(
               duration_cast<microseconds>(system_clock::now().time_since_epoch()).count()) /
           1e6;
}

Server::Server(const Options& options, Store& store, TaskFactory& factory, FaultTable& faults,
               Prng& prng)
    : options_(options), store_(store), factory_(factory), faults_(faults), prng_(prng),
      next_task_number_(store.next_task_number()) {
    http_.new_task_queue = [] { return new httplib::ThreadPool(kThreads); };
    // Answers go out at once, not held by Nagle's algorithm until the client's
    // delayed ACK (which would add up to 40 ms to every answer written in parts).
    http_.set_tcp_nodelay(true);
    http_.set_keep_alive_max_count(kKeepAliveRequests);
    // httplib's default also sets SO_REUSEPORT, which lets a second server bind
    // the same port silently; a busy port must be an error instead.
    http_.set_socket_options([this](socket_t sock) {
        int yes = 1;
        ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
        listen_fd_ = sock;  // the last socket httplib prepares is the one it binds
    });
    http_.set_payload_max_length(shared::kMaxSubmitBytes);
    http_.set_read_timeout(30);
    http_.set_write_timeout(30);
    http_.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
        if (!t_recorded) {
            Exchange exchange{Endpoint::Other, unix_now(), std::nullopt};
            finish(exchange, req, res);
        }
        t_recorded = false;
    });
    install_routes();
}

int Server::bind() {
    int port = options_.listen_port == 0 ? http_.bind_to_any_port(options_.listen_host)
                                         : (http_.bind_to_port(options_.listen_host,
                                                               options_.listen_port)
                                                ? options_.listen_port
                                                : -1);
    if (port <= 0) {
        throw std::runtime_error("cannot listen on " + options_.listen_host + ":" +
                                 std::to_string(options_.listen_port));
    }
    widen_backlog();
    return port;
}

// httplib (a compiled library here) listens with a backlog of 5; listen() again on
// a listening socket only changes its backlog (Linux), so the queue grows in place.
void Server::widen_backlog() {
    int listening = 0;
    socklen_t size = sizeof listening;
    if (listen_fd_ < 0 || ::getsockopt(listen_fd_, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) != 0 ||
        !listening || ::listen(listen_fd_, kListenBacklog) != 0) {
        spdlog::warn("cannot widen the listen backlog to {}; bursts of connections may wait for SYN retries",
                     kListenBacklog);
    }
}

bool Server::run() { return http_.listen_after_bind(); }

void Server::stop() { http_.stop(); }

void Server::install_routes() {
    http_.Post("/v3/tasks", route(Endpoint::Fetch, &Server::on_fetch));
    http_.Post("/v3/tasks/submit", route(Endpoint::Submit, &Server::on_submit));
    http_.Get("/v3/tasks/(.+)", route(Endpoint::List, &Server::on_list));
    http_.Post("/v3/users", route(Endpoint::Users, &Server::on_register_user));
    http_.Get("/v3/users/(.+)", route(Endpoint::Users, &Server::on_get_user));
    http_.Post("/v3/nodes", route(Endpoint::Nodes, &Server::on_register_node));
    http_.Get("/v3/nodes/(.+)", route(Endpoint::Nodes, &Server::on_get_node));
    http_.Post("/admin/faults", route(Endpoint::Admin, &Server::on_add_faults));
    http_.Delete("/admin/faults", route(Endpoint::Admin, &Server::on_clear_faults));
    http_.Get("/admin/faults", route(Endpoint::Admin, &Server::on_get_faults));
    http_.Post("/admin/tasks", route(Endpoint::Admin, &Server::on_queue_tasks));
    http_.Get("/admin/stats", route(Endpoint::Admin, &Server::on_stats));
    // Last, so that every other path gets a JSON 404 and a row in requests.
    http_.Get(".*", route(Endpoint::Other, &Server::on_unknown_route));
    http_.Post(".*", route(Endpoint::Other, &Server::on_unknown_route));
    http_.Put(".*", route(Endpoint::Other, &Server::on_unknown_route));
    http_.Delete(".*", route(Endpoint::Other, &Server::on_unknown_route));
}

httplib::Server::Handler Server::route(Endpoint endpoint, Handler handler) {
    return [this, endpoint, handler](const httplib::Request& req, httplib::Response& res) {
        serve(endpoint, handler, req, res);
    };
}

void Server::serve(Endpoint endpoint, Handler handler, const httplib::Request& req,
                   httplib::Response& res) {
    t_recorded = false;
    Exchange exchange{endpoint, unix_now(), faults_.draw(endpoint, unix_now(), prng_)};
    if (endpoint != Endpoint::Admin) exchange.answer_at += std::chrono::milliseconds(options_.latency_ms);
    bool run_handler = true;
    if (exchange.fault) apply_fault_before(exchange, req, res, run_handler);
    if (run_handler) {
        try {
            (this->*handler)(req, res, exchange);
        } catch (const std::exception& e) {
            // SQLite errors and the like: the client sees a 5xx and retries.
            spdlog::error("{} {}: {}", req.method, req.path, e.what());
            json_error(res, 500, "InternalServerError", e.what());
        }
        if (exchange.fault && exchange.fault->kind == FaultKind::Truncate) truncate_body(res);
    }
    // The state changed at arrival; the answer travels back for the rest of the round trip.
    std::this_thread::sleep_until(exchange.answer_at);
    finish(exchange, req, res);
}

void Server::apply_fault_before(Exchange& exchange, const httplib::Request& req,
                                httplib::Response& res, bool& run_handler) {
    const auto& fault = *exchange.fault;
    if (fault.kind == FaultKind::Delay) {
        std::this_thread::sleep_for(std::chrono::milliseconds(fault.delay_ms));
        return;
    }
    if (!replaces_handler(fault.kind)) return;
    run_handler = false;
    if (fault.kind == FaultKind::Reset) {
        std::this_thread::sleep_until(exchange.answer_at);  // a reset, too, comes back after the round trip
        exchange.reset = reset_connection(req);
        if (exchange.reset) {
            res.status = 500;  // never sent: the socket is already shut down
            res.set_content("", kProtobuf);
        } else {
            json_error(res, 500, "InternalServerError", "reset fault: socket not found");
        }
    } else {
        answer_with_fault(fault, res, prng_, exchange.arrived_at);
    }
    if (exchange.endpoint == Endpoint::Submit) record_faulted_submission(exchange, req, res);
}

void Server::record_faulted_submission(const Exchange& exchange, const httplib::Request& req,
                                       const httplib::Response& res) {
    auto submission = shared::decode_SubmitProofRequest(body_bytes(req));
    SubmissionRecord record;
    record.task_id = submission ? submission->task_id : "";
    record.arrived_at = exchange.arrived_at;
    record.status = exchange.reset ? 0 : res.status;
    record.outcome = "fault";
    record.message = std::string(to_string(exchange.fault->kind));
    record.count_on_task = false;
    if (auto task = submission ? store_.find_task(submission->task_id) : std::nullopt) {
        record.node_id = task->node_id;
    }
    store_.record_submission(record);
}

void Server::finish(const Exchange& exchange, const httplib::Request& req,
                    const httplib::Response& res) {
    t_recorded = true;
    RequestRecord record;
    record.endpoint = std::string(to_string(exchange.endpoint));
    record.method = req.method;
    record.path = req.path;
    record.arrived_at = exchange.arrived_at;
    record.answered_at = unix_now();
    record.status = exchange.reset ? 0 : res.status;
    record.retry_after = res.get_header_value("Retry-After");
    record.fault = exchange.fault ? std::string(to_string(exchange.fault->kind)) : "";
    try {
        store_.record_request(record);
    } catch (const std::exception& e) {
        spdlog::error("cannot record request {} {}: {}", req.method, req.path, e.what());
    }
    spdlog::info("{} {} {} -> {} ({} bytes, {:.1f} ms){}{}", req.remote_addr, req.method,
                 req.path, record.status == 0 ? std::string("reset") : std::to_string(record.status),
                 res.body.size(), (record.answered_at - record.arrived_at) * 1e3,
                 record.fault.empty() ? "" : " fault=" + record.fault,
                 record.retry_after.empty() ? "" : " retry-after=" + record.retry_after);
}

bool Server::reserve_task_slot() {
    std::lock_guard lock(issue_mutex_);
    if (options_.max_tasks && issued_ >= *options_.max_tasks) return false;
    ++issued_;
    return true;
}

std::string Server::new_task_id() {
    char suffix[9];
    std::snprintf(suffix, sizeof suffix, "%08x", static_cast<unsigned>(prng_.next()));
    return "task-" + std::to_string(next_task_number_++) + "-" + suffix;
}

std::string Server::new_node_id() {
    // Numeric ids like the public network's; drawn until unused.
    while (true) {
        auto id = std::to_string(prng_.between(1'000'000, 99'999'999));
        if (!store_.find_node(id)) return id;
    }
}

bool Server::node_may_fetch(const std::string& node_id) {
    if (!options_.strict_nodes) return true;
    auto node = store_.find_node(node_id);
    return node && node->registered;
}

void Server::on_fetch(const httplib::Request& req, httplib::Response& res, Exchange& exchange) {
    auto request = shared::decode_GetProofTaskRequest(body_bytes(req));
    if (!request) return json_error(res, 400, "BadRequest", "cannot decode GetProofTaskRequest: " + request.error());
    if (request->node_id.empty()) return json_error(res, 400, "BadRequest", "node_id is empty");
    if (request->ed25519_public_key.size() != 32) {
        return json_error(res, 400, "BadRequest", "ed25519_public_key must be 32 bytes, got " +
                                                      std::to_string(request->ed25519_public_key.size()));
    }
    auto max_difficulty = shared::difficulty_from_wire(request->max_difficulty);
    if (!max_difficulty) {
        return json_error(res, 400, "BadRequest", "unknown max_difficulty " + std::to_string(request->max_difficulty));
    }
    if (!node_may_fetch(request->node_id)) {
        return json_error(res, 404, "NodeNotFound", "node " + request->node_id + " is not registered");
    }
    if (!reserve_task_slot()) return json_error(res, 404, "TaskNotFound", "no task available: --max-tasks reached");
    auto spec = factory_.next(*max_difficulty);
    TaskRecord task;
    task.task_id = new_task_id();
    task.node_id = request->node_id;
    task.public_key = request->ed25519_public_key;
    task.program_id = spec.program_id;
    task.task_type = spec.task_type;
    task.difficulty = spec.difficulty;
    task.inputs = std::move(spec.inputs);
    task.issued_at = exchange.arrived_at;
    const bool expire = exchange.fault && exchange.fault->kind == FaultKind::Expire;
    task.deadline = task.issued_at + (expire ? exchange.fault->deadline_s : options_.task_deadline_s);
    store_.touch_node(request->node_id, static_cast<int>(request->node_type), exchange.arrived_at);
    store_.insert_task(task);
    spdlog::info("issued {} to node {}: {} {} {} x{}", task.task_id, task.node_id, task.program_id,
                 task.task_type, task.difficulty, task.inputs.size());
    protobuf_ok(res, shared::GetProofTaskResponse{to_wire(task)});
}

void Server::on_list(const httplib::Request& req, httplib::Response& res, Exchange& exchange) {
    const std::string node_id = req.matches[1];
    std::string cursor = req.has_param("next_cursor") ? req.get_param_value("next_cursor")
                                                      : req.get_param_value("cursor");
    if (cursor.empty() && !req.body.empty()) {
        // Some clients send GetTasksRequest as a body even on GET.
        if (auto body = shared::decode_GetTasksRequest(body_bytes(req))) cursor = body->next_cursor;
    }
    std::int64_t after = 0;
    if (!cursor.empty()) {
        try {
            after = std::stoll(cursor);
        } catch (...) {
            return json_error(res, 400, "BadRequest", "bad next_cursor '" + cursor + "'");
        }
    }
    if (options_.strict_nodes && !node_may_fetch(node_id)) {
        return json_error(res, 404, "NodeNotFound", "node " + node_id + " is not registered");
    }
    store_.expire_overdue(exchange.arrived_at);
    auto tasks = store_.open_tasks(node_id, exchange.arrived_at, after, shared::kMaxTasksPerList + 1);
    shared::GetTasksResponse response;
    for (std::size_t i = 0; i < tasks.size() && i < shared::kMaxTasksPerList; ++i) {
        response.tasks.push_back(to_wire(tasks[i]));
    }
    if (tasks.size() > shared::kMaxTasksPerList) {
        response.next_cursor = std::to_string(tasks[shared::kMaxTasksPerList - 1].seq);
    }
    protobuf_ok(res, response);
}

namespace {

// Kept as sent, so that a test can check the units (GFLOP/s, MiB x 1000).
std::string telemetry_json(const shared::NodeTelemetry& t) {
    nlohmann::json out = nlohmann::json::object();
    if (t.flops_per_sec) out["flops_per_sec"] = *t.flops_per_sec;
    if (t.memory_used) out["memory_used"] = *t.memory_used;
    if (t.memory_capacity) out["memory_capacity"] = *t.memory_capacity;
    if (t.location) out["location"] = *t.location;
    return out.dump();
}

}  // namespace

void Server::on_submit(const httplib::Request& req, httplib::Response& res, Exchange& exchange) {
    SubmissionRecord record;
    record.arrived_at = exchange.arrived_at;
    auto submission = shared::decode_SubmitProofRequest(body_bytes(req));
    std::optional<TaskRecord> task;
    Verdict verdict;
    if (!submission) {
        verdict = {400, "BadRequest", "rejected", "cannot decode SubmitProofRequest: " + submission.error(), {}};
    } else if (submission->task_id.empty()) {
        verdict = {400, "BadRequest", "rejected", "task_id is empty", {}};
    } else {
        record.task_id = submission->task_id;
        task = store_.find_task(submission->task_id);
        // Verification can take a while (argon2id at 256 MiB): no lock is held.
        const auto* program = task ? shared::find_program(task->program_id) : nullptr;
        verdict = check_submission(task ? &*task : nullptr, *submission, exchange.arrived_at, program);
    }
    record.node_id = task ? task->node_id : "";
    if (submission && submission->node_telemetry) record.telemetry = telemetry_json(*submission->node_telemetry);
    record.status = verdict.status;
    record.outcome = verdict.outcome;
    record.message = verdict.message;
    record.new_state = verdict.new_state;
    record.count_on_task = task.has_value();
    store_.record_submission(record);  // may turn a late acceptance into a 409 repeat
    spdlog::info("submission of {}: {} {} ({})", record.task_id.empty() ? "?" : record.task_id,
                 record.status, record.outcome, record.message);
    if (record.status == 200) {
        res.status = 200;
        res.set_content("", kProtobuf);
        return;
    }
    json_error(res, record.status, verdict.status == record.status ? verdict.name : "TaskAlreadyAccepted",
               record.message);
}

void Server::on_register_user(const httplib::Request& req, httplib::Response& res, Exchange& exchange) {
    auto request = shared::decode_RegisterUserRequest(body_bytes(req));
    if (!request) return json_error(res, 400, "BadRequest", "cannot decode RegisterUserRequest: " + request.error());
    if (request->uuid.empty() || request->wallet_address.empty()) {
        return json_error(res, 400, "BadRequest", "uuid and wallet_address are required");
    }
    auto user = store_.add_user(request->uuid, request->wallet_address, exchange.arrived_at);
    spdlog::info("user {} has wallet {}", user.user_id, user.wallet_address);
    res.status = 200;
    res.set_content("", kProtobuf);
}

void Server::on_get_user(const httplib::Request& req, httplib::Response& res, Exchange&) {
    const std::string wallet = req.matches[1];
    auto user = store_.find_user_by_wallet(wallet);
    if (!user) return json_error(res, 404, "UserNotFound", "no user with wallet " + wallet);
    shared::UserResponse response;
    response.user_id = user->user_id;
    response.wallet_address = user->wallet_address;
    for (const auto& node : store_.nodes_of_user(user->user_id)) {
        if (response.nodes.size() == 64) break;  // the .options bound; no paging needed in tests
        response.nodes.push_back({node.node_id, static_cast<shared::NodeType>(node.node_type)});
    }
    protobuf_ok(res, response);
}

void Server::on_register_node(const httplib::Request& req, httplib::Response& res, Exchange& exchange) {
    auto request = shared::decode_RegisterNodeRequest(body_bytes(req));
    if (!request) return json_error(res, 400, "BadRequest", "cannot decode RegisterNodeRequest: " + request.error());
    if (!store_.find_user_by_id(request->user_id)) {
        return json_error(res, 404, "UserNotFound", "no user " + request->user_id);
    }
    auto node_id = new_node_id();
    store_.register_node(node_id, request->user_id, static_cast<int>(request->node_type), exchange.arrived_at);
    spdlog::info("registered node {} for user {}", node_id, request->user_id);
    protobuf_ok(res, shared::RegisterNodeResponse{node_id});
}

void Server::on_get_node(const httplib::Request& req, httplib::Response& res, Exchange&) {
    const std::string node_id = req.matches[1];
    auto node = store_.find_node(node_id);
    if (!node || !node->registered) return json_error(res, 404, "NodeNotFound", "no node " + node_id);
    auto user = store_.find_user_by_id(node->user_id);
    protobuf_ok(res, shared::GetNodeResponse{user ? user->wallet_address : ""});
}

void Server::on_add_faults(const httplib::Request& req, httplib::Response& res, Exchange& exchange) {
    auto body = nlohmann::json::parse(req.body, nullptr, false);
    if (body.is_discarded()) return json_error(res, 400, "BadRequest", "the body is not JSON");
    if (!body.is_array()) body = nlohmann::json::array({body});
    std::vector<FaultSpec> specs;
    for (const auto& item : body) {
        auto spec = fault_from_json(item);
        if (!spec) return json_error(res, 400, "BadRequest", spec.error());
        specs.push_back(std::move(*spec));
    }
    for (auto& spec : specs) {
        spdlog::info("fault added: {}", to_json(spec).dump());
        faults_.add(std::move(spec), exchange.arrived_at);
    }
    json_ok(res, {{"faults", faults_.describe(exchange.arrived_at)}});
}

void Server::on_clear_faults(const httplib::Request&, httplib::Response& res, Exchange&) {
    faults_.clear();
    spdlog::info("faults cleared");
    json_ok(res, {{"faults", nlohmann::json::array()}});
}

void Server::on_get_faults(const httplib::Request&, httplib::Response& res, Exchange& exchange) {
    json_ok(res, {{"faults", faults_.describe(exchange.arrived_at)}});
}

void Server::on_queue_tasks(const httplib::Request& req, httplib::Response& res, Exchange&) {
    auto body = nlohmann::json::parse(req.body, nullptr, false);
    if (body.is_discarded()) return json_error(res, 400, "BadRequest", "the body is not JSON");
    auto spec = admin_task(body);
    if (!spec) return json_error(res, 400, "BadRequest", spec.error());
    const auto count = body.value("count", 1);
    if (count < 1 || count > 10000) return json_error(res, 400, "BadRequest", "count must be 1 to 10000");
    factory_.enqueue(std::vector<TaskSpec>(static_cast<std::size_t>(count), *spec));
    spdlog::info("queued {} x {} task(s)", count, spec->program_id);
    json_ok(res, {{"queued", factory_.queued()}});
}

void Server::on_stats(const httplib::Request&, httplib::Response& res, Exchange& exchange) {
    store_.expire_overdue(exchange.arrived_at);
    auto stats = store_.stats();
    {
        std::lock_guard lock(issue_mutex_);
        stats["issued_this_run"] = issued_;
    }
    stats["queued"] = factory_.queued();
    stats["faults"] = faults_.describe(exchange.arrived_at);
    json_ok(res, stats);
}

void Server::on_unknown_route(const httplib::Request& req, httplib::Response& res, Exchange&) {
    json_error(res, 404, "NotFound", "no route for " + req.method + " " + req.path);
}

}  // namespace orch
