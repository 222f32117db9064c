// The process-wide pool of Argon2 arenas and its trimming to each task.
#include "shared/argon2/arena_pool.h"

#include <algorithm>
#include <utility>

namespace shared::argon2 {

Pages pool_pages(std::uint64_t blocks) {
    return blocks * kBlockBytes >= kHugePageBytes ? Pages::Huge : Pages::Small;
}

ArenaPool::Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)), arena_(std::move(other.arena_)) {}

ArenaPool::Lease::~Lease() {
    if (pool_ != nullptr) pool_->give_back(std::move(arena_));
}

Expected<ArenaPool::Lease> ArenaPool::acquire(std::uint64_t blocks) {
    Arena evicted;  // unmapped after the lock is released
    {
        std::lock_guard lock(mutex_);
        auto same_size = std::find_if(free_.begin(), free_.end(),
                                      [blocks](const Arena& a) { return a.block_count() == blocks; });
        if (same_size != free_.end()) {
            Arena arena = std::move(*same_size);
            free_.erase(same_size);
            ++lent_;
            lent_bytes_ += arena.mapped_bytes();
            return Lease(this, std::move(arena));
        }
        if (!free_.empty() && lent_ + free_.size() >= limit_) {
            evicted = std::move(free_.front());
            free_.erase(free_.begin());
        }
        ++lent_;  // counted before it exists, so that concurrent acquires see the limit
    }
    // Mapping and faulting 256 MiB takes tens of milliseconds: not under the lock.
    auto arena = Arena::map(blocks, pool_pages(blocks));
    std::lock_guard lock(mutex_);
    if (!arena) {
        --lent_;
        return Error{arena.error()};
    }
    lent_bytes_ += arena->mapped_bytes();
    return Lease(this, std::move(*arena));
}

void ArenaPool::give_back(Arena arena) {
    std::lock_guard lock(mutex_);
    --lent_;
    lent_bytes_ -= arena.mapped_bytes();
    if (lent_ + free_.size() < limit_) free_.push_back(std::move(arena));
    // otherwise `arena` is unmapped as it goes out of scope
}

void ArenaPool::fit(unsigned max_arenas, std::span<const std::uint64_t> block_counts) {
    std::vector<Arena> surplus;  // unmapped after the lock is released
    std::lock_guard lock(mutex_);
    limit_ = std::max(1u, max_arenas);
    auto unwanted = [&](const Arena& a) {
        return std::find(block_counts.begin(), block_counts.end(), a.block_count()) == block_counts.end();
    };
    for (auto it = free_.begin(); it != free_.end();) {
        if (unwanted(*it)) {
            surplus.push_back(std::move(*it));
            it = free_.erase(it);
        } else {
            ++it;
        }
    }
    while (!free_.empty() && lent_ + free_.size() > limit_) {
        surplus.push_back(std::move(free_.back()));
        free_.pop_back();
    }
}

unsigned ArenaPool::arenas() const {
    std::lock_guard lock(mutex_);
    return lent_ + static_cast<unsigned>(free_.size());
}

std::uint64_t ArenaPool::mapped_bytes() const {
    std::lock_guard lock(mutex_);
    std::uint64_t bytes = lent_bytes_;
    for (const Arena& a : free_) bytes += a.mapped_bytes();
    return bytes;
}

unsigned ArenaPool::limit() const {
    std::lock_guard lock(mutex_);
    return limit_;
}

ArenaPool& arena_pool() {
    static ArenaPool pool;
    return pool;
}

}  // namespace shared::argon2
