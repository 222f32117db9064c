// Command-line parsing with CLI11, plus the checks CLI11 cannot express.
#include "supervisor/options.h"
#include "supervisor/memory_guard.h"
#include "supervisor/paths.h"
#include "shared/program.h"

#include <CLI/CLI.hpp>

#include <cctype>
#include <charconv>
#include <cstdlib>

namespace supervisor {

namespace {

std::optional<unsigned> parse_count(std::string_view text) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value == 0) return std::nullopt;
    return value;
}

std::optional<double> parse_seconds(std::string_view text) {
    try {
        std::size_t used = 0;
        double value = std::stod(std::string(text), &used);
        if (used != text.size() || !(value >= 0) || value > 1e7) return std::nullopt;
        return value;
    } catch (...) {
        return std::nullopt;
    }
}

shared::Status parse_workers(const std::string& text, Options& o) {
    const auto colon = text.find(':');
    if (colon == std::string::npos) {
        auto n = parse_count(text);
        if (!n) return shared::fail("--workers: '" + text + "' is not a count of 1 or more, nor MIN:MAX");
        o.min_workers = o.max_workers = *n;
        return shared::Ok{};
    }
    auto lo = parse_count(std::string_view(text).substr(0, colon));
    auto hi = parse_count(std::string_view(text).substr(colon + 1));
    if (!lo || !hi) return shared::fail("--workers: '" + text + "' needs MIN:MAX with counts of 1 or more");
    if (*lo > *hi) return shared::fail("--workers: MIN " + std::to_string(*lo) + " is above MAX " + std::to_string(*hi));
    o.min_workers = *lo;
    o.max_workers = *hi;
    return shared::Ok{};
}

shared::Status parse_backoff(const std::string& flag, const std::string& text, Backoff& out) {
    const auto colon = text.find(':');
    auto lo = colon == std::string::npos ? std::nullopt : parse_seconds(std::string_view(text).substr(0, colon));
    auto hi = colon == std::string::npos ? std::nullopt : parse_seconds(std::string_view(text).substr(colon + 1));
    if (!lo || !hi || *lo <= 0) return shared::fail(flag + ": '" + text + "' needs INITIAL:MAX in seconds, INITIAL above 0");
    if (*lo > *hi) return shared::fail(flag + ": INITIAL " + text.substr(0, colon) + " is above MAX");
    out = Backoff{*lo, *hi};
    return shared::Ok{};
}

shared::Status check_url(const std::string& url) {
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
        return shared::fail("--orchestrator-url: '" + url + "' is not an http:// or https:// URL");
    }
    const auto host_start = url.find("//") + 2;
    if (host_start >= url.size() || url[host_start] == '/' || url[host_start] == ':') {
        return shared::fail("--orchestrator-url: '" + url + "' has no host");
    }
    return shared::Ok{};
}

// Raw flag values as strings: CLI11 parses the syntax, the functions above the meaning.
struct RawFlags {
    std::string workers, per_task_threads, max_difficulty, max_tasks, max_threads;
    std::string min_fetch_interval, fetch_backoff, submit_backoff, startup_jitter;
    std::string drain_timeout, task_timeout, state_dir;
    std::string max_worker_memory, memory_reserve, memory_per_proof, scale_cooldown;
    std::string config, location, anonymous_input;
};

