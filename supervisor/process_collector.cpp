// process_* metrics from /proc/self, named and typed as client_golang and
// client_python name them, so that the usual dashboards work unchanged.
#include "supervisor/process_collector.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

namespace supervisor {

namespace {

std::string read_text(const char* path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

prometheus::MetricFamily family(const char* name, const char* help, prometheus::MetricType type, double value) {
    prometheus::ClientMetric metric;
    if (type == prometheus::MetricType::Counter) metric.counter.value = value;
    else metric.gauge.value = value;
    return prometheus::MetricFamily{name, help, type, {metric}};
}

std::optional<double> open_fds() {
    std::error_code ec;
    std::filesystem::directory_iterator it("/proc/self/fd", ec);
    if (ec) return std::nullopt;
    double n = 0;
    for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
        if (ec) return std::nullopt;
        ++n;
    }
    return n;
}

}  // namespace

std::optional<ProcessStat> parse_proc_stat(std::string_view text, double ticks_per_second, double page_bytes,
                                           double boot_time_s) {
    // The command name (field 2) is in parentheses and may hold spaces or ')':
    // the fields that follow start after the last ')'.
    const auto close = text.rfind(')');
    if (close == std::string_view::npos || ticks_per_second <= 0) return std::nullopt;
    std::istringstream fields{std::string(text.substr(close + 1))};
    std::string field;
    double values[22] = {};  // fields 3 (state) to 24 (rss); the state is not a number
    for (int i = 0; i < 22; ++i) {
        if (!(fields >> field)) return std::nullopt;
        if (i == 0) continue;
        try {
            values[i] = std::stod(field);
        } catch (const std::exception&) {
            return std::nullopt;
        }
    }
    // Fields 14 utime, 15 stime, 22 starttime (clock ticks), 23 vsize (bytes), 24 rss (pages).
    ProcessStat stat;
    stat.cpu_seconds = (values[11] + values[12]) / ticks_per_second;
    stat.start_time_seconds = boot_time_s + values[19] / ticks_per_second;
    stat.virtual_bytes = values[20];
    stat.resident_bytes = values[21] * page_bytes;
    return stat;
}

std::optional<double> parse_boot_time(std::string_view proc_stat) {
    std::istringstream lines{std::string(proc_stat)};
    std::string key;
    double value = 0;
    for (std::string line; std::getline(lines, line);) {
        std::istringstream words(line);
        if (words >> key >> value && key == "btime") return value;
    }
    return std::nullopt;
}

ProcessCollector::ProcessCollector()
    : boot_time_s_(parse_boot_time(read_text("/proc/stat"))),
      ticks_per_second_(static_cast<double>(::sysconf(_SC_CLK_TCK))),
      page_bytes_(static_cast<double>(::sysconf(_SC_PAGESIZE))) {}

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
    using prometheus::MetricType;
    std::vector<prometheus::MetricFamily> families;
    if (boot_time_s_) {
        if (auto stat = parse_proc_stat(read_text("/proc/self/stat"), ticks_per_second_, page_bytes_, *boot_time_s_)) {
            families.push_back(family("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                                      MetricType::Counter, stat->cpu_seconds));
            families.push_back(family("process_resident_memory_bytes", "Resident memory size in bytes.",
                                      MetricType::Gauge, stat->resident_bytes));
            families.push_back(family("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                                      MetricType::Gauge, stat->virtual_bytes));
            families.push_back(family("process_start_time_seconds",
                                      "Start time of the process since unix epoch in seconds.", MetricType::Gauge,
                                      stat->start_time_seconds));
        }
    }
    if (auto fds = open_fds()) {
        families.push_back(family("process_open_fds", "Number of open file descriptors.", MetricType::Gauge, *fds));
    }
    if (rlimit limit{}; ::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
        families.push_back(family("process_max_fds", "Maximum number of open file descriptors.", MetricType::Gauge,
                                  static_cast<double>(limit.rlim_cur)));
    }
    return families;
}

}  // namespace supervisor
