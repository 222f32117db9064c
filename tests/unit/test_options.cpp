// Unit tests for the supervisor's command line: subcommands and their own flags,
// typed values and the errors bad ones give, environment and config file, and
// the machine's bounds on the pool.
#include <doctest.h>

#include <fstream>
#include <string>
#include <vector>

#include "supervisor/flag_values.h"
#include "supervisor/options.h"
#include "tests/support/scoped_env.h"
#include "tests/support/temp_dir.h"

using supervisor::Command;
using supervisor::Machine;
using supervisor::Options;
using test_support::ScopedEnv;
using test_support::TempDir;

namespace {

// A machine where no pool of these tests hits a bound, and a small one where they do.
const Machine kRoomy{64, 1ull << 40, "physical memory"};
const Machine kSmall{2, 8ull << 30, "cgroup limit"};

shared::Expected<Options> parse(std::initializer_list<std::string> words, const Machine& machine = kRoomy) {
    std::vector<std::string> args{"supervisor"};
    args.insert(args.end(), words.begin(), words.end());
    return supervisor::parse_options(args, machine);
}

const std::vector<std::string> kGoodFlags = {
    "--orchestrator-url", "http://127.0.0.1:1", "--node-id", "n", "--workers", "2:4",
    "--per-task-threads", "3", "--max-difficulty", "small_medium", "--max-tasks", "5",
    "--headless", "--state-dir", "/x", "--min-fetch-interval", "0.5", "--fetch-backoff", "1:2",
    "--submit-backoff", "0.5:3", "--startup-jitter", "0", "--drain-timeout", "5", "--task-timeout", "2.5",
    "--max-queued", "7", "--log-level", "WARNING", "--log-format", "json", "--log-file", "/tmp/n.log",
};

void check_good(const Options& o) {
    CHECK(o.command == Command::Start);
    CHECK(o.orchestrator_url == "http://127.0.0.1:1");
    CHECK(o.node_id == "n");
    CHECK(o.min_workers == 2);
    CHECK(o.max_workers == 4);
    CHECK(o.per_task_threads == 3);
    REQUIRE(o.max_difficulty.has_value());
    CHECK(*o.max_difficulty == shared::Difficulty::SmallMedium);
    REQUIRE(o.max_tasks.has_value());
    CHECK(*o.max_tasks == 5);
    CHECK(o.headless);
    CHECK(o.state_dir == std::filesystem::path("/x"));
    CHECK(o.min_fetch_interval_s == doctest::Approx(0.5));
    CHECK(o.fetch_backoff.initial_s == doctest::Approx(1));
    CHECK(o.fetch_backoff.max_s == doctest::Approx(2));
    CHECK(o.submit_backoff.initial_s == doctest::Approx(0.5));
    CHECK(o.submit_backoff.max_s == doctest::Approx(3));
    CHECK(o.startup_jitter_s == doctest::Approx(0));
    CHECK(o.drain_timeout_s == doctest::Approx(5));
    REQUIRE(o.task_timeout_s.has_value());
    CHECK(*o.task_timeout_s == doctest::Approx(2.5));
    REQUIRE(o.max_queued.has_value());
    CHECK(*o.max_queued == 7);
    CHECK(o.log.level == spdlog::level::warn);
    CHECK(o.log.format == shared::LogFormat::Json);
    CHECK(o.log.file == "/tmp/n.log");
    CHECK_FALSE(o.max_threads_given);
}

// Expects a one-line error that names `flag` (main turns it into exit 2).
std::string check_refused(std::initializer_list<std::string> words, const std::string& flag,
                          const Machine& machine = kRoomy) {
    auto parsed = parse(words, machine);
    REQUIRE_FALSE(parsed.ok());
    INFO("error: " << parsed.error());
    CHECK(parsed.error().find(flag) != std::string::npos);
    CHECK(parsed.error().find('\n') == std::string::npos);
    return parsed.error();
}

void write_text(const std::filesystem::path& path, const std::string& text) { std::ofstream(path) << text; }

}  // namespace

