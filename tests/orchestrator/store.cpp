// SQLite records of the local orchestrator: schema, statements and queries.
#include "store.h"

#include <sqlite3.h>

#include <stdexcept>

namespace orch {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS tasks(
  task_id TEXT PRIMARY KEY,
  node_id TEXT NOT NULL,
  public_key_hex TEXT NOT NULL,
  program_id TEXT NOT NULL,
  task_type INTEGER NOT NULL,
  difficulty INTEGER NOT NULL,
  inputs_hex TEXT NOT NULL,
  issued_at REAL NOT NULL,
  deadline REAL NOT NULL,
  state TEXT NOT NULL,
  accepted_at REAL,
  submissions INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS tasks_by_node ON tasks(node_id, state);
CREATE TABLE IF NOT EXISTS submissions(
  id INTEGER PRIMARY KEY,
  task_id TEXT NOT NULL,
  node_id TEXT NOT NULL,
  arrived_at REAL NOT NULL,
  status INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  message TEXT NOT NULL,
  telemetry TEXT);
CREATE TABLE IF NOT EXISTS requests(
  id INTEGER PRIMARY KEY,
  endpoint TEXT NOT NULL,
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  arrived_at REAL NOT NULL,
  answered_at REAL NOT NULL,
  status INTEGER NOT NULL,
  retry_after TEXT,
  fault TEXT);
CREATE TABLE IF NOT EXISTS users(
  user_id TEXT PRIMARY KEY,
  wallet_address TEXT NOT NULL UNIQUE,
  registered_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS nodes(
  node_id TEXT PRIMARY KEY,
  user_id TEXT,
  node_type INTEGER NOT NULL,
  registered INTEGER NOT NULL,
  first_seen REAL NOT NULL,
  last_seen REAL NOT NULL);
)sql";

// One prepared statement, finalized on scope exit; binds by position from 1.
class Statement {
public:
    Statement(sqlite3* db, const char* sql) : db_(db) {
        if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) {
            throw std::runtime_error(std::string("sqlite prepare: ") + sqlite3_errmsg(db));
        }
    }
    ~Statement() { sqlite3_finalize(stmt_); }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    Statement& bind(int i, const std::string& text) {
        check(sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()),
                                SQLITE_TRANSIENT));
        return *this;
    }
    Statement& bind(int i, std::string_view text) { return bind(i, std::string(text)); }
    Statement& bind(int i, const char* text) { return bind(i, std::string(text)); }
    Statement& bind(int i, double value) {
        check(sqlite3_bind_double(stmt_, i, value));
        return *this;
    }
    Statement& bind(int i, std::int64_t value) {
        check(sqlite3_bind_int64(stmt_, i, value));
        return *this;
    }
    Statement& bind(int i, int value) { return bind(i, static_cast<std::int64_t>(value)); }

    // True while a row is available.
    bool step() {
        int rc = sqlite3_step(stmt_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        throw std::runtime_error(std::string("sqlite step: ") + sqlite3_errmsg(db_));
    }
    void run() {
        while (step()) {
        }
    }

    std::string text(int col) const {
        auto* p = sqlite3_column_text(stmt_, col);
        return p ? std::string(reinterpret_cast<const char*>(p),
                               static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
                 : std::string();
    }
    double real(int col) const { return sqlite3_column_double(stmt_, col); }
    std::int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
    bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

private:
    void check(int rc) {
        if (rc != SQLITE_OK) {
            throw std::runtime_error(std::string("sqlite bind: ") + sqlite3_errmsg(db_));
        }
    }
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
};

std::string join_hex(const std::vector<shared::Bytes>& inputs) {
    std::string out;
    for (const auto& input : inputs) {
        if (!out.empty()) out += ',';
        out += shared::to_hex(input);
    }
    return out;
}

std::vector<shared::Bytes> split_hex(const std::string& joined) {
    std::vector<shared::Bytes> inputs;
    if (joined.empty()) return inputs;
    std::size_t start = 0;
    while (true) {
        auto end = joined.find(',', start);
        inputs.push_back(shared::from_hex(joined.substr(start, end - start)).value_or(shared::Bytes{}));
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return inputs;
}

constexpr const char* kTaskColumns =
    "task_id, node_id, public_key_hex, program_id, task_type, difficulty, inputs_hex, "
    "issued_at, deadline, state, accepted_at, submissions, rowid";

TaskRecord read_task(const Statement& row) {
    TaskRecord task;
    task.task_id = row.text(0);
    task.node_id = row.text(1);
    task.public_key = shared::from_hex(row.text(2)).value_or(shared::Bytes{});
    task.program_id = row.text(3);
    task.task_type = static_cast<int>(row.integer(4));
    task.difficulty = static_cast<int>(row.integer(5));
    task.inputs = split_hex(row.text(6));
    task.issued_at = row.real(7);
    task.deadline = row.real(8);
    task.state = parse_task_state(row.text(9)).value_or(TaskState::Assigned);
    if (!row.is_null(10)) task.accepted_at = row.real(10);
    task.submissions = static_cast<int>(row.integer(11));
    task.seq = row.integer(12);
    return task;
}

}  // namespace

std::string_view to_string(TaskState state) {
    switch (state) {
        case TaskState::Assigned: return "assigned";
        case TaskState::Accepted: return "accepted";
        case TaskState::Rejected: return "rejected";
        case TaskState::Expired: return "expired";
    }
    return "assigned";
}

std::optional<TaskState> parse_task_state(std::string_view text) {
    for (auto state : {TaskState::Assigned, TaskState::Accepted, TaskState::Rejected,
                       TaskState::Expired}) {
        if (to_string(state) == text) return state;
    }
    return std::nullopt;
}

Store::Store(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                                SQLITE_OPEN_FULLMUTEX,
                        nullptr) != SQLITE_OK) {
        std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
        sqlite3_close(db_);
        db_ = nullptr;
        throw std::runtime_error("cannot open database " + path + ": " + message);
    }
    // Tests read the file while the server writes: WAL lets them without
    // "database is locked", and the busy timeout covers their brief locks.
    sqlite3_busy_timeout(db_, 5000);
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=NORMAL");
    exec(kSchema);
}

