// Unit tests of the SQLite records: tasks, lists with cursors, submissions and state changes.
#include <doctest.h>

#include <unistd.h>

#include <filesystem>

#include "store.h"

namespace {

struct TempDb {
    std::string path = (std::filesystem::temp_directory_path() /
                        ("orch-store-" + std::to_string(::getpid()) + ".db"))
                           .string();
    ~TempDb() {
        for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
    }
};

orch::TaskRecord task(const std::string& id, const std::string& node, double deadline) {
    orch::TaskRecord t;
    t.task_id = id;
    t.node_id = node;
    t.public_key = shared::Bytes(32, 7);
    t.program_id = "argon2id_pow";
    t.task_type = 1;
    t.difficulty = 5;
    t.inputs = {{1, 2, 3}, {0xff}};
    t.issued_at = 100.5;
    t.deadline = deadline;
    return t;
}

}  // namespace

TEST_CASE("tasks round-trip and list in issue order with a cursor") {
    TempDb db;
    orch::Store store(db.path);
    CHECK(store.next_task_number() == 1);
    store.insert_task(task("a", "n1", 1000));
    store.insert_task(task("b", "n1", 1000));
    store.insert_task(task("c", "n2", 1000));
    store.insert_task(task("d", "n1", 150));
    CHECK(store.next_task_number() == 5);

    auto a = store.find_task("a");
    REQUIRE(a);
    CHECK(a->inputs == std::vector<shared::Bytes>{{1, 2, 3}, {0xff}});
    CHECK(a->public_key == shared::Bytes(32, 7));
    CHECK(a->state == orch::TaskState::Assigned);
    CHECK(a->difficulty == 5);
    CHECK_FALSE(store.find_task("zzz"));

    auto open = store.open_tasks("n1", 200, 0, 10);
    REQUIRE(open.size() == 2);  // d is past its deadline
    CHECK(open[0].task_id == "a");
    CHECK(open[1].task_id == "b");
    auto page = store.open_tasks("n1", 100, 0, 1);
    REQUIRE(page.size() == 1);
    auto rest = store.open_tasks("n1", 100, page[0].seq, 10);
    REQUIRE(rest.size() == 2);
    CHECK(rest[0].task_id == "b");

    CHECK(store.expire_overdue(200) == 1);
    CHECK(store.find_task("d")->state == orch::TaskState::Expired);
}

TEST_CASE("submissions change state once; a second acceptance becomes a repeat") {
    TempDb db;
    orch::Store store(db.path);
    store.insert_task(task("a", "n1", 1000));

    orch::SubmissionRecord rejected{"a", "n1", 101, 400, "rejected", "bad", orch::TaskState::Rejected, true, ""};
    store.record_submission(rejected);
    CHECK(store.find_task("a")->state == orch::TaskState::Rejected);

    orch::SubmissionRecord first{"a", "n1", 102, 200, "accepted", "ok", orch::TaskState::Accepted, true, ""};
    store.record_submission(first);
    CHECK(first.status == 200);
    auto accepted = store.find_task("a");
    CHECK(accepted->state == orch::TaskState::Accepted);
    CHECK(accepted->accepted_at == 102.0);

    orch::SubmissionRecord second{"a", "n1", 103, 200, "accepted", "ok", orch::TaskState::Accepted, true, ""};
    store.record_submission(second);
    CHECK(second.status == 409);
    CHECK(second.outcome == "repeat");

    orch::SubmissionRecord late{"a", "n1", 2000, 404, "expired", "late", orch::TaskState::Expired, true, ""};
    store.record_submission(late);
    CHECK(store.find_task("a")->state == orch::TaskState::Accepted);  // never un-accepted

    orch::SubmissionRecord fault{"a", "n1", 104, 429, "fault", "429", std::nullopt, false, ""};
    store.record_submission(fault);
    CHECK(store.find_task("a")->submissions == 4);

    auto stats = store.stats();
    CHECK(stats["submissions"]["accepted"] == 1);
    CHECK(stats["submissions"]["repeat"] == 1);
    CHECK(stats["submissions"]["fault"] == 1);
    CHECK(stats["tasks"]["accepted"] == 1);
}

TEST_CASE("requests, users and nodes") {
    TempDb db;
    orch::Store store(db.path);
    store.record_request({"submit", "POST", "/v3/tasks/submit", 1.25, 1.5, 429, "3", "429"});
    store.record_request({"fetch", "POST", "/v3/tasks", 2, 2, 200, "", ""});
    auto stats = store.stats();
    CHECK(stats["requests"]["submit"]["429"] == 1);
    CHECK(stats["requests"]["fetch"]["200"] == 1);

    auto user = store.add_user("u1", "0xabc", 1);
    CHECK(user.user_id == "u1");
    CHECK(store.add_user("u2", "0xabc", 2).user_id == "u1");  // the wallet keeps its user
    CHECK(store.find_user_by_wallet("0xabc")->user_id == "u1");
    CHECK_FALSE(store.find_user_by_wallet("0xdef"));

    store.touch_node("seen", 1, 5);
    CHECK_FALSE(store.find_node("seen")->registered);
    store.register_node("n1", "u1", 1, 6);
    store.register_node("seen", "u1", 1, 7);
    CHECK(store.find_node("seen")->registered);
    CHECK(store.nodes_of_user("u1").size() == 2);
    CHECK_FALSE(store.find_node("none"));
}
