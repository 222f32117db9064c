// Unit tests for remembered verdicts (supervisor/verdicts.h) and their journal,
// STATE/verdicts (supervisor/verdict_journal.h): "v1 <state> <unix s> <hex id>"
// lines, round trips, bad and torn lines skipped with a message naming the line,
// expiry, capacity and compaction.
#include <doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "supervisor/verdict_journal.h"
#include "supervisor/verdicts.h"
#include "tests/support/temp_dir.h"

namespace fs = std::filesystem;
using supervisor::TaskState;
using supervisor::VerdictJournal;
using supervisor::Verdicts;
using test_support::TempDir;

namespace {

constexpr std::int64_t kNow = 1'767'225'600;  // 2026-01-01, as the fake clock's wall clock

std::string line(const std::string& id, TaskState state, std::int64_t unix_s = kNow) {
    return Verdicts::journal_line(Verdicts::Entry{id, state, unix_s});
}

std::string read_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_text(const fs::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << text;
}

}  // namespace

TEST_CASE("a journal line is 'v1 <state> <unix seconds> <hex id>' and round-trips any task id") {
    CHECK(line("ab", TaskState::Poison) == "v1 poison 1767225600 6162\n");
    const std::vector<std::string> ids = {"t1", "with space", "new\nline", std::string("nul\0byte", 8),
                                          std::string(128, 'x'), "ünïcödé"};
    const std::vector<TaskState> states = {TaskState::Accepted, TaskState::Rejected, TaskState::Expired,
                                           TaskState::Poison, TaskState::Unsupported, TaskState::Malformed};
    for (const auto& id : ids) {
        for (TaskState state : states) {
            INFO(supervisor::to_string(state));
            std::string text = line(id, state, kNow - 5);
            REQUIRE(text.back() == '\n');
            text.pop_back();
            CHECK(text.find('\n') == std::string::npos);  // one line, whatever the id holds
            auto entry = Verdicts::parse_journal_line(text);
            REQUIRE(entry.ok());
            CHECK(entry->task_id == id);
            CHECK(entry->state == state);
            CHECK(entry->unix_s == kNow - 5);
        }
    }
}

TEST_CASE("a journal is loaded line by line: bad lines are skipped, each with a message naming it") {
    const std::string text = line("a", TaskState::Poison) +          // 1
                             "v2 poison 1767225600 62\n" +           // 2: another version
                             "v1 finished 1767225600 62\n" +         // 3: no such state
                             "v1 queued 1767225600 62\n" +           // 4: not a verdict
                             "v1 poison soon 62\n" +                 // 5: the time
                             "v1 poison 1767225600 6z\n" +           // 6: the id
                             "v1 poison 1767225600 62 and more\n" +  // 7: too many fields
                             "\n" +                                  // 8: empty, ignored
                             "v1 poison 1767225600\n" +              // 9: no id
                             line("c", TaskState::Accepted);         // 10
    Verdicts verdicts;
    const auto problems = verdicts.load_journal(text, kNow);
    REQUIRE(problems.size() == 7);
    const std::vector<std::string> expected = {"line 2: not a v1 verdict line",
                                               "line 3: 'finished' is not a terminal state",
                                               "line 4: 'queued' is not a terminal state",
                                               "line 5: the time is not a number",
                                               "line 6: the task id is not hex",
                                               "line 7: more than four fields",
                                               "line 9: the task id is not hex"};
    CHECK(problems == expected);
    CHECK(verdicts.size() == 2);
    CHECK(verdicts.find("a") == TaskState::Poison);
    CHECK(verdicts.find("c") == TaskState::Accepted);
    CHECK_FALSE(verdicts.find("b").has_value());
}

