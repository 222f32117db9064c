// Unit tests for the task ledger: states, queue order, retries, poison and the observer.
#include <doctest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "shared/clock.h"
#include "supervisor/ledger.h"

using supervisor::Ledger;
using supervisor::TaskState;

namespace {

struct Change {
    std::string task_id;
    TaskState from;
    TaskState to;
    std::string reason;
};

shared::Task task(const std::string& id) {
    shared::Task t;
    t.task_id = id;
    t.program_id = "fib_input_initial";
    t.inputs = {shared::Bytes(12, 0)};
    return t;
}

// A ledger on a fake clock that records every change its observer sees.
struct Fixture {
    shared::FakeClock clock;
    std::vector<Change> changes;
    Ledger ledger{clock, [this](const supervisor::TaskRecord& r, TaskState from, TaskState to, const std::string& why) {
                      changes.push_back({r.task.task_id, from, to, why});
                  }};
};

}  // namespace

TEST_CASE("a new task is queued and a duplicate is not") {
    Fixture f;
    CHECK(f.ledger.add(task("a"), 2) == Ledger::Added::New);
    CHECK(f.ledger.add(task("a"), 2) == Ledger::Added::AlreadyHeld);
    CHECK(f.ledger.queued() == 1);
    CHECK(f.ledger.held() == 1);
    REQUIRE(f.ledger.find("a") != nullptr);
    CHECK(f.ledger.find("a")->state == TaskState::Queued);
    CHECK(f.ledger.find("a")->threads == 2);
    CHECK(f.ledger.find("a")->attempts == 0);
    CHECK(f.ledger.find("a")->fetched_us == f.clock.now_us());
    CHECK(f.ledger.count(TaskState::Queued) == 1);
}

TEST_CASE("zero threads become one") {
    Fixture f;
    f.ledger.add(task("a"), 0);
    CHECK(f.ledger.find("a")->threads == 1);
}

TEST_CASE("an accepted task is refused when fetched again") {
    Fixture f;
    f.ledger.add(task("a"), 1);
    f.ledger.dispatch("a", 0);
    f.ledger.transition("a", TaskState::Proved, "proofs back");
    f.ledger.transition("a", TaskState::Submitting, "spooled");
    f.ledger.transition("a", TaskState::Accepted, "200");
    CHECK(f.ledger.was_accepted("a"));
    CHECK(f.ledger.add(task("a"), 1) == Ledger::Added::AlreadyAccepted);
    CHECK(f.ledger.held() == 0);
    CHECK(f.ledger.queued() == 0);
}

TEST_CASE("the queue is first in, first out") {
    Fixture f;
    for (const char* id : {"a", "b", "c"}) f.ledger.add(task(id), 1);
    std::vector<std::string> order;
    while (auto id = f.ledger.peek_queued()) {
        order.push_back(*id);
        f.ledger.dispatch(*id, static_cast<int>(order.size()));
    }
    CHECK(order == std::vector<std::string>{"a", "b", "c"});
    CHECK(f.ledger.queued() == 0);
    CHECK(f.ledger.count(TaskState::Queued) == 0);
    CHECK(f.ledger.count(TaskState::Dispatched) == 3);
}

TEST_CASE("dispatch counts the attempt and records the worker") {
    Fixture f;
    f.ledger.add(task("a"), 1);
    f.clock.advance_s(2);
    f.ledger.dispatch("a", 7);
    const auto* r = f.ledger.find("a");
    REQUIRE(r != nullptr);
    CHECK(r->state == TaskState::Dispatched);
    CHECK(r->attempts == 1);
    CHECK(r->worker == 7);
    CHECK(r->dispatched_us == f.clock.now_us());
    CHECK_FALSE(f.ledger.peek_queued().has_value());
}

