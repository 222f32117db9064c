// The command line on CLI11: one subcommand per job, each with its own typed and
// checked flags, PROVENODE_* environment variables, start's TOML/INI config file,
// and the bounds the machine sets on the pool.
#include "supervisor/options.h"
#include "supervisor/memory_guard.h"
#include "supervisor/paths.h"
#include "shared/program.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <thread>

#include "shared/program.h"
#include "supervisor/flag_values.h"
#include "supervisor/memory_budget.h"
#include "worker/job_runner.h"

namespace supervisor {
namespace {

constexpr const char* kEnvPrefix = "PROVENODE_";
constexpr const char* kVersion = "provenode supervisor " PROVENODE_VERSION;

// What CLI11 binds before it becomes Options: values that need the whole command
// line (the anonymous program and its input) or a form of their own.
struct Raw {
    std::string workers, max_difficulty, fetch_backoff, submit_backoff, state_dir, config;
    std::string anonymous_input, log_level, log_format;
    unsigned max_threads = 0;
};

const CLI::App* find_command(const CLI::App& app, const std::string& name) {
    for (const CLI::App* command : app.get_subcommands({})) {
        if (command->get_name() == name) return command;
    }
    return nullptr;
}

// PROVENODE_ and the flag's name in upper case, '-' as '_': --per-task-threads
// is PROVENODE_PER_TASK_THREADS.
std::string env_name_of(const CLI::Option& option) {
    std::string name = kEnvPrefix;
    for (char c : option.get_single_name()) name += c == '-' ? '_' : static_cast<char>(std::toupper(c));
    return name;
}

void add_env_names(CLI::App& command) {
    for (CLI::Option* option : command.get_options()) {
        if (option == command.get_help_ptr() || option->get_single_name() == "json") continue;
        option->envname(env_name_of(*option));
    }
}

// --- the flags of each subcommand ---------------------------------------------

void add_identity_flags(CLI::App& command, Options& o, Raw& raw, bool with_url) {
    if (with_url) {
        command.add_option("--orchestrator-url", o.orchestrator_url, "Orchestrator base URL; saved by register-user")
            ->type_name("URL")->check(http_url())->group("Identity");
    }
    command.add_option("--config", raw.config, "Identity file: user, wallet, node id, orchestrator")
        ->type_name("FILE")->default_str(default_config_path().string())->group("Identity");
}

void add_state_dir(CLI::App& command, Raw& raw, const std::string& group) {
    command.add_option("--state-dir", raw.state_dir, "Node key, spool, learned memory figures, control.sock")
        ->type_name("DIR")->default_str(default_state_dir().string())->group(group);
}

void add_pool_flags(CLI::App& start, Options& o, Raw& raw, const Machine& machine) {
    const std::string group = "Pool";
    start.add_option("--workers", raw.workers, "Worker processes: N, or MIN:MAX to scale between" +
                     std::string(machine.cores ? "; at most " + std::to_string(kWorkersPerCore * machine.cores) +
                                                     " (4 per core) without --force" : ""))
        ->type_name("N|MIN:MAX")->check(worker_range())->default_str(std::to_string(o.min_workers))->group(group);
    start.add_option("--per-task-threads", o.per_task_threads, "Inputs of one task proven at once")
        ->type_name("N")->check(CLI::Range(1u, worker::kMaxThreads))->capture_default_str()->group(group);
    start.add_option("--max-difficulty", raw.max_difficulty,
                     "Ask for this difficulty; without it the difficulty adapts, from SMALL_MEDIUM")
        ->type_name("LEVEL")->transform(difficulty_names())->group(group);
    start.add_option("--max-tasks", o.max_tasks, "Exit 0 once this many tasks were accepted")
        ->type_name("N")->check(count())->group(group);
    start.add_option("--max-queued", o.max_queued, "Hold at most this many tasks queued (default: computed by the node)")
        ->type_name("N")->check(count())->group(group);
    start.add_option("--scale-cooldown", o.scale_cooldown_s, "Seconds between two steps of scaling down")
        ->type_name("SECONDS")->check(seconds())->capture_default_str()->group(group);
    start.add_option("--max-threads", raw.max_threads, "Deprecated and ignored; use --per-task-threads")
        ->type_name("N")->check(count())->group(group);
    start.add_flag("--force", o.force, "Start a pool larger than the machine's cores or memory budget allow")
        ->group(group);
}

void add_network_flags(CLI::App& start, Options& o, Raw& raw) {
    const std::string group = "Fetching and submitting";
    start.add_option("--node-id", o.node_id, "This node's id; saved by register-node")->type_name("ID")->group("Identity");
    start.add_option("--location", o.location, "Two-letter country code reported in telemetry (never guessed)")
        ->type_name("CC")->transform(country_code())->group("Identity");
    start.add_option("--min-fetch-interval", o.min_fetch_interval_s, "Seconds between two task fetches at least")
        ->type_name("SECONDS")->check(seconds())->capture_default_str()->group(group);
    start.add_option("--fetch-backoff", raw.fetch_backoff, "Backoff of failed fetches, initial and largest seconds")
        ->type_name("INITIAL:MAX")->check(backoff())->default_str(format_backoff(o.fetch_backoff))->group(group);
    start.add_option("--submit-backoff", raw.submit_backoff, "Backoff of failed submissions, initial and largest seconds")
        ->type_name("INITIAL:MAX")->check(backoff())->default_str(format_backoff(o.submit_backoff))->group(group);
    start.add_option("--startup-jitter", o.startup_jitter_s, "Largest random delay before the first fetch")
        ->type_name("SECONDS")->check(seconds())->capture_default_str()->group(group);
    start.add_option("--drain-timeout", o.drain_timeout_s, "Seconds in-flight tasks get to finish on SIGTERM or SIGINT")
        ->type_name("SECONDS")->check(seconds())->capture_default_str()->group(group);
    start.add_option("--task-timeout", o.task_timeout_s,
                     "Seconds a task may run on a worker (default: by difficulty, 120 at SMALL to 1800)")
        ->type_name("SECONDS")->check(seconds(false))->group(group);
}

std::string reserve_help(const Machine& machine) {
    std::string text = "Memory kept out of the budget (default: 1/" + std::to_string(kReserveDivisor) +
                       " of the memory limit, at least " + format_size(kReserveMin) + ", at most " +
                       format_size(kReserveMax);
    if (machine.memory_total) {
        text += "; here " + format_size(default_memory_reserve(machine.memory_total)) + " of " +
                format_size(machine.memory_total) + " " + machine.memory_source;
    }
    return text + ")";
}

void add_memory_flags(CLI::App& start, Options& o, const Machine& machine) {
    const std::string group = "Memory";
    start.add_option("--memory-per-proof", o.memory_per_proof, "Memory one proof is assumed to need until learned")
        ->type_name("SIZE")->transform(size_at_least(1u << 20))->default_str(format_size(o.memory_per_proof))
        ->group(group);
    start.add_option("--memory-reserve", o.memory_reserve, reserve_help(machine))
        ->type_name("SIZE")->transform(size_at_least(0))->group(group);
    start.add_option("--max-worker-memory", o.max_worker_memory, "Kill a worker whose RSS passes this (default: no limit "
                     "of its own, only the shared budget)")
        ->type_name("SIZE")->transform(size_at_least(1))->group(group);
    start.add_flag_callback("--no-memory-guard", [&o] { o.memory_guard = false; },
                            "Leave memory limits to the kernel's OOM killer")
        ->group(group);
}

// spdlog's names, and the short ones (warn, err) that spdlog and operators use too.
std::vector<std::string> log_level_names() {
    std::vector<std::string> names(std::begin(shared::kLogLevelNames), std::end(shared::kLogLevelNames));
    names.insert(names.end(), {"warn", "err"});
    return names;
}

void add_output_flags(CLI::App& start, Options& o, Raw& raw) {
    const std::string group = "Logs and metrics";
    start.add_flag("--headless", o.headless, "One log line per event, no live view (as when stdout is not a terminal)")
        ->group(group);
    start.add_option("--log-level", raw.log_level, "Least severe level logged")
        ->type_name("LEVEL")->transform(CLI::IsMember(log_level_names(), CLI::ignore_case))
        ->default_str(std::string(spdlog::level::to_string_view(o.log.level).data()))->group(group);
    start.add_option("--log-format", raw.log_format, "One line of text, or one JSON object, per event")
        ->type_name("FORMAT")->transform(CLI::IsMember({"text", "json"}, CLI::ignore_case))
        ->default_str(std::string(shared::to_string(o.log.format)))->group(group);
    start.add_option("--log-file", o.log.file, "Write logs here instead of stderr; reopened on SIGHUP (logrotate)")
        ->type_name("FILE")->group(group);
    start.add_option("--metrics-addr", o.metrics_addr,
                     "Serve /metrics, /healthz and /readyz on HOST:PORT, [IPv6]:PORT or :PORT (default: off)")
        ->type_name("HOST:PORT")->transform(listen_address())->group(group);
}

void add_anonymous_flags(CLI::App& start, Options& o, Raw& raw) {
    const std::string group = "Anonymous mode and tests";
    start.add_flag("--anonymous", o.anonymous, "Prove built-in inputs continuously, with no network at all")
        ->group(group);
    std::vector<std::string> programs;
    for (std::string_view id : shared::program_ids()) programs.emplace_back(id);
    start.add_option("--anonymous-program", o.anonymous_program, "Program of anonymous mode")
        ->type_name("PROGRAM")->check(CLI::IsMember(programs))->capture_default_str()->group(group);
    start.add_option("--anonymous-input", raw.anonymous_input,
                     "Prove this input every time (default: built-in inputs by difficulty)")
        ->type_name("HEX")->check(hex_bytes())->group(group);
    start.add_option("--worker-path", o.worker_path, "The worker executable (default: beside the supervisor)")
        ->type_name("FILE")->check(CLI::ExistingFile.description(""))->group(group);
    start.add_flag("--allow-test-programs", o.allow_test_programs, "Let workers run the fault programs of the tests")
        ->group(group);
}

CLI::App* add_start(CLI::App& app, Options& o, Raw& raw, const Machine& machine) {
    CLI::App* start = app.add_subcommand("start", "Run the node (the default: `supervisor [flags]` is start)");
    add_identity_flags(*start, o, raw, true);
    add_network_flags(*start, o, raw);
    add_pool_flags(*start, o, raw, machine);
    add_memory_flags(*start, o, machine);
    add_output_flags(*start, o, raw);
    add_anonymous_flags(*start, o, raw);
    add_state_dir(*start, raw, "Identity");
    add_env_names(*start);
    // --config-file and --version belong to the top level; start hands them up.
    start->fallthrough();
    start->footer(
        "Every flag may also come from the environment as PROVENODE_<FLAG> (PROVENODE_PER_TASK_THREADS=2, "
        "PROVENODE_HEADLESS=true) or from --config-file FILE, TOML or INI, one flag a line without its dashes "
        "(per-task-threads = 2). A flag wins over the environment, the environment over the file, the file over "
        "the default.");
    return start;
}

void add_other_commands(CLI::App& app, Options& o, Raw& raw) {
    CLI::App* user = app.add_subcommand("register-user", "Register the wallet's user with the orchestrator, once");
    user->add_option("--wallet-address", o.wallet_address, "Ethereum address, 0x and 40 hex digits (EIP-55 checked)")
        ->type_name("ADDR")->required()->group("Identity");
    add_identity_flags(*user, o, raw, true);

    CLI::App* node = app.add_subcommand("register-node", "Register this node for the saved user");
    add_identity_flags(*node, o, raw, true);

    CLI::App* logout = app.add_subcommand("logout", "Forget the user and node ids (the node key stays)");
    add_identity_flags(*logout, o, raw, false);
    add_state_dir(*logout, raw, "Identity");

    CLI::App* status = app.add_subcommand("status", "Show the running node's workers, tasks and memory");
    add_state_dir(*status, raw, "Options");
    status->add_flag("--json", o.status_json, "Print the node's JSON document as it sent it");
    for (CLI::App* command : {user, node, logout, status}) add_env_names(*command);
}

// start's flags in a config file are written without a section ("workers = 2"),
// but CLI11 looks for a subcommand's options under the subcommand's name: plain
// keys are given start's. CLI11 applies the file before the environment, so a
// key whose environment variable is set is left out: the environment wins.
class StartConfig final : public CLI::ConfigTOML {
public:
    explicit StartConfig(const CLI::App& start) : start_(start) {}

