// Unit tests for the node's core (supervisor/node.h): the real Node on a fake
// clock, its workers and its orchestrator played by the test, every action of
// every turn kept. One case for each numbered item of issue 9 that a unit test
// can pin down, named after it; each fails with that item's fix reverted (the
// mutant build, test_node_mutants in meson.build, shows it for every fault that
// supervisor/mutants.h can switch on).
#include <doctest.h>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "shared/clock.h"
#include "supervisor/mutants.h"
#include "supervisor/node.h"

namespace wire = shared::wire;
using supervisor::Action;
using supervisor::Death;
using supervisor::FetchTask;
using supervisor::KillReason;
using supervisor::ListTasks;
using supervisor::Node;
using supervisor::Options;
using supervisor::Plan;
using supervisor::RememberVerdict;
using supervisor::RemoveSpool;
using supervisor::Reply;
using supervisor::SendAssign;
using supervisor::SpawnWorker;
using supervisor::StopWorker;
using supervisor::SubmitProof;
using supervisor::TaskState;
using supervisor::WorkerId;
using supervisor::WorkerState;
using supervisor::WriteSpool;

namespace {

#ifdef PROVENODE_MUTANTS
// The mutant build: PROVENODE_MUTANT names the fault to switch on.
const bool kMutantChosen = [] {
    if (const char* name = std::getenv("PROVENODE_MUTANT")) {
        supervisor::mutants::active = supervisor::mutants::from_name(name);
    }
    return true;
}();
#endif

constexpr std::uint64_t kMiB = 1ull << 20;
constexpr std::uint64_t kPerProof = 64 * kMiB;  // what the node assumes a proof takes

shared::Task task(const std::string& id, unsigned inputs = 1, const std::string& program = "fib_input_initial") {
    shared::Task t;
    t.task_id = id;
    t.program_id = program;
    for (unsigned i = 0; i < inputs; ++i) t.inputs.push_back(shared::Bytes(12, static_cast<std::uint8_t>(i)));
    return t;
}

supervisor::Outcome answer(Reply reply, long status) { return {reply, status, std::nullopt, "", 0.01}; }

Death by_signal(int signum) {
    Death death;
    death.term_signal = signum;
    return death;
}

Death exit_code(int code) {
    Death death;
    death.exit_status = code;
    return death;
}

template <class T>
std::vector<T> only(const std::vector<Action>& actions, std::size_t from = 0) {
    std::vector<T> found;
    for (std::size_t i = from; i < actions.size(); ++i) {
        if (const T* a = std::get_if<T>(&actions[i])) found.push_back(*a);
    }
    return found;
}

// Everything the node logs, for the cases that check what it says.
std::ostringstream& captured_log() {
    static std::ostringstream text;
    static const bool installed = [] {
        auto logger = std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::ostream_sink_st>(text));
        logger->set_level(spdlog::level::info);
        spdlog::set_default_logger(logger);
        return true;
    }();
    (void)installed;
    return text;
}

struct Setup {
    unsigned workers = 2;
    unsigned per_task_threads = 1;
    std::uint64_t budget_proofs = 64;  // the memory budget, in proofs of kPerProof
    double task_timeout_s = 60;
    double drain_timeout_s = 30;
};

// A worker process as the test plays it.
struct Peer {
    WorkerId id = 0;
    bool alive = true;
    bool said_hello = false;
    std::optional<wire::Assign> task;  // what it proves now
    std::uint64_t assigns = 0;         // Assigns it received
    std::uint64_t rss = 0;
};

// The node, and the world around it as far as a test needs it. Events are the
// test's to send; turn() runs one turn and carries out what can be carried out at
// once: a spawn gets a pid, an Assign reaches its worker, a fetch or a listing is
// held open for the test to answer, and a spool write is answered when
// `disk_works` says how.
class Rig {
public:
    explicit Rig(Setup setup = {})
        : options(options_for(setup)), node(options, clock, env_for(setup), 7, hooks_for(history)) {
        captured_log().str("");
    }

    // Started: the orchestrator knows the node and every worker has said hello.
    // The first listing is left open.
    void boot() {
        node.start();
        node.on_node_checked(std::string());
        turn();
        hello_all();
        turn();
    }
    // Booted, the first listing answered with `listed`, and one turn to dispatch.
    void start(std::vector<shared::Task> listed = {}) {
        boot();
        list(std::move(listed));
        turn();
    }

    Plan turn() {
        Plan plan = node.turn();
        check_in_step();
        const std::size_t from = actions.size();
        actions.insert(actions.end(), plan.actions.begin(), plan.actions.end());
        for (std::size_t i = from; i < actions.size(); ++i) carry_out(actions[i]);
        return plan;
    }

    void hello_all() {
        for (auto& [pid, peer] : peers) {
            if (!peer.alive || peer.said_hello) continue;
            peer.said_hello = true;
            node.on_hello(pid, wire::Hello{static_cast<std::uint32_t>(pid), 0, 2, "test"});
        }
    }
    void beat(int pid) {
        const Peer& p = peers.at(pid);
        node.on_heartbeat(pid, wire::Heartbeat{p.task ? p.task->task_id : "", p.rss, p.rss, 0, p.assigns});
    }
    void beat_all() {
        for (const auto& [pid, peer] : peers) {
            if (peer.alive && peer.said_hello) beat(pid);
        }
    }
    // Time passes in steps, each worker beating and a turn after each step.
    void pass(double seconds, double step_s = 1.0) {
        for (double t = 0; t < seconds; t += step_s) {
            clock.advance_s(step_s);
            beat_all();
            turn();
        }
    }

