// The standard process_* metrics of the supervisor itself, read from /proc at
// each scrape (prometheus-cpp 1.0 has no process collector of its own).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

namespace supervisor {

// What /proc/PID/stat says, in base units.
struct ProcessStat {
    double cpu_seconds = 0;         // user + system
    double start_time_seconds = 0;  // since the Unix epoch
    double virtual_bytes = 0;
    double resident_bytes = 0;
};

// Parses the text of /proc/PID/stat; nullopt when it is not one. The clock
// tick, page size and boot time (btime of /proc/stat) turn its units into ours.
std::optional<ProcessStat> parse_proc_stat(std::string_view text, double ticks_per_second, double page_bytes,
                                           double boot_time_s);
// The btime line of /proc/stat (seconds since the epoch); nullopt without one.
std::optional<double> parse_boot_time(std::string_view proc_stat);

class ProcessCollector final : public prometheus::Collectable {
public:
    ProcessCollector();
    // Families whose source cannot be read are left out rather than reported as 0.
    std::vector<prometheus::MetricFamily> Collect() const override;

private:
    std::optional<double> boot_time_s_;  // read once: it does not change
    double ticks_per_second_;
    double page_bytes_;
};

}  // namespace supervisor
