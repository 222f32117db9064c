// The registry of programs: every program the worker proves and anyone verifies.
#include "shared/program.h"

#include "shared/programs/programs.h"

namespace shared {
namespace {

const std::vector<const Program*>& all_programs() {
    static const std::vector<const Program*> programs = [] {
        std::vector<const Program*> list{&programs::argon2id_pow(), &programs::fib_input_initial()};
        const auto& tests = programs::test_programs();
        list.insert(list.end(), tests.begin(), tests.end());
        return list;
    }();
    return programs;
}

}  // namespace

const Program* find_program(std::string_view id) {
    for (const Program* program : all_programs()) {
        if (program->id == id) return program;
    }
    return nullptr;
}

std::vector<std::string_view> program_ids() {
    std::vector<std::string_view> ids;
    for (const Program* program : all_programs()) ids.push_back(program->id);
    return ids;
}

}  // namespace shared
