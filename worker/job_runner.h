// Proves the inputs of one task, up to `threads` inputs at once, results in input order.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "shared/program.h"
#include "shared/worker_codec.h"

namespace worker {

// What a job ends with: every proof, or why the task cannot be proven here.
// Result.threads_used counts inputs proven at once, the unit of Assign.threads.
using JobOutcome = std::variant<shared::wire::Result, shared::wire::Failure>;

// A bogus thread count must not make the worker spawn thousands of threads.
inline constexpr unsigned kMaxThreads = 256;

class JobRunner {
public:
    JobRunner(shared::wire::Assign assign, bool allow_test_programs);
    JobRunner(const JobRunner&) = delete;
    JobRunner& operator=(const JobRunner&) = delete;

    // Blocks until every input is proven or one fails; runs on a job thread, never
    // on the thread that heartbeats. Call once.
    JobOutcome run();

    // Safe from any thread while run() is going on: feeds the heartbeats.
    std::uint32_t proofs_done() const noexcept { return proofs_done_.load(); }
    const std::string& task_id() const { return assign_.task_id; }
    std::uint64_t dispatch_id() const { return assign_.dispatch_id; }

private:
    std::optional<shared::wire::Failure> check_request();
    shared::wire::Failure failure(shared::wire::FailureKind kind, std::string message,
                                  std::uint32_t input_index = 0) const;
    JobOutcome prove_all();

    shared::wire::Assign assign_;
    bool allow_test_programs_;
    const shared::Program* program_ = nullptr;
    std::atomic<std::uint32_t> proofs_done_{0};
};

// How a job's threads are spent: `concurrent` inputs at once, each prove() call
// given `per_input` threads so that a task with fewer inputs than threads still
// uses them all.
struct ThreadPlan {
    unsigned concurrent = 1;
    unsigned per_input = 1;
};
ThreadPlan plan_threads(unsigned threads, std::size_t inputs);

// The program for `id`, or the failure to report: unknown, or a test program in
// a worker that was not started with --allow-test-programs.
std::variant<const shared::Program*, std::string> resolve_program(std::string_view id,
                                                                   bool allow_test_programs);

}  // namespace worker
