// Command-line parsing with CLI11; every error names its flag.
#include "options.h"

#include <CLI/CLI.hpp>

#include <charconv>
#include <iostream>

#include "shared/bounds.h"
#include "shared/program.h"

namespace orch {
namespace {

std::vector<std::string> split(const std::string& text, char separator) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
        auto end = text.find(separator, start);
        parts.push_back(text.substr(start, end - start));
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return parts;
}

template <class T>
std::optional<T> parse_unsigned(const std::string& text) {
    T value{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

std::string known_programs() {
    std::string list;
    for (auto id : shared::program_ids()) {
        if (!list.empty()) list += ", ";
        list += id;
    }
    return list;
}

std::pair<unsigned, unsigned> parse_inputs_range(const std::string& text) {
    auto parts = split(text, ':');
    if (parts.size() == 1) parts.push_back(parts[0]);
    auto lo = parts.size() == 2 ? parse_unsigned<unsigned>(parts[0]) : std::nullopt;
    auto hi = parts.size() == 2 ? parse_unsigned<unsigned>(parts[1]) : std::nullopt;
    if (!lo || !hi || *lo < 1 || *lo > *hi || *hi > shared::kMaxInputs) {
        throw UsageError("--inputs: expected MIN:MAX with 1 <= MIN <= MAX <= " +
                         std::to_string(shared::kMaxInputs) + ", got '" + text + "'");
    }
    return {*lo, *hi};
}

// "HEX" for every test program, or "PROGRAM=HEX" for one.
void add_test_input(Options& options, const std::string& text) {
    auto eq = text.find('=');
    std::string program = eq == std::string::npos ? "" : text.substr(0, eq);
    std::string hex = eq == std::string::npos ? text : text.substr(eq + 1);
    auto bytes = shared::from_hex(hex);
    if (!bytes || bytes->empty() || bytes->size() > shared::kMaxInputBytes) {
        throw UsageError("--test-input: expected [PROGRAM=]HEX of 1 to " +
                         std::to_string(shared::kMaxInputBytes) + " bytes, got '" + text + "'");
    }
    options.test_inputs[program] = std::move(*bytes);
}

}  // namespace

std::vector<ProgramWeight> parse_program_list(const std::string& text) {
    std::vector<ProgramWeight> programs;
    for (const auto& item : split(text, ',')) {
        auto eq = item.find('=');
        ProgramWeight entry{item.substr(0, eq), 1};
        if (eq != std::string::npos) {
            auto weight = parse_unsigned<unsigned>(item.substr(eq + 1));
            if (!weight || *weight == 0 || *weight > 1'000'000) {
                throw UsageError("--program: bad weight in '" + item + "' (a whole number >= 1)");
            }
            entry.weight = *weight;
        }
        if (shared::find_program(entry.program_id) == nullptr) {
            throw UsageError("--program: unknown program '" + entry.program_id +
                             "' (known: " + known_programs() + ")");
        }
        programs.push_back(std::move(entry));
    }
    return programs;
}

std::vector<shared::TaskType> parse_task_types(const std::string& text) {
    std::vector<shared::TaskType> types;
    for (const auto& item : split(text, ',')) {
        if (item == "proof_required") {
            types.push_back(shared::TaskType::ProofRequired);
        } else if (item == "proof_hash") {
            types.push_back(shared::TaskType::ProofHash);
        } else if (item == "all_proof_hashes") {
            types.push_back(shared::TaskType::AllProofHashes);
        } else {
            throw UsageError("--task-types: unknown task type '" + item +
                             "' (proof_required, proof_hash, all_proof_hashes)");
        }
    }
    return types;
}

std::pair<std::string, int> parse_listen(const std::string& text) {
    auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0) {
        throw UsageError("--listen: expected HOST:PORT, got '" + text + "'");
    }
    std::string host = text.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    auto port = parse_unsigned<unsigned>(text.substr(colon + 1));
    if (!port || *port > 65535) {
        throw UsageError("--listen: bad port in '" + text + "'");
    }
    return {host, static_cast<int>(*port)};
}

std::optional<Options> parse_options(int argc, char** argv) {
    Options options;
    CLI::App app{"local-orchestrator: the server side of the orchestrator API, for tests"};
    std::string listen = "127.0.0.1:0", programs = "argon2id_pow",
                task_types = "proof_required,proof_hash,all_proof_hashes", inputs = "1:4",
                difficulty;
    std::vector<std::string> faults, test_inputs;
    app.add_option("--listen", listen, "HOST:PORT to listen on (port 0: the kernel chooses)");
    app.add_option("--port-file", options.port_file, "write the bound port here once listening");
    app.add_option("--db", options.db_path, "SQLite database file")->required();
    app.add_option("--program", programs, "program id, or a weighted list id=W,id=W");
    app.add_option("--task-types", task_types, "comma list, assigned round-robin");
    app.add_option("--inputs", inputs, "MIN:MAX inputs per task");
    app.add_option("--seed", options.seed, "seed of the random choices");
    app.add_option("--difficulty", difficulty, "force this difficulty (default: the node's max)");
    app.add_option("--argon2-target-bits", options.argon2_target_bits)->check(CLI::Range(0, 40));
    app.add_option("--argon2-memlimit-kib", options.argon2_memlimit_kib)
        ->check(CLI::Range(8, 4 << 20));
    app.add_option("--max-tasks", options.max_tasks, "issue at most N tasks in total");
    app.add_option("--task-deadline", options.task_deadline_s, "seconds a task may take")
        ->check(CLI::PositiveNumber);
    app.add_option("--latency-ms", options.latency_ms, "delay every answer (admin excepted) by this many ms")
        ->check(CLI::Range(0u, 60'000u));
    app.add_flag("--strict-nodes", options.strict_nodes, "fetch only for registered nodes");
    app.add_option("--test-input", test_inputs, "[PROGRAM=]HEX input of the test programs");
    app.add_option("--fault", faults, "ENDPOINT:KIND[:p=P][:d=S][:ra=S][:ms=MS][:dl=S][:n=N]");
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        std::cout << app.help();
        return std::nullopt;
    } catch (const CLI::ParseError& e) {
        throw UsageError(e.what());
    }
    std::tie(options.listen_host, options.listen_port) = parse_listen(listen);
    options.programs = parse_program_list(programs);
    options.task_types = parse_task_types(task_types);
    std::tie(options.inputs_min, options.inputs_max) = parse_inputs_range(inputs);
    if (!difficulty.empty()) {
        options.difficulty = shared::parse_difficulty(difficulty);
        if (!options.difficulty) throw UsageError("--difficulty: unknown difficulty '" + difficulty + "'");
    }
    for (const auto& text : test_inputs) add_test_input(options, text);
    for (const auto& text : faults) {
        auto spec = parse_fault_flag(text);
        if (!spec) throw UsageError("--fault: " + spec.error() + " in '" + text + "'");
        options.faults.push_back(std::move(*spec));
    }
    return options;
}

}  // namespace orch