    wire::Result result_for(const wire::Assign& a) const {
        wire::Result r;
        r.task_id = a.task_id;
        r.proofs.assign(a.inputs.size(), shared::Bytes(8, 1));
        r.proof_micros.assign(a.inputs.size(), 1000);
        r.threads_used = a.threads;
        r.dispatch_id = a.dispatch_id;
        return r;
    }
    // The worker sends the result of the task it proves.
    void prove(int pid) {
        Peer& p = peers.at(pid);
        REQUIRE(p.task);
        wire::Result r = result_for(*p.task);
        p.task.reset();
        node.on_result(pid, std::move(r));
    }
    void fail(int pid, wire::FailureKind kind = wire::FailureKind::ProverError) {
        Peer& p = peers.at(pid);
        REQUIRE(p.task);
        const wire::Failure f{p.task->task_id, kind, "test failure", 0, p.task->dispatch_id};
        p.task.reset();
        node.on_failure(pid, f);
    }
    void exit(int pid, const Death& death) {
        peers.at(pid).alive = false;
        node.on_exit(pid, death);
    }

    void list(std::vector<shared::Task> tasks) {
        REQUIRE(listing);
        listing = false;
        shared::GetTasksResponse reply;
        reply.tasks = std::move(tasks);
        node.on_listed(answer(Reply::Ok, 200), std::move(reply));
    }
    void fetched(const shared::Task& t) {
        REQUIRE_FALSE(open_fetches.empty());
        const std::uint64_t id = open_fetches.front();
        open_fetches.erase(open_fetches.begin());
        node.on_fetched(id, answer(Reply::Ok, 200), t);
    }
    void no_task_for_any_fetch() {
        for (std::uint64_t id : open_fetches) node.on_fetched(id, answer(Reply::NotFound, 404), std::nullopt);
        open_fetches.clear();
    }

    // The pid of the worker that owns `task_id` in the ledger (0: none).
    int pid_of(const std::string& task_id) const {
        const auto* r = node.ledger().find(task_id);
        if (!r || r->state != TaskState::Dispatched) return 0;
        const auto* w = node.workers().by_id(r->owner);
        return w ? w->pid : 0;
    }
    // The node's record of the worker with `pid` (the table looks up by pid only for the node).
    const supervisor::WorkerRecord* worker(int pid) const {
        for (const auto& [id, w] : node.workers().all()) {
            if (w.pid == pid) return &w;
        }
        return nullptr;
    }
    int pid_in(int slot) const {
        const auto* w = node.workers().by_slot(slot);
        return w ? w->pid : 0;
    }
    std::vector<int> ready_pids() const {
        std::vector<int> pids;
        for (WorkerId id : node.workers().idle()) pids.push_back(node.workers().by_id(id)->pid);
        return pids;
    }
    // What admitted work is projected to take, and what idle workers hold besides.
    std::uint64_t committed_memory() const {
        std::uint64_t held = 0;
        for (const auto& [id, w] : node.workers().all()) {
            if (w.state == WorkerState::Ready) held += w.rss_bytes;
        }
        return node.projected_memory() + held;
    }
    template <class T>
    std::vector<T> since(std::size_t mark) const {
        return only<T>(actions, mark);
    }
    std::vector<TaskState> states_of(const std::string& task_id) const {
        auto it = history.find(task_id);
        return it == history.end() ? std::vector<TaskState>{} : it->second;
    }
    std::string log() const { return captured_log().str(); }

    shared::FakeClock clock;
    const Options options;
    std::map<std::string, std::vector<TaskState>> history;  // every state each task entered, in order
    Node node;
    std::vector<Action> actions;  // of every turn so far, in order
    std::map<int, Peer> peers;    // by pid
    std::vector<std::uint64_t> open_fetches;
    bool listing = false;
    std::optional<bool> disk_works;  // set: every spool write is answered at once, done or ENOSPC

private:
    static Options options_for(const Setup& s) {
        Options o;
        o.node_id = "test-node";
        o.orchestrator_url = "http://orchestrator.test";
        o.min_workers = o.max_workers = s.workers;
        o.per_task_threads = s.per_task_threads;
        o.startup_jitter_s = 0;
        o.drain_timeout_s = s.drain_timeout_s;
        o.task_timeout_s = s.task_timeout_s;
        o.fetch_backoff = {0.05, 1};
        o.submit_backoff = {0.05, 1};
        o.memory_per_proof = kPerProof;
        o.memory_guard = false;
        return o;
    }
    static supervisor::NodeEnv env_for(const Setup& s) {
        supervisor::NodeEnv env;
        env.memory_budget = s.budget_proofs * kPerProof;
        env.public_key = shared::Bytes(32, 7);
        env.build_submission = [](const shared::Task& t, const wire::Result&) {
            return shared::Expected<shared::Bytes>(shared::Bytes(t.task_id.begin(), t.task_id.end()));
        };
        return env;
    }
    static supervisor::NodeHooks hooks_for(std::map<std::string, std::vector<TaskState>>& history) {
        supervisor::NodeHooks hooks;
        hooks.task_changed = [&history](const std::string& id, TaskState, TaskState to) { history[id].push_back(to); };
        return hooks;
    }

