// Resident memory of this process, read the way the supervisor's memory guard reads it.
#include "worker/process_memory.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <string>

namespace worker {

std::uint64_t current_rss_bytes() {
    std::ifstream statm("/proc/self/statm");
    std::uint64_t size_pages = 0;
    std::uint64_t resident_pages = 0;
    if (!(statm >> size_pages >> resident_pages)) return 0;
    return resident_pages * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

namespace {

std::uint64_t vm_hwm_bytes() {
    std::ifstream status("/proc/self/status");
    std::string key;
    std::uint64_t kib = 0;
    while (status >> key) {
        if (key == "VmHWM:" && status >> kib) return kib * 1024;
        status.ignore(4096, '\n');
    }
    return 0;
}

}  // namespace

// The kernel's high-water mark lags the per-thread RSS counters a little, so it
// can read below the current RSS; a peak below the present is never reported.
std::uint64_t peak_rss_bytes() {
    std::uint64_t peak = vm_hwm_bytes();
    if (peak == 0) {
        struct rusage usage {};
        if (::getrusage(RUSAGE_SELF, &usage) == 0) peak = static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;
    }
    return std::max(peak, current_rss_bytes());
}

bool reset_peak_rss() {
    std::ofstream clear("/proc/self/clear_refs");
    clear << "5";
    clear.flush();
    return static_cast<bool>(clear);
}

}  // namespace worker
