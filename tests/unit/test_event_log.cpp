// Unit tests for the live view's event pane: lines cleaned, kept in order and
// bounded, pipe bytes split into lines, and spdlog's lines through the sink.
#include <doctest.h>

#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <vector>

#include "supervisor/event_log.h"

using supervisor::clean_event_line;
using supervisor::EventLog;
using supervisor::EventSink;
using supervisor::LineSplitter;

TEST_CASE("a worker's RFC 3339 timestamp is cut to the time of day") {
    CHECK(clean_event_line("2026-12-02T00:34:43.123+00:00 info worker#2[456] task t1: argon2id_pow\n") ==
          "00:34:43 info worker#2[456] task t1: argon2id_pow");
    CHECK(clean_event_line("2026-12-02T00:34:43.123-05:30 warning worker#0[9] x") == "00:34:43 warning worker#0[9] x");
    // Anything else is left as it is.
    CHECK(clean_event_line("worker: parent 12 is gone; exiting") == "worker: parent 12 is gone; exiting");
    CHECK(clean_event_line(R"({"time":"2026-12-02T00:34:43.123+00:00","msg":"m"})") ==
          R"({"time":"2026-12-02T00:34:43.123+00:00","msg":"m"})");
}

TEST_CASE("control characters and non-ASCII bytes become '?', a tab a space") {
    CHECK(clean_event_line("a\033[2Jb\tc\xc3\xa9\r\n") == "a?[2Jb c??");
}

TEST_CASE("the log keeps the newest lines, oldest first, and counts its changes") {
    EventLog log(3);
    CHECK(log.last(10).empty());
    const auto before = log.generation();
    for (int i = 0; i < 5; ++i) log.push("line " + std::to_string(i));
    CHECK(log.generation() == before + 5);
    CHECK(log.last(10) == std::vector<std::string>{"line 2", "line 3", "line 4"});
    CHECK(log.last(2) == std::vector<std::string>{"line 3", "line 4"});
}

TEST_CASE("bytes from a pipe become lines whatever the chunks; endless lines are cut") {
    LineSplitter split(8);
    std::vector<std::string> lines;
    auto on_line = [&lines](std::string_view line) { lines.emplace_back(line); };
    split.feed("one\ntw", on_line);
    split.feed("o\n\nthree", on_line);
    CHECK(lines == std::vector<std::string>{"one", "two", ""});
    split.feed("-and-more", on_line);  // past 8 bytes without a newline
    CHECK(lines.back() == "three-an");
    split.flush(on_line);
    CHECK(lines.back() == "d-more");
}

TEST_CASE("the sink writes spdlog's lines in the view's short form, one pane line per line") {
    auto log = std::make_shared<EventLog>();
    auto logger = std::make_shared<spdlog::logger>("test", std::make_shared<EventSink>(log));
    logger->warn("submit {}: 429", "t1");
    logger->info("two\nlines");
    const auto lines = log->last(10);
    REQUIRE(lines.size() == 3);
    // "HH:MM:SS warning submit t1: 429"
    CHECK(lines[0].size() == 8 + std::string(" warning submit t1: 429").size());
    CHECK(lines[0].substr(2, 1) == ":");
    CHECK(lines[0].substr(8) == " warning submit t1: 429");
    CHECK(lines[1].substr(8) == " info two");
    CHECK(lines[2] == "lines");
}
