// Remembered verdicts and their journal lines.
#include "supervisor/verdicts.h"

#include <charconv>

#include "shared/bytes.h"

namespace supervisor {

void Verdicts::remember(const std::string& task_id, TaskState state, std::int64_t unix_s) {
    auto [it, inserted] = by_id_.insert_or_assign(task_id, state);
    (void)it;
    if (inserted) order_.push_back(Entry{task_id, state, unix_s});
    forget_old(unix_s);
}

std::optional<TaskState> Verdicts::find(const std::string& task_id) const {
    auto it = by_id_.find(task_id);
    if (it == by_id_.end()) return std::nullopt;
    return it->second;
}

void Verdicts::forget_old(std::int64_t now_unix_s) {
    while (!order_.empty() && (order_.size() > kCapacity || now_unix_s - order_.front().unix_s > kTtlS)) {
        by_id_.erase(order_.front().task_id);
        order_.pop_front();
    }
}

std::string Verdicts::journal_line(const Entry& entry) {
    return "v1 " + std::string(to_string(entry.state)) + " " + std::to_string(entry.unix_s) + " " +
           shared::to_hex(shared::as_bytes(entry.task_id)) + "\n";
}

shared::Expected<Verdicts::Entry> Verdicts::parse_journal_line(std::string_view line) {
    auto field = [&line]() {
        const auto space = line.find(' ');
        std::string_view f = line.substr(0, space);
        line = space == std::string_view::npos ? std::string_view{} : line.substr(space + 1);
        return f;
    };
    if (field() != "v1") return shared::fail("not a v1 verdict line");
    const std::string_view state_name = field();
    const std::string_view when = field();
    const std::string_view id_hex = field();
    if (!line.empty()) return shared::fail("more than four fields");
    std::optional<TaskState> state;
    for (int s = 0; s < kTaskStates; ++s) {
        if (to_string(static_cast<TaskState>(s)) == state_name) state = static_cast<TaskState>(s);
    }
    if (!state || !is_terminal(*state)) return shared::fail("'" + std::string(state_name) + "' is not a terminal state");
    std::int64_t unix_s = 0;
    auto [end, ec] = std::from_chars(when.data(), when.data() + when.size(), unix_s);
    if (ec != std::errc() || end != when.data() + when.size()) return shared::fail("the time is not a number");
    auto id = shared::from_hex(std::string(id_hex));
    if (!id || id->empty()) return shared::fail("the task id is not hex");
    return Entry{std::string(id->begin(), id->end()), *state, unix_s};
}

std::vector<std::string> Verdicts::load_journal(std::string_view text, std::int64_t now_unix_s) {
    std::vector<std::string> problems;
    std::size_t number = 0;
    while (!text.empty()) {
        ++number;
        const auto newline = text.find('\n');
        std::string_view line = text.substr(0, newline);
        text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
        if (line.empty()) continue;
        // Every line is written with its newline: one without was cut short by a
        // crash, and what is left of its id may name another task.
        if (newline == std::string_view::npos) {
            problems.push_back("line " + std::to_string(number) + ": cut short (no end of line)");
            continue;
        }
        auto entry = parse_journal_line(line);
        if (!entry) {
            problems.push_back("line " + std::to_string(number) + ": " + entry.error());
            continue;
        }
        if (now_unix_s - entry->unix_s <= kTtlS && persisted(entry->state)) {
            remember(entry->task_id, entry->state, entry->unix_s);
        }
    }
    forget_old(now_unix_s);
    return problems;
}

std::string Verdicts::compacted() const {
    std::string text;
    for (const auto& entry : order_) {
        if (persisted(entry.state)) text += journal_line(entry);
    }
    return text;
}

}  // namespace supervisor