    std::vector<CLI::ConfigItem> from_config(std::istream& input) const override {
        std::vector<CLI::ConfigItem> kept;
        for (CLI::ConfigItem& item : CLI::ConfigTOML::from_config(input)) {
            if (item.parents.empty()) item.parents = {start_.get_name()};
            if (item.parents == std::vector<std::string>{start_.get_name()} && set_in_environment(item.name)) continue;
            kept.push_back(std::move(item));
        }
        return kept;
    }

private:
    bool set_in_environment(const std::string& key) const {
        const CLI::Option* option = start_.get_option_no_throw("--" + key);
        if (!option || option->get_envname().empty()) return false;
        const char* value = std::getenv(option->get_envname().c_str());
        return value && *value;
    }

    const CLI::App& start_;
};

// One line: CLI11's message, where a value that was not on the command line came
// from, and where to read more.
std::string describe_parse_error(const CLI::ParseError& e, const CLI::App& app, const std::vector<std::string>& words,
                                 const std::string& config_file) {
    std::string text = e.what();
    if (dynamic_cast<const CLI::ConfigError*>(&e)) {
        const std::string unknown = "INI was not able to parse start.";
        if (text.starts_with(unknown)) text = "'" + text.substr(unknown.size()) + "' is not a flag of start";
        return "--config-file " + config_file + ": " + text;
    }
    if (dynamic_cast<const CLI::FileError*>(&e)) return "--config-file " + config_file + ": " + text;
    const std::string command = words.empty() ? std::string() : words.front();
    const CLI::App* sub = find_command(app, command);
    const std::string flag = text.substr(0, text.find(':'));
    const CLI::Option* option = sub && flag.starts_with("--") ? sub->get_option_no_throw(flag) : nullptr;
    const bool on_command_line = std::any_of(words.begin(), words.end(), [&](const std::string& w) {
        return w == flag || w.starts_with(flag + "=");
    });
    if (option && !on_command_line) {
        const char* env = option->get_envname().empty() ? nullptr : std::getenv(option->get_envname().c_str());
        if (env && *env) text += " (from " + option->get_envname() + ")";
        else if (!config_file.empty()) text += " (from --config-file " + config_file + ")";
    }
    return text + "; see `supervisor " + (sub ? command + " " : std::string()) + "--help`";
}

// A word the subcommand does not take: named with the subcommand, and with the
// one it belongs to when it is another's flag (`logout --workers 3`).
std::string describe_extras(const CLI::App& app, const std::vector<std::string>& words,
                            const std::vector<std::string>& extras) {
    const std::string command = words.empty() ? std::string("start") : words.front();
    const std::string word = extras.empty() ? std::string("?") : extras.front();
    if (!word.starts_with("-")) {
        return command + ": unexpected argument '" + word + "'; see `supervisor " + command + " --help`";
    }
    const std::string flag = word.substr(0, word.find('='));
    std::string owners;
    for (const CLI::App* other : app.get_subcommands({})) {
        if (other->get_name() != command && other->get_option_no_throw(flag)) {
            owners += (owners.empty() ? "" : ", ") + other->get_name();
        }
    }
    std::string text = flag + ": not a flag of `supervisor " + command + "`";
    if (!owners.empty()) text += " (it belongs to " + owners + ")";
    return text + "; see `supervisor " + command + " --help`";
}

// --- after CLI11: what needs more than one flag, and the machine's bounds --------

shared::Status finish_start(const Raw& raw, Options& o) {
    if (!raw.workers.empty()) {
        const auto range = parse_worker_range(raw.workers);
        o.min_workers = range->first;
        o.max_workers = range->second;
    }
    if (!raw.max_difficulty.empty()) o.max_difficulty = shared::parse_difficulty(raw.max_difficulty);
    if (!raw.fetch_backoff.empty()) o.fetch_backoff = *parse_backoff(raw.fetch_backoff);
    if (!raw.submit_backoff.empty()) o.submit_backoff = *parse_backoff(raw.submit_backoff);
    o.max_threads_given = raw.max_threads != 0;
    if (!raw.anonymous_input.empty()) o.anonymous_input = *shared::from_hex(raw.anonymous_input);
    if (!raw.log_level.empty()) o.log.level = *shared::parse_log_level(raw.log_level);
    if (!raw.log_format.empty()) o.log.format = *shared::parse_log_format(raw.log_format);
    if (o.anonymous) {
        const shared::Program* program = shared::find_program(o.anonymous_program);
        if (program->test_only && !o.allow_test_programs) {
            return shared::fail("--anonymous-program: '" + o.anonymous_program +
                                "' is a test program; add --allow-test-programs");
        }
        if (!o.anonymous_input.empty()) {
            if (auto why = program->check_input(o.anonymous_input); !why.empty()) {
                return shared::fail("--anonymous-input: " + why);
            }
        }
    }
    return shared::Ok{};
}

// A pool the machine cannot hold is refused before any worker starts: 500 workers
// on 2 cores made the node unstoppable, and a pool whose proofs cannot fit the
// memory budget would only be held back by admission or killed by the kernel.
shared::Status check_machine_bounds(const Options& o, const Machine& machine) {
    if (o.force) return shared::Ok{};
    if (machine.cores && o.max_workers > kWorkersPerCore * machine.cores) {
        return shared::fail("--workers: " + std::to_string(o.max_workers) + " workers on " +
                            std::to_string(machine.cores) + " cores is more than " + std::to_string(kWorkersPerCore) +
                            " per core; add --force to start them anyway");
    }
    if (!machine.memory_total) return shared::Ok{};
    const std::uint64_t reserve = o.memory_reserve.value_or(default_memory_reserve(machine.memory_total));
    const std::uint64_t budget = memory_budget_of(machine.memory_total, reserve);
    // One proof per worker must fit: more threads than memory allows are only held
    // back by admission (said once), but a worker that cannot run even one proof
    // is a pool that cannot work.
    const long double need = static_cast<long double>(o.max_workers) * o.memory_per_proof;
    if (need <= budget) return shared::Ok{};
    return shared::fail("--workers: " + std::to_string(o.max_workers) + " workers x --memory-per-proof " +
                        format_size(o.memory_per_proof) + " = " + format_size(static_cast<std::uint64_t>(need)) +
                        " does not fit the memory budget " + format_size(budget) + " (" + machine.memory_source +
                        " " + format_size(machine.memory_total) + " less the reserve " + format_size(reserve) +
                        "); lower one of them, or add --force to start anyway (tasks that do not fit wait)");
}

// `supervisor [start flags]` is `supervisor start [start flags]`: the one thing
// CLI11 cannot infer, so "start" is put in front when there is no first word or
// it is a flag other than --help and --version.
std::vector<std::string> with_subcommand(const std::vector<std::string>& args) {
    std::vector<std::string> words(args.begin() + (args.empty() ? 0 : 1), args.end());
    const bool top_level = !words.empty() && (words.front() == "-h" || words.front() == "--help" ||
                                              words.front() == "-V" || words.front() == "--version");
    if (!top_level && (words.empty() || words.front().starts_with("-"))) words.insert(words.begin(), "start");
    return words;
}

// Environment variables belong to the command that runs: the other commands'
// copies are cleared, so that a PROVENODE_WORKERS meant for start cannot make
// `supervisor status` fail, nor two commands' copies of one flag disagree.
void keep_environment_of(CLI::App& app, const std::string& selected) {
    for (CLI::App* command : app.get_subcommands({})) {
        if (command->get_name() == selected) continue;
        for (CLI::Option* option : command->get_options()) option->envname("");
    }
}

std::optional<Command> command_named(const std::string& name) {
    if (name == "start") return Command::Start;
    if (name == "register-user") return Command::RegisterUser;
    if (name == "register-node") return Command::RegisterNode;
    if (name == "logout") return Command::Logout;
    if (name == "status") return Command::Status;
    return std::nullopt;
}

// The top level: --version, --config-file (CLI11 reads config files at the top
// only; StartConfig gives its keys to start) and the subcommands.
CLI::Option* build_app(CLI::App& app, Options& o, Raw& raw, const Machine& machine) {
    app.set_version_flag("-V,--version", kVersion);
    app.require_subcommand(0, 1);
    app.get_formatter()->column_width(36);
    // As in most Unix tools, a flag given twice takes its last value.
    app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    CLI::Option* config_file = app.set_config("--config-file", "", "start: read start's flags from this TOML or INI file");
    config_file->type_name("FILE");
    app.allow_config_extras(CLI::config_extras_mode::error);
    CLI::App* start = add_start(app, o, raw, machine);
    add_other_commands(app, o, raw);
    app.config_formatter(std::make_shared<StartConfig>(*start));
    app.footer("Without a subcommand, supervisor runs start: `supervisor [start flags]`.\n"
               "`supervisor SUBCOMMAND --help` lists the flags of each.\n"
               "Exit codes: 0 done, 1 runtime failure, 2 a bad flag or configuration (the message names it).");
    return config_file;
}

}  // namespace

Machine Machine::probe() {
    const MachineMemory memory = probe_machine_memory();
    return Machine{std::thread::hardware_concurrency(), memory.total, memory.source};
}

shared::Expected<Options> parse_options(const std::vector<std::string>& args) {
    return parse_options(args, Machine::probe());
}

shared::Expected<Options> parse_options(const std::vector<std::string>& args, const Machine& machine) {
    Options o;
    Raw raw;
    CLI::App app{"provenode supervisor: proves tasks from an orchestrator with a pool of worker processes", "supervisor"};
    CLI::Option* config_file = build_app(app, o, raw, machine);

    const std::vector<std::string> words = with_subcommand(args);
    if (!words.empty() && !words.front().starts_with("-") && !find_command(app, words.front())) {
        return shared::fail("unknown command '" + words.front() +
                            "' (start, register-user, register-node, logout, status); see `supervisor --help`");
    }
    if (!words.empty()) keep_environment_of(app, words.front());
    std::vector<const char*> argv{"supervisor"};
    for (const std::string& word : words) argv.push_back(word.c_str());
    try {
        app.parse(static_cast<int>(argv.size()), argv.data());
    } catch (const CLI::CallForHelp&) {
        o.command = Command::Help;
        o.help_text = app.help();
        return o;
    } catch (const CLI::CallForVersion&) {
        o.command = Command::Version;
        o.help_text = std::string(kVersion) + "\n";
        return o;
    } catch (const CLI::ExtrasError&) {
        return shared::fail(describe_extras(app, words, app.remaining(true)));
    } catch (const CLI::ParseError& e) {
        const std::string file = config_file->empty() ? std::string() : config_file->as<std::string>();
        return shared::fail(describe_parse_error(e, app, words, file));
    }
    const auto selected = app.get_subcommands();
    if (selected.empty()) {  // with_subcommand names one: only --help or --version go without
        o.command = Command::Help;
        o.help_text = app.help();
        return o;
    }
    o.command = *command_named(selected.front()->get_name());
    o.state_dir = raw.state_dir.empty() ? default_state_dir() : std::filesystem::path(raw.state_dir);
    o.config_path_given = !raw.config.empty();
    o.config_path = raw.config.empty() ? default_config_path() : std::filesystem::path(raw.config);
    if (o.command != Command::Start) return o;
    if (auto s = finish_start(raw, o); !s) return shared::fail(s.error());
    if (auto s = check_machine_bounds(o, machine); !s) return shared::fail(s.error());
    return o;
}

}  // namespace supervisor
