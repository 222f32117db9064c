// Unit tests for logging: RFC 3339 times with their offset, JSON lines that parse
// whatever the message holds, the journal check, levels, and reopening a log file.
#include <doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/ostream_sink.h>

#include <nlohmann/json.hpp>

#include <ctime>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "shared/log.h"
#include "tests/support/scoped_env.h"
#include "tests/support/temp_dir.h"

using test_support::ScopedEnv;
using test_support::TempDir;

namespace {

// Lines a logger with `formatter` writes for `messages`.
std::vector<std::string> lines_of(std::unique_ptr<spdlog::formatter> formatter,
                                  const std::vector<std::string>& messages) {
    std::ostringstream out;
    auto logger = std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::ostream_sink_st>(out));
    logger->set_formatter(std::move(formatter));
    for (const std::string& message : messages) logger->warn("{}", message);
    std::vector<std::string> lines;
    std::istringstream in(out.str());
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

std::string read_all(const std::filesystem::path& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// The test's own stderr, put back after a test made a log file its stderr.
class SavedStderr {
public:
    SavedStderr() : fd_(::dup(STDERR_FILENO)) {}
    ~SavedStderr() {
        std::fflush(stderr);
        ::dup2(fd_, STDERR_FILENO);
        ::close(fd_);
        shared::init_logging("test");  // forget the file
    }

private:
    int fd_;
};

}  // namespace

TEST_CASE("JSON lines parse whatever the message holds") {
    const std::vector<std::string> messages = {
        "plain", "a \"quoted\" word", "back\\slash", "new\nline", "tab\tand\rreturn", std::string("nul\0byte", 8),
        "bell\x07 and \x1f", "not UTF-8: \xff\xfe", "{\"looks\":\"like json\"}",
    };
    const auto lines = lines_of(shared::make_json_formatter("worker#2", 77), messages);
    REQUIRE(lines.size() == messages.size());  // a newline in a message did not split its line
    for (std::size_t i = 0; i < lines.size(); ++i) {
        CAPTURE(lines[i]);
        nlohmann::json parsed;
        REQUIRE_NOTHROW(parsed = nlohmann::json::parse(lines[i]));
        CHECK(parsed["level"] == "warning");
        CHECK(parsed["role"] == "worker#2");
        CHECK(parsed["pid"] == 77);
        if (i != 7) CHECK(parsed["msg"].get<std::string>() == messages[i]);  // bad UTF-8 is replaced
    }
    CHECK(lines[0].starts_with(R"({"time":")"));  // the fields in reading order
}

TEST_CASE("times are RFC 3339 with the UTC offset") {
    ScopedEnv tz("TZ", "IST-05:30");  // POSIX form: five and a half hours east of UTC
    ::tzset();
    const auto text = lines_of(std::make_unique<spdlog::pattern_formatter>(shared::text_pattern("supervisor", 9)),
                               {"hello"});
    REQUIRE(text.size() == 1);
    CAPTURE(text[0]);
    CHECK(std::regex_match(text[0], std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+05:30 warning supervisor\[9\] hello)")));
    const auto json = lines_of(shared::make_json_formatter("supervisor", 9), {"hello"});
    const std::string time = nlohmann::json::parse(json.at(0))["time"];
    CHECK(std::regex_match(time, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+05:30)")));
    {
        ScopedEnv utc("TZ", "UTC0");
        ::tzset();
        const auto line = lines_of(std::make_unique<spdlog::pattern_formatter>(shared::text_pattern("s", 1)), {"x"});
        CHECK(line.at(0).find("+00:00 warning") != std::string::npos);
    }
    ::tzset();
}

TEST_CASE("the journal is used only when JOURNAL_STREAM names our stderr") {
    TempDir dir("log-");
    const auto path = dir.path() / "f";
    std::ofstream(path) << "x";
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    struct stat st {};
    REQUIRE(::fstat(fd, &st) == 0);
    const std::string mine = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
    CHECK(shared::is_journal_stream(mine.c_str(), fd));
    const std::string other = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino + 1);
    CHECK_FALSE(shared::is_journal_stream(other.c_str(), fd));  // stderr was redirected since
    CHECK_FALSE(shared::is_journal_stream(nullptr, fd));
    CHECK_FALSE(shared::is_journal_stream("", fd));
    CHECK_FALSE(shared::is_journal_stream("garbage", fd));
    CHECK_FALSE(shared::is_journal_stream((mine + "x").c_str(), fd));
    ::close(fd);
}

TEST_CASE("levels and formats by name and from the environment") {
    CHECK(shared::parse_log_level("WARNING") == spdlog::level::warn);
    CHECK(shared::parse_log_level("warn") == spdlog::level::warn);
    CHECK(shared::parse_log_level("off") == spdlog::level::off);
    CHECK_FALSE(shared::parse_log_level("loud"));  // spdlog alone would say "off"
    CHECK(shared::parse_log_format("JSON") == shared::LogFormat::Json);
    CHECK_FALSE(shared::parse_log_format("xml"));
    {
        ScopedEnv level(shared::kLogLevelVariable, "debug");
        ScopedEnv format(shared::kLogFormatVariable, "json");
        std::vector<std::string> problems;
        const auto settings = shared::log_settings_from_environment(problems);
        CHECK(problems.empty());
        CHECK(settings.level == spdlog::level::debug);
        CHECK(settings.format == shared::LogFormat::Json);
    }
    ScopedEnv level(shared::kLogLevelVariable, "loud");
    ScopedEnv format(shared::kLogFormatVariable, "json");
    std::vector<std::string> problems;
    const auto settings = shared::log_settings_from_environment(problems);
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].find("PROVENODE_LOG_LEVEL='loud'") != std::string::npos);
    CHECK(settings.level == spdlog::level::info);
    CHECK(settings.format == shared::LogFormat::Json);  // the good one is kept
}

TEST_CASE("a log file takes the lines at their level, and reopen follows a rename") {
    SavedStderr saved;
    TempDir dir("log-");
    const auto path = dir.path() / "node.log";
    shared::LogSettings settings;
    settings.file = path;
    settings.level = spdlog::level::warn;
    REQUIRE(shared::init_logging("supervisor", settings).ok());
    spdlog::info("below the level");
    spdlog::warn("first");
    std::fputs("from the C runtime\n", stderr);  // stderr is the file: children's lines land there too
    std::filesystem::rename(path, dir.path() / "node.log.1");  // what logrotate does
    spdlog::warn("still to the renamed file");
    REQUIRE(shared::reopen_log().ok());
    spdlog::warn("second");
    spdlog::default_logger()->flush();
    const std::string old_text = read_all(dir.path() / "node.log.1");
    const std::string new_text = read_all(path);
    CHECK(old_text.find("below the level") == std::string::npos);
    CHECK(old_text.find("warning supervisor[") != std::string::npos);
    CHECK(old_text.find("first") != std::string::npos);
    CHECK(old_text.find("from the C runtime") != std::string::npos);
    CHECK(old_text.find("still to the renamed file") != std::string::npos);
    CHECK(old_text.find("second") == std::string::npos);
    CHECK(new_text.find("second") != std::string::npos);
    CHECK(new_text.find("first") == std::string::npos);
}

TEST_CASE("a log file that cannot be opened is an error naming it; without one reopen does nothing") {
    SavedStderr saved;
    shared::LogSettings settings;
    settings.file = "/no/such/dir/node.log";
    auto status = shared::init_logging("supervisor", settings);
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().find("--log-file") != std::string::npos);
    CHECK(status.error().find("/no/such/dir/node.log") != std::string::npos);
    REQUIRE(shared::init_logging("supervisor", shared::LogSettings{}).ok());
    CHECK(shared::reopen_log().ok());
}
