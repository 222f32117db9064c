// The registry of programs a worker can prove and anyone can verify.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bytes.h"
#include "expected.h"

namespace shared {

struct Program {
    std::string_view id;
    // Test programs (faults on demand) run only in a worker started with
    // --allow-test-programs.
    bool test_only;
    // Empty when the input is well formed, otherwise what is wrong with it.
    std::string (*check_input)(ByteView input);
    // Proves one well-formed input with up to `threads` threads.
    Expected<Bytes> (*prove)(ByteView input, unsigned threads);
    // On success, what the proof proves in words (e.g. "output 144").
    Expected<std::string> (*verify)(ByteView input, ByteView proof);
    // Called once per task, before its peak memory is measured and before any
    // input is proven, with the task's well-formed inputs and the most threads it
    // will prove with at once: the program frees what it keeps between tasks
    // beyond that (argon2id_pow's arenas). Null for programs that keep nothing.
    void (*prepare_task)(std::span<const Bytes> inputs, unsigned threads) = nullptr;
};

// nullptr for an unknown program id.
const Program* find_program(std::string_view id);
std::vector<std::string_view> program_ids();

}  // namespace shared
