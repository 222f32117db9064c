// This process's memory as the supervisor sees it: resident now and at its peak.
#pragma once

#include <cstdint>

namespace worker {

// Resident set size now, from /proc/self/statm; 0 when it cannot be read.
std::uint64_t current_rss_bytes();

// The largest resident set since the last reset_peak_rss() (VmHWM), so that each
// task reports its own peak rather than the largest task this worker ever ran.
std::uint64_t peak_rss_bytes();

// Restarts the high-water mark (writes 5 to /proc/self/clear_refs); false when
// the kernel does not allow it, and the peak then spans the process's life.
bool reset_peak_rss();

}  // namespace worker
