// The local orchestrator's command line: what it issues and how it misbehaves.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "faults.h"
#include "shared/bytes.h"
#include "shared/codec.h"

namespace orch {

// A usage error: main prints the message (which names the flag) and exits 2.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct ProgramWeight {
    std::string program_id;
    unsigned weight = 1;
};

struct Options {
    std::string listen_host = "127.0.0.1";
    int listen_port = 0;  // 0: the kernel chooses
    std::string port_file;
    std::string db_path;
    std::vector<ProgramWeight> programs{{"argon2id_pow", 1}};
    std::vector<shared::TaskType> task_types{shared::TaskType::ProofRequired,
                                             shared::TaskType::ProofHash,
                                             shared::TaskType::AllProofHashes};
    unsigned inputs_min = 1;
    unsigned inputs_max = 4;
    std::uint64_t seed = 1;
    std::optional<shared::Difficulty> difficulty;  // nullopt: the node's max_difficulty
    std::optional<unsigned> argon2_target_bits;
    std::optional<unsigned> argon2_memlimit_kib;
    std::optional<std::uint64_t> max_tasks;
    double task_deadline_s = 600;
    // Every answer (admin routes excepted) waits this long after its request arrived:
    // a network's round trip, for tests and benchmarks of fetching ahead.
    unsigned latency_ms = 0;
    bool strict_nodes = false;
    // Inputs of the test programs, by program id; key "" applies to all of them.
    std::map<std::string, shared::Bytes> test_inputs;
    std::vector<FaultSpec> faults;
};

// Parses argv. Throws UsageError naming the flag on a bad value; returns
// nullopt after printing --help.
std::optional<Options> parse_options(int argc, char** argv);

// The parts of parsing that tests exercise directly.
std::vector<ProgramWeight> parse_program_list(const std::string& text);
std::vector<shared::TaskType> parse_task_types(const std::string& text);
std::pair<std::string, int> parse_listen(const std::string& text);

}  // namespace orch
