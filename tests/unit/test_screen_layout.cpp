// Unit tests for the live view's layout: a model laid out at 80x24 and at small
// sizes keeps to the width and height and keeps what matters most.
#include <doctest.h>

#include <string>
#include <vector>

#include "supervisor/screen_layout.h"

using supervisor::LineStyle;
using supervisor::render_screen;
using supervisor::ScreenLine;
using supervisor::ScreenModel;

namespace {

ScreenModel busy_node(int workers = 2, int events = 30) {
    ScreenModel m;
    m.version = "0.1.0";
    m.node_id = "14504296";
    m.phase = "running";
    m.uptime_s = 302;
    m.difficulty = "SMALL";
    m.target_workers = static_cast<unsigned>(workers);
    m.proofs = 31;
    m.proofs_per_minute = 12.5;
    m.accepted = 14;
    m.memory_projected = 2ull << 30;
    m.memory_budget = 8ull << 30;
    m.fetch_wait_s = 12;
    m.to_submit = 1;
    m.tasks = {{"queued", 3}, {"dispatched", 2}, {"proved", 0}, {"accepted", 14}, {"rejected", 0}};
    for (int i = 0; i < workers; ++i) {
        m.workers.push_back({i, 8439 + i, i == 0 ? "busy" : "ready", i == 0 ? "task-1-1bf14b09" : "",
                             i == 0 ? "argon2id_pow" : "", i == 0 ? 2u : 0u, 14ull << 20, 65});
    }
    for (int i = 0; i < events; ++i) m.events.push_back("12:00:" + std::to_string(10 + i) + " info event " + std::to_string(i));
    return m;
}

std::string joined(const std::vector<ScreenLine>& lines) {
    std::string out;
    for (const auto& line : lines) out += line.text + "\n";
    return out;
}

bool has(const std::vector<ScreenLine>& lines, const std::string& part) {
    INFO("looking for: " << part << "\nin:\n" << joined(lines));
    return joined(lines).find(part) != std::string::npos;
}

void check_fits(const std::vector<ScreenLine>& lines, int width, int height) {
    INFO(joined(lines));
    CHECK(static_cast<int>(lines.size()) == height);
    for (const auto& line : lines) {
        CHECK(static_cast<int>(line.text.size()) <= width);
        for (char c : line.text) CHECK((c >= 0x20 && c < 0x7f));
    }
}

}  // namespace

TEST_CASE("80x24: every section, each line within the width") {
    const auto lines = render_screen(busy_node(), 80, 24);
    check_fits(lines, 80, 24);
    CHECK(lines.front().style == LineStyle::Title);
    CHECK(lines.front().text.rfind("provenode 0.1.0  node 14504296  running  up 5m02s  workers 2/2", 0) == 0);
    CHECK(has(lines, "proofs 31 (12.5/min)  accepted 14"));
    CHECK(has(lines, "memory 2G of 8G (25%) ["));
    CHECK(has(lines, "rate-limit wait: fetch 12s, submit none  to submit 1"));
    CHECK(has(lines, "tasks: queued 3 dispatched 2 accepted 14\n"));  // zero counts left out, queued kept
    CHECK(has(lines, "#   PID     STATE    THR    RSS     UP TASK"));
    CHECK(has(lines, "0   8439    busy       2    14M  1m05s task-1-1bf14b09 (argon2id_pow)"));
    CHECK(has(lines, "1   8440    ready      0    14M  1m05s -"));
    CHECK(has(lines, "\nevents\n"));
    // The newest events, the last one just above the keys.
    CHECK(lines[22].text == "12:00:39 info event 29");
    CHECK(lines[23].text.rfind("q: drain and exit", 0) == 0);
    CHECK(lines[23].style == LineStyle::Title);
}

TEST_CASE("40x10: truncated, never wrapped; workers, tasks and the budget stay") {
    const auto lines = render_screen(busy_node(), 40, 10);
    check_fits(lines, 40, 10);
    CHECK(lines.front().text.rfind("provenode 0.1.0  node 14504296  running", 0) == 0);
    CHECK(has(lines, "tasks: queued 3 dispatched 2 accepted 14"));
    CHECK(has(lines, "memory 2G of 8G (25%)"));
    CHECK(has(lines, "0   8439    busy"));
    CHECK(has(lines, "1   8440    ready"));
    CHECK(has(lines, "events\n12:00:39 info event 29"));
    CHECK(lines[9].text.rfind("q: drain", 0) == 0);
}

TEST_CASE("more workers than rows: a count of the rest, the keys still on the last line") {
    const auto lines = render_screen(busy_node(30, 5), 80, 24);
    check_fits(lines, 80, 24);
    CHECK(has(lines, "more workers"));
    CHECK(has(lines, "\nevents\n"));
    CHECK(lines[23].text.rfind("q: drain", 0) == 0);
}

TEST_CASE("draining: the keys say the next q stops at once") {
    auto m = busy_node();
    m.phase = "draining";
    m.stopping = true;
    const auto lines = render_screen(m, 80, 24);
    CHECK(lines[23].text.rfind("q: stop now", 0) == 0);
    CHECK(has(lines, "  draining  "));
}

TEST_CASE("no workers yet and no events") {
    ScreenModel m;
    m.version = "0.1.0";
    m.phase = "starting";
    const auto lines = render_screen(m, 80, 24);
    check_fits(lines, 80, 24);
    CHECK(has(lines, "(no workers yet)"));
    CHECK(has(lines, "memory 0 of 0"));
}

TEST_CASE("tiny and degenerate sizes do not break") {
    const auto m = busy_node(8, 50);
    for (int width : {0, 1, 5, 20, 40, 200}) {
        for (int height : {0, 1, 2, 3, 5, 7, 10, 50}) {
            CAPTURE(width);
            CAPTURE(height);
            check_fits(render_screen(m, width, height), width, height);
        }
    }
    CHECK(render_screen(m, 40, 1).front().style == LineStyle::Title);  // one row: the title
}

TEST_CASE("bytes outside printable ASCII from the server or a worker cannot reach the terminal") {
    auto m = busy_node();
    m.node_id = "n\033[2J\xc3\xa9";
    m.workers[0].task = "t\n\r1";
    const auto lines = render_screen(m, 80, 24);
    check_fits(lines, 80, 24);
    CHECK(has(lines, "node n?[2J??"));
    CHECK(has(lines, "t??1 (argon2id_pow)"));
}

TEST_CASE("warnings and errors in the events stand out") {
    auto m = busy_node(1, 0);
    m.events = {"12:00:01 info all well", "12:00:02 warning submit t1: 429", "12:00:03 critical internal error"};
    const auto lines = render_screen(m, 80, 24);
    int alerts = 0;
    for (const auto& line : lines) alerts += line.style == LineStyle::Alert;
    CHECK(alerts == 2);
}
