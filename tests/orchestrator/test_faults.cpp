// Unit tests of fault specs (flag and JSON forms) and of the fault table's draws.
#include <doctest.h>

#include "fault_injector.h"
#include "faults.h"
#include "prng.h"

using orch::Endpoint;
using orch::FaultKind;

TEST_CASE("the flag form") {
    auto spec = orch::parse_fault_flag("submit:429:p=1:d=10:ra=3");
    REQUIRE(spec.ok());
    CHECK(spec->endpoint == Endpoint::Submit);
    CHECK(spec->kind == FaultKind::TooMany);
    CHECK(spec->probability == 1.0);
    CHECK(spec->duration_s == 10.0);
    CHECK(spec->retry_after == "3");

    auto all = orch::parse_fault_flag("all:delay:ms=250:n=2:p=0.5");
    REQUIRE(all.ok());
    CHECK_FALSE(all->endpoint);
    CHECK(all->kind == FaultKind::Delay);
    CHECK(all->delay_ms == 250);
    CHECK(all->count == 2);
    CHECK(all->probability == 0.5);

    auto expire = orch::parse_fault_flag("fetch:expire:dl=-5");
    REQUIRE(expire.ok());
    CHECK(expire->deadline_s == -5.0);

    for (auto kind : {"429", "429-date", "429-bare", "500", "503", "html", "garbage", "truncate",
                      "oversize", "reset", "delay"}) {
        CAPTURE(kind);
        auto parsed = orch::parse_fault_flag(std::string("list:") + kind);
        REQUIRE(parsed.ok());
        CHECK(orch::to_string(parsed->kind) == kind);
    }
}

TEST_CASE("bad flag forms name what is wrong") {
    CHECK(orch::parse_fault_flag("submit").error().find("ENDPOINT:KIND") != std::string::npos);
    CHECK(orch::parse_fault_flag("upload:429").error().find("upload") != std::string::npos);
    CHECK(orch::parse_fault_flag("admin:429").error().find("admin") != std::string::npos);
    CHECK(orch::parse_fault_flag("submit:418").error().find("418") != std::string::npos);
    CHECK(orch::parse_fault_flag("submit:429:p=2").error().find("probability") != std::string::npos);
    CHECK(orch::parse_fault_flag("submit:429:ra=1.5").error().find("retry_after") != std::string::npos);
    CHECK(orch::parse_fault_flag("submit:429:x=1").error().find("'x'") != std::string::npos);
    CHECK(orch::parse_fault_flag("submit:429:p").error().find("key=value") != std::string::npos);
    CHECK(orch::parse_fault_flag("submit:expire").error().find("fetch") != std::string::npos);
}

TEST_CASE("the JSON form") {
    auto spec = orch::fault_from_json(nlohmann::json::parse(
        R"({"endpoint":"submit","kind":"429","probability":1.0,"duration_s":10,"retry_after":"3"})"));
    REQUIRE(spec.ok());
    CHECK(spec->endpoint == Endpoint::Submit);
    CHECK(spec->retry_after == "3");
    CHECK(spec->duration_s == 10.0);

    auto numeric = orch::fault_from_json({{"endpoint", "fetch"}, {"kind", "429"}, {"retry_after", 7}});
    REQUIRE(numeric.ok());
    CHECK(numeric->retry_after == "7");
    CHECK_FALSE(numeric->endpoint != Endpoint::Fetch);

    CHECK_FALSE(orch::fault_from_json({{"kind", "nope"}}).ok());
    CHECK_FALSE(orch::fault_from_json({{"kind", "500"}, {"probability", true}}).ok());
    CHECK_FALSE(orch::fault_from_json(nlohmann::json::array()).ok());

    auto round = orch::fault_from_json(orch::to_json(*spec));
    REQUIRE(round.ok());
    CHECK(round->kind == spec->kind);
    CHECK(round->retry_after == spec->retry_after);
}

TEST_CASE("the table: endpoint match, count, duration and probability") {
    orch::Prng prng(1);
    orch::FaultTable table;
    table.add(*orch::parse_fault_flag("submit:429:n=2"), 100);
    CHECK_FALSE(table.draw(Endpoint::Fetch, 100, prng));
    CHECK(table.draw(Endpoint::Submit, 100, prng));
    CHECK(table.draw(Endpoint::Submit, 100, prng));
    CHECK_FALSE(table.draw(Endpoint::Submit, 100, prng));  // count spent

    table.add(*orch::parse_fault_flag("all:503:d=10"), 100);
    CHECK(table.draw(Endpoint::Users, 105, prng)->kind == FaultKind::Unavailable);
    CHECK_FALSE(table.draw(Endpoint::Admin, 105, prng));  // admin is never faulted
    CHECK_FALSE(table.draw(Endpoint::Users, 110, prng));  // duration over
    CHECK(table.describe(110).empty());

    table.add(*orch::parse_fault_flag("all:expire"), 100);
    CHECK_FALSE(table.draw(Endpoint::Submit, 100, prng));
    CHECK(table.draw(Endpoint::Fetch, 100, prng)->kind == FaultKind::Expire);
    table.clear();
    CHECK_FALSE(table.draw(Endpoint::Fetch, 100, prng));

    table.add(*orch::parse_fault_flag("fetch:500:p=0"), 100);
    table.add(*orch::parse_fault_flag("fetch:html:p=0.5"), 100);
    int fired = 0;
    for (int i = 0; i < 1000; ++i) {
        auto fault = table.draw(Endpoint::Fetch, 100, prng);
        if (fault) {
            CHECK(fault->kind == FaultKind::Html);
            ++fired;
        }
    }
    CHECK(fired > 400);
    CHECK(fired < 600);
}

TEST_CASE("the same seed draws the same faults") {
    auto run = [] {
        orch::Prng prng(42);
        orch::FaultTable table;
        table.add(*orch::parse_fault_flag("all:500:p=0.3"), 0);
        std::string pattern;
        for (int i = 0; i < 64; ++i) pattern += table.draw(Endpoint::List, 0, prng) ? 'x' : '.';
        return pattern;
    };
    CHECK(run() == run());
}

TEST_CASE("HTTP-dates for Retry-After") {
    CHECK(orch::http_date(784111777) == "Sun, 06 Nov 1994 08:49:37 GMT");
    CHECK(orch::http_date(0.2) == "Thu, 01 Jan 1970 00:00:01 GMT");  // rounded up, never early
}

TEST_CASE("which kinds replace the handler") {
    CHECK(orch::replaces_handler(FaultKind::TooMany));
    CHECK(orch::replaces_handler(FaultKind::Reset));
    CHECK(orch::replaces_handler(FaultKind::Garbage));
    CHECK_FALSE(orch::replaces_handler(FaultKind::Delay));
    CHECK_FALSE(orch::replaces_handler(FaultKind::Truncate));
    CHECK_FALSE(orch::replaces_handler(FaultKind::Expire));
}
