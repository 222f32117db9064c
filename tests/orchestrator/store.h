// The local orchestrator's records in one SQLite file (WAL): tasks, submissions,
// requests, users and nodes. Tests read these tables directly (README.md).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "shared/bytes.h"

struct sqlite3;

namespace orch {

// assigned -> accepted: a submission passed every check
// assigned -> rejected: a submission failed a check (400 or 422)
// assigned -> expired:  a submission (or a list, or stats) came after the deadline
// rejected -> accepted: a later submission passed (the server only records)
enum class TaskState { Assigned, Accepted, Rejected, Expired };
std::string_view to_string(TaskState state);
std::optional<TaskState> parse_task_state(std::string_view text);

struct TaskRecord {
    std::string task_id;
    std::string node_id;
    shared::Bytes public_key;
    std::string program_id;
    int task_type = 0;   // wire value
    int difficulty = 0;  // wire value
    std::vector<shared::Bytes> inputs;
    double issued_at = 0;
    double deadline = 0;
    TaskState state = TaskState::Assigned;
    std::optional<double> accepted_at;
    int submissions = 0;
    std::int64_t seq = 0;  // the row's order of issue; list cursors are built on it
};

// One submission as the submissions table keeps it, with the state change it asks for.
struct SubmissionRecord {
    std::string task_id;
    std::string node_id;
    double arrived_at = 0;
    int status = 0;
    std::string outcome;  // accepted | repeat | rejected | expired | unknown | fault
    std::string message;
    std::optional<TaskState> new_state;
    bool count_on_task = true;  // false for faulted requests: the task is not touched
    std::string telemetry;      // the submission's NodeTelemetry as JSON, "" when absent
};

struct RequestRecord {
    std::string endpoint;  // fetch | list | submit | users | nodes | admin | other
    std::string method;
    std::string path;
    double arrived_at = 0;
    double answered_at = 0;
    int status = 0;  // 0: the connection was closed without an answer
    std::string retry_after;
    std::string fault;
};

struct UserRecord {
    std::string user_id;
    std::string wallet_address;
};

struct NodeRecord {
    std::string node_id;
    std::string user_id;  // empty for a node only seen fetching (not registered)
    int node_type = 1;
    bool registered = false;
};

// One connection guarded by a mutex: the orchestrator's load is a few requests
// per second, and one writer keeps the records consistent without retries.
// Errors from SQLite throw std::runtime_error; the server turns them into 500.
class Store {
public:
    explicit Store(const std::string& path);
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    std::int64_t next_task_number();
    void insert_task(const TaskRecord& task);
    std::optional<TaskRecord> find_task(const std::string& task_id);
    // Assigned to this node, not accepted or final, before their deadline, in
    // the order issued, after the cursor `after_seq`; at most `limit`.
    std::vector<TaskRecord> open_tasks(const std::string& node_id, double now,
                                       std::int64_t after_seq, std::size_t limit);
    // assigned -> expired for every task past its deadline; returns how many.
    int expire_overdue(double now);

    // Inserts the submission and applies its state change in one transaction.
    // An acceptance that finds the task already accepted (a concurrent
    // submission won) is rewritten to 409 "repeat" before it is stored.
    void record_submission(SubmissionRecord& submission);
    void record_request(const RequestRecord& request);

    // Registers the user; when the wallet is known, returns the existing user.
    UserRecord add_user(const std::string& user_id, const std::string& wallet, double now);
    std::optional<UserRecord> find_user_by_wallet(const std::string& wallet);
    std::optional<UserRecord> find_user_by_id(const std::string& user_id);
    void register_node(const std::string& node_id, const std::string& user_id, int node_type,
                       double now);
    std::optional<NodeRecord> find_node(const std::string& node_id);
    std::vector<NodeRecord> nodes_of_user(const std::string& user_id);
    // Records that a node fetched; a node never seen is added as unregistered.
    void touch_node(const std::string& node_id, int node_type, double now);

    nlohmann::json stats();

private:
    void exec(const char* sql);
    void apply_state_change(SubmissionRecord& submission);

    std::mutex mutex_;
    sqlite3* db_ = nullptr;
};

}  // namespace orch