TEST_CASE("every good flag with the start command, and without it") {
    for (bool with_start : {true, false}) {
        std::vector<std::string> args{"supervisor"};
        if (with_start) args.push_back("start");
        args.insert(args.end(), kGoodFlags.begin(), kGoodFlags.end());
        auto parsed = supervisor::parse_options(args, kRoomy);
        INFO((parsed.ok() ? std::string() : parsed.error()));
        REQUIRE(parsed.ok());
        check_good(*parsed);
    }
}

TEST_CASE("--log-level takes spdlog's short names too") {
    for (const auto& [name, level] : std::vector<std::pair<std::string, spdlog::level::level_enum>>{
             {"warn", spdlog::level::warn}, {"Warn", spdlog::level::warn}, {"err", spdlog::level::err},
             {"error", spdlog::level::err}, {"warning", spdlog::level::warn}}) {
        auto parsed = parse({"--node-id", "n", "--log-level", name});
        INFO(name);
        REQUIRE(parsed.ok());
        CHECK(parsed->log.level == level);
    }
}

TEST_CASE("defaults without flags") {
    ScopedEnv state("XDG_STATE_HOME", "/state");
    auto parsed = parse({});
    REQUIRE(parsed.ok());
    CHECK(parsed->command == Command::Start);
    CHECK(parsed->min_workers == 1);
    CHECK(parsed->max_workers == 1);
    CHECK(parsed->per_task_threads == 1);
    CHECK_FALSE(parsed->max_difficulty.has_value());
    CHECK_FALSE(parsed->max_tasks.has_value());
    CHECK_FALSE(parsed->max_queued.has_value());
    CHECK_FALSE(parsed->task_timeout_s.has_value());
    CHECK_FALSE(parsed->memory_reserve.has_value());
    CHECK(parsed->memory_per_proof == (4ull << 30));
    CHECK(parsed->memory_guard);
    CHECK(parsed->state_dir == "/state/provenode");
    CHECK_FALSE(parsed->config_path_given);
    CHECK(parsed->log.level == spdlog::level::info);
    CHECK(parsed->log.format == shared::LogFormat::Text);
    CHECK(parsed->log.file.empty());
}

TEST_CASE("a single worker count fixes the pool") {
    auto parsed = parse({"--workers", "3"});
    REQUIRE(parsed.ok());
    CHECK(parsed->min_workers == 3);
    CHECK(parsed->max_workers == 3);
}

TEST_CASE("--max-threads is accepted and only noted") {
    auto parsed = parse({"--max-threads", "4", "--per-task-threads", "2"});
    INFO((parsed.ok() ? std::string() : parsed.error()));
    REQUIRE(parsed.ok());
    CHECK(parsed->max_threads_given);
    CHECK(parsed->per_task_threads == 2);  // ignored: it does not set the threads
}

TEST_CASE("sizes, the memory guard and the country code") {
    auto parsed = parse({"--memory-per-proof", "512M", "--memory-reserve", "1G", "--max-worker-memory", "2g",
                         "--no-memory-guard", "--location", "de"});
    INFO((parsed.ok() ? std::string() : parsed.error()));
    REQUIRE(parsed.ok());
    CHECK(parsed->memory_per_proof == (512ull << 20));
    CHECK(parsed->memory_reserve == (1ull << 30));
    CHECK(parsed->max_worker_memory == (2ull << 30));
    CHECK_FALSE(parsed->memory_guard);
    CHECK(parsed->location == "DE");
}