    void carry_out(const Action& action) {
        if (const auto* a = std::get_if<SpawnWorker>(&action)) {
            const int pid = next_pid_++;
            peers[pid].id = a->id;
            node.on_spawned(a->id, pid);
        } else if (const auto* a = std::get_if<SendAssign>(&action)) {
            auto it = peers.find(a->pid);
            if (it == peers.end() || !it->second.alive) return node.on_send_failed(a->id, "test: gone");
            // What a worker would notice: a second task while it proves one, or a
            // task that another live worker proves too.
            CHECK_MESSAGE(!it->second.task, "worker " << a->pid << " got " << a->assign.task_id << " while proving "
                                                      << it->second.task->task_id);
            for (const auto& [pid, peer] : peers) {
                CHECK_MESSAGE(!(pid != a->pid && peer.alive && peer.task && peer.task->task_id == a->assign.task_id),
                              a->assign.task_id << " on workers " << pid << " and " << a->pid);
            }
            ++it->second.assigns;
            it->second.task = a->assign;
        } else if (const auto* a = std::get_if<FetchTask>(&action)) {
            open_fetches.push_back(a->fetch_id);
        } else if (std::holds_alternative<ListTasks>(action)) {
            listing = true;
        } else if (const auto* a = std::get_if<WriteSpool>(&action)) {
            if (!disk_works) return;
            node.on_spooled(a->task_id, a->write_id,
                            *disk_works ? shared::Status(shared::Ok{}) : shared::Status(shared::fail("test: ENOSPC")));
        }
    }

    // The worker table keeps its idle list in step with the states: the ready
    // workers, each once, and nobody else.
    void check_in_step() const {
        const auto& idle = node.workers().idle();
        std::set<WorkerId> listed(idle.begin(), idle.end());
        CHECK(listed.size() == idle.size());
        for (const auto& [id, w] : node.workers().all()) {
            CHECK_MESSAGE((w.state == WorkerState::Ready) == (listed.count(id) == 1), "worker id " << id);
        }
        CHECK(node.workers().count(WorkerState::Ready) == idle.size());
    }

    int next_pid_ = 100;
};

}  // namespace

// --- 1. re-entrancy ------------------------------------------------------------------

TEST_CASE("item 1, re-entrancy: two workers freed in one turn take a different task each, and every task goes to "
          "one worker") {
    Rig rig({.workers = 2});
    rig.start({task("a"), task("b"), task("c"), task("d"), task("e")});
    const auto first = only<SendAssign>(rig.actions);
    REQUIRE(first.size() == 2);
    CHECK(first[0].assign.task_id != first[1].assign.task_id);

    // Both results are read before the next turn: both workers are free in it.
    for (const auto& s : first) rig.prove(s.pid);
    const std::size_t mark = rig.actions.size();
    rig.turn();
    const auto second = rig.since<SendAssign>(mark);
    REQUIRE(second.size() == 2);
    CHECK(second[0].assign.task_id != second[1].assign.task_id);
    CHECK(second[0].id != second[1].id);
    for (const auto& s : second) CHECK(rig.node.ledger().owned_by(s.assign.task_id, s.id, s.assign.dispatch_id));

    for (const auto& s : second) rig.prove(s.pid);
    rig.turn();
    std::multiset<std::string> sent;
    for (const auto& s : only<SendAssign>(rig.actions)) sent.insert(s.assign.task_id);
    CHECK(sent == std::multiset<std::string>{"a", "b", "c", "d", "e"});
    CHECK(rig.node.ledger().count(TaskState::Dispatched) == 1);
    CHECK(rig.node.ledger().refused() == 0);
}

TEST_CASE("item 1, re-entrancy: admission counts the tasks admitted earlier in the same turn") {
    Rig rig({.workers = 3, .budget_proofs = 2});
    rig.start({task("a"), task("b"), task("c")});
    // Three idle workers, room for two proofs: the third task waits.
    CHECK(only<SendAssign>(rig.actions).size() == 2);
    CHECK(rig.node.ledger().queued() == 1);
    CHECK(rig.committed_memory() <= rig.node.budget());

    // One finishes: its room goes to the third.
    rig.prove(rig.pid_of("a"));
    rig.turn();
    CHECK(rig.node.ledger().find("c")->state == TaskState::Dispatched);
    CHECK(rig.node.ledger().count(TaskState::Dispatched) == 2);
    CHECK(rig.committed_memory() <= rig.node.budget());
}

TEST_CASE("item 1, re-entrancy: memory an idle worker keeps counts against the budget") {
    Rig rig({.workers = 3, .budget_proofs = 2});
    rig.start({task("a")});
    REQUIRE(rig.pid_of("a") != 0);
    // The last idle worker still holds a proof's worth of arenas from before.
    const std::vector<int> idle = rig.ready_pids();
    REQUIRE(idle.size() == 2);
    rig.peers.at(idle.back()).rss = kPerProof;
    rig.beat(idle.back());
    rig.fetched(task("b"));
    rig.turn();
    // a's proof and the kept arenas fill the budget: b waits.
    CHECK(rig.node.ledger().find("b")->state == TaskState::Queued);
    CHECK(rig.committed_memory() <= rig.node.budget());

    rig.prove(rig.pid_of("a"));
    rig.turn();
    CHECK(rig.node.ledger().find("b")->state == TaskState::Dispatched);
    CHECK(rig.committed_memory() <= rig.node.budget());
}

// --- 2. ownership ---------------------------------------------------------------------

