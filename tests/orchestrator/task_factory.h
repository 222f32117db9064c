// Makes the tasks the local orchestrator issues: program, type, difficulty and
// inputs, from the flags and the seeded PRNG, or exactly as the admin queued them.
#pragma once

#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "options.h"
#include "prng.h"

namespace orch {

// A task before it is bound to a node and a key.
struct TaskSpec {
    std::string program_id;
    int task_type = 0;   // wire value (unknown values allowed for admin tasks)
    int difficulty = 0;  // wire value
    std::vector<shared::Bytes> inputs;
};

struct Argon2Params {
    unsigned target_bits;
    unsigned memlimit_kib;
    unsigned opslimit = 1;
};
// The difficulty table of argon2id_pow (README.md), before flag overrides.
Argon2Params argon2_params_for(shared::Difficulty difficulty);

struct FibRange {
    std::uint32_t min;
    std::uint32_t max;
};
FibRange fib_range_for(shared::Difficulty difficulty);

class TaskFactory {
public:
    TaskFactory(const Options& options, Prng& prng);

    // The next task: a queued one first, else a generated one at `difficulty`
    // (--difficulty when given, else the node's max_difficulty).
    TaskSpec next(shared::Difficulty requested);
    void enqueue(std::vector<TaskSpec> tasks);
    std::size_t queued();

    // One input of `program_id` at `difficulty`; test programs take --test-input.
    shared::Bytes make_input(std::string_view program_id, shared::Difficulty difficulty);

private:
    std::string_view pick_program();
    shared::TaskType next_task_type();
    shared::Bytes test_input(std::string_view program_id);

    const Options& options_;
    Prng& prng_;
    std::mutex mutex_;
    std::deque<TaskSpec> queue_;
    std::size_t type_turn_ = 0;  // round-robin position in options_.task_types
};

}  // namespace orch