void add_flags(CLI::App& app, Options& o, RawFlags& raw) {
    app.add_option("--orchestrator-url", o.orchestrator_url, "Orchestrator base URL (http:// or https://)");
    app.add_option("--node-id", o.node_id, "This node's id (from register-node)");
    app.add_option("--workers", raw.workers, "Worker processes: N, or MIN:MAX to scale");
    app.add_option("--per-task-threads", raw.per_task_threads, "Inputs of one task proven at once");
    app.add_option("--max-difficulty", raw.max_difficulty, "Largest task difficulty (SMALL ... EXTRA_LARGE_5)");
    app.add_option("--max-tasks", raw.max_tasks, "Exit 0 once this many tasks were accepted");
    app.add_flag("--headless", o.headless, "One log line per event, no live view");
    app.add_option("--state-dir", raw.state_dir, "Node key, spool and learned figures");
    app.add_option("--max-threads", raw.max_threads, "Deprecated and ignored; use --per-task-threads");
    app.add_option("--min-fetch-interval", raw.min_fetch_interval, "Seconds between task fetches at least");
    app.add_option("--fetch-backoff", raw.fetch_backoff, "INITIAL:MAX seconds of fetch backoff");
    app.add_option("--submit-backoff", raw.submit_backoff, "INITIAL:MAX seconds of submit backoff");
    app.add_option("--startup-jitter", raw.startup_jitter, "Largest random delay before the first fetch");
    app.add_option("--drain-timeout", raw.drain_timeout, "Seconds in-flight tasks get to finish on SIGTERM");
    app.add_option("--task-timeout", raw.task_timeout, "Seconds a task may run on a worker");
    app.add_option("--max-worker-memory", raw.max_worker_memory, "Kill a worker whose RSS passes this (e.g. 2G)");
    app.add_option("--memory-reserve", raw.memory_reserve, "Memory kept out of the budget (default 256M)");
    app.add_flag("!--no-memory-guard", o.memory_guard, "Leave memory limits to the kernel's OOM killer");
    app.add_option("--memory-per-proof", raw.memory_per_proof, "Memory a proof is assumed to need until learned (default 4G)");
    app.add_option("--metrics-addr", o.metrics_addr, "Serve Prometheus metrics on HOST:PORT");
    app.add_option("--scale-cooldown", raw.scale_cooldown, "Seconds between two steps of scaling down (default 30)");
    app.add_flag("--anonymous", o.anonymous, "Prove built-in inputs continuously, with no network at all");
    app.add_option("--anonymous-program", o.anonymous_program, "Program of anonymous mode (default argon2id_pow)");
    app.add_option("--anonymous-input", raw.anonymous_input, "Anonymous mode: prove this input (hex) every time");
    app.add_option("--worker-path", o.worker_path, "The worker executable");
    app.add_flag("--allow-test-programs", o.allow_test_programs, "Let workers run the fault programs of the tests");
    app.add_option("--wallet-address", o.wallet_address, "register-user: the wallet address");
    app.add_option("--config", raw.config, "Identity file (default $XDG_CONFIG_HOME/provenode/config.json)");
    app.add_option("--location", raw.location, "Two-letter country code reported in telemetry");
}

// Identity flags: the config file and the country code. A location is reported
// as given, never guessed, so only a plain two-letter code is accepted.
shared::Status apply_identity(const RawFlags& raw, Options& o) {
    o.config_path = raw.config.empty() ? default_config_path() : std::filesystem::path(raw.config);
    if (raw.location.empty()) return shared::Ok{};
    const bool letters = raw.location.size() == 2 &&
                         std::isalpha(static_cast<unsigned char>(raw.location[0])) &&
                         std::isalpha(static_cast<unsigned char>(raw.location[1]));
    if (!letters) return shared::fail("--location: '" + raw.location + "' is not a two-letter country code such as DE");
    std::string code = raw.location;
    for (char& c : code) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    o.location = code;
    return shared::Ok{};
}

shared::Status seconds_flag(const std::string& flag, const std::string& text, double& out) {
    if (text.empty()) return shared::Ok{};
    auto v = parse_seconds(text);
    if (!v) return shared::fail(flag + ": '" + text + "' is not a number of seconds (0 or more)");
    out = *v;
    return shared::Ok{};
}

shared::Status count_flag(const std::string& flag, const std::string& text, unsigned& out) {
    if (text.empty()) return shared::Ok{};
    auto v = parse_count(text);
    if (!v) return shared::fail(flag + ": '" + text + "' is not a count of 1 or more");
    out = *v;
    return shared::Ok{};
}

