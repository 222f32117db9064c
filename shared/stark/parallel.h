// parallel_for: splits an index range over up to `threads` std::jthreads.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace shared::stark {

// Calls body(begin, end) on disjoint ranges covering [0, count), using up to
// `threads` threads; the calling thread is one of them, so threads == 1
// spawns nothing. Every phase of the prover goes through here, which is how a
// proof uses all the threads it is given even when a task has a single input.
// Ranges are handed out a granule at a time (about 8 per thread) rather than
// one block per thread: a thread that starts late, its core busy elsewhere,
// takes fewer granules instead of holding everyone up.
template <class Body>
void parallel_for(unsigned threads, std::size_t count, Body&& body) {
    const std::size_t workers = std::max<std::size_t>(1, std::min<std::size_t>(threads, count));
    if (workers <= 1) {
        if (count != 0) body(std::size_t{0}, count);
        return;
    }
    const std::size_t granule = std::max<std::size_t>(1, count / (workers * 8));
    std::atomic<std::size_t> next{0};
    auto run = [&] {
        for (std::size_t begin = next.fetch_add(granule); begin < count; begin = next.fetch_add(granule)) {
            body(begin, std::min(count, begin + granule));
        }
    };
    std::vector<std::jthread> pool;
    pool.reserve(workers - 1);
    for (std::size_t w = 1; w < workers; ++w) pool.emplace_back(run);
    run();
}  // the jthreads join here, before `next` and `body` go out of scope

// Calls body(i) for each i in [0, count), for a few large tasks (one NTT each)
// handed out through a shared counter, so that 17 tasks on 2 threads end
// together. Each task writes only its own output, so the result does not
// depend on which thread ran it.
template <class Body>
void parallel_tasks(unsigned threads, std::size_t count, Body&& body) {
    const std::size_t workers = std::max<std::size_t>(1, std::min<std::size_t>(threads, count));
    std::atomic<std::size_t> next{0};
    parallel_for(static_cast<unsigned>(workers), workers, [&](std::size_t, std::size_t) {
        for (std::size_t i = next.fetch_add(1); i < count; i = next.fetch_add(1)) body(i);
    });
}

}  // namespace shared::stark