TEST_CASE("item 2, ownership: only the worker the ledger gave the task to can answer for it") {
    SUBCASE("a result from a worker that does not own the task is ignored") {
        Rig rig({.workers = 2});
        rig.start({task("a")});
        const int owner = rig.pid_of("a");
        const std::vector<int> idle = rig.ready_pids();
        REQUIRE(idle.size() == 1);
        const wire::Assign assign = *rig.peers.at(owner).task;
        rig.node.on_result(idle[0], rig.result_for(assign));
        const auto* r = rig.node.ledger().find("a");
        REQUIRE(r != nullptr);
        CHECK(r->state == TaskState::Dispatched);
        CHECK(rig.pid_of("a") == owner);
        CHECK(r->attempts == 1);
        CHECK(rig.node.foreign_frames() == 1);
        rig.turn();
        CHECK(only<WriteSpool>(rig.actions).empty());

        rig.prove(owner);
        rig.turn();
        CHECK(rig.states_of("a").back() == TaskState::Proved);
        CHECK(only<WriteSpool>(rig.actions).size() == 1);
    }
    SUBCASE("a failure from a worker that does not own the task is ignored") {
        Rig rig({.workers = 2});
        rig.start({task("a")});
        const int owner = rig.pid_of("a");
        const wire::Assign assign = *rig.peers.at(owner).task;
        const int other = rig.ready_pids().at(0);
        // A prover error would requeue the task; a refused input would end it for good.
        rig.node.on_failure(other, wire::Failure{"a", wire::FailureKind::ProverError, "not mine", 0, assign.dispatch_id});
        rig.node.on_failure(other,
                            wire::Failure{"a", wire::FailureKind::MalformedInput, "not mine", 0, assign.dispatch_id});
        rig.turn();
        CHECK(rig.node.foreign_frames() == 2);
        CHECK(rig.node.ledger().refused() == 0);  // the node never asked the ledger
        const auto* r = rig.node.ledger().find("a");
        REQUIRE(r != nullptr);
        CHECK(r->state == TaskState::Dispatched);
        CHECK(rig.pid_of("a") == owner);
        CHECK(r->attempts == 1);
        CHECK(r->causes.empty());
        CHECK(only<SendAssign>(rig.actions).size() == 1);
    }
    SUBCASE("an answer to an earlier dispatch of the task is ignored") {
        Rig rig({.workers = 1});
        rig.start({task("a")});
        const int pid = rig.pid_of("a");
        const wire::Assign earlier = *rig.peers.at(pid).task;
        rig.fail(pid);  // a prover error: a goes again, here to the same worker
        rig.turn();
        REQUIRE(rig.pid_of("a") == pid);
        const wire::Assign now = *rig.peers.at(pid).task;
        CHECK(now.dispatch_id != earlier.dispatch_id);
        CHECK(now.attempt == 2);
        rig.node.on_result(pid, rig.result_for(earlier));
        rig.node.on_failure(pid, wire::Failure{"a", wire::FailureKind::ProverError, "late", 0, earlier.dispatch_id});
        rig.turn();
        CHECK(rig.node.ledger().find("a")->state == TaskState::Dispatched);
        CHECK(rig.node.ledger().find("a")->attempts == 2);
        CHECK(rig.node.ledger().find("a")->dispatch_id == now.dispatch_id);
        CHECK(rig.node.foreign_frames() == 2);
        CHECK(only<WriteSpool>(rig.actions).empty());
        rig.prove(pid);
        CHECK(rig.states_of("a").back() == TaskState::Proved);
    }
    SUBCASE("a replacement in the same slot is another worker: the old one's late frames and exit change nothing") {
        Rig rig({.workers = 1});
        rig.start({task("a")});
        const int old_pid = rig.pid_of("a");
        REQUIRE(old_pid != 0);
        const WorkerId old_id = rig.worker(old_pid)->id;
        const wire::Assign earlier = *rig.peers.at(old_pid).task;
        rig.exit(old_pid, by_signal(SIGKILL));  // killed by someone else: a goes again
        rig.turn();
        rig.hello_all();
        rig.turn();
        const int new_pid = rig.pid_of("a");
        REQUIRE(new_pid != 0);
        CHECK(new_pid != old_pid);
        CHECK(rig.pid_in(0) == new_pid);
        CHECK(rig.worker(new_pid)->id != old_id);
        CHECK(rig.node.workers().by_id(old_id) == nullptr);
        CHECK(rig.node.ledger().find("a")->attempts == 2);
        const std::uint64_t restarts = rig.node.restarts();

        // The old process's result, arriving late, and a second report of its exit.
        rig.node.on_result(old_pid, rig.result_for(earlier));
        rig.node.on_exit(old_pid, by_signal(SIGKILL));
        // The new worker answering with the old dispatch.
        rig.node.on_result(new_pid, rig.result_for(earlier));
        const std::size_t mark = rig.actions.size();
        rig.turn();
        const auto* r = rig.node.ledger().find("a");
        REQUIRE(r != nullptr);
        CHECK(r->state == TaskState::Dispatched);
        CHECK(rig.pid_of("a") == new_pid);
        CHECK(r->attempts == 2);
        CHECK(rig.node.restarts() == restarts);
        CHECK(rig.since<SpawnWorker>(mark).empty());
        CHECK(rig.since<WriteSpool>(mark).empty());

        rig.prove(new_pid);
        CHECK(rig.states_of("a").back() == TaskState::Proved);
        CHECK(rig.node.ledger().refused() == 0);
    }
}

// --- 3. submitter -----------------------------------------------------------------------

TEST_CASE("item 3, submitter: a spool write that lands after the final answer does not queue the proof again") {
    Rig rig({.workers = 1});
    rig.start({task("a")});
    rig.prove(rig.pid_of("a"));
    rig.turn();
    const auto first = only<WriteSpool>(rig.actions);
    REQUIRE(first.size() == 1);
    rig.node.on_spooled("a", first[0].write_id, shared::fail("test: EIO"));
    rig.turn();  // sent from memory meanwhile
    const auto sends = only<SubmitProof>(rig.actions);
    REQUIRE(sends.size() == 1);
    CHECK(sends[0].bytes != nullptr);
    std::size_t mark = rig.actions.size();
    rig.clock.advance_s(1.1);
    rig.turn();  // the write is tried again while the submission is on its way
    const auto retry = rig.since<WriteSpool>(mark);
    REQUIRE(retry.size() == 1);

    rig.node.on_submitted("a", answer(Reply::Ok, 200));
    rig.node.on_spooled("a", retry[0].write_id, shared::Ok{});
    mark = rig.actions.size();
    rig.pass(5);
    CHECK(rig.since<SubmitProof>(mark).empty());
    CHECK(rig.since<WriteSpool>(mark).empty());
    // The file written after the answer must not outlive it.
    const auto removed = rig.since<RemoveSpool>(mark);
    CHECK(std::count_if(removed.begin(), removed.end(), [](const auto& r) { return r.task_id == "a"; }) >= 1);
    CHECK(rig.node.submissions().pending() == 0);
    CHECK(rig.states_of("a") == std::vector<TaskState>{TaskState::Queued, TaskState::Dispatched, TaskState::Proved,
                                                       TaskState::Accepted});
}