TEST_CASE("a torn last line is skipped and named; the lines before it are kept") {
    const std::string good = line("a", TaskState::Poison) + line("b", TaskState::Rejected);
    const std::string torn = line("ccc", TaskState::Accepted);
    // Cut in every field: the state, the time, the id (odd and even hex lengths).
    for (std::size_t cut : {std::size_t{1}, std::size_t{5}, std::size_t{12}, std::size_t{18}, std::size_t{20},
                            std::size_t{24}, std::size_t{25}, std::size_t{27}, torn.size() - 2, torn.size() - 1}) {
        INFO("cut after " << cut << " characters: '" << torn.substr(0, cut) << "'");
        Verdicts verdicts;
        const auto problems = verdicts.load_journal(good + torn.substr(0, cut), kNow);
        REQUIRE(problems.size() == 1);
        CHECK(problems[0].rfind("line 3: ", 0) == 0);
        CHECK(verdicts.size() == 2);
        CHECK(verdicts.find("a") == TaskState::Poison);
        CHECK(verdicts.find("b") == TaskState::Rejected);
        // What is left of the id names another task, or none: it must not be remembered.
        CHECK_FALSE(verdicts.find("c").has_value());
        CHECK_FALSE(verdicts.find("cc").has_value());
    }
}

TEST_CASE("verdicts older than a day are not loaded, and are forgotten as time goes on") {
    Verdicts verdicts;
    // Out of order too (a clock stepped back between two runs): each line is judged by its own age.
    const std::string text = line("fresh", TaskState::Poison, kNow - Verdicts::kTtlS + 10) +
                             line("old", TaskState::Poison, kNow - Verdicts::kTtlS - 1);
    CHECK(verdicts.load_journal(text, kNow).empty());
    CHECK_FALSE(verdicts.find("old").has_value());
    CHECK(verdicts.find("fresh") == TaskState::Poison);
    verdicts.remember("new", TaskState::Accepted, kNow + 11);  // "fresh" is now more than a day old
    CHECK_FALSE(verdicts.find("fresh").has_value());
    CHECK(verdicts.find("new") == TaskState::Accepted);
    CHECK(verdicts.compacted() == line("new", TaskState::Accepted, kNow + 11));
}

TEST_CASE("past the capacity, the oldest verdicts are forgotten first") {
    Verdicts verdicts;
    for (std::size_t i = 0; i < Verdicts::kCapacity + 3; ++i) {
        verdicts.remember("t" + std::to_string(i), TaskState::Accepted, kNow);
    }
    CHECK(verdicts.size() == Verdicts::kCapacity);
    for (int i = 0; i < 3; ++i) CHECK_FALSE(verdicts.find("t" + std::to_string(i)).has_value());
    CHECK(verdicts.find("t3") == TaskState::Accepted);
    CHECK(verdicts.find("t" + std::to_string(Verdicts::kCapacity + 2)) == TaskState::Accepted);
}

TEST_CASE("an abandoned task is remembered for this run only: the server keeps it for the next start") {
    Verdicts verdicts;
    verdicts.remember("gave-up", TaskState::Abandoned, kNow);
    verdicts.remember("done", TaskState::Accepted, kNow);
    CHECK(verdicts.find("gave-up") == TaskState::Abandoned);
    CHECK(verdicts.compacted() == line("done", TaskState::Accepted));
    Verdicts restarted;
    CHECK(restarted.load_journal(line("gave-up", TaskState::Abandoned) + line("done", TaskState::Accepted), kNow)
              .empty());
    CHECK_FALSE(restarted.find("gave-up").has_value());
    CHECK(restarted.find("done") == TaskState::Accepted);
}

TEST_CASE("compacted() holds what is remembered, oldest first, and loads back the same") {
    Verdicts verdicts;
    verdicts.remember("a", TaskState::Poison, kNow - 30);
    verdicts.remember("b", TaskState::Malformed, kNow - 20);
    verdicts.remember("c", TaskState::Expired, kNow - 10);
    const std::string text = verdicts.compacted();
    CHECK(text == line("a", TaskState::Poison, kNow - 30) + line("b", TaskState::Malformed, kNow - 20) +
                      line("c", TaskState::Expired, kNow - 10));
    Verdicts again;
    CHECK(again.load_journal(text, kNow).empty());
    CHECK(again.compacted() == text);
}

// --- the file ---------------------------------------------------------------------

