// The simulated workers, orchestrator, disk and clock around the real core.
#include "tests/sim/world.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <csignal>
#include <cstdio>

#include "supervisor/mutants.h"

namespace sim {

using supervisor::Node;
using supervisor::TaskState;
using supervisor::WorkerId;
namespace wire = shared::wire;

namespace {
constexpr std::int64_t kMs = 1000;
constexpr std::int64_t kS = 1'000'000;
constexpr std::uint64_t kMiB = 1ull << 20;
constexpr std::uint64_t kMaxTasks = 1'000'000;  // the world never runs out of work
constexpr std::int64_t kTaskDeadlineUs = 120 * kS;
constexpr std::int64_t kEndGraceUs = 300 * kS;
}  // namespace

struct World::Process {
    WorkerId id = 0;
    int pid = 0;
    int slot = 0;
    int incarnation = 0;
    bool alive = true;
    bool said_hello = false;
    bool hung = false;
    bool ignores_term = false;
    std::optional<wire::Assign> task;   // proving
    std::optional<std::string> holding;  // a task whose result is not through yet, for heartbeats
    std::string last_task;
    std::uint64_t assigns = 0;
    std::uint64_t proving = 0;  // which proof a finish event belongs to
    std::int64_t last_sent_us = 0;
    std::int64_t next_delivery_us = 0;
    std::uint64_t rss = 0;
    std::uint64_t retained = 0;  // kept between tasks, as Argon2 arenas are
    bool idle_told = false;      // a heartbeat that names no task has reached the node
};

struct World::Task {
    shared::Task task;
    bool accepted = false;
    bool poison = false;  // every worker that proves it dies
    std::set<int> accept_known;  // incarnations told it was accepted
    std::int64_t deadline_us = 0;
};

World::World(std::uint64_t seed, std::uint64_t events, bool trace)
    : seed_(seed), events_wanted_(events), trace_(trace), rng_(seed * 0x9e3779b97f4a7c15ull + 1) {
    start_us_ = clock_.now_us();
    const unsigned max_workers = static_cast<unsigned>(between(1, 4));
    options_.node_id = "sim-node";
    options_.orchestrator_url = "http://sim";
    options_.max_workers = max_workers;
    options_.min_workers = chance() < 0.3 ? 1 : max_workers;
    options_.per_task_threads = static_cast<unsigned>(between(1, 2));
    options_.startup_jitter_s = 0;
    options_.drain_timeout_s = 10;
    options_.task_timeout_s = 5;
    options_.fetch_backoff = {0.05, 1};
    options_.submit_backoff = {0.05, 1};
    options_.scale_cooldown_s = 2;
    options_.memory_guard = chance() < 0.5;
    per_proof_ = static_cast<std::uint64_t>(between(4, 16)) * kMiB;
    base_rss_ = 4 * kMiB;
    options_.memory_per_proof = per_proof_ + 4 * kMiB;
    if (chance() < 0.2) options_.max_queued = static_cast<unsigned>(between(1, 4));
}

World::~World() = default;

// --- the machinery ------------------------------------------------------------------------

void World::schedule(std::int64_t delay_us, std::function<void()> fire, bool node_side) {
    queue_.push(Event{clock_.now_us() + std::max<std::int64_t>(0, delay_us), seq_++, std::move(fire), node_side});
}

void World::trace(const std::string& what) {
    if (trace_) std::fprintf(stderr, "[sim %10.6f] %s\n", (clock_.now_us() - start_us_) / 1e6, what.c_str());
}

void World::violated(const std::string& invariant, const std::string& detail) {
    if (!outcome_.ok) return;
    outcome_.ok = false;
    outcome_.invariant = invariant;
    outcome_.detail = detail;
    outcome_.event = events_;
    outcome_.at_us = clock_.now_us() - start_us_;
    trace("VIOLATED " + invariant + ": " + detail);
}

void World::request_turn(std::int64_t at_us) {
    if (!node_) return;
    at_us = std::max(at_us, clock_.now_us());
    if (turn_at_ != 0 && turn_at_ <= at_us) return;
    turn_at_ = at_us;
    schedule(at_us - clock_.now_us(), [this, at_us] {
        if (turn_at_ != at_us) return;  // superseded by an earlier one
        turn_at_ = 0;
        turn();
    });
}

bool World::step() {
    if (queue_.empty()) return false;
    Event event = queue_.top();
    queue_.pop();
    clock_.advance_us(event.at - clock_.now_us());
    if (event.node_side && clock_.now_us() < stalled_until_) {
        deferred_.push_back(std::move(event));  // the node's loop is held: it reads nothing
        return true;
    }
    event.fire();
    return true;
}

void World::after_event() {
    ++events_;
    if (!node_) return;
    check_state();
    // A turn follows soon, often at once; several events may come before it.
    request_turn(chance() < 0.5 ? clock_.now_us() : clock_.now_us() + between(100, 3 * kMs));
}

Outcome World::run() {
    start_node();
    const std::int64_t stall_every = chance() < 0.3 ? between(5, 20) * kS : 0;
    const std::int64_t crash_every = chance() < 0.3 ? between(5, 30) * kS : 0;
    const std::int64_t disk_full_every = chance() < 0.2 ? between(5, 30) * kS : 0;
    const double kill_rate = chance();  // share of seeds with chaos kills, and how often
    std::uint64_t sigterm_at = chance() < 0.15 ? static_cast<std::uint64_t>(between(1, events_wanted_)) : 0;
    std::int64_t next_stall = start_us_ + stall_every, next_crash = start_us_ + crash_every;
    std::int64_t next_disk_full = start_us_ + disk_full_every, next_kill = start_us_ + kS;
    std::int64_t calm_since = 0;
    const std::uint64_t max_steps = 200 * events_wanted_ + 1'000'000;
    for (std::uint64_t steps = 0; outcome_.ok; ++steps) {
        if (steps > max_steps) {
            violated("the simulation ends", "no end after " + std::to_string(steps) + " steps");
            break;
        }
        const std::int64_t now = clock_.now_us();
        if (!calm_ && events_ >= events_wanted_) {
            calm_ = true;
            calm_since = now;
            disk_full_until_ = 0;
            trace("calm: no more faults; SIGTERM");
            if (node_) node_->request_stop("SIGTERM", SIGTERM);
            stops_asked_ = true;
            request_turn(now);
        }
        if (calm_ && now - calm_since > kEndGraceUs) {
            violated("the node finishes", "not done " + std::to_string(kEndGraceUs / kS) + " s after SIGTERM");
            break;
        }
        if (!calm_) {
            if (stall_every && now >= next_stall && stalled_until_ <= now && node_) {
                next_stall = now + stall_every;
                stalled_until_ = now + between(1500, 6000) * kMs;
                trace("the node's loop stalls");
                queue_.push(Event{stalled_until_, seq_++, [this] { end_stall(); }, false});
            }
            if (crash_every && now >= next_crash && node_) {
                next_crash = now + crash_every;
                crash_node();
            }
            if (disk_full_every && now >= next_disk_full) {
                next_disk_full = now + disk_full_every;
                disk_full_until_ = now + between(2, 20) * kS;
                trace("the disk is full");
            }
            if (kill_rate > 0.4 && now >= next_kill) {
                next_kill = now + between(200, static_cast<std::int64_t>(3000 / kill_rate)) * kMs;
                chaos_kill();
            }
            if (sigterm_at && events_ >= sigterm_at && node_) {
                sigterm_at = 0;
                trace("SIGTERM");
                node_->request_stop("SIGTERM", SIGTERM);
                if (chance() < 0.3) schedule(between(1, 500) * kMs, [this] {
                    if (node_) node_->request_stop("SIGTERM", SIGTERM);
                    trace("second SIGTERM");
                });
            }
        }
        if (!step()) break;
    }
    outcome_.tasks = issued_;
    outcome_.accepted = static_cast<std::uint64_t>(
        std::count_if(tasks_.begin(), tasks_.end(), [](const auto& kv) { return kv.second->accepted; }));
    outcome_.restarts = static_cast<std::uint64_t>(incarnation_ - 1);
    if (outcome_.ok) outcome_.at_us = clock_.now_us() - start_us_;
    return outcome_;
}

void World::turn() {
    if (!node_ || clock_.now_us() < stalled_until_) return;
    ++outcome_.turns;
    supervisor::Plan plan = node_->turn();
    check_after_turn(plan);
    for (auto& action : plan.actions) carry_out(action);
    if (!node_) return;
    if (plan.done) {
        trace("the node is done, exit " + std::to_string(node_->exit_code()));
        check_end();
        if (calm_) {
            queue_ = {};  // the run is over
            return;
        }
        // Restarted, as systemd would.
        node_.reset();
        schedule(between(10, 500) * kMs, [this] { start_node(); }, false);
        return;
    }
    request_turn(plan.wake_at_us);
}

// --- the node's life -------------------------------------------------------------------------

void World::start_node() {
    ++incarnation_;
    windows_.clear();
    verdicts_this_run_.clear();
    trace("node start, incarnation " + std::to_string(incarnation_));
    supervisor::NodeEnv env;
    env.memory_budget = per_proof_ * (options_.max_workers * options_.per_task_threads + 1) * 6 / 10 + base_rss_;
    env.public_key = shared::Bytes(32, 7);
    env.build_submission = [](const shared::Task& task, const wire::Result& result) {
        shared::Bytes bytes(task.task_id.begin(), task.task_id.end());
        bytes.push_back(static_cast<std::uint8_t>(result.proofs.size()));
        return shared::Expected<shared::Bytes>(std::move(bytes));
    };
    supervisor::NodeHooks hooks;
    hooks.task_changed = [this](const std::string& id, TaskState from, TaskState to) { on_task_changed(id, from, to); };
    node_ = std::make_unique<Node>(options_, clock_, std::move(env), seed_ + static_cast<std::uint64_t>(incarnation_),
                                   std::move(hooks));
    std::vector<std::string> spooled;
    for (const auto& [id, bytes] : spool_) spooled.push_back(id);
    if (incarnation_ > 1) to_resubmit_ = std::set<std::string>(spooled.begin(), spooled.end());
    for (const auto& [id, state] : journal_) node_->verdicts().remember(id, state, clock_.unix_s());
    if (saved_model_) node_->memory_model() = *saved_model_;
    node_->restore_spooled(spooled);
    node_->start();
    if (calm_) node_->request_stop("SIGTERM", SIGTERM);
    request_turn(clock_.now_us());
}

// SIGKILL of the supervisor: its workers die with it (PDEATHSIG), what was in
// flight is lost, the disk keeps what it had; a new node starts on it.
void World::crash_node() {
    trace("the node is killed (SIGKILL)");
    node_.reset();
    for (auto& [pid, p] : processes_) {
        if (p->incarnation == incarnation_) p->alive = false;
    }
    turn_at_ = 0;
    stalled_until_ = 0;
    deferred_.clear();
    schedule(between(10, 500) * kMs, [this] { start_node(); }, false);
}

// The loop runs again. The shell reads the socket before the turn judges anyone.
void World::end_stall() {
    trace("the loop runs again");
    stalled_until_ = 0;
    for (auto& [slot, died] : healthy_death_at_) died = clock_.now_us();  // the node could not act meanwhile
    std::vector<Event> held = std::move(deferred_);
    deferred_.clear();
    turn_at_ = 0;
    if (MUTANT(StallKillsWorkers)) turn();  // the old order: timers before the socket
    for (auto& event : held) {
        if (!node_) break;
        event.fire();
    }
    if (node_) turn();
}

// --- carrying out the core's actions ----------------------------------------------------------

void World::carry_out(supervisor::Action& action) {
    std::visit(
        [this](auto& a) {
            using T = std::decay_t<decltype(a)>;
            if constexpr (std::is_same_v<T, supervisor::SpawnWorker>) {
                healthy_death_at_.erase(a.slot);
                if (chance() < 0.01) return node_->on_spawn_failed(a.id, "sim: cannot exec");
                spawn(a.id, a.slot);
            } else if constexpr (std::is_same_v<T, supervisor::StopWorker>) {
                stop(a);
            } else if constexpr (std::is_same_v<T, supervisor::SendAssign>) {
                auto it = processes_.find(a.pid);
                if (it == processes_.end() || !it->second->alive) return node_->on_send_failed(a.id, "sim: gone");
                const int pid = a.pid;
                wire::Assign assign = a.assign;
                schedule(between(20, 2000), [this, pid, assign] { this->assign(pid, assign); }, false);
            } else if constexpr (std::is_same_v<T, supervisor::WriteSpool>) {
                write_spool(a);
            } else if constexpr (std::is_same_v<T, supervisor::RemoveSpool>) {
                spool_.erase(a.task_id);
                to_resubmit_.erase(a.task_id);
            } else if constexpr (std::is_same_v<T, supervisor::SubmitProof>) {
                to_resubmit_.erase(a.task_id);
                if (a.bytes) return submit(a.task_id, a.bytes);
                const int inc = incarnation_;
                const std::string id = a.task_id;
                schedule(between(100, 3000), [this, inc, id] {
                    if (inc != incarnation_ || !node_) return;
                    auto it = spool_.find(id);
                    if (it == spool_.end()) {
                        node_->on_spool_lost(id, "sim: no such file");
                    } else if (node_->submissions().rate_limited()) {
                        node_->on_send_withheld(id);  // the shell holds it while a window is open
                    } else {
                        submit(id, std::make_shared<const shared::Bytes>(it->second));
                    }
                    after_event();
                });
            } else if constexpr (std::is_same_v<T, supervisor::FetchTask>) {
                if (in_window("fetch")) violated("no request inside a Retry-After window", "a fetch was sent inside one");
                fetch(a.fetch_id);
            } else if constexpr (std::is_same_v<T, supervisor::ListTasks>) {
                list(a.cursor);
            } else if constexpr (std::is_same_v<T, supervisor::CheckNode>) {
                const int inc = incarnation_;
                schedule(between(1, 20) * kMs, [this, inc] {
                    if (inc != incarnation_ || !node_) return;
                    node_->on_node_checked(std::string());
                    after_event();
                });
            } else if constexpr (std::is_same_v<T, supervisor::RememberVerdict>) {
                journal_[a.entry.task_id] = a.entry.state;
            } else if constexpr (std::is_same_v<T, supervisor::SaveMemoryModel>) {
                saved_model_ = node_->memory_model();  // what memory.json would hold (the file format has tests of its own)
            }
        },
        action);
}

// --- workers -----------------------------------------------------------------------------------

void World::spawn(WorkerId id, int slot) {
    auto p = std::make_unique<Process>();
    p->id = id;
    p->pid = next_pid_++;
    p->slot = slot;
    p->incarnation = incarnation_;
    p->rss = base_rss_;
    p->ignores_term = chance() < 0.1;
    const int pid = p->pid;
    processes_[pid] = std::move(p);
    node_->on_spawned(id, pid);
    trace("spawned worker " + std::to_string(pid) + " in slot " + std::to_string(slot));
    if (chance() < 0.03) {
        schedule(between(1, 10) * kMs, [this, pid] { die(pid, 1, 0); }, false);  // dies before its hello
    } else {
        schedule(between(1, 20) * kMs, [this, pid] { hello(pid); }, false);
    }
}

// Frames from one worker arrive in the order sent (one ZeroMQ pipe), a little later.
void World::send_frame(Process& p, std::function<void(Node&)> deliver, std::int64_t extra_delay) {
    const std::int64_t now = clock_.now_us();
    const std::int64_t at = std::max(now + between(50, 3000) + extra_delay, p.next_delivery_us + 1);
    p.next_delivery_us = at;
    p.last_sent_us = now;
    const int inc = p.incarnation;
    schedule(at - now, [this, inc, deliver = std::move(deliver)] {
        if (inc != incarnation_ || !node_) return;
        deliver(*node_);
        after_event();
    });
}

void World::hello(int pid) {
    Process& p = *processes_.at(pid);
    if (!p.alive) return;
    p.said_hello = true;
    send_frame(p, [pid](Node& n) { n.on_hello(pid, wire::Hello{static_cast<std::uint32_t>(pid), 0, 2, "sim"}); });
    schedule(kS, [this, pid] { heartbeat(pid); }, false);
}

void World::heartbeat(int pid) {
    Process& p = *processes_.at(pid);
    if (!p.alive) return;
    if (!p.hung) {
        wire::Heartbeat beat;
        if (p.task) beat.task_id = p.task->task_id;
        else if (p.holding) beat.task_id = *p.holding;
        beat.rss_bytes = beat.peak_rss_bytes = p.rss;
        beat.assigns_received = p.assigns;
        const bool idle = !p.task && !p.holding;
        send_frame(p, [this, pid, beat, idle](Node& n) {
            n.on_heartbeat(pid, beat);
            if (idle) processes_.at(pid)->idle_told = true;
        });
    }
    schedule(kS + between(0, 20 * kMs), [this, pid] { heartbeat(pid); }, false);
}

void World::assign(int pid, const wire::Assign& a) {
    Process& p = *processes_.at(pid);
    if (!p.alive) return;
    ++p.assigns;
    if (p.task) {
        violated("a task goes only to an idle worker", "worker " + std::to_string(pid) + " got " + a.task_id +
                                                           " while proving " + p.task->task_id);
        return;
    }
    for (const auto& [other, q] : processes_) {
        if (other != pid && q->alive && q->incarnation == p.incarnation && q->task && q->task->task_id == a.task_id) {
            violated("a task is on at most one live worker", a.task_id + " on workers " + std::to_string(other) +
                                                                 " and " + std::to_string(pid));
            return;
        }
    }
    if (auto it = journal_.find(a.task_id); it != journal_.end() && it->second == TaskState::Accepted) {
        violated("nothing accepted is proved again", a.task_id);
        return;
    }
    trace("worker " + std::to_string(pid) + " proves " + a.task_id);
    p.task = a;
    p.idle_told = false;
    p.holding.reset();
    const unsigned concurrent = std::min<unsigned>(a.threads, static_cast<unsigned>(a.inputs.size()));
    p.rss = base_rss_ + concurrent * per_proof_;
    p.retained = std::max<std::uint64_t>(p.retained, concurrent * per_proof_);
    const std::uint64_t proving = ++p.proving;
    auto t = tasks_.find(a.task_id);
    if (t != tasks_.end() && t->second->poison) {
        schedule(between(1, 30) * kMs, [this, pid] { die(pid, 0, SIGSEGV); }, false);
        return;
    }
    if (chance() < 0.005) {
        p.hung = true;  // never finishes, never beats again
        return;
    }
    const std::int64_t takes = chance() < 0.02 ? 6 * kS : between(5, 400) * kMs;
    const std::string id = a.task_id;
    schedule(takes, [this, pid, id, proving] {
        if (processes_.at(pid)->proving == proving) finish(pid, id);
    }, false);
}

void World::finish(int pid, std::string task_id) {
    Process& p = *processes_.at(pid);
    if (!p.alive || !p.task || p.task->task_id != task_id) return;
    const wire::Assign a = *p.task;
    p.task.reset();
    const double r = chance();
    trace("worker " + std::to_string(pid) + " finished " + task_id + (r < 0.02 ? " (prover error)" : r < 0.04 ? " (result lost)" : ""));
    if (r < 0.02) {
        send_frame(p, [pid, task_id, a](Node& n) {
            n.on_failure(pid, wire::Failure{task_id, wire::FailureKind::ProverError, "sim: prover error", 0, a.dispatch_id});
        });
    } else if (r < 0.04) {
        // The old worker: the result is dropped, the heartbeats say it is idle.
    } else {
        wire::Result result;
        result.task_id = task_id;
        result.proofs.assign(a.inputs.size(), shared::Bytes(8, 1));
        result.proof_micros.assign(a.inputs.size(), 1000);
        result.peak_rss_bytes = p.rss;
        result.threads_used = a.threads;
        result.dispatch_id = a.dispatch_id;
        p.holding = task_id;
        const WorkerId me = p.id;
        send_frame(p, [this, pid, me, result](Node& n) mutable {
            deliver_result(n, pid, me, std::move(result), true);
            if (auto it = processes_.find(pid); it != processes_.end()) it->second->holding.reset();
        });
    }
    if (chance() < 0.03) {
        // A confused worker repeats a result: for a task it held before, or one that
        // another worker holds now.
        std::vector<std::string> others;
        if (!p.last_task.empty() && p.last_task != task_id) others.push_back(p.last_task);
        for (const auto& [other, q] : processes_) {
            if (other != pid && q->alive && q->task) others.push_back(q->task->task_id);
        }
        if (!others.empty()) {
            wire::Result stray;
            stray.task_id = others[static_cast<std::size_t>(between(0, static_cast<std::int64_t>(others.size()) - 1))];
            stray.proofs.assign(1, shared::Bytes(8, 2));
            stray.dispatch_id = a.dispatch_id;  // what it remembers: the dispatch it last answered
            const WorkerId me = p.id;
            send_frame(p, [this, pid, me, stray](Node& n) mutable { deliver_result(n, pid, me, std::move(stray), false); });
        }
    }
    p.last_task = task_id;
    p.rss = base_rss_ + p.retained;
    if (chance() < 0.03) schedule(between(0, 2 * kMs), [this, pid] { die(pid, 0, SIGKILL); }, false);
}

// Hands the node a result from worker `me` and checks, as it lands, that it is taken
// only from the task's owner and, for a genuine one (the answer to the dispatch the
// worker holds), that the owner's is taken. A stray result repeats an old one.
void World::deliver_result(Node& n, int pid, WorkerId me, wire::Result result, bool genuine) {
    const auto* before = n.ledger().find(result.task_id);
    const bool dispatched = before && before->state == TaskState::Dispatched;
    const WorkerId owner = dispatched ? before->owner : 0;
    const std::string id = result.task_id;
    n.on_result(pid, std::move(result));
    const auto* after = n.ledger().find(id);
    const bool taken = !after || after->state != TaskState::Dispatched || after->owner != owner;
    if (dispatched && taken && owner != me) {
        violated("a result is taken only from the owner", (genuine ? "" : "stray result for ") + id);
    }
    if (genuine && dispatched && !taken && owner == me) violated("the owner's result is taken", id);
}

void World::die(int pid, std::int64_t exit_status, int term_signal) {
    Process& p = *processes_.at(pid);
    if (!p.alive) return;
    p.alive = false;
    const bool mid_task = p.task && p.said_hello;
    trace("worker " + std::to_string(pid) + " exits (status " + std::to_string(exit_status) + ", signal " +
          std::to_string(term_signal) + ")");
    const int inc = p.incarnation;
    const int slot = p.slot;
    schedule(between(0, 2 * kMs), [this, inc, pid, slot, mid_task, exit_status, term_signal] {
        if (inc != incarnation_ || !node_) return;
        // From when the node hears of it: the replacement is due from then on.
        if (mid_task && !healthy_death_at_.count(slot)) healthy_death_at_[slot] = clock_.now_us();
        supervisor::Death death;
        death.exit_status = exit_status;
        death.term_signal = term_signal;
        node_->on_exit(pid, death);
        after_event();
    });
}

void World::stop(const supervisor::StopWorker& s) {
    auto it = processes_.find(s.pid);
    if (it == processes_.end() || !it->second->alive) return;
    Process& p = *it->second;
    // Only the stop that decided it is judged: a later one for the same worker (the
    // second SIGTERM's SIGKILL, say) repeats the reason given when it was decided.
    const bool deciding = stops_sent_.insert(s.pid).second;
    if (const auto* w = node_->workers().by_id(s.id); w && deciding) {
        const bool healthy = !p.hung && p.said_hello && clock_.now_us() - p.last_sent_us < 2 * kS;
        if (w->kill_reason == supervisor::KillReason::Hung && healthy) {
            violated("a healthy worker is never killed as hung", "worker " + std::to_string(s.pid));
        }
        if (w->kill_reason == supervisor::KillReason::Overdue && !p.task && !p.hung && p.idle_told) {
            violated("only a worker still proving is killed as overdue", "worker " + std::to_string(s.pid));
        }
    }
    const int pid = s.pid;
    if (s.immediately) return schedule(between(0, kMs), [this, pid] { die(pid, 0, SIGKILL); }, false);
    if (s.shutdown_first && !p.hung) return schedule(between(0, 5 * kMs), [this, pid] { die(pid, 0, 0); }, false);
    if (p.ignores_term) return schedule(2 * kS, [this, pid] { die(pid, 0, SIGKILL); }, false);
    schedule(between(0, 5 * kMs), [this, pid] { die(pid, 0, SIGTERM); }, false);
}

void World::chaos_kill() {
    std::vector<int> victims;
    for (const auto& [pid, p] : processes_) {
        if (p->alive && p->incarnation == incarnation_ && (p->task || chance() < 0.3)) victims.push_back(pid);
    }
    if (victims.empty()) return;
    const int pid = victims[static_cast<std::size_t>(between(0, static_cast<std::int64_t>(victims.size()) - 1))];
    trace("chaos: SIGKILL worker " + std::to_string(pid));
    die(pid, 0, SIGKILL);
}

// --- the orchestrator ----------------------------------------------------------------------------

bool World::in_window(const std::string& endpoint) const {
    auto it = windows_.find(endpoint);
    if (it == windows_.end()) return false;
    const std::int64_t now = clock_.now_us();
    return std::any_of(it->second.begin(), it->second.end(),
                       [now](const auto& w) { return now >= w.first && now < w.second; });
}

void World::open_window(const std::string& endpoint, double seconds) {
    const std::int64_t now = clock_.now_us();
    windows_[endpoint].emplace_back(now, now + shared::seconds_to_us(seconds));
}

shared::Task World::make_task() {
    shared::Task t;
    t.task_id = "t" + std::to_string(++issued_);
    t.program_id = "fib_input_initial";
    t.task_type = static_cast<int>(between(0, 2));
    t.difficulty = 0;
    const auto inputs = between(1, 3);
    for (int i = 0; i < inputs; ++i) t.inputs.push_back(shared::Bytes(12, static_cast<std::uint8_t>(i)));
    const double r = chance();
    if (r < 0.02) t.program_id = "no_such_program";   // unsupported
    else if (r < 0.03) t.inputs[0].resize(11);        // malformed
    auto task = std::make_unique<Task>();
    task->task = t;
    task->poison = r >= 0.03 && r < 0.05;
    task->deadline_us = clock_.now_us() + kTaskDeadlineUs;
    tasks_[t.task_id] = std::move(task);
    return t;
}

// The faults fetch and submit share, for a draw r: a 429 with Retry-After, a 503,
// or a timeout (status 0, answered after 2 s). None for r >= 0.12.
std::optional<supervisor::Outcome> World::network_fault(double r, double& retry_after, std::int64_t& delay) {
    if (r < 0.05) {
        retry_after = 0.5 + chance() * 2.5;
        return supervisor::Outcome{supervisor::Reply::RateLimited, 429, retry_after, "sim: 429", 0.01};
    }
    if (r < 0.09) return supervisor::Outcome{supervisor::Reply::Retry, 503, std::nullopt, "sim: 503", 0.01};
    if (r < 0.12) {
        delay = 2 * kS;
        return supervisor::Outcome{supervisor::Reply::Retry, 0, std::nullopt, "sim: timeout", 2};
    }
    return std::nullopt;
}

void World::fetch(std::uint64_t fetch_id) {
    supervisor::Outcome outcome;
    std::optional<shared::Task> task;
    const double r = calm_ ? 1.0 : chance();
    const std::int64_t latency = between(1, 40) * kMs;
    outcome.elapsed_s = latency / 1e6;
    std::int64_t delay = latency;
    double retry_after = 0;
    if (auto fault = network_fault(r, retry_after, delay)) {
        outcome = *fault;
        if (outcome.status == 0 && chance() < 0.5 && issued_ < kMaxTasks) make_task();  // assigned, answer lost
    } else if (issued_ >= kMaxTasks || r < 0.18) {
        outcome = {supervisor::Reply::NotFound, 404, std::nullopt, "sim: no task", 0.01};
    } else {
        outcome = {supervisor::Reply::Ok, 200, std::nullopt, "", 0.01};
        task = make_task();
    }
    const int inc = incarnation_;
    schedule(delay, [this, inc, fetch_id, outcome, task, retry_after]() mutable {
        if (inc != incarnation_ || !node_) return;
        if (retry_after > 0) open_window("fetch", retry_after);
        node_->on_fetched(fetch_id, outcome, std::move(task));
        after_event();
    });
}

void World::list(const std::string& cursor) {
    constexpr std::size_t kPage = 8;
    shared::GetTasksResponse reply;
    const std::size_t from = cursor.empty() ? 0 : std::stoul(cursor);
    std::size_t index = 0;
    for (const auto& [id, t] : tasks_) {
        if (t->accepted || clock_.now_us() > t->deadline_us) continue;
        if (index >= from && reply.tasks.size() < kPage) reply.tasks.push_back(t->task);
        ++index;
    }
    if (from + kPage < index) reply.next_cursor = std::to_string(from + kPage);
    supervisor::Outcome outcome{supervisor::Reply::Ok, 200, std::nullopt, "", 0.01};
    std::optional<shared::GetTasksResponse> body = std::move(reply);
    if (!calm_ && chance() < 0.05) {
        outcome = {supervisor::Reply::Retry, 503, std::nullopt, "sim: 503", 0.01};
        body.reset();
    }
    const int inc = incarnation_;
    schedule(between(1, 40) * kMs, [this, inc, outcome, body]() mutable {
        if (inc != incarnation_ || !node_) return;
        node_->on_listed(outcome, std::move(body));
        after_event();
    });
}

void World::submit(const std::string& task_id, std::shared_ptr<const shared::Bytes>) {
    if (in_window("submit")) violated("no request inside a Retry-After window", "a submission of " + task_id);
    auto it = tasks_.find(task_id);
    supervisor::Outcome outcome{supervisor::Reply::Ok, 200, std::nullopt, "", 0.01};
    std::int64_t delay = between(1, 40) * kMs;
    double retry_after = 0;
    const double r = calm_ ? 1.0 : chance();
    bool accepted_now = false;
    if (it == tasks_.end()) {
        outcome = {supervisor::Reply::NotFound, 404, std::nullopt, "sim: unknown", 0.01};
    } else if (it->second->accepted) {
        if (it->second->accept_known.count(incarnation_)) {
            violated("a task is never submitted again after it was accepted", task_id);
        }
        outcome = {supervisor::Reply::Conflict, 409, std::nullopt, "sim: repeat", 0.01};
    } else if (clock_.now_us() > it->second->deadline_us) {
        outcome = {supervisor::Reply::NotFound, 404, std::nullopt, "sim: expired", 0.01};
    } else if (auto fault = network_fault(r, retry_after, delay)) {
        outcome = *fault;
        if (outcome.status == 0 && chance() < 0.5) it->second->accepted = true;  // taken, but the answer is lost
    } else if (r < 0.125) {
        outcome = {supervisor::Reply::Rejected, 400, std::nullopt, "sim: rejected", 0.01};
    } else {
        it->second->accepted = accepted_now = true;
    }
    (void)accepted_now;
    const int inc = incarnation_;
    schedule(delay, [this, inc, task_id, outcome, retry_after] {
        if (inc != incarnation_ || !node_) return;
        if (retry_after > 0) open_window("submit", retry_after);
        if (outcome.reply == supervisor::Reply::Ok || outcome.reply == supervisor::Reply::Conflict) {
            if (auto t = tasks_.find(task_id); t != tasks_.end()) t->second->accept_known.insert(inc);
        }
        node_->on_submitted(task_id, outcome);
        after_event();
    });
}

// --- the disk ----------------------------------------------------------------------------------

void World::write_spool(const supervisor::WriteSpool& w) {
    const int inc = incarnation_;
    const std::string id = w.task_id;
    const std::uint64_t write_id = w.write_id;
    auto bytes = w.bytes;
    schedule(between(500, 20 * kMs), [this, inc, id, write_id, bytes] {
        if (inc != incarnation_ || !node_) return;  // the process died before the rename
        const bool ok = clock_.now_us() >= disk_full_until_;
        if (ok) spool_[id] = *bytes;
        node_->on_spooled(id, write_id, ok ? shared::Status(shared::Ok{}) : shared::Status(shared::fail("sim: ENOSPC")));
        after_event();
    });
}

// --- invariants --------------------------------------------------------------------------------

void World::on_task_changed(const std::string& id, TaskState, TaskState to) {
    if (!supervisor::is_terminal(to)) return;
    if (auto it = verdicts_this_run_.find(id); it != verdicts_this_run_.end()) {
        violated("every task reaches one terminal verdict",
                 id + " was " + std::string(supervisor::to_string(it->second)) + " and now " +
                     std::string(supervisor::to_string(to)));
    }
    if (auto it = journal_.find(id); it != journal_.end()) {
        violated("every task reaches one terminal verdict",
                 id + " was " + std::string(supervisor::to_string(it->second)) + " in an earlier run, now " +
                     std::string(supervisor::to_string(to)));
    }
    verdicts_this_run_[id] = to;
}

void World::check_state() {
    for (const auto& [id, r] : node_->ledger().records()) {
        if (r.state == TaskState::Submitting && !spool_.count(id)) {
            violated("every proved result is in the spool or was finally answered", id + " is submitting, not spooled");
        }
    }
    if (node_->phase() != Node::Phase::Running) return;
    for (const auto& [slot, died] : healthy_death_at_) {
        if (slot >= static_cast<int>(node_->target_workers()) || node_->workers().by_slot(slot)) continue;
        if (clock_.now_us() - died > 500 * kMs) {
            violated("a worker killed mid-task is replaced at once", "slot " + std::to_string(slot) + " waited " +
                                                                         std::to_string((clock_.now_us() - died) / kMs) +
                                                                         " ms");
        }
    }
}

void World::check_after_turn(const supervisor::Plan& plan) {
    const bool dispatched = std::any_of(plan.actions.begin(), plan.actions.end(), [](const supervisor::Action& a) {
        return std::holds_alternative<supervisor::SendAssign>(a);
    });
    if (!dispatched || node_->ledger().count(TaskState::Dispatched) < 2) return;
    std::uint64_t held = 0;
    for (const auto& [id, w] : node_->workers().all()) {
        if (w.state == supervisor::WorkerState::Ready) held += w.rss_bytes;
    }
    const std::uint64_t projected = node_->projected_memory() + held;
    if (projected > node_->budget()) {
        violated("projected memory of admitted work never exceeds the budget",
                 std::to_string(projected >> 20) + " MiB of " + std::to_string(node_->budget() >> 20) + " MiB");
    }
}

// The node is done: nothing it took is left between states, and after a drain
// without faults every proof was answered and every spooled proof sent.
void World::check_end() {
    for (const auto& [id, r] : node_->ledger().records()) {
        if (r.state == TaskState::Queued || r.state == TaskState::Dispatched) {
            violated("every task reaches a verdict or is still held", id + " left " +
                                                                          std::string(supervisor::to_string(r.state)));
        }
        if (calm_ && node_->exit_code() == 0) {
            violated("after a drain without faults every proof is answered",
                     id + " left " + std::string(supervisor::to_string(r.state)));
        }
    }
    if (calm_ && node_->exit_code() == 0 && !to_resubmit_.empty()) {
        violated("after a restart every spooled proof is submitted", *to_resubmit_.begin() + " never sent");
    }
}

}  // namespace sim