TEST_CASE("a task is never dispatched twice") {
    Fixture f;
    f.ledger.add(task("a"), 1);
    f.ledger.dispatch("a", 1);
    const auto changes_before = f.changes.size();
    f.ledger.dispatch("a", 2);  // not queued: nothing happens
    CHECK(f.ledger.find("a")->worker == 1);
    CHECK(f.ledger.find("a")->attempts == 1);
    CHECK(f.changes.size() == changes_before);
    f.ledger.dispatch("unknown", 3);
    CHECK(f.changes.size() == changes_before);

    f.ledger.transition("a", TaskState::Proved, "done");
    f.ledger.dispatch("a", 4);
    CHECK(f.ledger.find("a")->state == TaskState::Proved);
    CHECK(f.ledger.find("a")->attempts == 1);
}

TEST_CASE("a failed task goes to the head of the queue, ahead of new tasks") {
    Fixture f;
    f.ledger.add(task("old"), 1);
    f.ledger.dispatch("old", 1);
    f.ledger.add(task("new1"), 1);
    f.ledger.add(task("new2"), 1);
    f.ledger.worker_failed("old", "worker died (signal 11)", false);
    const auto* r = f.ledger.find("old");
    REQUIRE(r != nullptr);
    CHECK(r->state == TaskState::Queued);
    CHECK(r->worker == -1);
    CHECK(r->attempts == 1);
    REQUIRE(f.ledger.peek_queued().has_value());
    CHECK(*f.ledger.peek_queued() == "old");
    CHECK(f.ledger.queued() == 3);
    f.ledger.dispatch("old", 2);
    CHECK(f.ledger.find("old")->attempts == 2);
    CHECK(*f.ledger.peek_queued() == "new1");
}

TEST_CASE("a failure of a task that is not dispatched is ignored") {
    Fixture f;
    f.ledger.add(task("a"), 1);
    f.ledger.worker_failed("a", "late report", false);
    CHECK(f.ledger.find("a")->causes.empty());
    CHECK(f.ledger.queued() == 1);  // not queued twice
}

TEST_CASE("an OOM kill halves the threads down to 1") {
    Fixture f;
    f.ledger.add(task("a"), 8);
    f.ledger.dispatch("a", 1);
    f.ledger.worker_failed("a", "oom", true);
    CHECK(f.ledger.find("a")->threads == 4);
    f.ledger.dispatch("a", 1);
    f.ledger.worker_failed("a", "oom", true);
    CHECK(f.ledger.find("a")->threads == 2);

    f.ledger.add(task("b"), 2);
    f.ledger.dispatch("b", 2);
    f.ledger.worker_failed("b", "oom", true);
    CHECK(f.ledger.find("b")->threads == 1);
    f.ledger.dispatch("b", 2);
    f.ledger.worker_failed("b", "oom", true);
    CHECK(f.ledger.find("b")->threads == 1);

    f.ledger.add(task("c"), 4);
    f.ledger.dispatch("c", 3);
    f.ledger.worker_failed("c", "crash", false);  // not an OOM: threads kept
    CHECK(f.ledger.find("c")->threads == 4);
}

TEST_CASE("three failed attempts make a task poison with every cause") {
    Fixture f;
    f.ledger.add(task("p"), 1);
    const std::vector<std::string> causes = {"signal 11 (SIGSEGV)", "hung", "signal 9 (SIGKILL)"};
    for (std::size_t i = 0; i < causes.size(); ++i) {
        REQUIRE(f.ledger.peek_queued() == std::optional<std::string>("p"));
        f.ledger.dispatch("p", static_cast<int>(i));
        f.ledger.worker_failed("p", causes[i], false);
    }
    CHECK(f.ledger.find("p") == nullptr);
    CHECK(f.ledger.held() == 0);
    CHECK(f.ledger.queued() == 0);
    CHECK_FALSE(f.ledger.peek_queued().has_value());
    CHECK(f.ledger.count(TaskState::Poison) == 1);
    REQUIRE_FALSE(f.changes.empty());
    const Change& last = f.changes.back();
    CHECK(last.from == TaskState::Dispatched);
    CHECK(last.to == TaskState::Poison);
    CHECK(last.reason.find("3") != std::string::npos);
    for (const auto& cause : causes) CHECK(last.reason.find(cause) != std::string::npos);
    // A poison task fetched again is a new task: the ledger does not remember it.
    CHECK(f.ledger.add(task("p"), 1) == Ledger::Added::New);
}

