// Logging for every executable: spdlog, one line per event, role and pid first.
#pragma once

#include <spdlog/spdlog.h>

#include <string>

namespace shared {

// Sets the default logger to stderr with the pattern
// "2026-11-23T17:13:30.123 info supervisor[123] message". `role` is e.g.
// "supervisor" or "worker#2"; `json` writes one JSON object per line instead.
void init_logging(const std::string& role, bool json = false);

}  // namespace shared
