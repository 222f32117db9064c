// Unit tests for `supervisor status`'s table: the fields of today's document,
// fields the node adds later, fields it leaves out, and a document that is not one.
#include <doctest.h>

#include <string>

#include "supervisor/status_view.h"

namespace {

// The document as Supervisor::status_json writes it today.
const char* kToday = R"({"difficulty":"SMALL","memory":{"budget_bytes":8589934592,"projected_bytes":2147483648},
  "node_id":"14504296","pending_submissions":1,"phase":"running","proofs":132,"queued":3,"restarts":2,
  "target_workers":2,"tasks":{"accepted":130,"dispatched":2,"queued":3,"rejected":0,"submitting":1},
  "uptime_s":7384.5,"workers":[{"pid":8439,"rss_bytes":14147584,"slot":0,"state":"busy","task":"task-1-1bf14b09",
  "tasks_done":66},{"pid":8440,"rss_bytes":12582912,"slot":1,"state":"ready","task":"","tasks_done":64}]})";

bool has(const std::string& text, const std::string& part) {
    INFO("looking for: " << part << "\nin:\n" << text);
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("today's document as a summary and a table of workers") {
    auto text = supervisor::format_status(kToday);
    REQUIRE(text.ok());
    CHECK(has(*text, "node 14504296  phase running  up 2h03m\n"));
    CHECK(has(*text, "difficulty SMALL  proofs 132  restarts 2  workers 2 (target 2)\n"));
    CHECK(has(*text, "memory: projected 2G of budget 8G (25%)\n"));
    CHECK(has(*text, "pending submissions: 1\n"));
    // Life order, zero counts left out except the queue's.
    CHECK(has(*text, "tasks: queued 3, dispatched 2, submitting 1, accepted 130\n"));
    CHECK(has(*text, "SLOT  PID   STATE  TASK             THREADS  RSS    UPTIME  DONE\n"));
    CHECK(has(*text, "0     8439  busy   task-1-1bf14b09  -        13.5M  -       66\n"));
    CHECK(has(*text, "1     8440  ready  -                -        12M    -       64\n"));
    CHECK(text->find('{') == std::string::npos);  // no JSON left for a person to read
}

TEST_CASE("fields the node adds later are shown; unknown ones do not break it") {
    const std::string later = R"({"node_id":"n","version":"0.2.0","phase":"draining","uptime_s":59,
      "tasks":{"queued":0,"parked":4},"future_field":{"x":[1,2]},
      "workers":[{"slot":3,"pid":1,"state":"busy","task":"t","threads":4,"uptime_s":125,"rss_bytes":1073741824,
                  "tasks_done":1,"new":true}]})";
    auto text = supervisor::format_status(later);
    REQUIRE(text.ok());
    CHECK(has(*text, "node n  version 0.2.0  phase draining  up 59s\n"));
    CHECK(has(*text, "tasks: queued 0, parked 4\n"));
    CHECK(has(*text, "3     1    busy   t     4        1G   2m05s   1\n"));
    CHECK(has(*text, "memory: projected - of budget -\n"));
}

TEST_CASE("a document with nothing in it, and one that is not a document") {
    auto empty = supervisor::format_status("{}");
    REQUIRE(empty.ok());
    CHECK(has(*empty, "node -  phase -  up -\n"));
    CHECK(has(*empty, "no workers\n"));
    CHECK_FALSE(supervisor::format_status("not json").ok());
    CHECK_FALSE(supervisor::format_status("[1,2]").ok());
    auto wrong_type = supervisor::format_status(R"({"memory":{"budget_bytes":"lots","projected_bytes":1}})");
    CHECK_FALSE(wrong_type.ok());
}

TEST_CASE("durations read at a glance") {
    CHECK(supervisor::format_duration(0) == "0s");
    CHECK(supervisor::format_duration(59.9) == "59s");
    CHECK(supervisor::format_duration(61) == "1m01s");
    CHECK(supervisor::format_duration(7384) == "2h03m");
    CHECK(supervisor::format_duration(3 * 86400 + 4 * 3600 + 5) == "3d04h");
    CHECK(supervisor::format_duration(-5) == "0s");
}
