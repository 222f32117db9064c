// The node's status, summary, gauges and systemd notifications.
#include "supervisor/report.h"

#include <sys/resource.h>
#include <systemd/sd-daemon.h>

#include <cstdio>
#include <map>
#include <set>
#include <nlohmann/json.hpp>

namespace supervisor {

namespace {
constexpr std::int64_t kStatusPeriodUs = 1'000'000;
}

std::string Reporter::status_json() const {
    const std::int64_t now = clock_.now_us();
    nlohmann::json workers = nlohmann::json::array();
    for (const auto& [id, w] : node_.workers().all()) {
        const TaskRecord* task = w.task_id.empty() ? nullptr : node_.ledger().find(w.task_id);
        workers.push_back({{"slot", w.slot}, {"pid", w.pid}, {"id", id}, {"state", std::string(to_string(w.state))},
                           {"task", w.task_id}, {"threads", w.concurrent}, {"rss_bytes", w.rss_bytes},
                           {"tasks_done", w.tasks_done}, {"uptime_s", (now - w.spawned_us) / 1e6},
                           {"program", task ? task->task.program_id : ""},
                           {"busy_s", w.state == WorkerState::Busy ? (now - w.busy_since_us) / 1e6 : 0.0}});
    }
    nlohmann::json tasks = nlohmann::json::object();
    for (int s = 0; s < kTaskStates; ++s) {
        tasks[std::string(to_string(static_cast<TaskState>(s)))] = node_.ledger().count(static_cast<TaskState>(s));
    }
    const auto& submits = node_.submissions();
    nlohmann::json status = {
        {"version", PROVENODE_VERSION},
        {"node_id", options_.node_id},
        {"phase", std::string(Node::to_string(node_.phase()))},
        {"uptime_s", (now - node_.started_us()) / 1e6},
        {"workers", workers},
        {"target_workers", node_.target_workers()},
        {"queued", node_.ledger().queued()},
        {"tasks", tasks},
        {"proofs", node_.proofs()},
        {"restarts", node_.restarts()},
        {"difficulty", std::string(shared::to_string(node_.difficulty()))},
        {"memory", {{"budget_bytes", node_.budget()}, {"projected_bytes", node_.projected_memory()}}},
        {"pending_submissions", submits.pending()},
        {"memory_only_submissions", submits.memory_only()},
        {"fetches_in_flight", node_.intake().fetches_in_flight()},
        {"rate_limit_wait_s", {{"fetch", node_.rate_limit_wait_s("fetch")}, {"submit", node_.rate_limit_wait_s("submit")}}},
        {"loop_lag_max_s", node_.max_loop_lag_s()},
    };
    return status.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string Reporter::status_line() const {
    const auto& ledger = node_.ledger();
    return std::string(Node::to_string(node_.phase())) + ": " +
           std::to_string(node_.workers().count(WorkerState::Busy)) + "/" + std::to_string(node_.workers().size()) +
           " workers busy, " + std::to_string(ledger.queued()) + " queued, " +
           std::to_string(ledger.count(TaskState::Accepted)) + " accepted, " + std::to_string(node_.proofs()) +
           " proofs, " + std::to_string(node_.submissions().pending()) + " to submit";
}

void Reporter::publish() {
    const std::int64_t now = clock_.now_us();
    metrics_.queue_depth(node_.ledger().queued());
    std::map<std::string, unsigned> states{{"spawning", 0}, {"ready", 0}, {"busy", 0}, {"stopping", 0}};
    for (const auto& [id, w] : node_.workers().all()) ++states[std::string(to_string(w.state))];
    metrics_.workers(states);
    metrics_.memory(node_.projected_memory(), node_.budget());
    metrics_.target_workers(node_.target_workers());
    std::set<int> slots;
    for (const auto& [id, w] : node_.workers().all()) {
        slots.insert(w.slot);
        metrics_.worker_rss(w.slot, w.rss_bytes);
    }
    for (int slot : rss_slots_) {
        if (!slots.count(slot)) metrics_.forget_worker(slot);  // the worker is gone: its series goes too
    }
    rss_slots_ = std::move(slots);
    metrics_.loop_alive(now);
    const unsigned up = states["ready"] + states["busy"];
    const std::string unready =
        unready_reason(node_.phase() == Node::Phase::Running, node_.orchestrator_answered(), up);
    metrics_.set_ready(unready.empty(), unready.empty() ? std::to_string(up) + " workers up" : unready);
    // Under systemd (Type=notify): ready once a worker said hello, STATUS kept
    // current (at most once a second), STOPPING when draining.
    const bool worker_up = states["ready"] + states["busy"] > 0;
    if (!told_ready_ && worker_up) {
        told_ready_ = true;
        told_status_ = status_line();
        told_status_us_ = now;
        sd_notifyf(0, "READY=1\nSTATUS=%s", told_status_.c_str());
    } else if (told_ready_ && now - told_status_us_ >= kStatusPeriodUs) {
        const std::string line = status_line();
        if (line != told_status_) {
            told_status_ = line;
            sd_notifyf(0, "STATUS=%s", line.c_str());
        }
        told_status_us_ = now;
    }
    if (node_.phase() >= Node::Phase::Draining && !told_stopping_) {
        told_stopping_ = true;
        sd_notifyf(0, "STOPPING=1\nSTATUS=%s", status_line().c_str());
    }
}

void Reporter::watchdog() const { sd_notify(0, "WATCHDOG=1"); }

void Reporter::print_summary() const {
    const auto& ledger = node_.ledger();
    const double wall_s = (clock_.now_us() - node_.started_us()) / 1e6;
    const std::uint64_t accepted = ledger.count(TaskState::Accepted);
    std::string restarts;
    for (const auto& [cause, n] : node_.restarts_by_cause()) restarts += " restart_" + cause + "=" + std::to_string(n);
    // CPU of the supervisor itself, and of the workers it has reaped (all of them by now).
    rusage self{}, children{};
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &children);
    auto seconds = [](const rusage& r) {
        return r.ru_utime.tv_sec + r.ru_stime.tv_sec + (r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
    };
    auto n = [](std::uint64_t v) { return static_cast<unsigned long long>(v); };
    std::printf(
        "summary: accepted=%llu rejected=%llu expired=%llu poison=%llu unsupported=%llu malformed=%llu "
        "abandoned=%llu proofs=%llu restarts=%llu%s spooled=%llu memory_only=%llu wall_s=%.2f tasks_per_min=%.1f "
        "cpu_s=%.3f workers_cpu_s=%.3f max_rss_kib=%ld\n",
        n(accepted), n(ledger.count(TaskState::Rejected)), n(ledger.count(TaskState::Expired)),
        n(ledger.count(TaskState::Poison)), n(ledger.count(TaskState::Unsupported)),
        n(ledger.count(TaskState::Malformed)), n(ledger.count(TaskState::Abandoned)), n(node_.proofs()),
        n(node_.restarts()), restarts.c_str(), n(node_.submissions().pending() - node_.submissions().memory_only()),
        n(node_.submissions().memory_only()), wall_s, wall_s > 0 ? accepted * 60.0 / wall_s : 0.0, seconds(self),
        seconds(children), self.ru_maxrss);
    std::fflush(stdout);
}

}  // namespace supervisor
