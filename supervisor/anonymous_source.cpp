// Deterministic built-in inputs per program.
#include "supervisor/anonymous_source.h"

#include <algorithm>

#include "shared/bytes.h"
#include "shared/keccak.h"
#include "shared/programs/argon2id_pow.h"
#include "shared/programs/fib_input_initial.h"

namespace supervisor {

AnonymousSource::AnonymousSource(std::string program_id, int difficulty, unsigned inputs_per_task,
                                 shared::Bytes fixed_input)
    : program_id_(std::move(program_id)),
      difficulty_(difficulty),
      inputs_per_task_(std::max(1u, inputs_per_task)),
      fixed_input_(std::move(fixed_input)) {}

shared::Task AnonymousSource::next() {
    shared::Task task;
    ++counter_;
    task.task_id = "anon-" + std::to_string(counter_);
    task.program_id = program_id_;
    task.task_type = static_cast<int>(shared::TaskType::ProofRequired);
    task.difficulty = difficulty_;
    for (unsigned i = 0; i < inputs_per_task_; ++i) task.inputs.push_back(input(counter_ * 1000 + i));
    return task;
}

shared::Bytes AnonymousSource::input(std::uint64_t index) const {
    if (!fixed_input_.empty()) return fixed_input_;
    std::uint8_t counter[8];
    shared::store_le64(counter, index);
    const auto digest = shared::keccak256(shared::ByteView(counter, 8));
    if (program_id_ == "argon2id_pow") {
        const auto params = shared::argon2id::params_for_difficulty(difficulty_);
        shared::argon2id::Input in;
        in.seed.assign(digest.begin(), digest.end());
        in.target_bits = static_cast<std::uint8_t>(params.target_bits);
        in.opslimit = params.opslimit;
        in.memlimit_kib = params.memlimit_kib;
        return shared::argon2id::encode_input(in);
    }
    if (program_id_ == "fib_input_initial") {
        const auto range = shared::fib::n_range_for_difficulty(difficulty_);
        shared::fib::Input in;
        in.n = range.min + static_cast<std::uint32_t>(shared::load_le32(digest.data()) % (range.max - range.min + 1));
        in.init_a = shared::load_le32(digest.data() + 4);
        in.init_b = shared::load_le32(digest.data() + 8);
        return shared::fib::encode_input(in);
    }
    // The test programs: test_noop proves any bytes.
    return shared::Bytes(counter, counter + 8);
}

}  // namespace supervisor
