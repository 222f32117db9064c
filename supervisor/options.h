// The supervisor's command line: its subcommands, what each flag means, and how
// bad values are refused.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "shared/codec.h"
#include "shared/expected.h"
#include "shared/log.h"
#include "supervisor/node_config.h"

namespace supervisor {

// Help and Version carry their text in help_text, for main to print (exit 0).
enum class Command { Start, RegisterUser, RegisterNode, Logout, Status, Help, Version };

struct Backoff {
    double initial_s;
    double max_s;
};

struct Options {
    Command command = Command::Start;
    std::string help_text;  // filled for Command::Help and Command::Version

    std::string orchestrator_url;
    std::string node_id;
    unsigned min_workers = 1;
    unsigned max_workers = 1;
    unsigned per_task_threads = 1;
    std::optional<shared::Difficulty> max_difficulty;  // absent: adaptive
    std::optional<std::uint64_t> max_tasks;
    std::optional<unsigned> max_queued;  // tasks held queued at most; absent: what the pool's pace calls for
    bool headless = false;
    std::filesystem::path state_dir;
    bool max_threads_given = false;  // deprecated flag: warn once, ignore
    bool force = false;              // start a pool the machine's bounds refuse

    double min_fetch_interval_s = 0;
    Backoff fetch_backoff{30, 60};
    Backoff submit_backoff{1, 60};
    double startup_jitter_s = 5;
    double drain_timeout_s = 30;
    std::optional<double> task_timeout_s;  // absent: per program and difficulty

    std::optional<std::uint64_t> max_worker_memory;  // bytes; absent: only the shared budget
    std::optional<std::uint64_t> memory_reserve;       // kept out of the budget; absent: default_memory_reserve()
    std::uint64_t memory_per_proof = 4ull << 30;       // before anything is learned
    bool memory_guard = true;

    double scale_cooldown_s = 30;  // between two scaling steps down
    std::string metrics_addr;  // HOST:PORT of the Prometheus endpoint, as the HTTP server takes it; empty: off
    bool anonymous = false;    // prove built-in inputs, no network at all
    std::string anonymous_program = "argon2id_pow";
    shared::Bytes anonymous_input;  // empty: built-in inputs by difficulty

    std::string worker_path;  // empty: beside the supervisor executable
    bool allow_test_programs = false;
    std::string wallet_address;  // register-user, as typed (identity.cpp stores its EIP-55 form)

    // Identity: where register-user and register-node keep user, wallet and node id.
    std::filesystem::path config_path;
    bool config_path_given = false;  // --config named: the file must exist for start
    std::optional<std::string> location;  // two-letter country code, upper case; for telemetry

    shared::LogSettings log;  // --log-level, --log-format, --log-file
    bool status_json = false;  // status --json: the node's document as it sent it
};

// What the machine allows, for the upper bounds of --workers and the pool's memory.
struct Machine {
    unsigned cores = 0;               // 0: unknown, no bound from cores
    std::uint64_t memory_total = 0;   // cgroup limit, else physical memory; 0: unknown
    std::string memory_source;        // where memory_total comes from, for messages
    static Machine probe();
};

// Workers per core that --workers may ask for without --force.
inline constexpr unsigned kWorkersPerCore = 4;

// Parses argv: `supervisor SUBCOMMAND [flags]`, or `supervisor [start flags]`.
// start's flags come from the command line, else PROVENODE_* environment variables,
// else --config-file (TOML or INI), else their defaults. On a bad value, an unknown
// flag or a flag of another subcommand the error is one line naming the flag and
// what is wrong (main exits 2).
shared::Expected<Options> parse_options(const std::vector<std::string>& args);
shared::Expected<Options> parse_options(const std::vector<std::string>& args, const Machine& machine);

}  // namespace supervisor