TEST_CASE("the other subcommands take their own flags") {
    auto user = parse({"register-user", "--wallet-address", "0xabc", "--config", "/c.json"});
    REQUIRE(user.ok());
    CHECK(user->command == Command::RegisterUser);
    CHECK(user->wallet_address == "0xabc");
    CHECK(user->config_path == "/c.json");
    CHECK(user->config_path_given);
    auto node = parse({"register-node", "--orchestrator-url", "http://o:1"});
    REQUIRE(node.ok());
    CHECK(node->command == Command::RegisterNode);
    CHECK(node->orchestrator_url == "http://o:1");
    auto logout = parse({"logout", "--state-dir", "/s"});
    REQUIRE(logout.ok());
    CHECK(logout->command == Command::Logout);
    CHECK(logout->state_dir == "/s");
    auto status = parse({"status", "--json"});
    REQUIRE(status.ok());
    CHECK(status->command == Command::Status);
    CHECK(status->status_json);
    check_refused({"frobnicate"}, "frobnicate");
    check_refused({"register-user"}, "--wallet-address");  // required there
}

TEST_CASE("a flag outside its subcommand is refused, naming where it belongs") {
    CHECK(check_refused({"logout", "--workers", "3"}, "--workers").find("start") != std::string::npos);
    CHECK(check_refused({"status", "--wallet-address", "0xabc"}, "--wallet-address").find("register-user") !=
          std::string::npos);
    check_refused({"status", "--config-file", "/etc/hostname"}, "--config-file");
    check_refused({"register-node", "--node-id", "n"}, "--node-id");
    check_refused({"start", "--json"}, "--json");
    check_refused({"status", "extra"}, "extra");
    check_refused({"--workers", "2", "start"}, "start");  // the subcommand comes first
}

TEST_CASE("help: the top level names the subcommands, each subcommand only its flags") {
    auto top = parse({"--help"});
    REQUIRE(top.ok());
    CHECK(top->command == Command::Help);
    for (const char* word : {"start", "register-user", "register-node", "logout", "status", "--version"}) {
        CHECK(top->help_text.find(word) != std::string::npos);
    }
    CHECK(top->help_text.find("--workers") == std::string::npos);

    auto start = parse({"start", "--help"});
    REQUIRE(start.ok());
    CHECK(start->help_text.find("--workers N|MIN:MAX=1") != std::string::npos);
    CHECK(start->help_text.find("--per-task-threads N:UINT in [1 - 256]=1") != std::string::npos);
    CHECK(start->help_text.find("PROVENODE_PER_TASK_THREADS") != std::string::npos);
    CHECK(start->help_text.find("--memory-per-proof SIZE=4G") != std::string::npos);
    CHECK(start->help_text.find("--wallet-address") == std::string::npos);
    CHECK(start->help_text.find("TEXT") == std::string::npos);  // every value has a type of its own
    CHECK(start->help_text.find("{false}") == std::string::npos);

    auto status = parse({"status", "--help"});
    REQUIRE(status.ok());
    CHECK(status->help_text.find("--state-dir") != std::string::npos);
    CHECK(status->help_text.find("--json") != std::string::npos);
    for (const char* foreign : {"--workers", "--wallet-address", "--config", "--orchestrator-url"}) {
        CHECK(status->help_text.find(foreign) == std::string::npos);
    }
}

TEST_CASE("the help's defaults are the code's: --memory-reserve says how it is computed") {
    auto start = parse({"start", "--help"}, kSmall);
    REQUIRE(start.ok());
    const std::string& help = start->help_text;
    // 8G / 20 = 409.6M, within 32M..512M.
    CHECK(help.find("1/20 of the memory limit, at least 32M, at most 512M; here 409.6M of 8G cgroup limit") !=
          std::string::npos);
    const Options defaults;
    CHECK(help.find("--fetch-backoff INITIAL:MAX=" + supervisor::format_backoff(defaults.fetch_backoff)) !=
          std::string::npos);
    CHECK(help.find("--drain-timeout SECONDS=30") != std::string::npos);
    CHECK(help.find("at most 8 (4 per core)") != std::string::npos);
}

