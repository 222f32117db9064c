// Which fill kernel Argon2id runs: the best the CPU has, or the one PROVENODE_ARGON2 forces.
#pragma once

#include <string_view>

#include "shared/expected.h"

namespace shared::argon2 {

enum class Isa { Portable, Avx2, Avx512 };

inline constexpr const char* kIsaVariable = "PROVENODE_ARGON2";

std::string_view isa_name(Isa isa);  // "portable", "avx2", "avx512"

// Whether this CPU (and its OS, which must save the wider registers) runs the
// kernel; Portable always, the others only in an x86-64 build.
bool cpu_supports(Isa isa);

// The kernel for `forced` (a name from isa_name, or empty for the best one
// `supported` allows), or why not: an unknown name, or a kernel the CPU lacks.
// Pure, so that the choice is testable for any CPU.
Expected<Isa> choose_isa(std::string_view forced, bool (*supported)(Isa) = cpu_supports);

// choose_isa for this process's PROVENODE_ARGON2, read now.
Expected<Isa> isa_from_environment();

// isa_from_environment as read once, on first use: what hash() runs.
const Expected<Isa>& configured_isa();

}  // namespace shared::argon2