TEST_CASE("the journal file: opened afresh, appended to, and read back by the next start") {
    TempDir dir("verdicts_test.");
    const fs::path path = dir.path() / "verdicts";
    {
        Verdicts verdicts;
        VerdictJournal journal(path);
        CHECK(journal.open(verdicts, kNow).empty());  // none yet: no problem
        CHECK(fs::exists(path));
        CHECK(journal.append({"a", TaskState::Poison, kNow}).ok());
        CHECK(journal.append({"b", TaskState::Accepted, kNow + 1}).ok());
    }
    CHECK(read_text(path) == line("a", TaskState::Poison) + line("b", TaskState::Accepted, kNow + 1));
    Verdicts verdicts;
    VerdictJournal journal(path);
    CHECK(journal.open(verdicts, kNow + 2).empty());
    CHECK(verdicts.find("a") == TaskState::Poison);
    CHECK(verdicts.find("b") == TaskState::Accepted);
}

TEST_CASE("the journal file: a torn last line from a crash is reported, and what follows starts on a line of its own") {
    TempDir dir("verdicts_test.");
    const fs::path path = dir.path() / "verdicts";
    write_text(path, line("a", TaskState::Poison) + line("bb", TaskState::Accepted).substr(0, 15));
    {
        Verdicts verdicts;
        VerdictJournal journal(path);
        const auto problems = journal.open(verdicts, kNow);
        REQUIRE(problems.size() == 1);
        CHECK(problems[0].find(path.string()) != std::string::npos);
        CHECK(problems[0].find("line 2") != std::string::npos);
        CHECK(verdicts.size() == 1);
        CHECK(journal.append({"c", TaskState::Rejected, kNow}).ok());
    }
    Verdicts verdicts;
    VerdictJournal journal(path);
    CHECK(journal.open(verdicts, kNow).empty());
    CHECK(verdicts.size() == 2);
    CHECK(verdicts.find("c") == TaskState::Rejected);
}

TEST_CASE("the journal file: expired verdicts are compacted away at open") {
    TempDir dir("verdicts_test.");
    const fs::path path = dir.path() / "verdicts";
    write_text(path, line("old", TaskState::Poison, kNow - 2 * Verdicts::kTtlS) + line("new", TaskState::Poison));
    Verdicts verdicts;
    VerdictJournal journal(path);
    CHECK(journal.open(verdicts, kNow).empty());
    CHECK(read_text(path) == line("new", TaskState::Poison));
}

TEST_CASE("the journal file: grown well past what is remembered, it is rewritten") {
    TempDir dir("verdicts_test.");
    const fs::path path = dir.path() / "verdicts";
    Verdicts verdicts;
    VerdictJournal journal(path);
    REQUIRE(journal.open(verdicts, kNow).empty());
    const std::size_t appended = 2 * Verdicts::kCapacity;
    for (std::size_t i = 0; i < appended; ++i) {
        const Verdicts::Entry entry{"t" + std::to_string(i), TaskState::Accepted, kNow};
        verdicts.remember(entry.task_id, entry.state, entry.unix_s);
        REQUIRE(journal.append(entry).ok());
    }
    journal.compact_if_large(verdicts);
    const std::string text = read_text(path);
    CHECK(text == verdicts.compacted());
    CHECK(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) == Verdicts::kCapacity);
    // Appends go on into the rewritten file.
    CHECK(journal.append({"last", TaskState::Poison, kNow}).ok());
    Verdicts restarted;
    VerdictJournal again(path);
    CHECK(again.open(restarted, kNow).empty());
    CHECK(restarted.find("last") == TaskState::Poison);
    CHECK(restarted.find("t" + std::to_string(appended - 1)) == TaskState::Accepted);
}

TEST_CASE("the journal file: one that cannot be read or written is reported with its name, never thrown") {
    TempDir dir("verdicts_test.");
    const fs::path path = dir.path() / "verdicts";
    fs::create_directory(path);  // a directory where the file should be
    Verdicts verdicts;
    VerdictJournal journal(path);
    std::vector<std::string> problems;
    CHECK_NOTHROW(problems = journal.open(verdicts, kNow));
    REQUIRE_FALSE(problems.empty());
    for (const auto& p : problems) CHECK(p.find(path.string()) != std::string::npos);
    const auto appended = journal.append({"a", TaskState::Poison, kNow});
    CHECK_FALSE(appended.ok());
    CHECK(verdicts.size() == 0);
}
