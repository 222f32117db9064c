// `worker prove` and `worker verify`: the programs of the registry, one input at a time.
#include "worker/commands.h"

#include <chrono>
#include <fstream>
#include <iostream>
#include <iterator>
#include <variant>

#include "shared/program.h"
#include "worker/job_runner.h"

namespace worker {
namespace {

// A flag whose value cannot be used: one line naming the flag, exit code 2.
int usage_error(std::string_view flag, const std::string& what) {
    std::cerr << "worker: " << flag << ": " << what << "\n";
    return kExitUsage;
}

int failure(const std::string& what) {
    std::cerr << "worker: " << what << "\n";
    return kExitFailure;
}

std::string known_programs() {
    std::string list;
    for (std::string_view id : shared::program_ids()) list += (list.empty() ? "" : ", ") + std::string(id);
    return list;
}

std::optional<shared::Bytes> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    shared::Bytes bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) return std::nullopt;
    return bytes;
}

}  // namespace

int run_prove(const ProveOptions& options) {
    auto resolved = resolve_program(options.program, options.allow_test_programs);
    if (auto* why = std::get_if<std::string>(&resolved)) {
        const bool unknown = shared::find_program(options.program) == nullptr;
        return usage_error("--program", unknown ? *why + " (known: " + known_programs() + ")" : *why);
    }
    const shared::Program& program = *std::get<const shared::Program*>(resolved);
    auto input = shared::from_hex(options.input_hex);
    if (!input) return usage_error("--input", "not an even-length hex string");
    if (std::string problem = program.check_input(*input); !problem.empty()) {
        return failure("malformed input for " + std::string(program.id) + ": " + problem);
    }
    const auto start = std::chrono::steady_clock::now();
    auto proof = program.prove(*input, options.threads);
    const std::chrono::duration<double, std::milli> elapsed = std::chrono::steady_clock::now() - start;
    if (!proof) return failure("prover error: " + proof.error());
    std::cout << shared::to_hex(*proof) << "\ntime_ms=" << elapsed.count() << std::endl;
    return kExitOk;
}

// Verifying is harmless, so test programs are verified without --allow-test-programs.
int run_verify(const VerifyOptions& options) {
    const shared::Program* program = shared::find_program(options.program);
    if (program == nullptr) {
        return usage_error("--program", "unknown program '" + options.program + "' (known: " + known_programs() + ")");
    }
    auto input = shared::from_hex(options.input_hex);
    if (!input) return usage_error("--input", "not an even-length hex string");
    std::optional<shared::Bytes> proof;
    if (options.proof_hex) {
        proof = shared::from_hex(*options.proof_hex);
        if (!proof) return usage_error("--proof-hex", "not an even-length hex string");
    } else {
        proof = read_file(*options.proof_file);
        if (!proof) return usage_error("--proof", "cannot read " + *options.proof_file);
    }
    if (std::string problem = program->check_input(*input); !problem.empty()) {
        return failure("malformed input for " + std::string(program->id) + ": " + problem);
    }
    auto verdict = program->verify(*input, *proof);
    if (!verdict) return failure("invalid proof: " + verdict.error());
    std::cout << *verdict << std::endl;
    return kExitOk;
}

}  // namespace worker
