// Unit tests for the worker table: the only writer of a worker's state, with the
// idle list in step; workers known by spawn id and pid, never by the reused slot;
// the worker idle longest chosen first.
#include <doctest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "supervisor/worker_table.h"

using supervisor::WorkerId;
using supervisor::WorkerRecord;
using supervisor::WorkerState;
using supervisor::WorkerTable;

namespace {

struct Change {
    WorkerId id;
    WorkerState from;
    WorkerState to;
    std::string why;
};

// A table that records every change it reports.
struct Fixture {
    std::vector<Change> changes;
    WorkerTable table{[this](const WorkerRecord& w, WorkerState from, WorkerState to, const std::string& why) {
        changes.push_back({w.id, from, to, why});
    }};

    WorkerId ready_worker(int slot, int pid) {
        WorkerRecord& w = table.add(slot, 0);
        w.pid = pid;
        REQUIRE(table.transition(w.id, WorkerState::Ready, "hello"));
        return w.id;
    }
};

// The idle list holds the ready workers, each once, and nobody else.
void check_in_step(const WorkerTable& table) {
    const auto& idle = table.idle();
    const std::set<WorkerId> listed(idle.begin(), idle.end());
    CHECK(listed.size() == idle.size());
    for (const auto& [id, w] : table.all()) {
        INFO("worker " << id << " is " << supervisor::to_string(w.state));
        CHECK((w.state == WorkerState::Ready) == (listed.count(id) == 1));
    }
    for (WorkerId id : idle) CHECK(table.by_id(id) != nullptr);
    CHECK(table.count(WorkerState::Ready) == idle.size());
}

}  // namespace

TEST_CASE("a new worker is spawning, with a fresh id, and not idle") {
    WorkerTable table;
    WorkerRecord& a = table.add(0, 5);
    WorkerRecord& b = table.add(1, 6);
    CHECK(a.id != supervisor::kNoWorker);
    CHECK(a.id != b.id);
    CHECK(a.state == WorkerState::Spawning);
    CHECK(a.spawned_us == 5);
    CHECK(a.last_seen_us == 5);
    CHECK(table.idle().empty());
    CHECK(table.size() == 2);
    CHECK(table.count(WorkerState::Spawning) == 2);
}

TEST_CASE("every change of state goes through the table, which keeps the idle list in step") {
    Fixture f;
    const WorkerId a = f.table.add(0, 0).id;
    const WorkerId b = f.table.add(1, 0).id;
    const WorkerId c = f.table.add(2, 0).id;
    // Each step: a worker, the state asked for, and whether the table makes that change.
    struct Step {
        WorkerId id;
        WorkerState to;
        bool allowed;
    };
    const std::vector<Step> steps = {
        {a, WorkerState::Busy, false},      // spawning -> busy: no hello yet
        {a, WorkerState::Ready, true},      // hello
        {b, WorkerState::Ready, true},      // hello
        {a, WorkerState::Ready, false},     // a second hello changes nothing
        {a, WorkerState::Busy, true},       // task assigned
        {a, WorkerState::Busy, false},      // a second task while busy
        {c, WorkerState::Stopping, true},   // stopped before its hello
        {c, WorkerState::Ready, false},     // a hello from a stopping worker
        {a, WorkerState::Ready, true},      // result
        {b, WorkerState::Busy, true},       // task assigned
        {b, WorkerState::Stopping, true},   // overdue
        {b, WorkerState::Ready, false},     // its late result does not make it idle
        {a, WorkerState::Stopping, true},   // scaled down while idle
        {a, WorkerState::Spawning, false},  // stopping is left only by the exit
    };
    for (std::size_t i = 0; i < steps.size(); ++i) {
        INFO("step " << i);
        const WorkerState before = f.table.by_id(steps[i].id)->state;
        const std::size_t reported = f.changes.size();
        CHECK(f.table.transition(steps[i].id, steps[i].to, "step " + std::to_string(i)) == steps[i].allowed);
        if (steps[i].allowed) {
            CHECK(f.table.by_id(steps[i].id)->state == steps[i].to);
            REQUIRE(f.changes.size() == reported + 1);
            CHECK(f.changes.back().id == steps[i].id);
            CHECK(f.changes.back().from == before);
            CHECK(f.changes.back().to == steps[i].to);
            CHECK(f.changes.back().why == "step " + std::to_string(i));
        } else {
            CHECK(f.table.by_id(steps[i].id)->state == before);
            CHECK(f.changes.size() == reported);  // a refused change is not reported as made
        }
        check_in_step(f.table);
    }
    CHECK_FALSE(f.table.transition(99, WorkerState::Ready, "nobody"));
}