// --- 4. terminal verdicts ----------------------------------------------------------------

namespace {

// Lists `t` again after the relisting period (the server lists a task until it is
// submitted) and fetches it once more; returns the actions from then on.
std::vector<Action> offer_again(Rig& rig, const shared::Task& t) {
    const std::size_t mark = rig.actions.size();
    rig.pass(supervisor::Intake::kRelistPeriodUs / 1e6 + 1);
    REQUIRE(rig.listing);
    rig.list({t});
    rig.turn();
    if (!rig.open_fetches.empty()) {
        rig.fetched(t);
        rig.turn();
    }
    return std::vector<Action>(rig.actions.begin() + static_cast<std::ptrdiff_t>(mark), rig.actions.end());
}

std::size_t verdicts_for(const std::vector<Action>& actions, const std::string& id, TaskState state) {
    const auto all = only<RememberVerdict>(actions);
    return static_cast<std::size_t>(std::count_if(all.begin(), all.end(), [&](const RememberVerdict& v) {
        return v.entry.task_id == id && v.entry.state == state;
    }));
}

std::size_t assigns_of(const std::vector<Action>& actions, const std::string& id) {
    const auto all = only<SendAssign>(actions);
    return static_cast<std::size_t>(
        std::count_if(all.begin(), all.end(), [&](const SendAssign& s) { return s.assign.task_id == id; }));
}

}  // namespace

TEST_CASE("item 4, terminal verdicts are remembered: a task listed again later is not taken again") {
    SUBCASE("poison") {
        Rig rig({.workers = 1});
        rig.start({task("p")});
        for (unsigned i = 0; i < supervisor::Ledger::kMaxAttempts; ++i) {
            const int pid = rig.pid_of("p");
            REQUIRE(pid != 0);
            rig.exit(pid, by_signal(SIGSEGV));
            rig.turn();
            rig.hello_all();
            rig.turn();
        }
        CHECK(rig.node.ledger().count(TaskState::Poison) == 1);
        CHECK(verdicts_for(rig.actions, "p", TaskState::Poison) == 1);
        const auto later = offer_again(rig, task("p"));
        CHECK(assigns_of(later, "p") == 0);
        CHECK(only<RememberVerdict>(later).empty());
        CHECK(rig.node.ledger().count(TaskState::Poison) == 1);
        CHECK(rig.node.ledger().find("p") == nullptr);
    }
    SUBCASE("unsupported and malformed") {
        Rig rig({.workers = 1});
        shared::Task bad_input = task("m");
        bad_input.inputs[0].resize(11);
        rig.start({task("u", 1, "no_such_program"), bad_input});
        CHECK(rig.node.ledger().count(TaskState::Unsupported) == 1);
        CHECK(rig.node.ledger().count(TaskState::Malformed) == 1);
        CHECK(verdicts_for(rig.actions, "u", TaskState::Unsupported) == 1);
        CHECK(verdicts_for(rig.actions, "m", TaskState::Malformed) == 1);
        const std::size_t mark = rig.actions.size();
        rig.pass(supervisor::Intake::kRelistPeriodUs / 1e6 + 1);
        REQUIRE(rig.listing);
        rig.list({task("u", 1, "no_such_program"), bad_input});
        rig.turn();
        CHECK(rig.since<RememberVerdict>(mark).empty());
        CHECK(rig.node.ledger().count(TaskState::Unsupported) == 1);
        CHECK(rig.node.ledger().count(TaskState::Malformed) == 1);
        CHECK(rig.states_of("u").size() == 2);  // taken, set aside; once
    }
    SUBCASE("rejected") {
        Rig rig({.workers = 1});
        rig.disk_works = true;
        rig.start({task("r")});
        rig.prove(rig.pid_of("r"));
        rig.turn();  // spooled
        rig.turn();  // sent
        REQUIRE(only<SubmitProof>(rig.actions).size() == 1);
        rig.node.on_submitted("r", answer(Reply::Rejected, 400));
        rig.turn();
        CHECK(verdicts_for(rig.actions, "r", TaskState::Rejected) == 1);
        const auto later = offer_again(rig, task("r"));
        CHECK(assigns_of(later, "r") == 0);
        CHECK(only<SubmitProof>(later).empty());
        CHECK(rig.node.ledger().count(TaskState::Rejected) == 1);
    }
    SUBCASE("a restarted node remembers what the journal kept") {
        std::string journal;
        {
            Rig rig({.workers = 1});
            rig.start({task("u", 1, "no_such_program"), task("p")});
            for (unsigned i = 0; i < supervisor::Ledger::kMaxAttempts; ++i) {
                rig.exit(rig.pid_of("p"), by_signal(SIGSEGV));
                rig.turn();
                rig.hello_all();
                rig.turn();
            }
            for (const auto& v : only<RememberVerdict>(rig.actions)) journal += supervisor::Verdicts::journal_line(v.entry);
        }
        Rig rig({.workers = 1});
        CHECK(rig.node.verdicts().load_journal(journal, rig.clock.unix_s()).empty());
        rig.start({task("u", 1, "no_such_program"), task("p")});
        CHECK(only<SendAssign>(rig.actions).empty());
        CHECK(only<RememberVerdict>(rig.actions).empty());
        CHECK(rig.history.empty());
    }
}

