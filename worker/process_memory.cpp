// Resident memory of this process, read the way the supervisor's memory guard reads it.
#include "worker/process_memory.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

namespace worker {

std::uint64_t current_rss_bytes() {
    std::ifstream statm("/proc/self/statm");
    std::uint64_t size_pages = 0;
    std::uint64_t resident_pages = 0;
    if (!(statm >> size_pages >> resident_pages)) return 0;
    return resident_pages * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

// The kernel's high-water mark lags the per-thread RSS counters a little, so it
// can read below the current RSS; a peak below the present is never reported.
std::uint64_t peak_rss_bytes() {
    struct rusage usage {};
    const std::uint64_t peak =
        ::getrusage(RUSAGE_SELF, &usage) == 0 ? static_cast<std::uint64_t>(usage.ru_maxrss) * 1024 : 0;
    return std::max(peak, current_rss_bytes());  // ru_maxrss is in KiB on Linux
}

}  // namespace worker