TEST_CASE("--version prints the build's version") {
    for (const char* flag : {"--version", "-V"}) {
        auto parsed = parse({flag});
        REQUIRE(parsed.ok());
        CHECK(parsed->command == Command::Version);
        CHECK(parsed->help_text == std::string("provenode supervisor ") + PROVENODE_VERSION + "\n");
    }
}

TEST_CASE("bad values are refused with a message naming the flag") {
    SUBCASE("workers 0") { check_refused({"--workers", "0"}, "--workers"); }
    SUBCASE("workers -1") { check_refused({"--workers", "-1"}, "--workers"); }
    SUBCASE("workers MIN above MAX") { check_refused({"--workers", "4:2"}, "MIN 4 is above MAX 2"); }
    SUBCASE("workers not numbers") { check_refused({"--workers", "a:b"}, "--workers"); }
    SUBCASE("workers half a range") { check_refused({"--workers", "2:"}, "--workers"); }
    SUBCASE("per-task-threads 0") { check_refused({"--per-task-threads", "0"}, "--per-task-threads"); }
    SUBCASE("per-task-threads past the worker's bound") {
        check_refused({"--per-task-threads", "300"}, "--per-task-threads: Value 300 not in range 1 to 256");
    }
    SUBCASE("per-task-threads overflowing") { check_refused({"--per-task-threads", "99999999999"}, "--per-task-threads"); }
    SUBCASE("max-difficulty huge") { check_refused({"--max-difficulty", "huge"}, "--max-difficulty"); }
    SUBCASE("url with another scheme") { check_refused({"--orchestrator-url", "ftp://x"}, "--orchestrator-url"); }
    SUBCASE("url without a host") { check_refused({"--orchestrator-url", "http://"}, "--orchestrator-url"); }
    SUBCASE("url with a space") { check_refused({"--orchestrator-url", "http://exa mple"}, "--orchestrator-url"); }
    SUBCASE("unknown flag") { check_refused({"--frobnicate"}, "--frobnicate"); }
    SUBCASE("fetch backoff INITIAL above MAX") { check_refused({"--fetch-backoff", "5:1"}, "--fetch-backoff"); }
    SUBCASE("submit backoff without MAX") { check_refused({"--submit-backoff", "5"}, "--submit-backoff"); }
    SUBCASE("negative startup jitter") { check_refused({"--startup-jitter", "-1"}, "--startup-jitter"); }
    SUBCASE("max-tasks 0") { check_refused({"--max-tasks", "0"}, "--max-tasks"); }
    SUBCASE("max-queued 0") { check_refused({"--max-queued", "0"}, "--max-queued"); }
    SUBCASE("task-timeout 0") { check_refused({"--task-timeout", "0"}, "--task-timeout"); }
    SUBCASE("drain-timeout not a number") { check_refused({"--drain-timeout", "soon"}, "--drain-timeout"); }
    SUBCASE("a flag without its value") { check_refused({"--workers"}, "--workers"); }
    SUBCASE("memory-per-proof below 1M") { check_refused({"--memory-per-proof", "1K"}, "--memory-per-proof"); }
    SUBCASE("memory-reserve not a size") { check_refused({"--memory-reserve", "lots"}, "--memory-reserve"); }
    SUBCASE("location of three letters") { check_refused({"--location", "DEU"}, "--location"); }
    SUBCASE("log level") { check_refused({"--log-level", "loud"}, "--log-level"); }
    SUBCASE("log format") { check_refused({"--log-format", "xml"}, "--log-format"); }
    SUBCASE("anonymous input not hex") { check_refused({"--anonymous-input", "xyz"}, "--anonymous-input"); }
    SUBCASE("unknown program") { check_refused({"--anonymous-program", "nope"}, "--anonymous-program"); }
    SUBCASE("test program without leave") {
        check_refused({"--anonymous", "--anonymous-program", "test_alloc"}, "--allow-test-programs");
    }
    SUBCASE("worker path that does not exist") { check_refused({"--worker-path", "/no/such/worker"}, "--worker-path"); }
}

