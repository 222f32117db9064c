// The status document as text: summary lines, then one row per worker.
#include "supervisor/status_view.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "supervisor/flag_values.h"

namespace supervisor {
namespace {

using nlohmann::json;

// Task states in the order of a task's life; a state the node adds later is
// listed after them.
constexpr const char* kTaskOrder[] = {"queued",   "dispatched", "proved",      "submitting", "accepted", "rejected",
                                      "expired",  "poison",     "unsupported", "malformed",  "abandoned"};

// A field as text: strings as they are, numbers without a needless ".0", "-" when absent.
std::string text_of(const json& object, const char* key) {
    if (!object.is_object()) return "-";
    const auto it = object.find(key);
    if (it == object.end() || it->is_null()) return "-";
    if (it->is_string()) return it->get<std::string>().empty() ? "-" : it->get<std::string>();
    if (it->is_number_float()) {
        char text[32];
        std::snprintf(text, sizeof text, "%g", it->get<double>());
        return text;
    }
    return it->dump();
}

std::string bytes_of(const json& object, const char* key) {
    const auto it = object.is_object() ? object.find(key) : object.end();
    if (it == object.end() || !it->is_number()) return "-";
    return format_size(it->get<std::uint64_t>());
}

std::string duration_of(const json& object, const char* key) {
    const auto it = object.is_object() ? object.find(key) : object.end();
    if (it == object.end() || !it->is_number()) return "-";
    return format_duration(it->get<double>());
}

std::string summary(const json& status) {
    std::string out = "node " + text_of(status, "node_id");
    if (status.contains("version")) out += "  version " + text_of(status, "version");
    out += "  phase " + text_of(status, "phase") + "  up " + duration_of(status, "uptime_s") + "\n";
    out += "difficulty " + text_of(status, "difficulty") + "  proofs " + text_of(status, "proofs") + "  restarts " +
           text_of(status, "restarts") + "  workers " + std::to_string(status.value("workers", json::array()).size()) +
           " (target " + text_of(status, "target_workers") + ")\n";
    const json memory = status.value("memory", json::object());
    out += "memory: projected " + bytes_of(memory, "projected_bytes") + " of budget " + bytes_of(memory, "budget_bytes");
    const auto budget = memory.value("budget_bytes", 0.0), projected = memory.value("projected_bytes", 0.0);
    if (budget > 0) out += " (" + std::to_string(static_cast<int>(std::lround(100 * projected / budget))) + "%)";
    out += "\npending submissions: " + text_of(status, "pending_submissions") + "\n";
    return out;
}

std::string tasks_line(const json& status) {
    const json tasks = status.value("tasks", json::object());
    if (!tasks.is_object()) return "tasks: -\n";
    std::vector<std::string> names(std::begin(kTaskOrder), std::end(kTaskOrder));
    for (const auto& [name, count] : tasks.items()) {
        if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
    std::string out = "tasks:";
    bool any = false;
    for (const std::string& name : names) {
        const auto it = tasks.find(name);
        // Zero counts are noise, except queued: an empty queue is worth seeing.
        if (it == tasks.end() || (name != "queued" && it->is_number() && it->get<double>() == 0)) continue;
        out += std::string(any ? ", " : " ") + name + " " + (it->is_string() ? it->get<std::string>() : it->dump());
        any = true;
    }
    return out + "\n";
}

std::string table(const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> widths(rows.front().size(), 0);
    for (const auto& row : rows) {
        for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
    }
    std::string out;
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
        }
        out += line + "\n";
    }
    return out;
}

std::string workers_table(const json& status) {
    const json workers = status.value("workers", json::array());
    if (!workers.is_array() || workers.empty()) return "no workers\n";
    std::vector<std::vector<std::string>> rows = {
        {"SLOT", "PID", "STATE", "TASK", "THREADS", "RSS", "UPTIME", "DONE"}};
    for (const json& w : workers) {
        rows.push_back({text_of(w, "slot"), text_of(w, "pid"), text_of(w, "state"), text_of(w, "task"),
                        text_of(w, "threads"), bytes_of(w, "rss_bytes"), duration_of(w, "uptime_s"),
                        text_of(w, "tasks_done")});
    }
    return table(rows);
}

}  // namespace

std::string format_duration(double seconds) {
    const long long s = seconds > 0 ? static_cast<long long>(seconds) : 0;
    char text[32];
    if (s < 60) std::snprintf(text, sizeof text, "%llds", s);
    else if (s < 3600) std::snprintf(text, sizeof text, "%lldm%02llds", s / 60, s % 60);
    else if (s < 86400) std::snprintf(text, sizeof text, "%lldh%02lldm", s / 3600, s % 3600 / 60);
    else std::snprintf(text, sizeof text, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
    return text;
}

shared::Expected<std::string> format_status(const std::string& document) {
    json status;
    try {
        status = json::parse(document);
    } catch (const json::exception& e) {
        return shared::fail(std::string("the node's status is not JSON (") + e.what() + ")");
    }
    if (!status.is_object()) return shared::fail(std::string("the node's status is a JSON ") + status.type_name());
    try {
        return summary(status) + tasks_line(status) + "\n" + workers_table(status);
    } catch (const json::exception& e) {
        // A field of an unexpected type (a newer or broken node): say so, do not crash.
        return shared::fail(std::string("the node's status has a field of an unexpected type (") + e.what() + ")");
    }
}

}  // namespace supervisor