Store::~Store() { sqlite3_close(db_); }

void Store::exec(const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
        std::string message = error ? error : "unknown error";
        sqlite3_free(error);
        throw std::runtime_error("sqlite: " + message);
    }
}

std::int64_t Store::next_task_number() {
    std::lock_guard lock(mutex_);
    Statement q(db_, "SELECT COALESCE(MAX(rowid), 0) + 1 FROM tasks");
    q.step();
    return q.integer(0);
}

void Store::insert_task(const TaskRecord& task) {
    std::lock_guard lock(mutex_);
    Statement q(db_,
                "INSERT INTO tasks(task_id, node_id, public_key_hex, program_id, task_type, "
                "difficulty, inputs_hex, issued_at, deadline, state, submissions) "
                "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)");
    q.bind(1, task.task_id).bind(2, task.node_id).bind(3, shared::to_hex(task.public_key));
    q.bind(4, task.program_id).bind(5, task.task_type).bind(6, task.difficulty);
    q.bind(7, join_hex(task.inputs)).bind(8, task.issued_at).bind(9, task.deadline);
    q.bind(10, to_string(task.state));
    q.run();
}

std::optional<TaskRecord> Store::find_task(const std::string& task_id) {
    std::lock_guard lock(mutex_);
    Statement q(db_, (std::string("SELECT ") + kTaskColumns + " FROM tasks WHERE task_id = ?").c_str());
    q.bind(1, task_id);
    if (!q.step()) return std::nullopt;
    return read_task(q);
}