TEST_CASE("--metrics-addr forms") {
    using supervisor::check_listen_address;
    for (const char* good : {"127.0.0.1:9464", "localhost:0", ":9464", "[::1]:9464", "[::]:65535"}) {
        CAPTURE(good);
        CHECK(check_listen_address(good).ok());
    }
    for (const char* bad : {"127.0.0.1:99999", ":abc", "9464", "::1:80", "[::1]", "[::1]9464", "[nope]:1",
                            "exa mple:1", "-x:1", "host:", "127.0.0.1:-1"}) {
        CAPTURE(bad);
        CHECK_FALSE(check_listen_address(bad).ok());
    }
    // Through the command line, the message names the flag and start stays unstarted.
    check_refused({"--metrics-addr", "127.0.0.1:99999"}, "--metrics-addr");
    auto parsed = parse({"--metrics-addr", "[::1]:0"});
    REQUIRE(parsed.ok());
    CHECK(parsed->metrics_addr == "[::1]:0");
}

TEST_CASE("the machine bounds the pool unless --force") {
    SUBCASE("more than four workers a core") {
        const std::string error = check_refused({"--workers", "1:9"}, "--workers", kSmall);
        CHECK(error.find("--force") != std::string::npos);
        CHECK(parse({"--workers", "1:8", "--memory-per-proof", "100M"}, kSmall).ok());
        CHECK(parse({"--workers", "500", "--force"}, kSmall).ok());
    }
    SUBCASE("a pool whose memory projection does not fit the budget") {
        // One proof per worker must fit: 4 x 4G = 16G against 8G less 409.6M.
        const std::string error = check_refused({"--workers", "4"}, "--workers", kSmall);
        CHECK(error.find("--memory-per-proof") != std::string::npos);
        CHECK(error.find("16G") != std::string::npos);
        // More threads than fit are admission's to hold back, not a refusal.
        CHECK(parse({"--workers", "1", "--per-task-threads", "8"}, kSmall).ok());
        CHECK(parse({"--workers", "4", "--memory-per-proof", "1G"}, kSmall).ok());
        CHECK(parse({"--workers", "4", "--force"}, kSmall).ok());
        // The reserve counts: 7G per proof fits 8G less 409.6M, not 8G less 2G.
        CHECK(parse({"--memory-per-proof", "7G"}, kSmall).ok());
        check_refused({"--memory-per-proof", "7G", "--memory-reserve", "2G"}, "--workers", kSmall);
    }
    SUBCASE("an unknown machine sets no bound") {
        CHECK(parse({"--workers", "500", "--per-task-threads", "256"}, Machine{}).ok());
    }
}

TEST_CASE("the difficulty is read in any case, with '-' for '_'") {
    auto parsed = parse({"--max-difficulty", "EXTRA-large-2"});
    REQUIRE(parsed.ok());
    REQUIRE(parsed->max_difficulty.has_value());
    CHECK(*parsed->max_difficulty == shared::Difficulty::ExtraLarge2);
}

TEST_CASE("a flag given twice takes its last value") {
    auto parsed = parse({"--workers", "2", "--workers", "5", "--node-id", "a", "--node-id", "b"});
    INFO((parsed.ok() ? std::string() : parsed.error()));
    REQUIRE(parsed.ok());
    CHECK(parsed->min_workers == 5);
    CHECK(parsed->node_id == "b");
}

