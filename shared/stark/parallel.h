// parallel_for: splits an index range over up to `threads` std::jthreads.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace shared::stark {

// Calls body(begin, end) on disjoint chunks covering [0, count); the calling
// thread runs the first chunk itself so that threads == 1 spawns nothing.
// Every phase of the prover goes through here, which is how a proof uses all
// the threads it is given even when a task has a single input.
template <class Body>
void parallel_for(unsigned threads, std::size_t count, Body&& body) {
    const std::size_t workers = std::max<std::size_t>(1, std::min<std::size_t>(threads, count));
    if (workers <= 1) {
        if (count != 0) body(std::size_t{0}, count);
        return;
    }
    const std::size_t chunk = (count + workers - 1) / workers;
    {
        std::vector<std::jthread> pool;
        pool.reserve(workers - 1);
        for (std::size_t w = 1; w < workers; ++w) {
            const std::size_t begin = w * chunk;
            const std::size_t end = std::min(count, begin + chunk);
            if (begin >= end) break;
            pool.emplace_back([&body, begin, end] { body(begin, end); });
        }
        body(std::size_t{0}, std::min(count, chunk));
    }  // the jthreads join here
}

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
