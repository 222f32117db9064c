// Memory cgroup probes (v1 and v2): where this process's memory cgroup is, its
// limit, and its OOM-kill counter. The roots are parameters so that tests can
// point them at a fake tree.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

namespace shared {

struct MemoryCgroup {
    int version = 0;                   // 1 or 2
    std::filesystem::path directory;   // where memory.* files of this cgroup are
};

std::optional<MemoryCgroup> find_memory_cgroup(const std::filesystem::path& proc_cgroup = "/proc/self/cgroup",
                                               const std::filesystem::path& cgroup_root = "/sys/fs/cgroup");

// v2 memory.events "oom_kill N"; v1 memory.oom_control "oom_kill N".
std::optional<std::uint64_t> read_oom_kills(const MemoryCgroup& cgroup);

// v2 memory.max, v1 memory.limit_in_bytes; nullopt when unlimited or unreadable.
std::optional<std::uint64_t> read_memory_limit(const MemoryCgroup& cgroup);

// MemTotal from /proc/meminfo, in bytes.
std::optional<std::uint64_t> read_mem_total(const std::filesystem::path& meminfo = "/proc/meminfo");

// Resident set size of a process from /proc/PID/statm, in bytes.
std::optional<std::uint64_t> read_rss(int pid);

}  // namespace shared
