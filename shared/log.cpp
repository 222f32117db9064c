// Logging set-up shared by the supervisor, the workers and the local orchestrator:
// the sink (stderr, a file that becomes stderr, or journald) and the line format.
#include "shared/log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/systemd_sink.h>

#include <nlohmann/json.hpp>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace shared {
namespace {

// RFC 3339 with milliseconds and the UTC offset: %z is spdlog's "+HH:MM".
constexpr const char* kTimePattern = "%Y-%m-%dT%H:%M:%S.%e%z";
// The name every process of the node has in the journal (`journalctl -t provenode`).
constexpr const char* kSyslogIdentifier = "provenode";

std::filesystem::path log_file_path;  // set by init_logging, for reopen_log

// One JSON object per line. nlohmann-json escapes quotes, backslashes and control
// characters, and replaces bytes that are not UTF-8, so every line parses.
class JsonFormatter final : public spdlog::formatter {
public:
    JsonFormatter(std::string role, int pid, std::string eol)
        : role_(std::move(role)), pid_(pid), eol_(std::move(eol)),
          time_(kTimePattern, spdlog::pattern_time_type::local, "") {}

    void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
        spdlog::memory_buf_t time;
        time_.format(msg, time);
        nlohmann::ordered_json line;
        line["time"] = std::string(time.data(), time.size());
        const auto level = spdlog::level::to_string_view(msg.level);
        line["level"] = std::string(level.data(), level.size());
        line["role"] = role_;
        line["pid"] = pid_;
        line["msg"] = std::string(msg.payload.data(), msg.payload.size());
        const std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + eol_;
        dest.append(text.data(), text.data() + text.size());
    }

    std::unique_ptr<spdlog::formatter> clone() const override {
        return std::make_unique<JsonFormatter>(role_, pid_, eol_);
    }

private:
    std::string role_;
    int pid_;
    std::string eol_;
    spdlog::pattern_formatter time_;
};

// Makes `path` this process's stderr, appending; children inherit it.
Status open_as_stderr(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) return fail("--log-file: cannot open " + path.string() + ": " + std::strerror(errno));
    std::fflush(stderr);
    const bool moved = ::dup2(fd, STDERR_FILENO) >= 0;
    const int saved_errno = errno;
    ::close(fd);
    if (!moved) return fail("--log-file: cannot make " + path.string() + " stderr: " + std::strerror(saved_errno));
    return Ok{};
}

std::shared_ptr<spdlog::logger> make_logger(const std::string& role, const LogSettings& settings) {
    const int pid = static_cast<int>(::getpid());
    const bool journal = settings.file.empty() && is_journal_stream(std::getenv("JOURNAL_STREAM"), STDERR_FILENO);
    std::shared_ptr<spdlog::sinks::sink> sink;
    if (journal) {
        // journald stamps each entry and knows the pid: the text carries the role alone.
        sink = std::make_shared<spdlog::sinks::systemd_sink_mt>(kSyslogIdentifier, true);
    } else {
        sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    }
    auto logger = std::make_shared<spdlog::logger>(role, sink);
    if (settings.format == LogFormat::Json) {
        logger->set_formatter(make_json_formatter(role, pid, journal ? "" : "\n"));
    } else if (journal) {
        logger->set_formatter(std::make_unique<spdlog::pattern_formatter>(role + " %v", spdlog::pattern_time_type::local, ""));
    } else {
        logger->set_pattern(text_pattern(role, pid));
    }
    logger->set_level(settings.level);
    logger->flush_on(spdlog::level::info);
    return logger;
}

}  // namespace

std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name) {
    std::string lower(name);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    // spdlog's from_str answers "off" for a name it does not know: check first.
    for (const char* known : kLogLevelNames) {
        if (lower == known) return spdlog::level::from_str(lower);
    }
    if (lower == "warn" || lower == "err") return spdlog::level::from_str(lower);
    return std::nullopt;
}

std::optional<LogFormat> parse_log_format(std::string_view name) {
    std::string lower(name);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "text") return LogFormat::Text;
    if (lower == "json") return LogFormat::Json;
    return std::nullopt;
}

std::string_view to_string(LogFormat format) { return format == LogFormat::Json ? "json" : "text"; }

LogSettings log_settings_from_environment(std::vector<std::string>& problems) {
    LogSettings settings;
    if (const char* level = std::getenv(kLogLevelVariable); level && *level) {
        if (auto parsed = parse_log_level(level)) settings.level = *parsed;
        else problems.push_back(std::string(kLogLevelVariable) + "='" + level +
                                "' is not a log level (trace, debug, info, warning, error, critical, off); using info");
    }
    if (const char* format = std::getenv(kLogFormatVariable); format && *format) {
        if (auto parsed = parse_log_format(format)) settings.format = *parsed;
        else problems.push_back(std::string(kLogFormatVariable) + "='" + format +
                                "' is not a log format (text, json); using text");
    }
    return settings;
}

Status init_logging(const std::string& role, const LogSettings& settings) {
    if (!settings.file.empty()) {
        if (auto opened = open_as_stderr(settings.file); !opened) return opened;
    }
    log_file_path = settings.file;
    spdlog::set_default_logger(make_logger(role, settings));
    return Ok{};
}

void init_logging(const std::string& role) {
    std::vector<std::string> problems;
    const LogSettings settings = log_settings_from_environment(problems);
    (void)init_logging(role, settings);  // no file: nothing can fail
    for (const std::string& problem : problems) spdlog::warn("{}", problem);
}

Status reopen_log() {
    if (log_file_path.empty()) return Ok{};
    return open_as_stderr(log_file_path);
}

std::unique_ptr<spdlog::formatter> make_json_formatter(const std::string& role, int pid, std::string eol) {
    return std::make_unique<JsonFormatter>(role, pid, std::move(eol));
}

std::string text_pattern(const std::string& role, int pid) {
    return std::string(kTimePattern) + " %l " + role + "[" + std::to_string(pid) + "] %v";
}

bool is_journal_stream(const char* journal_stream, int fd) {
    if (!journal_stream || !*journal_stream) return false;
    unsigned long long device = 0, inode = 0;
    char rest = 0;
    if (std::sscanf(journal_stream, "%llu:%llu%c", &device, &inode, &rest) != 2) return false;
    struct stat st {};
    if (::fstat(fd, &st) != 0) return false;
    return static_cast<unsigned long long>(st.st_dev) == device && static_cast<unsigned long long>(st.st_ino) == inode;
}

}  // namespace shared
