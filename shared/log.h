// Logging for every executable: spdlog, one line per event, role and pid first.
#pragma once

#include <spdlog/spdlog.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shared/expected.h"

namespace shared {

enum class LogFormat { Text, Json };

struct LogSettings {
    spdlog::level::level_enum level = spdlog::level::info;
    LogFormat format = LogFormat::Text;
    std::filesystem::path file;  // empty: stderr, or the journal when stderr is the journal
};

// The environment a process reads its settings from. The supervisor sets them for
// its workers from --log-level and --log-format, so that every process of a node
// logs alike; an operator may set them too.
inline constexpr const char* kLogLevelVariable = "PROVENODE_LOG_LEVEL";
inline constexpr const char* kLogFormatVariable = "PROVENODE_LOG_FORMAT";

// The names --log-level accepts, spdlog's own (the environment also takes "warn" and "err").
inline constexpr const char* kLogLevelNames[] = {"trace", "debug", "info", "warning", "error", "critical", "off"};
inline constexpr const char* kLogFormatNames[] = {"text", "json"};

std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name);
std::optional<LogFormat> parse_log_format(std::string_view name);
std::string_view to_string(LogFormat format);

// LogSettings from PROVENODE_LOG_LEVEL and PROVENODE_LOG_FORMAT. A value that means
// nothing is left at its default and described in `problems`, for the caller to say.
LogSettings log_settings_from_environment(std::vector<std::string>& problems);

// Sets the default logger. Text lines read
//   2026-12-02T00:34:43.123+00:00 info supervisor[123] message
// (RFC 3339, local time with its UTC offset); JSON lines are one object each:
//   {"time":"2026-12-02T00:34:43.123+00:00","level":"info","role":"supervisor","pid":123,"msg":"message"}
// With a file, the file becomes this process's stderr (opened for appending), so
// that workers and anything the C runtime prints land there too. Without one, and
// when stderr is the journal stream systemd gave us (JOURNAL_STREAM), lines go to
// journald with their priority and SYSLOG_IDENTIFIER=provenode, without a time of
// their own. `role` is e.g. "supervisor" or "worker#2".
Status init_logging(const std::string& role, const LogSettings& settings);

// For the workers and the local orchestrator: the settings from the environment (a
// bad value is warned about once and ignored).
void init_logging(const std::string& role);

// Opens the log file again at its path and makes it stderr: after logrotate moved
// the old one away, new lines go to a new file. Without a log file it does nothing.
Status reopen_log();

// The parts, for tests.
std::unique_ptr<spdlog::formatter> make_json_formatter(const std::string& role, int pid, std::string eol = "\n");
std::string text_pattern(const std::string& role, int pid);
// True when JOURNAL_STREAM's "DEVICE:INODE" is the file open on fd: systemd
// connected that fd to the journal, and it was not redirected since.
bool is_journal_stream(const char* journal_stream, int fd);

}  // namespace shared
