// The live view's layout: sections by priority, then each line cut to the width.
#include "supervisor/screen_layout.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "supervisor/flag_values.h"
#include "supervisor/status_view.h"

namespace supervisor {

namespace {

// Lines above this many rows get the rate-limit line before extra worker rows.
constexpr int kRoomyHeight = 14;
constexpr int kMaxBar = 20;

std::string ascii(const std::string& text) {
    std::string out = text;
    for (char& c : out) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u >= 0x7f) c = '?';
    }
    return out;
}

std::string seconds_text(double s) {
    if (s <= 0) return "none";
    char text[32];
    std::snprintf(text, sizeof text, s < 10 ? "%.1fs" : "%.0fs", s);
    return text;
}

std::string title_line(const ScreenModel& m) {
    std::string line = "provenode " + m.version;
    if (!m.node_id.empty()) line += "  node " + m.node_id;
    return line + "  " + m.phase + "  up " + format_duration(m.uptime_s) + "  workers " +
           std::to_string(m.workers.size()) + "/" + std::to_string(m.target_workers);
}

std::string proofs_line(const ScreenModel& m) {
    char rate[32];
    std::snprintf(rate, sizeof rate, "%.1f", m.proofs_per_minute);
    return "proofs " + std::to_string(m.proofs) + " (" + rate + "/min)  accepted " + std::to_string(m.accepted) +
           "  restarts " + std::to_string(m.restarts) + "  difficulty " + m.difficulty;
}

std::string memory_line(const ScreenModel& m, int width) {
    std::string line = "memory " + format_size(m.memory_projected) + " of " + format_size(m.memory_budget);
    if (m.memory_budget == 0) return line;
    const double used = static_cast<double>(m.memory_projected) / static_cast<double>(m.memory_budget);
    line += " (" + std::to_string(static_cast<long>(std::lround(100 * used))) + "%)";
    const int bar = std::min(kMaxBar, width - static_cast<int>(line.size()) - 3);
    if (bar >= 5) {
        const int full = std::clamp(static_cast<int>(std::lround(used * bar)), 0, bar);
        line += " [" + std::string(static_cast<std::size_t>(full), '#') +
                std::string(static_cast<std::size_t>(bar - full), '.') + "]";
    }
    return line;
}

std::string waits_line(const ScreenModel& m) {
    return "rate-limit wait: fetch " + seconds_text(m.fetch_wait_s) + ", submit " + seconds_text(m.submit_wait_s) +
           "  to submit " + std::to_string(m.to_submit) + "  fetching " + std::to_string(m.fetches_in_flight);
}

std::string tasks_line(const ScreenModel& m) {
    std::string line = "tasks:";
    for (const auto& [state, count] : m.tasks) {
        // Zero counts are noise, except queued: an empty queue is worth seeing.
        if (count == 0 && state != "queued") continue;
        line += " " + state + " " + std::to_string(count);
    }
    return line;
}

std::string worker_heading() { return "#   PID     STATE    THR    RSS     UP TASK"; }

std::string worker_row(const ScreenWorker& w) {
    char text[64];
    std::snprintf(text, sizeof text, "%-3d %-7d %-8s %3u %6s %6s ", w.slot, w.pid, w.state.c_str(), w.threads,
                  format_size(w.rss_bytes).c_str(), format_duration(w.uptime_s).c_str());
    std::string task = w.task.empty() ? "-" : w.task;
    if (!w.program.empty()) task += " (" + w.program + ")";
    return text + task;
}

std::string footer_line(const ScreenModel& m) {
    if (m.stopping) return "q: stop now (the drain is cut short)";
    return "q: drain and exit   q twice: stop now";
}

bool alerts(const std::string& event) {
    for (const char* level : {" warning ", " error ", " critical "}) {
        if (event.find(level) != std::string::npos) return true;
    }
    return false;
}

}  // namespace

std::vector<ScreenLine> render_screen(const ScreenModel& m, int width, int height) {
    if (height <= 0) return {};
    // How many rows each section gets, by priority.
    int left = height;
    auto take = [&left](int want) {
        const int got = std::clamp(want, 0, left);
        left -= got;
        return got;
    };
    const int workers_want = 1 + static_cast<int>(std::max<std::size_t>(m.workers.size(), 1));
    const int events_want = 1 + static_cast<int>(m.events.size());
    const int footer = take(height >= 2 ? 1 : 0);
    const int title = take(1), tasks = take(1), memory = take(1), proofs = take(1);
    int waits = height >= kRoomyHeight ? take(1) : 0;
    int workers = take(std::min(2, workers_want));
    int events = take(std::min(2, events_want));
    workers += take(workers_want - workers);
    if (height < kRoomyHeight) waits = take(1);
    events += take(events_want - events);

    std::vector<ScreenLine> lines;
    auto add = [&lines](std::string text, LineStyle style = LineStyle::Plain) {
        lines.push_back({std::move(text), style});
    };
    if (title) add(title_line(m), LineStyle::Title);
    if (proofs) add(proofs_line(m));
    if (memory) add(memory_line(m, width));
    if (waits) add(waits_line(m));
    if (tasks) add(tasks_line(m));
    if (workers > 0) {
        add(worker_heading(), LineStyle::Heading);
        const int rows = workers - 1;
        const int n = static_cast<int>(m.workers.size());
        if (n == 0 && rows > 0) add("(no workers yet)");
        for (int i = 0; i < std::min(rows, n); ++i) {
            if (i == rows - 1 && n > rows && rows >= 2) {
                add("... " + std::to_string(n - i) + " more workers");
                break;
            }
            add(worker_row(m.workers[static_cast<std::size_t>(i)]));
        }
    }
    if (events > 0) {
        add("events", LineStyle::Heading);
        const int shown = std::min(events - 1, static_cast<int>(m.events.size()));
        for (auto it = m.events.end() - shown; it != m.events.end(); ++it) {
            add(*it, alerts(*it) ? LineStyle::Alert : LineStyle::Plain);
        }
    }
    while (static_cast<int>(lines.size()) < height - footer) add("");
    if (footer) add(footer_line(m), LineStyle::Title);

    const auto cut = static_cast<std::size_t>(std::max(width, 0));
    for (auto& line : lines) {
        line.text = ascii(line.text);
        if (line.text.size() > cut) line.text.resize(cut);
    }
    return lines;
}

}  // namespace supervisor
