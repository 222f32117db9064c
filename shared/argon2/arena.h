// Argon2 memory: one mapping of 1 KiB blocks, pre-faulted once and reused for every hash.
#pragma once

#include <cstdint>

#include "shared/argon2/block.h"
#include "shared/expected.h"

namespace shared::argon2 {

// Huge asks for transparent huge pages (MADV_HUGEPAGE), which spare the TLB
// misses of Argon2's random reads; Small refuses them (MADV_NOHUGEPAGE), so that
// both can be measured whatever the system's THP default.
enum class Pages { Small, Huge };

inline constexpr std::uint64_t kHugePageBytes = 2u << 20;

// Move-only owner of the mapping. Every page is faulted in by map(), so hashing
// never takes a page fault and the whole arena is in the process's RSS (and so
// in what the worker reports and the supervisor's memory guard sees) from the
// start.
class Arena {
public:
    // At least `blocks` blocks; fails, without crashing, when the memory cannot
    // be mapped or populated.
    static Expected<Arena> map(std::uint64_t blocks, Pages pages);

    Arena() = default;
    Arena(Arena&& other) noexcept;
    Arena& operator=(Arena&& other) noexcept;
    Arena(const Arena&) = delete;
    Arena& operator=(const Arena&) = delete;
    ~Arena();

    Block* blocks() const { return blocks_; }
    std::uint64_t block_count() const { return block_count_; }
    std::uint64_t mapped_bytes() const { return mapped_bytes_; }
    Pages pages() const { return pages_; }

private:
    Arena(Block* blocks, std::uint64_t block_count, std::uint64_t mapped_bytes, Pages pages)
        : blocks_(blocks), block_count_(block_count), mapped_bytes_(mapped_bytes), pages_(pages) {}
    void unmap();

    Block* blocks_ = nullptr;
    std::uint64_t block_count_ = 0;
    std::uint64_t mapped_bytes_ = 0;
    Pages pages_ = Pages::Small;
};

}  // namespace shared::argon2
