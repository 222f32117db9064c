// Unit tests for Arena and ArenaPool: pre-faulted memory in RSS, reuse, and trimming to a task.
#include <doctest.h>

#include <optional>
#include <vector>

#include "shared/argon2/arena_pool.h"
#include "tests/support/address_space_limit.h"
#include "worker/process_memory.h"

namespace a2 = shared::argon2;
using test_support::AddressSpaceLimit;

namespace {

constexpr std::uint64_t kMiB = 1 << 20;
constexpr std::uint64_t k8MiB = 8 * 1024;    // blocks
constexpr std::uint64_t k4MiB = 4 * 1024;

a2::ArenaPool::Lease lease(a2::ArenaPool& pool, std::uint64_t blocks) {
    auto leased = pool.acquire(blocks);
    REQUIRE_MESSAGE(leased.ok(), leased.error());
    return std::move(*leased);
}

std::int64_t rss_change_since(std::uint64_t before) {
    return static_cast<std::int64_t>(worker::current_rss_bytes()) - static_cast<std::int64_t>(before);
}

}  // namespace

TEST_CASE("an arena is in RSS as soon as it is mapped, and leaves it when unmapped") {
    for (a2::Pages pages : {a2::Pages::Small, a2::Pages::Huge}) {
        const std::uint64_t before = worker::current_rss_bytes();
        std::optional<a2::Arena> arena;
        {
            auto mapped = a2::Arena::map(k8MiB + 3, pages);  // not a whole number of huge pages
            REQUIRE(mapped.ok());
            arena = std::move(*mapped);
        }
        CHECK(arena->block_count() == k8MiB + 3);
        CHECK(arena->mapped_bytes() >= (k8MiB + 3) * 1024);
        CHECK(reinterpret_cast<std::uintptr_t>(arena->blocks()) % 64 == 0);
        if (pages == a2::Pages::Huge) CHECK(reinterpret_cast<std::uintptr_t>(arena->blocks()) % a2::kHugePageBytes == 0);
        CHECK(rss_change_since(before) >= static_cast<std::int64_t>(8 * kMiB));
        arena.reset();
        CHECK(rss_change_since(before) < static_cast<std::int64_t>(kMiB));
    }
}

TEST_CASE("an arena the system cannot give is an error, not a crash") {
    a2::ArenaPool pool;
    AddressSpaceLimit limit(1ull << 30);
    auto leased = pool.acquire(4ull << 20);  // 4 GiB
    REQUIRE_FALSE(leased.ok());
    CHECK(leased.error().find("cannot map 4096 MiB of Argon2 memory") != std::string::npos);
    CHECK(pool.arenas() == 0);
}

TEST_CASE("a returned arena is lent again for the same size, and concurrent leases get their own") {
    a2::ArenaPool pool;
    const a2::Block* first = nullptr;
    {
        auto a = lease(pool, k4MiB);
        first = a.arena().blocks();
        CHECK(pool.arenas() == 1);
    }
    CHECK(pool.arenas() == 1);  // kept between hashes and tasks
    {
        auto a = lease(pool, k4MiB);
        CHECK(a.arena().blocks() == first);
        auto b = lease(pool, k4MiB);
        CHECK(b.arena().blocks() != first);
        CHECK(pool.arenas() == 2);
    }
    CHECK(pool.arenas() == 2);
    CHECK(pool.mapped_bytes() == 2 * 4 * kMiB);
}

TEST_CASE("fit unmaps arenas beyond the task's threads and of sizes it does not use") {
    a2::ArenaPool pool;
    {
        auto a = lease(pool, k4MiB);
        auto b = lease(pool, k4MiB);
        auto c = lease(pool, k8MiB);
    }
    REQUIRE(pool.arenas() == 3);
    const std::uint64_t before = worker::current_rss_bytes();

    const std::vector<std::uint64_t> four{k4MiB};
    pool.fit(1, four);  // after an OOM kill: half the threads
    CHECK(pool.arenas() == 1);
    CHECK(pool.limit() == 1);
    CHECK(pool.mapped_bytes() == 4 * kMiB);
    CHECK(rss_change_since(before) <= -static_cast<std::int64_t>(11 * kMiB));

    const std::vector<std::uint64_t> eight{k8MiB};
    pool.fit(4, eight);  // another memory size
    CHECK(pool.arenas() == 0);
    CHECK(pool.limit() == 4);
}

TEST_CASE("at its limit the pool unmaps what comes back, and replaces an arena of another size") {
    a2::ArenaPool pool;
    const std::vector<std::uint64_t> four{k4MiB};
    pool.fit(1, four);
    {
        auto a = lease(pool, k4MiB);
        auto b = lease(pool, k4MiB);  // more threads than the task said: mapped all the same
        CHECK(pool.arenas() == 2);
    }
    CHECK(pool.arenas() == 1);
    {
        auto c = lease(pool, k8MiB);  // the free 4 MiB arena makes room for it
        CHECK(pool.arenas() == 1);
        CHECK(pool.mapped_bytes() == 8 * kMiB);
    }
    CHECK(pool.arenas() == 1);
}

TEST_CASE("the pool gives huge pages from 2 MiB up, small pages below") {
    CHECK(a2::pool_pages(2047) == a2::Pages::Small);
    CHECK(a2::pool_pages(2048) == a2::Pages::Huge);
    CHECK(a2::pool_pages(256 * 1024) == a2::Pages::Huge);
}
