// The memory guard's policy: given each worker's resident memory, which worker
// to kill before the kernel's OOM killer would (DESIGN.md "Memory"). Pure logic;
// the supervisor samples /proc and does the killing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace supervisor {

struct MemorySample {
    int slot = 0;
    std::uint64_t rss_bytes = 0;
    bool busy = false;
};

struct MemoryGuardConfig {
    std::optional<std::uint64_t> per_worker_limit;  // --max-worker-memory
    std::optional<std::uint64_t> total_limit;       // the budget all workers share
};

struct MemoryVerdict {
    int slot;
    std::string why;
};

class MemoryGuard {
public:
    explicit MemoryGuard(MemoryGuardConfig config) : config_(config) {}

    // A worker over its own limit first; otherwise, when the workers together are
    // over the budget, the largest busy one (an idle worker holds little).
    std::optional<MemoryVerdict> check(const std::vector<MemorySample>& samples) const;
    const MemoryGuardConfig& config() const { return config_; }

private:
    MemoryGuardConfig config_;
};

// "512M", "2G", "1.5GiB", "1048576" -> bytes; nullopt for anything else.
std::optional<std::uint64_t> parse_size(const std::string& text);
std::string format_mib(std::uint64_t bytes);

}  // namespace supervisor