std::vector<TaskRecord> Store::open_tasks(const std::string& node_id, double now,
                                          std::int64_t after_seq, std::size_t limit) {
    std::lock_guard lock(mutex_);
    Statement q(db_, (std::string("SELECT ") + kTaskColumns +
                      " FROM tasks WHERE node_id = ? AND state = 'assigned' AND deadline > ?"
                      " AND rowid > ? ORDER BY rowid LIMIT ?")
                         .c_str());
    q.bind(1, node_id).bind(2, now).bind(3, after_seq).bind(4, static_cast<std::int64_t>(limit));
    std::vector<TaskRecord> tasks;
    while (q.step()) tasks.push_back(read_task(q));
    return tasks;
}

int Store::expire_overdue(double now) {
    std::lock_guard lock(mutex_);
    Statement q(db_, "UPDATE tasks SET state = 'expired' WHERE state = 'assigned' AND deadline <= ?");
    q.bind(1, now);
    q.run();
    return sqlite3_changes(db_);
}

void Store::record_submission(SubmissionRecord& submission) {
    std::lock_guard lock(mutex_);
    exec("BEGIN IMMEDIATE");
    try {
        if (submission.count_on_task) {
            Statement count(db_, "UPDATE tasks SET submissions = submissions + 1 WHERE task_id = ?");
            count.bind(1, submission.task_id).run();
            apply_state_change(submission);
        }
        Statement insert(db_,
                         "INSERT INTO submissions(task_id, node_id, arrived_at, status, outcome, "
                         "message, telemetry) VALUES(?, ?, ?, ?, ?, ?, ?)");
        insert.bind(1, submission.task_id).bind(2, submission.node_id);
        insert.bind(3, submission.arrived_at).bind(4, submission.status);
        insert.bind(5, submission.outcome).bind(6, submission.message).bind(7, submission.telemetry);
        insert.run();
        exec("COMMIT");
    } catch (...) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
}

void Store::apply_state_change(SubmissionRecord& submission) {
    if (submission.new_state == TaskState::Accepted) {
        Statement accept(db_, "UPDATE tasks SET state = 'accepted', accepted_at = ? "
                              "WHERE task_id = ? AND state <> 'accepted'");
        accept.bind(1, submission.arrived_at).bind(2, submission.task_id).run();
        if (sqlite3_changes(db_) == 0) {
            // Another submission of this task was accepted while this one was verified.
            submission.status = 409;
            submission.outcome = "repeat";
            submission.message = "task already accepted";
            submission.new_state.reset();
        }
    } else if (submission.new_state) {
        // An accepted or expired task keeps its state: both are final.
        Statement change(db_, "UPDATE tasks SET state = ? "
                              "WHERE task_id = ? AND state IN ('assigned', 'rejected')");
        change.bind(1, to_string(*submission.new_state)).bind(2, submission.task_id).run();
    }
}

void Store::record_request(const RequestRecord& request) {
    std::lock_guard lock(mutex_);
    Statement q(db_,
                "INSERT INTO requests(endpoint, method, path, arrived_at, answered_at, status, "
                "retry_after, fault) VALUES(?, ?, ?, ?, ?, ?, NULLIF(?, ''), NULLIF(?, ''))");
    q.bind(1, request.endpoint).bind(2, request.method).bind(3, request.path);
    q.bind(4, request.arrived_at).bind(5, request.answered_at).bind(6, request.status);
    q.bind(7, request.retry_after).bind(8, request.fault);
    q.run();
}

UserRecord Store::add_user(const std::string& user_id, const std::string& wallet, double now) {
    std::lock_guard lock(mutex_);
    Statement insert(db_,
                     "INSERT INTO users(user_id, wallet_address, registered_at) VALUES(?, ?, ?) "
                     "ON CONFLICT DO NOTHING");
    insert.bind(1, user_id).bind(2, wallet).bind(3, now).run();
    Statement q(db_, "SELECT user_id, wallet_address FROM users WHERE wallet_address = ?");
    q.bind(1, wallet);
    if (!q.step()) {
        // The uuid was taken by another wallet: keep the first registration.
        Statement by_id(db_, "SELECT user_id, wallet_address FROM users WHERE user_id = ?");
        by_id.bind(1, user_id);
        by_id.step();
        return {by_id.text(0), by_id.text(1)};
    }
    return {q.text(0), q.text(1)};
}

