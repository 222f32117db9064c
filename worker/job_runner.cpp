// The job runner: checks a task, then proves its inputs on up to `threads` threads.
#include "worker/job_runner.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "worker/process_memory.h"

namespace worker {
namespace {

using shared::wire::FailureKind;
using Clock = std::chrono::steady_clock;

std::uint64_t micros_since(Clock::time_point start) {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count());
}

// One input's proof, or the first failure, shared by the threads of one job.
struct Slots {
    explicit Slots(std::size_t n) : proofs(n), micros(n) {}
    std::vector<shared::Bytes> proofs;
    std::vector<std::uint64_t> micros;
    std::atomic<std::size_t> next{0};
    std::atomic<bool> failed{false};
    std::mutex mutex;
    std::optional<std::size_t> failed_index;
    std::string failed_message;

    // The lowest failing index wins, so the report does not depend on timing.
    void record_failure(std::size_t index, std::string message) {
        std::lock_guard lock(mutex);
        if (!failed_index || index < *failed_index) {
            failed_index = index;
            failed_message = std::move(message);
        }
        failed.store(true);
    }
};

}  // namespace

std::variant<const shared::Program*, std::string> resolve_program(std::string_view id,
                                                                   bool allow_test_programs) {
    const shared::Program* program = shared::find_program(id);
    if (program == nullptr) return "unknown program '" + std::string(id) + "'";
    if (program->test_only && !allow_test_programs) {
        return std::string("test program refused: worker not started with --allow-test-programs");
    }
    return program;
}

ThreadPlan plan_threads(unsigned threads, std::size_t inputs) {
    threads = std::clamp(threads, 1u, kMaxThreads);
    const auto concurrent = static_cast<unsigned>(std::clamp<std::size_t>(inputs, 1, threads));
    return ThreadPlan{concurrent, std::max(1u, threads / concurrent)};
}

JobRunner::JobRunner(shared::wire::Assign assign, bool allow_test_programs)
    : assign_(std::move(assign)), allow_test_programs_(allow_test_programs) {}

JobOutcome JobRunner::run() {
    if (auto refused = check_request()) return *refused;
    return prove_all();
}

// Everything that can be refused is refused before any proving starts, so that a
// malformed last input does not cost the proofs of all the others.
std::optional<shared::wire::Failure> JobRunner::check_request() {
    auto resolved = resolve_program(assign_.program_id, allow_test_programs_);
    if (auto* why = std::get_if<std::string>(&resolved)) return failure(FailureKind::UnsupportedProgram, *why);
    program_ = std::get<const shared::Program*>(resolved);
    if (assign_.inputs.empty()) return failure(FailureKind::MalformedInput, "task has no inputs");
    for (std::size_t i = 0; i < assign_.inputs.size(); ++i) {
        std::string problem = program_->check_input(assign_.inputs[i]);
        if (!problem.empty()) {
            return failure(FailureKind::MalformedInput, "input " + std::to_string(i) + ": " + problem,
                           static_cast<std::uint32_t>(i));
        }
    }
    return std::nullopt;
}

shared::wire::Failure JobRunner::failure(FailureKind kind, std::string message, std::uint32_t input_index) const {
    return shared::wire::Failure{assign_.task_id, kind, std::move(message), input_index, assign_.dispatch_id};
}

// Each of the plan's threads takes the next unproven input until none is left or
// one has failed; the proofs land in their input's slot, so order is kept.
JobOutcome JobRunner::prove_all() {
    const std::size_t n = assign_.inputs.size();
    const ThreadPlan plan = plan_threads(assign_.threads, n);
    // What the program keeps from earlier tasks (argon2id_pow's arenas) shrinks
    // to this task's threads first, so that the peak below is this task's own:
    // the threads are the worker's memory budget, halved after an OOM kill.
    if (program_->prepare_task != nullptr) program_->prepare_task(assign_.inputs, plan.concurrent * plan.per_input);
    reset_peak_rss();  // this task's peak, not the largest of this worker's life
    const auto start = Clock::now();

    Slots slots(n);
    auto work = [&] {
        for (std::size_t i = slots.next++; i < n && !slots.failed.load(); i = slots.next++) {
            const auto proof_start = Clock::now();
            auto proof = program_->prove(assign_.inputs[i], plan.per_input);
            if (!proof) return slots.record_failure(i, proof.error());
            slots.proofs[i] = std::move(*proof);
            slots.micros[i] = micros_since(proof_start);
            ++proofs_done_;
        }
    };
    if (plan.concurrent == 1) {
        work();  // sequential: no thread to start for a single input or a single thread
    } else {
        std::vector<std::jthread> pool;
        for (unsigned t = 0; t < plan.concurrent; ++t) pool.emplace_back(work);
    }  // the pool joins here, before any slot is read

    if (slots.failed_index) {
        return failure(FailureKind::ProverError, "input " + std::to_string(*slots.failed_index) + ": " +
                       slots.failed_message, static_cast<std::uint32_t>(*slots.failed_index));
    }
    return shared::wire::Result{assign_.task_id, std::move(slots.proofs), std::move(slots.micros),
                                peak_rss_bytes(), micros_since(start), plan.concurrent, assign_.dispatch_id};
}

}  // namespace worker
