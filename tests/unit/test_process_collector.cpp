// Unit tests for the process_* collector: /proc/PID/stat parsed from known text, and read live.
#include <doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <ctime>
#include <map>
#include <string>

#include "supervisor/process_collector.h"

using supervisor::parse_boot_time;
using supervisor::parse_proc_stat;
using supervisor::ProcessCollector;

namespace {

// A real /proc/PID/stat line, with a command name holding a space and a ')'.
constexpr const char* kStat =
    "4242 (super visor) x) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 150 0 0 20 0 5 0 100000 "
    "123456789 2500 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0";

std::map<std::string, double> values(const ProcessCollector& collector) {
    std::map<std::string, double> found;
    for (const auto& family : collector.Collect()) {
        REQUIRE(family.metric.size() == 1);
        const auto& metric = family.metric.front();
        found[family.name] = family.type == prometheus::MetricType::Counter ? metric.counter.value : metric.gauge.value;
    }
    return found;
}

}  // namespace

TEST_CASE("parse_proc_stat: fields after the last ')' in base units") {
    auto stat = parse_proc_stat(kStat, 100, 4096, 1'700'000'000);
    REQUIRE(stat);
    CHECK(stat->cpu_seconds == doctest::Approx(4.0));                       // (250 + 150) ticks / 100
    CHECK(stat->start_time_seconds == doctest::Approx(1'700'001'000.0));   // boot + 100000 ticks / 100
    CHECK(stat->virtual_bytes == doctest::Approx(123456789.0));
    CHECK(stat->resident_bytes == doctest::Approx(2500.0 * 4096));
}

TEST_CASE("parse_proc_stat: refuses what is not a stat line") {
    CHECK_FALSE(parse_proc_stat("", 100, 4096, 0));
    CHECK_FALSE(parse_proc_stat("4242 (x) S 1 2 3", 100, 4096, 0));        // cut short
    CHECK_FALSE(parse_proc_stat("no parenthesis at all", 100, 4096, 0));
    CHECK_FALSE(parse_proc_stat("1 (x) S 1 2 3 4 5 6 7 8 9 10 ten 12 13 14 15 16 17 18 19 20 21", 100, 4096, 0));
    CHECK_FALSE(parse_proc_stat(kStat, 0, 4096, 0));                          // no clock tick
}

TEST_CASE("parse_boot_time: the btime line of /proc/stat") {
    CHECK(parse_boot_time("cpu  1 2 3\nintr 5\nbtime 1764624000\nprocesses 9\n") == 1764624000.0);
    CHECK_FALSE(parse_boot_time("cpu  1 2 3\n"));
}

TEST_CASE("Collect: the six families of this very process, with values that make sense") {
    ProcessCollector collector;
    auto before = values(collector);
    for (const char* name : {"process_cpu_seconds_total", "process_resident_memory_bytes", "process_virtual_memory_bytes",
                             "process_start_time_seconds", "process_open_fds", "process_max_fds"}) {
        CHECK_MESSAGE(before.count(name) == 1, name);
    }
    CHECK(before["process_resident_memory_bytes"] > 0);
    CHECK(before["process_virtual_memory_bytes"] >= before["process_resident_memory_bytes"]);
    CHECK(before["process_start_time_seconds"] <= static_cast<double>(std::time(nullptr)) + 1);
    CHECK(before["process_start_time_seconds"] > static_cast<double>(std::time(nullptr)) - 3600);
    CHECK(before["process_max_fds"] >= before["process_open_fds"]);

    // One more open file is one more fd at the next scrape.
    const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    CHECK(values(collector)["process_open_fds"] == before["process_open_fds"] + 1);
    ::close(fd);
    CHECK(values(collector)["process_open_fds"] == before["process_open_fds"]);
}