std::optional<UserRecord> Store::find_user_by_wallet(const std::string& wallet) {
    std::lock_guard lock(mutex_);
    Statement q(db_, "SELECT user_id, wallet_address FROM users WHERE wallet_address = ?");
    q.bind(1, wallet);
    if (!q.step()) return std::nullopt;
    return UserRecord{q.text(0), q.text(1)};
}

std::optional<UserRecord> Store::find_user_by_id(const std::string& user_id) {
    std::lock_guard lock(mutex_);
    Statement q(db_, "SELECT user_id, wallet_address FROM users WHERE user_id = ?");
    q.bind(1, user_id);
    if (!q.step()) return std::nullopt;
    return UserRecord{q.text(0), q.text(1)};
}

void Store::register_node(const std::string& node_id, const std::string& user_id, int node_type,
                          double now) {
    std::lock_guard lock(mutex_);
    Statement q(db_,
                "INSERT INTO nodes(node_id, user_id, node_type, registered, first_seen, last_seen) "
                "VALUES(?1, ?2, ?3, 1, ?4, ?4) ON CONFLICT(node_id) DO UPDATE SET "
                "user_id = ?2, node_type = ?3, registered = 1");
    q.bind(1, node_id).bind(2, user_id).bind(3, node_type).bind(4, now).run();
}

std::optional<NodeRecord> Store::find_node(const std::string& node_id) {
    std::lock_guard lock(mutex_);
    Statement q(db_, "SELECT node_id, COALESCE(user_id, ''), node_type, registered FROM nodes "
                     "WHERE node_id = ?");
    q.bind(1, node_id);
    if (!q.step()) return std::nullopt;
    return NodeRecord{q.text(0), q.text(1), static_cast<int>(q.integer(2)), q.integer(3) != 0};
}

std::vector<NodeRecord> Store::nodes_of_user(const std::string& user_id) {
    std::lock_guard lock(mutex_);
    Statement q(db_, "SELECT node_id, user_id, node_type, registered FROM nodes "
                     "WHERE user_id = ? AND registered = 1 ORDER BY first_seen, node_id");
    q.bind(1, user_id);
    std::vector<NodeRecord> nodes;
    while (q.step()) {
        nodes.push_back({q.text(0), q.text(1), static_cast<int>(q.integer(2)), true});
    }
    return nodes;
}

void Store::touch_node(const std::string& node_id, int node_type, double now) {
    std::lock_guard lock(mutex_);
    Statement q(db_,
                "INSERT INTO nodes(node_id, user_id, node_type, registered, first_seen, last_seen) "
                "VALUES(?1, NULL, ?2, 0, ?3, ?3) ON CONFLICT(node_id) DO UPDATE SET last_seen = ?3");
    q.bind(1, node_id).bind(2, node_type).bind(3, now).run();
}

nlohmann::json Store::stats() {
    std::lock_guard lock(mutex_);
    nlohmann::json out = {{"tasks", nlohmann::json::object()},
                          {"submissions", nlohmann::json::object()},
                          {"requests", nlohmann::json::object()}};
    Statement tasks(db_, "SELECT state, COUNT(*) FROM tasks GROUP BY state");
    while (tasks.step()) out["tasks"][tasks.text(0)] = tasks.integer(1);
    Statement subs(db_, "SELECT outcome, COUNT(*) FROM submissions GROUP BY outcome");
    while (subs.step()) out["submissions"][subs.text(0)] = subs.integer(1);
    Statement reqs(db_, "SELECT endpoint, status, COUNT(*) FROM requests GROUP BY endpoint, status");
    while (reqs.step()) {
        out["requests"][reqs.text(0)][std::to_string(reqs.integer(1))] = reqs.integer(2);
    }
    return out;
}

}  // namespace orch