TEST_CASE("a worker that exits leaves the table and the idle list") {
    Fixture f;
    const WorkerId a = f.ready_worker(0, 100);
    const WorkerId b = f.ready_worker(1, 101);
    f.table.remove(a);
    CHECK(f.table.by_id(a) == nullptr);
    CHECK(f.table.idle() == std::deque<WorkerId>{b});
    check_in_step(f.table);
    f.table.remove(a);  // a second exit report changes nothing
    CHECK(f.table.size() == 1);
    check_in_step(f.table);
}

TEST_CASE("a worker is known by its spawn id and pid: a replacement in the same slot is another worker") {
    WorkerTable table;
    WorkerRecord& first = table.add(0, 0);
    const WorkerId old_id = first.id;
    CHECK(table.by_pid(0) == nullptr);  // not started yet: no pid to be found by
    first.pid = 100;
    CHECK(table.by_pid(100)->id == old_id);
    table.remove(old_id);
    table.respawn_after(0, 7);

    WorkerRecord& second = table.add(0, 10);
    second.pid = 101;
    CHECK(second.id != old_id);
    CHECK(table.by_slot(0)->id == second.id);
    CHECK(table.by_id(old_id) == nullptr);
    CHECK(table.by_pid(100) == nullptr);  // the old process's late frames find nobody
    CHECK(table.by_pid(101)->id == second.id);
    CHECK(table.by_pid(-1) == nullptr);
    CHECK(table.respawn_at(0) == 7);
    CHECK(table.respawn_at(1) == 0);  // a slot never backed off may start at once

    // Ids are never reused, however many replacements a slot sees.
    std::set<WorkerId> ids{old_id, second.id};
    for (int i = 0; i < 100; ++i) {
        table.remove(table.by_slot(0)->id);
        ids.insert(table.add(0, 0).id);
    }
    CHECK(ids.size() == 102);
}

TEST_CASE("the worker idle longest is chosen first, so every worker gets work") {
    Fixture f;
    std::vector<WorkerId> workers;
    for (int slot = 0; slot < 4; ++slot) workers.push_back(f.ready_worker(slot, 100 + slot));
    CHECK(std::vector<WorkerId>(f.table.idle().begin(), f.table.idle().end()) == workers);

    // A dispatcher that takes the head of the idle list, and a worker done at once:
    // the one just freed goes to the back, so the rest are served before it again.
    std::map<WorkerId, int> tasks;
    std::vector<WorkerId> order;
    for (int i = 0; i < 12; ++i) {
        const WorkerId next = f.table.idle().front();
        order.push_back(next);
        ++tasks[next];
        REQUIRE(f.table.transition(next, WorkerState::Busy, "task"));
        REQUIRE(f.table.transition(next, WorkerState::Ready, "result"));
        check_in_step(f.table);
    }
    for (WorkerId w : workers) CHECK(tasks[w] == 3);
    for (std::size_t i = 0; i < order.size(); ++i) CHECK(order[i] == workers[i % workers.size()]);

    // Two busy at once: they come back in the order they finished, behind the idle ones.
    const WorkerId x = f.table.idle()[0];
    const WorkerId y = f.table.idle()[1];
    f.table.transition(x, WorkerState::Busy, "task");
    f.table.transition(y, WorkerState::Busy, "task");
    f.table.transition(y, WorkerState::Ready, "result");
    f.table.transition(x, WorkerState::Ready, "result");
    CHECK(f.table.idle()[2] == y);
    CHECK(f.table.idle()[3] == x);
}