TEST_CASE("terminal states leave the ledger and are counted") {
    Fixture f;
    const std::vector<TaskState> finals = {TaskState::Accepted, TaskState::Rejected, TaskState::Expired,
                                           TaskState::Unsupported, TaskState::Malformed, TaskState::Abandoned};
    for (std::size_t i = 0; i < finals.size(); ++i) {
        const std::string id = "t" + std::to_string(i);
        f.ledger.add(task(id), 1);
        f.ledger.transition(id, finals[i], "because");
        CHECK(f.ledger.find(id) == nullptr);
        CHECK(f.ledger.count(finals[i]) == 1);
        CHECK(supervisor::is_terminal(finals[i]));
    }
    CHECK(f.ledger.held() == 0);
    CHECK(f.ledger.queued() == 0);  // a queued task that became terminal left the queue
    CHECK_FALSE(f.ledger.peek_queued().has_value());
    CHECK(f.ledger.count(TaskState::Queued) == 0);
    CHECK_FALSE(supervisor::is_terminal(TaskState::Submitting));
    CHECK_FALSE(supervisor::is_terminal(TaskState::Queued));
}

TEST_CASE("a task resumed from the spool is not queued") {
    Fixture f;
    CHECK(f.ledger.add(task("s"), 1, TaskState::Submitting) == Ledger::Added::New);
    CHECK(f.ledger.queued() == 0);
    CHECK(f.ledger.find("s")->state == TaskState::Submitting);
    CHECK(f.ledger.count(TaskState::Submitting) == 1);
}

TEST_CASE("the observer sees every transition old -> new with its reason") {
    Fixture f;
    f.ledger.add(task("a"), 1);
    f.ledger.dispatch("a", 3);
    f.ledger.worker_failed("a", "crashed", false);
    f.ledger.dispatch("a", 4);
    f.ledger.transition("a", TaskState::Proved, "2 proofs");
    f.ledger.transition("a", TaskState::Submitting, "spooled");
    f.ledger.transition("a", TaskState::Accepted, "200");
    f.ledger.transition("a", TaskState::Rejected, "after the end");  // gone: no change

    REQUIRE(f.changes.size() == 7);
    const std::vector<std::pair<TaskState, TaskState>> expected = {
        {TaskState::Queued, TaskState::Queued},         {TaskState::Queued, TaskState::Dispatched},
        {TaskState::Dispatched, TaskState::Queued},     {TaskState::Queued, TaskState::Dispatched},
        {TaskState::Dispatched, TaskState::Proved},     {TaskState::Proved, TaskState::Submitting},
        {TaskState::Submitting, TaskState::Accepted},
    };
    for (std::size_t i = 0; i < expected.size(); ++i) {
        INFO("change " << i);
        CHECK(f.changes[i].task_id == "a");
        CHECK(f.changes[i].from == expected[i].first);
        CHECK(f.changes[i].to == expected[i].second);
        CHECK_FALSE(f.changes[i].reason.empty());
    }
    CHECK(f.changes[1].reason.find("worker 3") != std::string::npos);
    CHECK(f.changes[1].reason.find("attempt 1") != std::string::npos);
    CHECK(f.changes[2].reason.find("crashed") != std::string::npos);
    CHECK(f.changes[3].reason.find("attempt 2") != std::string::npos);
    CHECK(f.changes[4].reason == "2 proofs");
    CHECK(f.changes[6].reason == "200");
    CHECK(f.ledger.count(TaskState::Accepted) == 1);
    CHECK(f.ledger.count(TaskState::Rejected) == 0);
}

TEST_CASE("held ids and state names") {
    Fixture f;
    f.ledger.add(task("b"), 1);
    f.ledger.add(task("a"), 1);
    auto ids = f.ledger.held_ids();
    std::sort(ids.begin(), ids.end());
    CHECK(ids == std::vector<std::string>{"a", "b"});
    CHECK(supervisor::to_string(TaskState::Queued) == "queued");
    CHECK(supervisor::to_string(TaskState::Poison) == "poison");
    CHECK(supervisor::to_string(TaskState::Abandoned) == "abandoned");
}