shared::Status apply(const RawFlags& raw, Options& o) {
    if (!raw.workers.empty()) {
        if (auto s = parse_workers(raw.workers, o); !s) return s;
    }
    if (auto s = count_flag("--per-task-threads", raw.per_task_threads, o.per_task_threads); !s) return s;
    if (!raw.max_difficulty.empty()) {
        o.max_difficulty = shared::parse_difficulty(raw.max_difficulty);
        if (!o.max_difficulty) {
            return shared::fail("--max-difficulty: '" + raw.max_difficulty +
                                "' is not one of SMALL, SMALL_MEDIUM, MEDIUM, LARGE, EXTRA_LARGE, EXTRA_LARGE_2 to _5");
        }
    }
    if (!raw.max_tasks.empty()) {
        unsigned n = 0;
        if (auto s = count_flag("--max-tasks", raw.max_tasks, n); !s) return s;
        o.max_tasks = n;
    }
    if (!raw.max_threads.empty()) {
        unsigned ignored = 0;
        if (auto s = count_flag("--max-threads", raw.max_threads, ignored); !s) return s;
        o.max_threads_given = true;
    }
    if (auto s = seconds_flag("--min-fetch-interval", raw.min_fetch_interval, o.min_fetch_interval_s); !s) return s;
    if (auto s = seconds_flag("--startup-jitter", raw.startup_jitter, o.startup_jitter_s); !s) return s;
    if (auto s = seconds_flag("--drain-timeout", raw.drain_timeout, o.drain_timeout_s); !s) return s;
    if (auto s = seconds_flag("--scale-cooldown", raw.scale_cooldown, o.scale_cooldown_s); !s) return s;
    if (!raw.task_timeout.empty()) {
        double t = 0;
        if (auto s = seconds_flag("--task-timeout", raw.task_timeout, t); !s) return s;
        if (t <= 0) return shared::fail("--task-timeout: must be above 0 seconds");
        o.task_timeout_s = t;
    }
    if (!raw.fetch_backoff.empty()) {
        if (auto s = parse_backoff("--fetch-backoff", raw.fetch_backoff, o.fetch_backoff); !s) return s;
    }
    if (!raw.submit_backoff.empty()) {
        if (auto s = parse_backoff("--submit-backoff", raw.submit_backoff, o.submit_backoff); !s) return s;
    }
    if (!raw.max_worker_memory.empty()) {
        o.max_worker_memory = parse_size(raw.max_worker_memory);
        if (!o.max_worker_memory || *o.max_worker_memory == 0) {
            return shared::fail("--max-worker-memory: '" + raw.max_worker_memory + "' is not a size such as 512M or 2G");
        }
    }
    if (!raw.memory_reserve.empty()) {
        auto reserve = parse_size(raw.memory_reserve);
        if (!reserve) return shared::fail("--memory-reserve: '" + raw.memory_reserve + "' is not a size such as 256M");
        o.memory_reserve = *reserve;
    }
    if (!raw.memory_per_proof.empty()) {
        auto size = parse_size(raw.memory_per_proof);
        if (!size || *size < (1u << 20)) {
            return shared::fail("--memory-per-proof: '" + raw.memory_per_proof + "' is not a size of 1M or more");
        }
        o.memory_per_proof = *size;
    }
    if (!raw.anonymous_input.empty()) {
        auto input = shared::from_hex(raw.anonymous_input);
        if (!input || input->empty()) return shared::fail("--anonymous-input: '" + raw.anonymous_input + "' is not hex");
        o.anonymous_input = std::move(*input);
    }
    if (o.anonymous) {
        const shared::Program* program = shared::find_program(o.anonymous_program);
        if (!program) return shared::fail("--anonymous-program: '" + o.anonymous_program + "' is not a program");
        if (program->test_only && !o.allow_test_programs) {
            return shared::fail("--anonymous-program: '" + o.anonymous_program + "' is a test program; add --allow-test-programs");
        }
        if (!o.anonymous_input.empty()) {
            if (auto why = program->check_input(o.anonymous_input); !why.empty()) return shared::fail("--anonymous-input: " + why);
        }
    }
    if (!o.metrics_addr.empty() && o.metrics_addr.rfind(':') == std::string::npos) {
        return shared::fail("--metrics-addr: '" + o.metrics_addr + "' is not HOST:PORT");
    }
    o.state_dir = raw.state_dir.empty() ? default_state_dir() : std::filesystem::path(raw.state_dir);
    if (auto s = apply_identity(raw, o); !s) return s;
    if (!o.orchestrator_url.empty()) return check_url(o.orchestrator_url);
    return shared::Ok{};
}

std::optional<Command> command_of(const std::string& word) {
    if (word == "start") return Command::Start;
    if (word == "register-user") return Command::RegisterUser;
    if (word == "register-node") return Command::RegisterNode;
    if (word == "logout") return Command::Logout;
    if (word == "status") return Command::Status;
    return std::nullopt;
}

}  // namespace

shared::Expected<Options> parse_options(const std::vector<std::string>& args) {
    Options o;
    std::vector<std::string> flags(args.begin() + (args.empty() ? 0 : 1), args.end());
    if (!flags.empty() && !flags.front().starts_with("-")) {
        auto command = command_of(flags.front());
        if (!command) return shared::fail("unknown command '" + flags.front() + "' (start, register-user, register-node, logout, status)");
        o.command = *command;
        flags.erase(flags.begin());
    }
    CLI::App app{"provenode supervisor: proves tasks from an orchestrator with a pool of workers", "supervisor"};
    RawFlags raw;
    // As in most Unix tools, a flag given twice takes its last value.
    app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    add_flags(app, o, raw);
    try {
        std::vector<std::string> reversed(flags.rbegin(), flags.rend());  // CLI11 consumes from the back
        app.parse(reversed);
    } catch (const CLI::CallForHelp&) {
        o.command = Command::Help;
        o.help_text = app.help();
        return o;
    } catch (const CLI::ParseError& e) {
        return shared::fail(e.what());
    }
    if (auto s = apply(raw, o); !s) return shared::fail(s.error());
    return o;
}

}  // namespace supervisor
