// Unit tests of task generation: the type rotation, input counts, the argon2 table and the admin queue.
#include <doctest.h>

#include <set>

#include "shared/program.h"
#include "shared/programs/argon2id_pow.h"
#include "task_factory.h"

namespace {

orch::Options base_options() {
    orch::Options options;
    options.db_path = "unused";
    return options;
}

}  // namespace

TEST_CASE("task types rotate and inputs stay in range") {
    auto options = base_options();
    options.inputs_min = 2;
    options.inputs_max = 3;
    orch::Prng prng(1);
    orch::TaskFactory factory(options, prng);
    std::set<std::size_t> counts;
    for (int i = 0; i < 30; ++i) {
        auto spec = factory.next(shared::Difficulty::Small);
        CHECK(spec.task_type == i % 3);
        CHECK(spec.program_id == "argon2id_pow");
        CHECK(spec.difficulty == 0);
        counts.insert(spec.inputs.size());
        for (const auto& input : spec.inputs) {
            CHECK(shared::find_program("argon2id_pow")->check_input(input).empty());
        }
    }
    CHECK(counts == std::set<std::size_t>{2, 3});
}

TEST_CASE("the argon2id_pow difficulty table, and its overrides") {
    auto options = base_options();
    orch::Prng prng(1);
    orch::TaskFactory factory(options, prng);
    struct Row {
        shared::Difficulty difficulty;
        unsigned bits;
        unsigned kib;
    };
    for (auto row : {Row{shared::Difficulty::Small, 3, 8192}, Row{shared::Difficulty::SmallMedium, 4, 16384},
                     Row{shared::Difficulty::Medium, 4, 32768}, Row{shared::Difficulty::Large, 5, 65536},
                     Row{shared::Difficulty::ExtraLarge, 5, 262144},
                     Row{shared::Difficulty::ExtraLarge5, 5, 262144}}) {
        auto input = shared::argon2id::decode_input(factory.make_input("argon2id_pow", row.difficulty));
        REQUIRE(input.ok());
        CHECK(input->target_bits == row.bits);
        CHECK(input->memlimit_kib == row.kib);
        CHECK(input->opslimit == 1);
    }
    options.argon2_target_bits = 1;
    options.argon2_memlimit_kib = 64;
    auto input = shared::argon2id::decode_input(factory.make_input("argon2id_pow", shared::Difficulty::Large));
    REQUIRE(input.ok());
    CHECK(input->target_bits == 1);
    CHECK(input->memlimit_kib == 64);
}

TEST_CASE("a forced difficulty wins over the node's") {
    auto options = base_options();
    options.difficulty = shared::Difficulty::Medium;
    orch::Prng prng(1);
    orch::TaskFactory factory(options, prng);
    CHECK(factory.next(shared::Difficulty::ExtraLarge).difficulty == 5);
}

TEST_CASE("queued tasks come first, exactly as queued") {
    auto options = base_options();
    orch::Prng prng(1);
    orch::TaskFactory factory(options, prng);
    orch::TaskSpec queued{"test_noop", 7, 19, {{1, 2, 3}}};
    factory.enqueue({queued, queued});
    CHECK(factory.queued() == 2);
    auto first = factory.next(shared::Difficulty::Small);
    CHECK(first.program_id == "test_noop");
    CHECK(first.task_type == 7);
    CHECK(first.inputs == queued.inputs);
    factory.next(shared::Difficulty::Small);
    CHECK(factory.next(shared::Difficulty::Small).program_id == "argon2id_pow");
}

TEST_CASE("test programs: default inputs and --test-input") {
    auto options = base_options();
    options.programs = {{"test_alloc", 1}};
    options.inputs_min = options.inputs_max = 1;
    orch::Prng prng(1);
    orch::TaskFactory factory(options, prng);
    auto alloc = factory.next(shared::Difficulty::Small).inputs.at(0);
    CHECK(alloc == shared::Bytes{64, 0, 0, 0, 100, 0, 0, 0});
    CHECK(factory.make_input("test_exit", shared::Difficulty::Small) == shared::Bytes{1});
    CHECK(factory.make_input("test_noop", shared::Difficulty::Small).size() == 8);
    for (auto id : {"test_alloc", "test_crash", "test_hang", "test_exit", "test_noop"}) {
        CAPTURE(id);
        CHECK(shared::find_program(id)->check_input(factory.make_input(id, shared::Difficulty::Small)).empty());
    }
    options.test_inputs["test_exit"] = {9};
    options.test_inputs[""] = {5, 5};
    CHECK(factory.make_input("test_exit", shared::Difficulty::Small) == shared::Bytes{9});
    CHECK(factory.make_input("test_hang", shared::Difficulty::Small) == shared::Bytes{5, 5});
}

TEST_CASE("weighted programs are all drawn") {
    auto options = base_options();
    options.programs = {{"argon2id_pow", 3}, {"test_noop", 1}};
    orch::Prng prng(3);
    orch::TaskFactory factory(options, prng);
    int noop = 0;
    for (int i = 0; i < 400; ++i) noop += factory.next(shared::Difficulty::Small).program_id == "test_noop";
    CHECK(noop > 60);
    CHECK(noop < 140);
}
