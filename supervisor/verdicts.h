// Terminal verdicts remembered after a task has left the ledger, so that a task
// fetched or listed again (the server lists a task until it is submitted, and a
// poisoned one never is) is not proved again. Bounded in count and age, and kept
// in STATE/verdicts as a journal of one line per verdict so that a restart
// remembers too. Pure logic and text; the shell reads and appends the file.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "shared/expected.h"
#include "supervisor/task_state.h"

namespace supervisor {

class Verdicts {
public:
    static constexpr std::size_t kCapacity = 20'000;  // more than a day of tasks on any one node
    static constexpr std::int64_t kTtlS = 86'400;      // server deadlines are far shorter than a day

    struct Entry {
        std::string task_id;
        TaskState state;
        std::int64_t unix_s;
    };

    // Remembers a verdict; the oldest are forgotten past the capacity or the age.
    void remember(const std::string& task_id, TaskState state, std::int64_t unix_s);
    std::optional<TaskState> find(const std::string& task_id) const;
    // Forgets one verdict (a task whose spooled proof was lost may be resumed after all).
    void forget(const std::string& task_id) { by_id_.erase(task_id); }
    std::size_t size() const { return by_id_.size(); }
    // Abandoned is a verdict of this run only: the server still has the task, and a
    // restarted node must resume it.
    static bool persisted(TaskState state) { return state != TaskState::Abandoned; }

    // "v1 <state> <unix seconds> <task id in hex>\n"
    static std::string journal_line(const Entry& entry);
    static shared::Expected<Entry> parse_journal_line(std::string_view line);
    // Remembers every good line of a journal (older than kTtlS is skipped, and so is a
    // last line without its newline, torn by a crash); returns one message per bad
    // line, naming its number.
    std::vector<std::string> load_journal(std::string_view text, std::int64_t now_unix_s);
    // What the journal would hold if written afresh: the persisted verdicts, oldest first.
    std::string compacted() const;

private:
    void forget_old(std::int64_t now_unix_s);

    std::unordered_map<std::string, TaskState> by_id_;
    std::deque<Entry> order_;  // oldest first
};

}  // namespace supervisor
