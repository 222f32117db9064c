// The worker executable: `serve` for the supervisor, `prove` and `verify` by hand.
#include <CLI/CLI.hpp>

#include <csignal>
#include <iostream>

#include "worker/commands.h"
#include "worker/job_runner.h"
#include "worker/serve.h"

int main(int argc, char** argv) {
    // A closed stderr pipe must not kill a worker in the middle of a proof.
    std::signal(SIGPIPE, SIG_IGN);
    CLI::App app{"provenode worker: proves tasks for the supervisor, or one input by hand"};
    app.require_subcommand(1);

    worker::ServeOptions serve;
    auto* serve_cmd = app.add_subcommand("serve", "Serve a supervisor over ZeroMQ (started by the supervisor)");
    serve_cmd->add_option("--endpoint", serve.endpoint, "The supervisor's ROUTER, ipc://PATH")->required()
        ->check([](const std::string& v) {
            return v.starts_with("ipc://") || v.starts_with("tcp://") ? "" : "must be ipc://PATH or tcp://HOST:PORT";
        });
    serve_cmd->add_option("--index", serve.index, "Slot number given by the supervisor")->required();
    serve_cmd->add_option("--parent-pid", serve.parent_pid, "The supervisor's pid")->required()
        ->check(CLI::PositiveNumber);
    serve_cmd->add_flag("--allow-test-programs", serve.allow_test_programs, "Run the fault programs of the tests");

    worker::ProveOptions prove;
    auto* prove_cmd = app.add_subcommand("prove", "Prove one input and print the proof as hex");
    prove_cmd->add_option("--program", prove.program, "Program id")->required();
    prove_cmd->add_option("--input", prove.input_hex, "The input as hex")->required();
    prove_cmd->add_option("--threads", prove.threads, "Threads for the prover")
        ->check(CLI::Range(1u, worker::kMaxThreads));
    prove_cmd->add_flag("--allow-test-programs", prove.allow_test_programs, "Run the fault programs of the tests");

    worker::VerifyOptions verify;
    auto* verify_cmd = app.add_subcommand("verify", "Verify a proof and print what it proves");
    verify_cmd->add_option("--program", verify.program, "Program id")->required();
    verify_cmd->add_option("--input", verify.input_hex, "The input as hex")->required();
    auto* proof_file = verify_cmd->add_option("--proof", verify.proof_file, "File holding the raw proof bytes");
    auto* proof_hex = verify_cmd->add_option("--proof-hex", verify.proof_hex, "The proof as hex");
    proof_file->excludes(proof_hex);

    try {
        app.parse(argc, argv);
        if (verify_cmd->parsed() && !verify.proof_file && !verify.proof_hex) {
            throw CLI::RequiredError("--proof or --proof-hex");
        }
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e);  // --help
        std::cerr << "worker: " << e.what() << "\n";
        return worker::kExitUsage;
    }
    if (serve_cmd->parsed()) return worker::serve(serve);
    if (prove_cmd->parsed()) return worker::run_prove(prove);
    return worker::run_verify(verify);
}
