// Unit tests for anonymous mode's built-in tasks: ids, inputs per task, every input
// well formed for its program, and the same inputs from every source.
#include <doctest.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "shared/codec.h"
#include "shared/program.h"
#include "shared/programs/argon2id_pow.h"
#include "shared/programs/fib_input_initial.h"
#include "supervisor/anonymous_source.h"

using supervisor::AnonymousSource;

namespace {

// Difficulty wire values: SMALL, SMALL_MEDIUM, MEDIUM, LARGE, EXTRA_LARGE, EXTRA_LARGE_5.
const int kDifficulties[] = {0, 3, 5, 10, 15, 19};

std::uint64_t id_number(const std::string& task_id) {
    REQUIRE(task_id.rfind("anon-", 0) == 0);
    return std::stoull(task_id.substr(5));
}

void check_inputs_pass(const std::string& program_id, int difficulty, unsigned inputs_per_task, int tasks) {
    const shared::Program* program = shared::find_program(program_id);
    REQUIRE(program != nullptr);
    AnonymousSource source(program_id, difficulty, inputs_per_task);
    for (int t = 0; t < tasks; ++t) {
        const shared::Task task = source.next();
        CHECK(task.program_id == program_id);
        CHECK(task.difficulty == difficulty);
        REQUIRE(task.inputs.size() == inputs_per_task);
        for (const auto& input : task.inputs) {
            INFO(program_id << " difficulty " << difficulty << " task " << task.task_id);
            CHECK(program->check_input(input) == "");
        }
    }
}

}  // namespace

TEST_CASE("task ids are unique and increasing, and made() counts them") {
    AnonymousSource source("test_noop", 0, 1);
    CHECK(source.made() == 0);
    std::set<std::string> ids;
    std::uint64_t previous = 0;
    for (int i = 0; i < 2500; ++i) {
        const shared::Task task = source.next();
        CHECK(ids.insert(task.task_id).second);
        const std::uint64_t n = id_number(task.task_id);
        CHECK(n > previous);
        previous = n;
    }
    CHECK(ids.size() == 2500);
    CHECK(source.made() == 2500);
}

TEST_CASE("inputs per task as configured, at least one") {
    for (unsigned per_task : {1u, 2u, 4u, 7u}) {
        AnonymousSource source("argon2id_pow", 0, per_task);
        for (int i = 0; i < 3; ++i) CHECK(source.next().inputs.size() == per_task);
    }
    AnonymousSource zero("test_noop", 0, 0);
    CHECK(zero.next().inputs.size() == 1);
}

TEST_CASE("inputs differ within a task and between tasks") {
    for (const char* program : {"argon2id_pow", "fib_input_initial", "test_noop"}) {
        INFO(program);
        AnonymousSource source(program, 3, 4);
        std::set<shared::Bytes> seen;
        int made = 0;
        for (int t = 0; t < 50; ++t) {
            for (auto& input : source.next().inputs) {
                seen.insert(input);
                ++made;
            }
        }
        // fib inputs could collide only if n, init_a and init_b all did.
        CHECK(seen.size() == static_cast<std::size_t>(made));
    }
}

TEST_CASE("argon2id_pow inputs pass check_input and follow the difficulty table") {
    for (int difficulty : kDifficulties) {
        check_inputs_pass("argon2id_pow", difficulty, 3, 20);
        const auto params = shared::argon2id::params_for_difficulty(difficulty);
        AnonymousSource source("argon2id_pow", difficulty, 2);
        for (int t = 0; t < 5; ++t) {
            for (const auto& bytes : source.next().inputs) {
                const auto input = shared::argon2id::decode_input(bytes);
                REQUIRE(input.ok());
                CHECK(input->target_bits == params.target_bits);
                CHECK(input->memlimit_kib == params.memlimit_kib);
                CHECK(input->opslimit == params.opslimit);
                CHECK(input->seed.size() == shared::argon2id::kSeedSize);
            }
        }
    }
}

TEST_CASE("fib_input_initial inputs pass check_input, with n in the range of the difficulty") {
    for (int difficulty : kDifficulties) {
        INFO("difficulty " << difficulty);
        check_inputs_pass("fib_input_initial", difficulty, 2, 20);
        const auto range = shared::fib::n_range_for_difficulty(difficulty);
        AnonymousSource source("fib_input_initial", difficulty, 4);
        std::set<std::uint32_t> ns;
        for (int t = 0; t < 50; ++t) {
            for (const auto& bytes : source.next().inputs) {
                REQUIRE(bytes.size() == shared::fib::kInputSize);
                const auto input = shared::fib::decode_input(bytes);
                CHECK(input.n >= range.min);
                CHECK(input.n <= range.max);
                ns.insert(input.n);
            }
        }
        CHECK(ns.size() > 1);  // drawn from the range, not one fixed n
    }
}

TEST_CASE("test_noop inputs pass check_input") {
    check_inputs_pass("test_noop", 0, 1, 20);
    check_inputs_pass("test_noop", 5, 3, 20);
}

TEST_CASE("deterministic: two sources give the same tasks") {
    for (const char* program : {"argon2id_pow", "fib_input_initial", "test_noop"}) {
        INFO(program);
        AnonymousSource a(program, 5, 3);
        AnonymousSource b(program, 5, 3);
        for (int t = 0; t < 30; ++t) {
            const shared::Task x = a.next();
            const shared::Task y = b.next();
            CHECK(x.task_id == y.task_id);
            CHECK(x.inputs == y.inputs);
            CHECK(x.task_type == y.task_type);
        }
    }
}

TEST_CASE("a fixed input is used for every input of every task") {
    const shared::Bytes fixed{1, 2, 3, 4, 5};
    AnonymousSource source("test_noop", 0, 3, fixed);
    for (int t = 0; t < 5; ++t) {
        const shared::Task task = source.next();
        REQUIRE(task.inputs.size() == 3);
        for (const auto& input : task.inputs) CHECK(input == fixed);
    }
    AnonymousSource varied("test_noop", 0, 3);
    CHECK(varied.next().inputs.at(0) != fixed);
}
