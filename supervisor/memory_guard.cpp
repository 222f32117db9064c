// Choosing the worker the memory guard kills.
#include "supervisor/memory_guard.h"

#include <cctype>
#include <cmath>

namespace supervisor {

std::optional<MemoryVerdict> MemoryGuard::check(const std::vector<MemorySample>& samples) const {
    std::uint64_t total = 0;
    const MemorySample* largest = nullptr;
    for (const auto& s : samples) {
        if (config_.per_worker_limit && s.rss_bytes > *config_.per_worker_limit) {
            return MemoryVerdict{s.slot, "RSS " + format_mib(s.rss_bytes) + " over --max-worker-memory " +
                                             format_mib(*config_.per_worker_limit)};
        }
        total += s.rss_bytes;
        if (s.busy && (!largest || s.rss_bytes > largest->rss_bytes)) largest = &s;
    }
    if (config_.total_limit && total > *config_.total_limit && largest) {
        return MemoryVerdict{largest->slot, "workers' RSS " + format_mib(total) + " over the budget " +
                                                format_mib(*config_.total_limit) + "; this worker holds " +
                                                format_mib(largest->rss_bytes)};
    }
    return std::nullopt;
}

std::optional<std::uint64_t> parse_size(const std::string& text) {
    std::size_t used = 0;
    double number = 0;
    try {
        number = std::stod(text, &used);
    } catch (...) {
        return std::nullopt;
    }
    if (!(number >= 0) || std::isinf(number)) return std::nullopt;
    std::string unit;
    for (std::size_t i = used; i < text.size(); ++i) unit += static_cast<char>(std::toupper(static_cast<unsigned char>(text[i])));
    double scale = 1;
    if (unit.empty() || unit == "B") scale = 1;
    else if (unit == "K" || unit == "KB" || unit == "KIB") scale = 1024.0;
    else if (unit == "M" || unit == "MB" || unit == "MIB") scale = 1024.0 * 1024;
    else if (unit == "G" || unit == "GB" || unit == "GIB") scale = 1024.0 * 1024 * 1024;
    else if (unit == "T" || unit == "TB" || unit == "TIB") scale = 1024.0 * 1024 * 1024 * 1024;
    else return std::nullopt;
    const double bytes = number * scale;
    if (bytes > 1e18) return std::nullopt;
    return static_cast<std::uint64_t>(bytes);
}

std::string format_mib(std::uint64_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

}  // namespace supervisor