TEST_CASE("precedence: flag over environment over config file over default") {
    TempDir dir("options-");
    const auto file = dir.path() / "node.toml";
    write_text(file, "# start's flags\nper-task-threads = 3\nworkers = \"2:3\"\nheadless = true\n"
                     "max-difficulty = \"medium\"\n");
    const std::string path = file.string();
    SUBCASE("the default") {
        auto parsed = parse({});
        REQUIRE(parsed.ok());
        CHECK(parsed->per_task_threads == 1);
    }
    SUBCASE("the file over the default") {
        auto parsed = parse({"--config-file", path});
        INFO((parsed.ok() ? std::string() : parsed.error()));
        REQUIRE(parsed.ok());
        CHECK(parsed->per_task_threads == 3);
        CHECK(parsed->min_workers == 2);
        CHECK(parsed->max_workers == 3);
        CHECK(parsed->headless);
        CHECK(parsed->max_difficulty == shared::Difficulty::Medium);
    }
    SUBCASE("the environment over the file") {
        ScopedEnv env("PROVENODE_PER_TASK_THREADS", "4");
        auto parsed = parse({"start", "--config-file", path});
        REQUIRE(parsed.ok());
        CHECK(parsed->per_task_threads == 4);
        CHECK(parsed->max_workers == 3);  // the file still gives what the environment does not
    }
    SUBCASE("the flag over the environment") {
        ScopedEnv env("PROVENODE_PER_TASK_THREADS", "4");
        auto parsed = parse({"--config-file", path, "--per-task-threads", "5"});
        REQUIRE(parsed.ok());
        CHECK(parsed->per_task_threads == 5);
    }
    SUBCASE("environment alone, flags too") {
        ScopedEnv workers("PROVENODE_WORKERS", "1:2");
        ScopedEnv headless("PROVENODE_HEADLESS", "true");
        ScopedEnv level("PROVENODE_LOG_LEVEL", "debug");
        auto parsed = parse({});
        REQUIRE(parsed.ok());
        CHECK(parsed->max_workers == 2);
        CHECK(parsed->headless);
        CHECK(parsed->log.level == spdlog::level::debug);
    }
}

TEST_CASE("bad values from the environment or the file say where they came from") {
    TempDir dir("options-");
    const auto file = dir.path() / "node.toml";
    SUBCASE("environment") {
        ScopedEnv env("PROVENODE_WORKERS", "0");
        check_refused({}, "(from PROVENODE_WORKERS)");
    }
    SUBCASE("a start variable does not break another command") {
        ScopedEnv env("PROVENODE_WORKERS", "0");
        CHECK(parse({"status"}).ok());
    }
    SUBCASE("file value") {
        write_text(file, "per-task-threads = 999\n");
        check_refused({"--config-file", file.string()}, "(from --config-file " + file.string() + ")");
    }
    SUBCASE("file key that is no flag") {
        write_text(file, "per-task-threadz = 2\n");
        CHECK(check_refused({"--config-file", file.string()}, "--config-file").find("per-task-threadz") !=
              std::string::npos);
    }
    SUBCASE("missing file") { check_refused({"--config-file", (dir.path() / "none.toml").string()}, "--config-file"); }
    SUBCASE("INI with a [start] section reads too") {
        write_text(file, "[start]\nper-task-threads=6\n");
        auto parsed = parse({"--config-file", file.string()});
        INFO((parsed.ok() ? std::string() : parsed.error()));
        REQUIRE(parsed.ok());
        CHECK(parsed->per_task_threads == 6);
    }
}

TEST_CASE("flag value forms") {
    using supervisor::format_size;
    CHECK(format_size(4ull << 30) == "4G");
    CHECK(format_size(512ull << 20) == "512M");
    CHECK(format_size((23ull << 30) + (512ull << 20)) == "23.5G");
    CHECK(format_size(1000) == "1000");
    CHECK(supervisor::parse_worker_range("3") == std::pair{3u, 3u});
    CHECK(supervisor::parse_worker_range("1:4") == std::pair{1u, 4u});
    CHECK_FALSE(supervisor::parse_worker_range("4:1"));
    CHECK(supervisor::format_backoff({0.5, 60}) == "0.5:60");
    auto backoff = supervisor::parse_backoff("0.5:60");
    REQUIRE(backoff);
    CHECK(backoff->initial_s == doctest::Approx(0.5));
}
