// This process's memory as the supervisor sees it: resident now and at its peak.
#pragma once

#include <cstdint>

namespace worker {

// Resident set size now, from /proc/self/statm; 0 when it cannot be read.
std::uint64_t current_rss_bytes();

// The largest resident set this process has had (getrusage ru_maxrss).
std::uint64_t peak_rss_bytes();

}  // namespace worker
