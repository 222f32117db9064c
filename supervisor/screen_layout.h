// The live view's screen as a pure function: a model of what the node is doing,
// laid out into exactly `height` lines of at most `width` printable ASCII
// characters. Nothing here touches the terminal (supervisor/live_view.h draws).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace supervisor {

struct ScreenWorker {
    int slot = 0;
    int pid = 0;
    std::string state;
    std::string task;     // empty: none
    std::string program;  // of the task; empty: none
    unsigned threads = 0;
    std::uint64_t rss_bytes = 0;
    double uptime_s = 0;
};

// What the view shows, read from the core's views after a turn.
struct ScreenModel {
    std::string version;
    std::string node_id;
    std::string phase;
    double uptime_s = 0;
    std::string difficulty;
    unsigned target_workers = 0;
    std::uint64_t proofs = 0;
    double proofs_per_minute = 0;
    std::uint64_t accepted = 0;
    std::uint64_t restarts = 0;
    std::uint64_t memory_projected = 0;
    std::uint64_t memory_budget = 0;
    double fetch_wait_s = 0;   // the last rate-limit wait of each endpoint
    double submit_wait_s = 0;
    std::uint64_t to_submit = 0;
    unsigned fetches_in_flight = 0;
    std::vector<std::pair<std::string, std::uint64_t>> tasks;  // by state, in the order of a task's life
    std::vector<ScreenWorker> workers;                         // by slot
    std::vector<std::string> events;                           // the last ones, oldest first
    bool stopping = false;  // a drain is on: the next `q` stops at once
};

enum class LineStyle { Plain, Title, Heading, Alert };

struct ScreenLine {
    std::string text;
    LineStyle style = LineStyle::Plain;
};

// Exactly max(height, 0) lines, none longer than width. When the screen is too
// small for everything, what matters most stays: the title, the tasks, memory,
// proofs, a worker row and an event, and the keys on the last line.
std::vector<ScreenLine> render_screen(const ScreenModel& model, int width, int height);

}  // namespace supervisor
