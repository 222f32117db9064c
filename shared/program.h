// The registry of programs a worker can prove and anyone can verify.
#pragma once

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
};

// nullptr for an unknown program id.
const Program* find_program(std::string_view id);
std::vector<std::string_view> program_ids();

}  // namespace shared
