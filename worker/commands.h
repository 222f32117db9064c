// `worker prove` and `worker verify`: one input from the command line, no supervisor.
#pragma once

#include <optional>
#include <string>

namespace worker {

// Exit codes shared by every subcommand, as in DESIGN.md.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

struct ProveOptions {
    std::string program;
    std::string input_hex;
    unsigned threads = 1;
    bool allow_test_programs = false;
};

struct VerifyOptions {
    std::string program;
    std::string input_hex;
    std::optional<std::string> proof_file;  // raw proof bytes
    std::optional<std::string> proof_hex;   // or the proof as hex
};

// Prints the proof as lowercase hex, then "time_ms=<float>". Errors go to stderr.
int run_prove(const ProveOptions& options);

// Prints what the proof proves (the program's verify text), or why it is invalid.
int run_verify(const VerifyOptions& options);

}  // namespace worker
