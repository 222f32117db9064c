// Each program's entry for the registry in program.cpp.
#pragma once

#include "shared/program.h"

namespace shared::programs {

const Program& argon2id_pow();
const Program& fib_input_initial();
// Fault programs for tests (issue: workers die, the node does not).
const std::vector<const Program*>& test_programs();

}  // namespace shared::programs
