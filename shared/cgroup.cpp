// Reading cgroup v1/v2 memory files and /proc.
#include "shared/cgroup.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace shared {

namespace {

std::optional<std::uint64_t> read_keyed(const std::filesystem::path& file, const std::string& key) {
    std::ifstream in(file);
    std::string name;
    std::uint64_t value = 0;
    while (in >> name >> value) {
        if (name == key) return value;
    }
    return std::nullopt;
}

std::optional<std::string> read_first_line(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::string line;
    if (!std::getline(in, line)) return std::nullopt;
    return line;
}

}  // namespace

std::optional<MemoryCgroup> find_memory_cgroup(const std::filesystem::path& proc_cgroup,
                                               const std::filesystem::path& cgroup_root) {
    std::ifstream in(proc_cgroup);
    std::string line;
    std::optional<std::string> v2_path;
    while (std::getline(in, line)) {
        // "hierarchy-id:controllers:path"
        const auto first = line.find(':');
        const auto second = line.find(':', first + 1);
        if (first == std::string::npos || second == std::string::npos) continue;
        const std::string controllers = line.substr(first + 1, second - first - 1);
        const std::string path = line.substr(second + 1);
        std::stringstream list(controllers);
        for (std::string c; std::getline(list, c, ',');) {
            if (c == "memory") {
                auto dir = cgroup_root / "memory" / std::filesystem::path(path).relative_path();
                return MemoryCgroup{1, dir};
            }
        }
        if (controllers.empty() && line.rfind("0::", 0) == 0) v2_path = path;
    }
    if (v2_path) return MemoryCgroup{2, cgroup_root / std::filesystem::path(*v2_path).relative_path()};
    return std::nullopt;
}

std::optional<std::uint64_t> read_oom_kills(const MemoryCgroup& cgroup) {
    if (cgroup.version == 2) return read_keyed(cgroup.directory / "memory.events", "oom_kill");
    return read_keyed(cgroup.directory / "memory.oom_control", "oom_kill");
}

std::optional<std::uint64_t> read_memory_limit(const MemoryCgroup& cgroup) {
    const auto file = cgroup.directory / (cgroup.version == 2 ? "memory.max" : "memory.limit_in_bytes");
    auto line = read_first_line(file);
    if (!line || *line == "max") return std::nullopt;
    try {
        const std::uint64_t value = std::stoull(*line);
        // v1 says "no limit" with a number near 2^63 rounded to pages.
        if (value >= (std::uint64_t{1} << 62)) return std::nullopt;
        return value;
    } catch (...) {
        return std::nullopt;
    }
}

std::optional<std::uint64_t> read_mem_total(const std::filesystem::path& meminfo) {
    std::ifstream in(meminfo);
    std::string name, unit;
    std::uint64_t value = 0;
    while (in >> name >> value >> unit) {
        if (name == "MemTotal:") return value * 1024;
    }
    return std::nullopt;
}

std::optional<std::uint64_t> read_rss(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/statm");
    std::uint64_t size = 0, resident = 0;
    if (!(in >> size >> resident)) return std::nullopt;
    return resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace shared
