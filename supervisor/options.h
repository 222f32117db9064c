// The supervisor's command line: what each flag means and how bad values are refused.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "shared/codec.h"
#include "shared/expected.h"
#include "supervisor/node_config.h"

namespace supervisor {

enum class Command { Start, RegisterUser, RegisterNode, Logout, Status, Help };

struct Backoff {
    double initial_s;
    double max_s;
};

struct Options {
    Command command = Command::Start;
    std::string help_text;  // filled for Command::Help

    std::string orchestrator_url;
    std::string node_id;
    unsigned min_workers = 1;
    unsigned max_workers = 1;
    unsigned per_task_threads = 1;
    std::optional<shared::Difficulty> max_difficulty;  // absent: adaptive
    std::optional<std::uint64_t> max_tasks;
    bool headless = false;
    std::filesystem::path state_dir;
    bool max_threads_given = false;  // deprecated flag: warn once, ignore

    double min_fetch_interval_s = 0;
    Backoff fetch_backoff{30, 60};
    Backoff submit_backoff{1, 60};
    double startup_jitter_s = 5;
    double drain_timeout_s = 30;
    std::optional<double> task_timeout_s;  // absent: per program and difficulty

    std::optional<std::uint64_t> max_worker_memory;  // bytes; absent: only the shared budget
    std::optional<std::uint64_t> memory_reserve;       // kept out of the budget; absent: 5% of it, 32 MiB to 512 MiB
    std::uint64_t memory_per_proof = 4ull << 30;       // before anything is learned
    bool memory_guard = true;

    double scale_cooldown_s = 30;  // between two scaling steps down
    std::string metrics_addr;  // HOST:PORT of the Prometheus endpoint; empty: off
    bool anonymous = false;    // prove built-in inputs, no network at all
    std::string anonymous_program = "argon2id_pow";
    shared::Bytes anonymous_input;  // empty: built-in inputs by difficulty

    std::string worker_path;  // empty: beside the supervisor executable
    bool allow_test_programs = false;
    std::string wallet_address;  // register-user

    // Identity: where register-user and register-node keep user, wallet and node id.
    std::filesystem::path config_path;
    std::optional<std::string> location;  // two-letter country code, upper case; for telemetry
};

// Parses argv (with or without the `start` subcommand). On a bad value or an
// unknown flag the error is one line naming the flag and what is wrong.
shared::Expected<Options> parse_options(const std::vector<std::string>& args);

}  // namespace supervisor
