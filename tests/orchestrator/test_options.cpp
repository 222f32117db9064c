// Unit tests of the command line: defaults, lists and errors that name their flag.
#include <doctest.h>

#include <string>
#include <vector>

#include "options.h"

namespace {

std::optional<orch::Options> parse(std::vector<std::string> args) {
    args.insert(args.begin(), "local-orchestrator");
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    return orch::parse_options(static_cast<int>(argv.size()), argv.data());
}

std::string usage_error(std::vector<std::string> args) {
    try {
        parse(std::move(args));
    } catch (const orch::UsageError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("defaults") {
    auto options = parse({"--db", "x.db"});
    REQUIRE(options);
    CHECK(options->listen_host == "127.0.0.1");
    CHECK(options->listen_port == 0);
    CHECK(options->db_path == "x.db");
    REQUIRE(options->programs.size() == 1);
    CHECK(options->programs[0].program_id == "argon2id_pow");
    CHECK(options->task_types.size() == 3);
    CHECK(options->inputs_min == 1);
    CHECK(options->inputs_max == 4);
    CHECK(options->seed == 1);
    CHECK_FALSE(options->difficulty);
    CHECK_FALSE(options->max_tasks);
    CHECK(options->task_deadline_s == 600.0);
    CHECK_FALSE(options->strict_nodes);
}

TEST_CASE("every flag") {
    auto options = parse({"--db", "x.db", "--listen", "0.0.0.0:8080", "--port-file", "p",
                          "--program", "argon2id_pow=9,test_hang=1", "--task-types",
                          "proof_hash,all_proof_hashes", "--inputs", "2:3", "--seed", "7",
                          "--difficulty", "large", "--argon2-target-bits", "1",
                          "--argon2-memlimit-kib", "64", "--max-tasks", "5", "--task-deadline",
                          "0.5", "--strict-nodes", "--test-input", "test_exit=07", "--test-input",
                          "00ff", "--fault", "submit:429:ra=3", "--fault", "fetch:reset"});
    REQUIRE(options);
    CHECK(options->listen_host == "0.0.0.0");
    CHECK(options->listen_port == 8080);
    REQUIRE(options->programs.size() == 2);
    CHECK(options->programs[1].program_id == "test_hang");
    CHECK(options->programs[0].weight == 9);
    CHECK(options->task_types == std::vector{shared::TaskType::ProofHash, shared::TaskType::AllProofHashes});
    CHECK(options->inputs_min == 2);
    CHECK(options->inputs_max == 3);
    CHECK(options->seed == 7);
    CHECK(options->difficulty == shared::Difficulty::Large);
    CHECK(options->argon2_target_bits == 1u);
    CHECK(options->argon2_memlimit_kib == 64u);
    CHECK(options->max_tasks == 5u);
    CHECK(options->task_deadline_s == 0.5);
    CHECK(options->strict_nodes);
    CHECK(options->test_inputs.at("test_exit") == shared::Bytes{7});
    CHECK(options->test_inputs.at("") == shared::Bytes{0, 0xff});
    CHECK(options->faults.size() == 2);
}

TEST_CASE("errors name the flag") {
    CHECK(usage_error({}).find("--db") != std::string::npos);
    CHECK(usage_error({"--db", "x", "--bogus"}).find("--bogus") != std::string::npos);
    CHECK(usage_error({"--db", "x", "--program", "nope"}).find("--program") != std::string::npos);
    CHECK(usage_error({"--db", "x", "--program", "argon2id_pow=0"}).find("--program") != std::string::npos);
    CHECK(usage_error({"--db", "x", "--task-types", "proof"}).find("--task-types") != std::string::npos);
    CHECK(usage_error({"--db", "x", "--inputs", "3:2"}).find("--inputs") != std::string::npos);
    CHECK(usage_error({"--db", "x", "--inputs", "0:2"}).find("--inputs") != std::string::npos);
    CHECK(usage_error({"--db", "x", "--difficulty", "huge"}).find("--difficulty") != std::string::npos);
    CHECK(usage_error({"--db", "x", "--listen", "localhost"}).find("--listen") != std::string::npos);
    CHECK(usage_error({"--db", "x", "--listen", "h:99999"}).find("--listen") != std::string::npos);
    CHECK(usage_error({"--db", "x", "--fault", "submit:418"}).find("--fault") != std::string::npos);
    CHECK(usage_error({"--db", "x", "--test-input", "zz"}).find("--test-input") != std::string::npos);
    CHECK(usage_error({"--db", "x", "--task-deadline", "-1"}).find("--task-deadline") != std::string::npos);
    CHECK(usage_error({"--db", "x", "--argon2-target-bits", "41"}).find("--argon2-target-bits") != std::string::npos);
}

TEST_CASE("listen forms") {
    CHECK(orch::parse_listen("127.0.0.1:0") == std::pair<std::string, int>{"127.0.0.1", 0});
    CHECK(orch::parse_listen("[::1]:8080") == std::pair<std::string, int>{"::1", 8080});
}
