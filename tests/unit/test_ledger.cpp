// Unit tests for the task ledger: states, the transition table, owners, queue
// order, retries, poison, remembered verdicts and the observer.
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

// A ledger on a fake clock that records every change and every refusal.
struct Fixture {
    shared::FakeClock clock;
    std::vector<Change> changes;
    std::vector<std::string> refusals;
    Ledger ledger{clock,
                  [this](const supervisor::TaskRecord& r, TaskState from, TaskState to, const std::string& why) {
                      changes.push_back({r.task.task_id, from, to, why});
                  },
                  [this](const std::string& id, std::optional<TaskState>, TaskState, const std::string&) {
                      refusals.push_back(id);
                  }};

    bool dispatch(const std::string& id, supervisor::WorkerId w) {
        return ledger.dispatch(id, w, 1, "worker " + std::to_string(w));
    }
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

TEST_CASE("every terminal verdict is remembered: a task fetched or listed again is refused") {
    const std::vector<TaskState> finals = {TaskState::Rejected, TaskState::Expired, TaskState::Unsupported,
                                           TaskState::Malformed, TaskState::Abandoned};
    Fixture f;
    f.ledger.add(task("acc"), 1);
    f.dispatch("acc", 1);
    CHECK(f.ledger.transition("acc", TaskState::Proved, "proofs back"));
    CHECK(f.ledger.transition("acc", TaskState::Submitting, "spooled"));
    CHECK(f.ledger.transition("acc", TaskState::Accepted, "200"));
    CHECK(f.ledger.add(task("acc"), 1) == Ledger::Added::AlreadyFinished);
    CHECK(f.ledger.verdicts().find("acc") == TaskState::Accepted);
    for (std::size_t i = 0; i < finals.size(); ++i) {
        const std::string id = "t" + std::to_string(i);
        f.ledger.add(task(id), 1);
        if (finals[i] == TaskState::Rejected || finals[i] == TaskState::Expired) {
            f.dispatch(id, 10 + i);
            f.ledger.transition(id, TaskState::Proved, "proved");
        }
        REQUIRE(f.ledger.transition(id, finals[i], "because"));
        CHECK(f.ledger.add(task(id), 1) == Ledger::Added::AlreadyFinished);
    }
    CHECK(f.ledger.held() == 0);
    CHECK(f.refusals.empty());
}

TEST_CASE("a poison task fetched again is refused, not run again") {
    Fixture f;
    f.ledger.add(task("p"), 1);
    for (supervisor::WorkerId w = 1; w <= Ledger::kMaxAttempts; ++w) {
        REQUIRE(f.dispatch("p", w));
        f.ledger.worker_failed("p", w, "signal 11", false);
    }
    CHECK(f.ledger.count(TaskState::Poison) == 1);
    CHECK(f.ledger.add(task("p"), 1) == Ledger::Added::AlreadyFinished);
    CHECK(f.ledger.count(TaskState::Poison) == 1);
}

TEST_CASE("the queue is first in, first out") {
    Fixture f;
    for (const char* id : {"a", "b", "c"}) f.ledger.add(task(id), 1);
    std::vector<std::string> order;
    while (auto id = f.ledger.peek_queued()) {
        order.push_back(*id);
        f.dispatch(*id, order.size());
    }
    CHECK(order == std::vector<std::string>{"a", "b", "c"});
    CHECK(f.ledger.queued() == 0);
    CHECK(f.ledger.count(TaskState::Queued) == 0);
    CHECK(f.ledger.count(TaskState::Dispatched) == 3);
}

TEST_CASE("dispatch counts the attempt and records the owner") {
    Fixture f;
    f.ledger.add(task("a"), 1);
    f.clock.advance_s(2);
    CHECK(f.ledger.dispatch("a", 7, 3, "worker#0[7]"));
    const auto* r = f.ledger.find("a");
    REQUIRE(r != nullptr);
    CHECK(r->state == TaskState::Dispatched);
    CHECK(r->attempts == 1);
    CHECK(r->owner == 7);
    CHECK(r->concurrent == 3);
    CHECK(r->dispatched_us == f.clock.now_us());
    CHECK(f.ledger.owned_by("a", 7));
    CHECK_FALSE(f.ledger.owned_by("a", 8));
    CHECK_FALSE(f.ledger.peek_queued().has_value());
}

TEST_CASE("a second dispatch of one task is refused and reported") {
    Fixture f;
    f.ledger.add(task("a"), 1);
    CHECK(f.dispatch("a", 1));
    const auto changes_before = f.changes.size();
    CHECK_FALSE(f.dispatch("a", 2));
    CHECK(f.ledger.find("a")->owner == 1);
    CHECK(f.ledger.find("a")->attempts == 1);
    CHECK(f.changes.size() == changes_before);
    CHECK(f.refusals == std::vector<std::string>{"a"});
    CHECK_FALSE(f.dispatch("unknown", 3));
    CHECK(f.ledger.refused() == 2);
}

TEST_CASE("the transition table refuses what no task may do") {
    Fixture f;
    f.ledger.add(task("a"), 1);
    CHECK_FALSE(f.ledger.transition("a", TaskState::Proved, "a result for a queued task"));
    CHECK_FALSE(f.ledger.transition("a", TaskState::Accepted, "an answer for a queued task"));
    f.dispatch("a", 1);
    CHECK(f.ledger.transition("a", TaskState::Proved, "2 proofs"));
    CHECK_FALSE(f.ledger.transition("a", TaskState::Proved, "a second result"));
    CHECK(f.ledger.transition("a", TaskState::Submitting, "spooled"));
    CHECK_FALSE(f.ledger.transition("a", TaskState::Proved, "a late result"));
    CHECK_FALSE(f.ledger.transition("a", TaskState::Dispatched, "again"));
    CHECK(f.ledger.find("a")->state == TaskState::Submitting);
    CHECK(f.ledger.refused() == 5);
    CHECK(supervisor::transition_allowed(TaskState::Submitting, TaskState::Accepted));
    CHECK_FALSE(supervisor::transition_allowed(TaskState::Accepted, TaskState::Queued));
}

TEST_CASE("only the owner's failure requeues the task") {
    Fixture f;
    f.ledger.add(task("a"), 1);
    f.dispatch("a", 1);
    CHECK_FALSE(f.ledger.worker_failed("a", 2, "a duplicate died", false));
    CHECK(f.ledger.find("a")->state == TaskState::Dispatched);
    CHECK(f.ledger.find("a")->attempts == 1);
    CHECK(f.ledger.worker_failed("a", 1, "the owner died", false));
    CHECK(f.ledger.find("a")->state == TaskState::Queued);
    CHECK(f.ledger.find("a")->owner == supervisor::kNoWorker);
    CHECK_FALSE(f.ledger.worker_failed("a", 1, "late report", false));  // queued: no owner any more
}

TEST_CASE("a failed task goes to the head of the queue, ahead of new tasks") {
    Fixture f;
    f.ledger.add(task("old"), 1);
    f.dispatch("old", 1);
    f.ledger.add(task("new1"), 1);
    f.ledger.add(task("new2"), 1);
    f.ledger.worker_failed("old", 1, "worker died (signal 11)", false);
    const auto* r = f.ledger.find("old");
    REQUIRE(r != nullptr);
    CHECK(r->state == TaskState::Queued);
    CHECK(r->attempts == 1);
    CHECK(*f.ledger.peek_queued() == "old");
    CHECK(f.ledger.queued() == 3);
    f.dispatch("old", 2);
    CHECK(f.ledger.find("old")->attempts == 2);
    CHECK(*f.ledger.peek_queued() == "new1");
}

TEST_CASE("a failure that does not count gives the attempt back") {
    Fixture f;
    f.ledger.add(task("a"), 1);
    for (supervisor::WorkerId w = 1; w <= 10; ++w) {
        REQUIRE(f.dispatch("a", w));
        f.ledger.worker_failed("a", w, "the assignment never arrived", false, false);
    }
    CHECK(f.ledger.find("a")->attempts == 0);
    CHECK(f.ledger.count(TaskState::Poison) == 0);
}

TEST_CASE("an OOM kill halves the threads down to 1") {
    Fixture f;
    f.ledger.add(task("a"), 8);
    f.dispatch("a", 1);
    f.ledger.worker_failed("a", 1, "oom", true);
    CHECK(f.ledger.find("a")->threads == 4);
    f.dispatch("a", 2);
    f.ledger.worker_failed("a", 2, "oom", true);
    CHECK(f.ledger.find("a")->threads == 2);

    f.ledger.add(task("b"), 2);
    f.dispatch("b", 3);
    f.ledger.worker_failed("b", 3, "oom", true);
    CHECK(f.ledger.find("b")->threads == 1);

    f.ledger.add(task("c"), 4);
    f.dispatch("c", 4);
    f.ledger.worker_failed("c", 4, "crash", false);  // not an OOM: threads kept
    CHECK(f.ledger.find("c")->threads == 4);
}

TEST_CASE("three failed attempts make a task poison with every cause") {
    Fixture f;
    f.ledger.add(task("p"), 1);
    const std::vector<std::string> causes = {"signal 11 (SIGSEGV)", "hung", "signal 9 (SIGKILL)"};
    for (std::size_t i = 0; i < causes.size(); ++i) {
        REQUIRE(f.ledger.peek_queued() == std::optional<std::string>("p"));
        f.dispatch("p", i + 1);
        f.ledger.worker_failed("p", i + 1, causes[i], false);
    }
    CHECK(f.ledger.find("p") == nullptr);
    CHECK(f.ledger.held() == 0);
    CHECK(f.ledger.queued() == 0);
    CHECK(f.ledger.count(TaskState::Poison) == 1);
    const Change& last = f.changes.back();
    CHECK(last.from == TaskState::Dispatched);
    CHECK(last.to == TaskState::Poison);
    CHECK(last.reason.find("3") != std::string::npos);
    for (const auto& cause : causes) CHECK(last.reason.find(cause) != std::string::npos);
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
    f.dispatch("a", 3);
    f.ledger.worker_failed("a", 3, "crashed", false);
    f.dispatch("a", 4);
    f.ledger.transition("a", TaskState::Proved, "2 proofs");
    f.ledger.transition("a", TaskState::Submitting, "spooled");
    f.ledger.transition("a", TaskState::Accepted, "200");
    CHECK_FALSE(f.ledger.transition("a", TaskState::Rejected, "after the end"));  // gone: refused

    REQUIRE(f.changes.size() == 7);
    const std::vector<std::pair<TaskState, TaskState>> expected = {
        {TaskState::Queued, TaskState::Queued},         {TaskState::Queued, TaskState::Dispatched},
        {TaskState::Dispatched, TaskState::Queued},     {TaskState::Queued, TaskState::Dispatched},
        {TaskState::Dispatched, TaskState::Proved},     {TaskState::Proved, TaskState::Submitting},
        {TaskState::Submitting, TaskState::Accepted},
    };
    for (std::size_t i = 0; i < expected.size(); ++i) {
        INFO("change " << i);
        CHECK(f.changes[i].from == expected[i].first);
        CHECK(f.changes[i].to == expected[i].second);
    }
    CHECK(f.changes[1].reason.find("worker 3") != std::string::npos);
    CHECK(f.changes[1].reason.find("attempt 1") != std::string::npos);
    CHECK(f.changes[2].reason.find("crashed") != std::string::npos);
    CHECK(f.changes[3].reason.find("attempt 2") != std::string::npos);
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