// --- 5. spool write failures ---------------------------------------------------------------

TEST_CASE("item 5, spool failure: the write is tried again, the proof is counted as memory-only, and nothing is "
          "fetched until the spool works") {
    Rig rig({.workers = 1});
    rig.start({task("a")});
    rig.disk_works = false;  // ENOSPC from now on
    rig.prove(rig.pid_of("a"));
    rig.turn();
    CHECK(rig.node.submissions().memory_only() == 1);
    CHECK(rig.node.submissions().spool_failing());
    rig.no_task_for_any_fetch();  // nothing is on its way

    std::size_t mark = rig.actions.size();
    rig.pass(20);
    CHECK(rig.since<FetchTask>(mark).empty());
    CHECK(rig.since<WriteSpool>(mark).size() >= 3);  // 1, 2, 4, 8 s apart
    const auto sends = rig.since<SubmitProof>(mark);
    REQUIRE(sends.size() == 1);  // better out from memory than not at all
    CHECK(sends[0].bytes != nullptr);
    CHECK(rig.node.submissions().memory_only() == 1);

    // A stop now says that the proof only in memory is lost, not that it was kept.
    SUBCASE("told at stop") {
        rig.node.request_stop("SIGINT", SIGINT);
        rig.node.request_stop("SIGINT", SIGINT);
        rig.turn();
        CHECK(rig.log().find("0 spooled submissions kept") != std::string::npos);
        CHECK(rig.log().find("1 proofs only in memory (the spool failed) are lost") != std::string::npos);
    }
    SUBCASE("the spool works again") {
        rig.disk_works = true;
        mark = rig.actions.size();
        rig.pass(20);
        CHECK(rig.node.submissions().memory_only() == 0);
        CHECK(rig.node.submissions().spooled("a"));
        CHECK(rig.node.ledger().find("a")->state == TaskState::Submitting);
        CHECK_FALSE(rig.since<FetchTask>(mark).empty());
    }
}

// --- 6. backoff ------------------------------------------------------------------------
// One submission's 5xx holding back only itself: tests/unit/test_submit_queue.cpp,
// "item 6: one submission failing with 5xx or a timeout backs off alone".

TEST_CASE("item 6, backoff: a Retry-After holds every request to its endpoint until its time") {
    const auto rate_limited = [](double retry_after_s) {
        supervisor::Outcome o = answer(Reply::RateLimited, 429);
        o.retry_after_s = retry_after_s;
        return o;
    };
    SUBCASE("submissions") {
        Rig rig({.workers = 1});
        rig.node.restore_spooled({"s0", "s1"});
        rig.start();
        REQUIRE(only<SubmitProof>(rig.actions).size() == 2);
        rig.node.on_submitted("s0", answer(Reply::Retry, 503));  // its own backoff is 50 ms
        rig.node.on_submitted("s1", rate_limited(5));
        std::size_t mark = rig.actions.size();
        rig.pass(5, 0.25);
        CHECK(rig.since<SubmitProof>(mark).empty());
        rig.pass(1, 0.25);  // past the window and its jitter (50 ms)
        CHECK(rig.since<SubmitProof>(mark).size() == 1);  // one probes first
    }
    SUBCASE("fetches") {
        Rig rig({.workers = 1});
        rig.start();
        REQUIRE(rig.open_fetches.size() >= 2);
        const std::uint64_t limited = rig.open_fetches.back();
        rig.open_fetches.pop_back();
        rig.no_task_for_any_fetch();
        rig.node.on_fetched(limited, rate_limited(5), std::nullopt);
        std::size_t mark = rig.actions.size();
        rig.pass(5, 0.25);
        CHECK(rig.since<FetchTask>(mark).empty());
        rig.pass(8, 0.25);  // past the window and its jitter (up to 7.5 s for fetches)
        CHECK(rig.since<FetchTask>(mark).size() == 1);  // one probes first
    }
}

// --- 7. pending submissions ------------------------------------------------------------------

TEST_CASE("item 7, pending submissions: above their bound nothing is fetched, and spooled payloads stay on disk") {
    constexpr std::size_t kBound = 64;  // the node's bound: 64, or 8 per worker with more than 8 workers
    Rig rig({.workers = 2});
    std::vector<std::string> spooled;
    for (std::size_t i = 0; i < kBound; ++i) spooled.push_back("s" + std::to_string(i));
    rig.node.restore_spooled(spooled);
    rig.start();
    rig.pass(5);
    CHECK(only<FetchTask>(rig.actions).empty());
    const auto sends = only<SubmitProof>(rig.actions);
    CHECK(sends.size() == supervisor::SubmitQueue::kMaxInFlight);
    for (const auto& s : sends) CHECK(s.bytes == nullptr);  // read back from the spool when sent

    rig.node.on_submitted(sends[0].task_id, answer(Reply::Ok, 200));
    const std::size_t mark = rig.actions.size();
    rig.turn();
    CHECK(rig.node.submissions().pending() == kBound - 1);
    CHECK_FALSE(rig.since<FetchTask>(mark).empty());
}

// --- 9. lost results -----------------------------------------------------------------------

