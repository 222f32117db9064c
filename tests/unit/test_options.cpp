// Unit tests for the supervisor's command line: good flags and the errors bad ones give.
#include <doctest.h>

#include <string>
#include <vector>

#include "supervisor/options.h"

using supervisor::Command;
using supervisor::Options;
using supervisor::parse_options;

namespace {

std::vector<std::string> argv_of(std::initializer_list<std::string> words) {
    std::vector<std::string> args{"supervisor"};
    args.insert(args.end(), words.begin(), words.end());
    return args;
}

const std::vector<std::string> kGoodFlags = {
    "--orchestrator-url", "http://127.0.0.1:1", "--node-id", "n", "--workers", "2:4",
    "--per-task-threads", "3", "--max-difficulty", "small_medium", "--max-tasks", "5",
    "--headless", "--state-dir", "/x", "--min-fetch-interval", "0.5", "--fetch-backoff", "1:2",
    "--submit-backoff", "0.5:3", "--startup-jitter", "0", "--drain-timeout", "5", "--task-timeout", "2.5",
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
    CHECK_FALSE(o.max_threads_given);
}

// Parses `words` after the program name and expects an error that names `flag`.
void check_refused(std::initializer_list<std::string> words, const std::string& flag) {
    auto parsed = parse_options(argv_of(words));
    REQUIRE_FALSE(parsed.ok());
    INFO("error: " << parsed.error());
    CHECK(parsed.error().find(flag) != std::string::npos);
    CHECK(parsed.error().find('\n') == std::string::npos);
}

}  // namespace

TEST_CASE("every good flag with the start command") {
    std::vector<std::string> args{"supervisor", "start"};
    args.insert(args.end(), kGoodFlags.begin(), kGoodFlags.end());
    auto parsed = parse_options(args);
    INFO((parsed.ok() ? std::string() : parsed.error()));
    REQUIRE(parsed.ok());
    check_good(*parsed);
}

TEST_CASE("plain supervisor without start means start") {
    std::vector<std::string> args{"supervisor"};
    args.insert(args.end(), kGoodFlags.begin(), kGoodFlags.end());
    auto parsed = parse_options(args);
    INFO((parsed.ok() ? std::string() : parsed.error()));
    REQUIRE(parsed.ok());
    check_good(*parsed);
}

TEST_CASE("defaults without flags") {
    auto parsed = parse_options(argv_of({}));
    REQUIRE(parsed.ok());
    CHECK(parsed->command == Command::Start);
    CHECK(parsed->min_workers == 1);
    CHECK(parsed->max_workers == 1);
    CHECK(parsed->per_task_threads == 1);
    CHECK_FALSE(parsed->max_difficulty.has_value());
    CHECK_FALSE(parsed->max_tasks.has_value());
    CHECK_FALSE(parsed->task_timeout_s.has_value());
    CHECK_FALSE(parsed->state_dir.empty());
}

TEST_CASE("a single worker count fixes the pool") {
    auto parsed = parse_options(argv_of({"--workers", "3"}));
    REQUIRE(parsed.ok());
    CHECK(parsed->min_workers == 3);
    CHECK(parsed->max_workers == 3);
}

TEST_CASE("--max-threads is accepted and only noted") {
    auto parsed = parse_options(argv_of({"--max-threads", "4", "--per-task-threads", "2"}));
    INFO((parsed.ok() ? std::string() : parsed.error()));
    REQUIRE(parsed.ok());
    CHECK(parsed->max_threads_given);
    CHECK(parsed->per_task_threads == 2);  // ignored: it does not set the threads
}

TEST_CASE("the other subcommands") {
    auto user = parse_options(argv_of({"register-user", "--wallet-address", "0xabc"}));
    REQUIRE(user.ok());
    CHECK(user->command == Command::RegisterUser);
    CHECK(user->wallet_address == "0xabc");
    auto node = parse_options(argv_of({"register-node"}));
    REQUIRE(node.ok());
    CHECK(node->command == Command::RegisterNode);
    auto logout = parse_options(argv_of({"logout"}));
    REQUIRE(logout.ok());
    CHECK(logout->command == Command::Logout);
    auto unknown = parse_options(argv_of({"frobnicate"}));
    REQUIRE_FALSE(unknown.ok());
    CHECK(unknown.error().find("frobnicate") != std::string::npos);
}

TEST_CASE("--help gives the help command with text") {
    auto parsed = parse_options(argv_of({"--help"}));
    REQUIRE(parsed.ok());
    CHECK(parsed->command == Command::Help);
    CHECK(parsed->help_text.find("--workers") != std::string::npos);
    CHECK(parsed->help_text.find("--orchestrator-url") != std::string::npos);
}

TEST_CASE("bad values are refused with a message naming the flag") {
    SUBCASE("workers 0") { check_refused({"--workers", "0"}, "--workers"); }
    SUBCASE("workers -1") { check_refused({"--workers", "-1"}, "--workers"); }
    SUBCASE("workers MIN above MAX") { check_refused({"--workers", "4:2"}, "--workers"); }
    SUBCASE("workers not numbers") { check_refused({"--workers", "a:b"}, "--workers"); }
    SUBCASE("workers half a range") { check_refused({"--workers", "2:"}, "--workers"); }
    SUBCASE("per-task-threads 0") { check_refused({"--per-task-threads", "0"}, "--per-task-threads"); }
    SUBCASE("max-difficulty huge") { check_refused({"--max-difficulty", "huge"}, "--max-difficulty"); }
    SUBCASE("url with another scheme") { check_refused({"--orchestrator-url", "ftp://x"}, "--orchestrator-url"); }
    SUBCASE("url without a host") { check_refused({"--orchestrator-url", "http://"}, "--orchestrator-url"); }
    SUBCASE("unknown flag") { check_refused({"--frobnicate"}, "--frobnicate"); }
    SUBCASE("fetch backoff INITIAL above MAX") { check_refused({"--fetch-backoff", "5:1"}, "--fetch-backoff"); }
    SUBCASE("submit backoff without MAX") { check_refused({"--submit-backoff", "5"}, "--submit-backoff"); }
    SUBCASE("negative startup jitter") { check_refused({"--startup-jitter", "-1"}, "--startup-jitter"); }
    SUBCASE("max-tasks 0") { check_refused({"--max-tasks", "0"}, "--max-tasks"); }
    SUBCASE("task-timeout 0") { check_refused({"--task-timeout", "0"}, "--task-timeout"); }
    SUBCASE("drain-timeout not a number") { check_refused({"--drain-timeout", "soon"}, "--drain-timeout"); }
    SUBCASE("a flag without its value") { check_refused({"--workers"}, "--workers"); }
}

TEST_CASE("the difficulty is read in any case, with '-' for '_'") {
    auto parsed = parse_options(argv_of({"--max-difficulty", "EXTRA-LARGE-2"}));
    REQUIRE(parsed.ok());
    REQUIRE(parsed->max_difficulty.has_value());
    CHECK(*parsed->max_difficulty == shared::Difficulty::ExtraLarge2);
}

TEST_CASE("a flag given twice takes its last value") {
    auto parsed = parse_options(argv_of({"--workers", "2", "--workers", "5", "--node-id", "a", "--node-id", "b"}));
    INFO((parsed.ok() ? std::string() : parsed.error()));
    REQUIRE(parsed.ok());
    CHECK(parsed->min_workers == 5);
    CHECK(parsed->node_id == "b");
}
