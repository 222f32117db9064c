// The simulator's world: the real core (supervisor::Node) driven, from one seed,
// by simulated workers, orchestrator, disk and clock, with faults at random moments
// (workers that die before their hello, mid-task or just after their result, hang,
// lose or repeat results; answers late, lost, 429 with Retry-After or 5xx; a full
// disk; a loop that stalls; the whole node killed and started again on its state
// directory; SIGTERM at any point). After every event it checks the invariants of
// docs/core.md and stops at the first one broken, saying which and when.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "shared/clock.h"
#include "supervisor/node.h"

namespace sim {

struct Outcome {
    bool ok = true;
    std::string invariant;  // which one broke
    std::string detail;
    std::uint64_t event = 0;  // the counted event it broke at
    std::int64_t at_us = 0;   // simulated time since the start
    std::uint64_t tasks = 0;  // tasks the orchestrator issued
    std::uint64_t accepted = 0;
    std::uint64_t restarts = 0;  // node incarnations after the first
    std::uint64_t turns = 0;
};

class World {
public:
    World(std::uint64_t seed, std::uint64_t events, bool trace);
    ~World();
    Outcome run();

private:
    struct Process;
    struct Task;
    struct Event {
        std::int64_t at;
        std::uint64_t seq;
        std::function<void()> fire;
        bool node_side;  // held back while the node's loop is stalled
    };
    struct Later {
        bool operator()(const Event& a, const Event& b) const { return a.at != b.at ? a.at > b.at : a.seq > b.seq; }
    };

    // The simulation's machinery.
    void schedule(std::int64_t delay_us, std::function<void()> fire, bool node_side = true);
    bool step();
    void after_event();
    void turn();
    void request_turn(std::int64_t at_us);
    void carry_out(supervisor::Action& action);
    void trace(const std::string& what);
    void violated(const std::string& invariant, const std::string& detail);

    // The node: start, crash and restart on the same state directory.
    void start_node();
    void crash_node();
    void end_stall();

    // Workers.
    void spawn(supervisor::WorkerId id, int slot);
    void send_frame(Process& p, std::function<void(supervisor::Node&)> deliver, std::int64_t extra_delay = 0);
    std::optional<supervisor::Outcome> network_fault(double r, double& retry_after, std::int64_t& delay);
    void deliver_result(supervisor::Node& n, int pid, supervisor::WorkerId me, shared::wire::Result result,
                        bool genuine);
    void hello(int pid);
    void heartbeat(int pid);
    void assign(int pid, const shared::wire::Assign& assign);
    void finish(int pid, std::string task_id);
    void die(int pid, std::int64_t exit_status, int term_signal);
    void stop(const supervisor::StopWorker& stop);
    void chaos_kill();

    // The orchestrator.
    bool in_window(const std::string& endpoint) const;
    void open_window(const std::string& endpoint, double seconds);
    void fetch(std::uint64_t fetch_id);
    void list(const std::string& cursor);
    void submit(const std::string& task_id, std::shared_ptr<const shared::Bytes> bytes);
    shared::Task make_task();

    // The disk.
    void write_spool(const supervisor::WriteSpool& write);

    // Invariants.
    void check_state();
    void check_after_turn(const supervisor::Plan& plan);
    void check_end();
    void on_task_changed(const std::string& id, supervisor::TaskState from, supervisor::TaskState to);

    std::uint64_t seed_;
    std::uint64_t events_wanted_;
    bool trace_;
    std::mt19937_64 rng_;
    double chance() { return std::uniform_real_distribution<double>(0, 1)(rng_); }
    std::int64_t between(std::int64_t lo, std::int64_t hi) {
        return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng_);
    }

    shared::FakeClock clock_;
    std::int64_t start_us_;
    std::priority_queue<Event, std::vector<Event>, Later> queue_;
    std::uint64_t seq_ = 0;
    std::uint64_t events_ = 0;
    bool calm_ = false;  // the end: no more faults, the node drains
    Outcome outcome_;

    // The node and what it was started with.
    supervisor::Options options_;
    std::unique_ptr<supervisor::Node> node_;
    int incarnation_ = 0;
    std::int64_t turn_at_ = 0;  // a turn is queued for then (0: none)
    std::int64_t stalled_until_ = 0;
    std::vector<Event> deferred_;  // node-side events held back by a stall
    bool stops_asked_ = false;
    std::uint64_t per_proof_ = 0;   // what a proof really takes
    std::uint64_t base_rss_ = 0;

    // Workers, by pid.
    std::map<int, std::unique_ptr<Process>> processes_;
    std::set<int> stops_sent_;  // pids a StopWorker was carried out for
    int next_pid_ = 1000;
    std::map<int, std::int64_t> healthy_death_at_;  // slot -> when a worker died mid-task

    // The orchestrator's books.
    std::map<std::string, std::unique_ptr<Task>> tasks_;
    std::uint64_t issued_ = 0;
    std::map<std::string, std::vector<std::pair<std::int64_t, std::int64_t>>> windows_;  // this incarnation's

    // The disk.
    std::map<std::string, shared::Bytes> spool_;
    std::map<std::string, supervisor::TaskState> journal_;  // verdicts on disk
    std::optional<supervisor::MemoryModel> saved_model_;
    std::int64_t disk_full_until_ = 0;

    // What the invariants remember.
    std::map<std::string, supervisor::TaskState> verdicts_this_run_;
    std::set<std::string> to_resubmit_;  // spooled at a restart, not yet sent or removed
};

}  // namespace sim
