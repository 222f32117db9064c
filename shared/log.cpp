// Logging set-up shared by the supervisor, the workers and the local orchestrator.
#include "shared/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <unistd.h>

namespace shared {

void init_logging(const std::string& role, bool json) {
    auto logger = spdlog::stderr_logger_mt(role);
    const std::string who = role + "[" + std::to_string(::getpid()) + "]";
    if (json) {
        logger->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%e","level":"%l","who":")" + who +
                            R"(","msg":"%v"})");
    } else {
        logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l " + who + " %v");
    }
    logger->flush_on(spdlog::level::info);
    spdlog::set_default_logger(logger);
    if (const char* level = std::getenv("PROVENODE_LOG_LEVEL")) {
        spdlog::set_level(spdlog::level::from_str(level));
    }
}

}  // namespace shared
