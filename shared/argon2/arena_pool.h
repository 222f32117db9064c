// The process's Argon2 arenas: lent to proving threads, kept between hashes and tasks, trimmed to a task's needs.
#pragma once

#include <cstdint>
#include <mutex>
#include <span>
#include <vector>

#include "shared/argon2/arena.h"
#include "shared/expected.h"

namespace shared::argon2 {

// The pages an arena of `blocks` gets from the pool: huge pages from 2 MiB up,
// where they were measured to pay (docs/argon2.md); small pages below, where a
// huge page would only be padding.
Pages pool_pages(std::uint64_t blocks);

// Proving threads are made per task, so arenas live here rather than in
// thread_locals that would die, and be mapped again, with every task.
// Thread-safe.
class ArenaPool {
public:
    static constexpr unsigned kUnlimited = ~0u;

    // An arena on loan; it goes back to its pool when the lease ends.
    class Lease {
    public:
        Lease(Lease&& other) noexcept;
        Lease& operator=(Lease&&) = delete;
        Lease(const Lease&) = delete;
        ~Lease();
        const Arena& arena() const { return arena_; }

    private:
        friend class ArenaPool;
        Lease(ArenaPool* pool, Arena arena) : pool_(pool), arena_(std::move(arena)) {}
        ArenaPool* pool_;
        Arena arena_;
    };

    ArenaPool() = default;
    ArenaPool(const ArenaPool&) = delete;
    ArenaPool& operator=(const ArenaPool&) = delete;

    // An arena of exactly `blocks` blocks: a free one of that size, or a newly
    // mapped one (after unmapping a free one of another size if the pool is at
    // its limit).
    Expected<Lease> acquire(std::uint64_t blocks);

    // Fits the pool to a task that proves with at most `max_arenas` threads at
    // once, each in an arena of one of `block_counts`: free arenas of other sizes
    // and free arenas beyond the limit are unmapped now, and from now on an
    // arena given back while the pool is at its limit is unmapped too. The
    // worker learns its memory budget only from the threads of each task (they
    // are halved after an OOM kill), so this is how the pool shrinks with it.
    void fit(unsigned max_arenas, std::span<const std::uint64_t> block_counts);

    unsigned arenas() const;          // mapped now, lent or free
    std::uint64_t mapped_bytes() const;
    unsigned limit() const;

private:
    void give_back(Arena arena);

    mutable std::mutex mutex_;
    std::vector<Arena> free_;
    unsigned lent_ = 0;
    std::uint64_t lent_bytes_ = 0;
    unsigned limit_ = kUnlimited;  // until a task says otherwise
};

// The pool that argon2id_pow proves with.
ArenaPool& arena_pool();

}  // namespace shared::argon2
