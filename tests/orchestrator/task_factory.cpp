// Task generation: the difficulty tables, inputs per program, and the admin queue.
#include "task_factory.h"

#include "shared/programs/argon2id_pow.h"
#include "shared/programs/fib_input_initial.h"

namespace orch {

Argon2Params argon2_params_for(shared::Difficulty difficulty) {
    const auto params = shared::argon2id::params_for_difficulty(static_cast<int>(difficulty));
    return {params.target_bits, params.memlimit_kib, params.opslimit};
}

// fib_input_initial's own table, so that n and the trace size agree.
FibRange fib_range_for(shared::Difficulty difficulty) {
    const auto range = shared::fib::n_range_for_difficulty(static_cast<int>(difficulty));
    return {range.min, range.max};
}

TaskFactory::TaskFactory(const Options& options, Prng& prng) : options_(options), prng_(prng) {}

TaskSpec TaskFactory::next(shared::Difficulty requested) {
    std::unique_lock lock(mutex_);
    if (!queue_.empty()) {
        TaskSpec spec = std::move(queue_.front());
        queue_.pop_front();
        return spec;
    }
    const auto difficulty = options_.difficulty.value_or(requested);
    TaskSpec spec;
    spec.program_id = std::string(pick_program());
    spec.task_type = static_cast<int>(next_task_type());
    spec.difficulty = static_cast<int>(difficulty);
    lock.unlock();
    const auto count = prng_.between(options_.inputs_min, options_.inputs_max);
    for (std::uint64_t i = 0; i < count; ++i) {
        spec.inputs.push_back(make_input(spec.program_id, difficulty));
    }
    return spec;
}

void TaskFactory::enqueue(std::vector<TaskSpec> tasks) {
    std::lock_guard lock(mutex_);
    for (auto& task : tasks) queue_.push_back(std::move(task));
}

std::size_t TaskFactory::queued() {
    std::lock_guard lock(mutex_);
    return queue_.size();
}

std::string_view TaskFactory::pick_program() {
    unsigned total = 0;
    for (const auto& entry : options_.programs) total += entry.weight;
    auto draw = prng_.between(0, total - 1);
    for (const auto& entry : options_.programs) {
        if (draw < entry.weight) return entry.program_id;
        draw -= entry.weight;
    }
    return options_.programs.back().program_id;
}

shared::TaskType TaskFactory::next_task_type() {
    // Round-robin, so that any run of N >= 3 tasks mixes every type given.
    return options_.task_types[type_turn_++ % options_.task_types.size()];
}

shared::Bytes TaskFactory::make_input(std::string_view program_id, shared::Difficulty difficulty) {
    if (program_id == "argon2id_pow") {
        const auto params = argon2_params_for(difficulty);
        shared::argon2id::Input input;
        input.seed = prng_.bytes(shared::argon2id::kSeedSize);
        input.target_bits =
            static_cast<std::uint8_t>(options_.argon2_target_bits.value_or(params.target_bits));
        input.opslimit = params.opslimit;
        input.memlimit_kib = options_.argon2_memlimit_kib.value_or(params.memlimit_kib);
        return shared::argon2id::encode_input(input);
    }
    if (program_id == "fib_input_initial") {
        const auto range = fib_range_for(difficulty);
        shared::fib::Input input;
        input.n = static_cast<std::uint32_t>(prng_.between(range.min, range.max));
        input.init_a = static_cast<std::uint32_t>(prng_.next());
        input.init_b = static_cast<std::uint32_t>(prng_.next());
        return shared::fib::encode_input(input);
    }
    return test_input(program_id);
}

shared::Bytes TaskFactory::test_input(std::string_view program_id) {
    if (auto it = options_.test_inputs.find(std::string(program_id)); it != options_.test_inputs.end()) {
        return it->second;
    }
    if (auto it = options_.test_inputs.find(""); it != options_.test_inputs.end()) return it->second;
    if (program_id == "test_alloc") {
        // 64 MiB held for 100 ms: two u32 little-endian.
        shared::Bytes input(8);
        shared::store_le32(input.data(), 64);
        shared::store_le32(input.data() + 4, 100);
        return input;
    }
    if (program_id == "test_exit") return {1};
    if (program_id == "test_crash" || program_id == "test_hang") return {0};
    return prng_.bytes(8);  // test_noop and any other test program
}

}  // namespace orch