TEST_CASE("item 9, lost result: a busy worker whose heartbeat names no task has its task requeued at no cost") {
    Rig rig({.workers = 1});
    rig.start({task("a")});
    const int pid = rig.pid_of("a");
    const wire::Assign first = *rig.peers.at(pid).task;
    CHECK(first.attempt == 1);

    // A heartbeat sent before the Assign reached the worker names no task either.
    rig.node.on_heartbeat(pid, wire::Heartbeat{"", 0, 0, 0, 0});
    std::size_t mark = rig.actions.size();
    rig.turn();
    CHECK(rig.since<SendAssign>(mark).empty());
    CHECK(rig.node.ledger().find("a")->dispatch_id == first.dispatch_id);

    // The worker could not send its result and dropped it: idle, having seen the Assign.
    rig.peers.at(pid).task.reset();
    rig.beat(pid);
    mark = rig.actions.size();
    rig.turn();
    const auto again = rig.since<SendAssign>(mark);
    REQUIRE(again.size() == 1);
    CHECK(again[0].assign.task_id == "a");
    CHECK(again[0].assign.attempt == 1);  // the lost result cost no attempt
    CHECK(again[0].assign.dispatch_id != first.dispatch_id);
    CHECK(rig.node.ledger().find("a")->attempts == 1);
    CHECK(rig.since<StopWorker>(mark).empty());  // the worker is healthy

    rig.prove(rig.pid_of("a"));
    CHECK(rig.states_of("a").back() == TaskState::Proved);
}

// --- 10. late proofs and stalled loops ---------------------------------------------------------

TEST_CASE("item 10, a proof from a worker being stopped as overdue is accepted") {
    Rig rig({.workers = 1, .task_timeout_s = 5});
    rig.start({task("a")});
    const int pid = rig.pid_of("a");
    rig.pass(6);  // it beats, naming a, but a runs past its deadline
    const auto stops = only<StopWorker>(rig.actions);
    REQUIRE(stops.size() == 1);
    CHECK(stops[0].pid == pid);
    REQUIRE(rig.worker(pid) != nullptr);
    CHECK(rig.worker(pid)->kill_reason == KillReason::Overdue);

    rig.prove(pid);  // before it exits
    rig.exit(pid, by_signal(SIGTERM));
    rig.turn();
    CHECK(rig.states_of("a").back() == TaskState::Proved);
    CHECK(only<WriteSpool>(rig.actions).size() == 1);
    CHECK(rig.node.foreign_frames() == 0);
    CHECK(rig.node.ledger().count(TaskState::Poison) == 0);
    CHECK(only<SendAssign>(rig.actions).size() == 1);  // not proved again
    CHECK(rig.node.ledger().refused() == 0);
}

TEST_CASE("item 10, liveness after a stalled loop: healthy workers are not killed for the loop's silence") {
    Rig rig({.workers = 2});
    rig.start();
    rig.beat_all();
    rig.turn();
    SUBCASE("a turn that comes late judges silence afresh") {
        rig.clock.advance_s(5);  // the loop was held: no turn, nothing read
        std::size_t mark = rig.actions.size();
        rig.turn();
        CHECK(rig.since<StopWorker>(mark).empty());
        CHECK(rig.node.max_loop_lag_s() >= 5);
        // What the workers sent meanwhile is read now.
        rig.beat_all();
        rig.turn();
        CHECK(rig.since<StopWorker>(mark).empty());

        // A worker that stays silent is still found out, 3 s on.
        const int quiet = rig.pid_in(1);
        const int talking = rig.pid_in(0);
        for (int i = 0; i < 8; ++i) {
            rig.clock.advance_s(0.5);
            rig.beat(talking);
            rig.turn();
        }
        const auto stops = rig.since<StopWorker>(mark);
        REQUIRE(stops.size() == 1);
        CHECK(stops[0].pid == quiet);
        REQUIRE(rig.worker(quiet) != nullptr);
        CHECK(rig.worker(quiet)->kill_reason == KillReason::Hung);
    }
    SUBCASE("frames read after a long gap count before the turn judges") {
        rig.clock.advance_s(5);
        rig.beat_all();  // the shell reads the socket first
        const std::size_t mark = rig.actions.size();
        rig.turn();
        CHECK(rig.since<StopWorker>(mark).empty());
    }
}

// --- 11. draining ----------------------------------------------------------------------

TEST_CASE("item 11, draining: a task that arrives during the drain is given back, and the drain costs no attempt") {
    SUBCASE("a task fetched during the drain is abandoned, not stranded in the queue") {
        Rig rig({.workers = 1});
        rig.disk_works = true;
        rig.start({task("a")});
        const int pid = rig.pid_of("a");
        REQUIRE_FALSE(rig.open_fetches.empty());
        rig.node.request_stop("SIGTERM", SIGTERM);
        rig.turn();
        REQUIRE(rig.node.phase() == Node::Phase::Draining);
        rig.fetched(task("x"));
        rig.turn();
        CHECK(rig.states_of("x") == std::vector<TaskState>{TaskState::Queued, TaskState::Abandoned});
        CHECK(rig.node.ledger().find("x") == nullptr);

        rig.prove(pid);
        rig.turn();  // spooled
        rig.turn();  // sent
        REQUIRE(only<SubmitProof>(rig.actions).size() == 1);
        rig.node.on_submitted("a", answer(Reply::Ok, 200));
        rig.turn();  // drained: the worker is asked to stop
        REQUIRE(only<StopWorker>(rig.actions).size() == 1);
        rig.exit(pid, exit_code(0));
        const Plan last = rig.turn();
        CHECK(last.done);
        CHECK(rig.node.ledger().held() == 0);
        CHECK(assigns_of(rig.actions, "x") == 0);
        // The server keeps an abandoned task for the next start: nothing remembers it here.
        CHECK(verdicts_for(rig.actions, "x", TaskState::Abandoned) == 0);
    }
    SUBCASE("a listing that lands during the drain strands nothing") {
        Rig rig({.workers = 1});
        rig.node.restore_spooled({"s"});  // a submission keeps the drain open
        rig.boot();
        rig.node.request_stop("SIGTERM", SIGTERM);
        rig.turn();
        REQUIRE(rig.node.phase() == Node::Phase::Draining);
        rig.list({task("y")});
        rig.turn();
        CHECK(rig.node.ledger().find("y") == nullptr);
        rig.node.on_submitted("s", answer(Reply::Ok, 200));
        rig.turn();
        for (const auto& stop : only<StopWorker>(rig.actions)) rig.exit(stop.pid, exit_code(0));
        CHECK(rig.turn().done);
        CHECK(rig.node.ledger().held() == 0);
        CHECK(rig.states_of("y") == std::vector<TaskState>{TaskState::Queued, TaskState::Abandoned});
    }
    SUBCASE("a worker stopped by the drain costs its task no attempt: a task on its last attempt is not poisoned") {
        Rig rig({.workers = 1, .drain_timeout_s = 2});
        rig.start({task("a")});
        for (int i = 0; i < 2; ++i) {  // two attempts fail first
            rig.fail(rig.pid_of("a"));
            rig.turn();
        }
        const int pid = rig.pid_of("a");
        REQUIRE(pid != 0);
        REQUIRE(rig.node.ledger().find("a")->attempts == supervisor::Ledger::kMaxAttempts);
        rig.node.request_stop("SIGTERM", SIGTERM);
        rig.pass(4);  // the drain's time runs out
        const auto stops = only<StopWorker>(rig.actions);
        REQUIRE(stops.size() == 1);
        CHECK(stops[0].pid == pid);
        rig.exit(pid, by_signal(SIGTERM));
        CHECK(rig.turn().done);
        CHECK(rig.node.ledger().count(TaskState::Poison) == 0);
        CHECK(rig.states_of("a").back() == TaskState::Abandoned);
        CHECK(only<RememberVerdict>(rig.actions).empty());
    }
}

// --- 12. restart backoff --------------------------------------------------------------------

TEST_CASE("item 12, restart backoff: a worker killed mid-task after its hello is replaced at once; start-up "
          "failures back off") {
    SUBCASE("killed mid-task, again and again: replaced in the next turn every time") {
        Rig rig({.workers = 1});
        rig.start({task("a"), task("b"), task("c")});
        for (int i = 0; i < 6; ++i) {
            INFO("kill " << i + 1);
            const int pid = rig.pid_in(0);
            REQUIRE(rig.worker(pid) != nullptr);
            REQUIRE(rig.worker(pid)->state == WorkerState::Busy);
            rig.exit(pid, by_signal(SIGKILL));
            const std::size_t mark = rig.actions.size();
            rig.turn();
            CHECK(rig.since<SpawnWorker>(mark).size() == 1);
            rig.hello_all();
            rig.turn();
        }
        CHECK(rig.node.restarts() == 6);
    }
    SUBCASE("an OOM-killed task goes again at once with half the threads") {
        Rig rig({.workers = 1, .per_task_threads = 4});
        rig.start({task("m", 4)});
        const int pid = rig.pid_of("m");
        CHECK(rig.peers.at(pid).task->threads == 4);
        Death oom = by_signal(SIGKILL);
        oom.oom_counter_moved = true;
        rig.exit(pid, oom);
        std::size_t mark = rig.actions.size();
        rig.turn();
        CHECK(rig.since<SpawnWorker>(mark).size() == 1);
        rig.hello_all();
        mark = rig.actions.size();
        rig.turn();
        const auto again = rig.since<SendAssign>(mark);
        REQUIRE(again.size() == 1);
        CHECK(again[0].assign.threads == 2);
        CHECK(again[0].assign.attempt == 2);
    }
    SUBCASE("dying before the hello: the first retry at once, then 100 ms doubling") {
        Rig rig({.workers = 1});
        rig.node.start();
        rig.node.on_node_checked(std::string());
        rig.turn();
        const std::vector<std::int64_t> delays_us = {0, 100'000, 200'000, 400'000};
        for (std::size_t i = 0; i < delays_us.size(); ++i) {
            INFO("start-up failure " << i + 1);
            rig.exit(rig.pid_in(0), exit_code(1));
            std::size_t mark = rig.actions.size();
            rig.turn();
            if (delays_us[i] > 0) {
                CHECK(rig.since<SpawnWorker>(mark).empty());
                rig.clock.advance_us(delays_us[i] - 1);
                rig.turn();
                CHECK(rig.since<SpawnWorker>(mark).empty());
                rig.clock.advance_us(1);
                rig.turn();
            }
            CHECK(rig.since<SpawnWorker>(mark).size() == 1);
        }
        // The fifth in a row: the node gives up rather than restart in a loop.
        rig.exit(rig.pid_in(0), exit_code(1));
        rig.turn();
        CHECK(rig.node.exit_code() == 1);
        CHECK(rig.node.phase() >= Node::Phase::Stopping);
    }
    SUBCASE("dying idle within a second of the hello is a start-up failure too, and the streak goes on") {
        Rig rig({.workers = 1});
        rig.boot();
        rig.exit(rig.pid_in(0), exit_code(1));  // the first: at once
        rig.turn();
        rig.hello_all();
        rig.clock.advance_s(0.5);
        rig.exit(rig.pid_in(0), exit_code(1));
        const std::size_t mark = rig.actions.size();
        rig.turn();
        CHECK(rig.since<SpawnWorker>(mark).empty());
        rig.clock.advance_s(0.1);
        rig.turn();
        CHECK(rig.since<SpawnWorker>(mark).size() == 1);
        // One that stays up a second past its hello has started: the streak ends.
        rig.hello_all();
        rig.pass(1.5, 0.5);
        rig.exit(rig.pid_in(0), exit_code(1));
        const std::size_t after = rig.actions.size();
        rig.turn();
        CHECK(rig.since<SpawnWorker>(after).size() == 1);
        CHECK(rig.node.exit_code() == 0);
    }
}
