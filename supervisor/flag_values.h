// The forms of the supervisor's flag values: a CLI11 validator for each (its
// message is what follows "--flag: " in the error) and the parser behind it.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "shared/expected.h"
#include "supervisor/options.h"

namespace supervisor {

// --workers: N (MIN = MAX = N) or MIN:MAX, counts of 1 or more, MIN at most MAX.
std::optional<std::pair<unsigned, unsigned>> parse_worker_range(std::string_view text);
CLI::Validator worker_range();

// INITIAL:MAX seconds, INITIAL above 0 and at most MAX.
std::optional<Backoff> parse_backoff(std::string_view text);
std::string format_backoff(const Backoff& backoff);
CLI::Validator backoff();

// A whole number of 1 or more (the bound of its type is CLI11's to check).
CLI::Validator count();

// Seconds as a decimal number up to 10^7; 0 allowed unless said otherwise.
CLI::Validator seconds(bool zero_allowed = true);

// Sizes such as 512M or 2G (1024-based, as systemd's MemoryMax=), rewritten to bytes.
CLI::Validator size_at_least(std::uint64_t min_bytes);
// For people: whole gibibytes as 4G, else from 1G on to a tenth (23.5G), whole
// mebibytes as 512M, else to a tenth of a mebibyte, below that bytes.
std::string format_size(std::uint64_t bytes);

// Difficulty names in any case, '-' for '_', rewritten to the spec's SMALL_MEDIUM.
CLI::Validator difficulty_names();
// http:// or https:// with a host.
CLI::Validator http_url();
// Two letters, rewritten in upper case.
CLI::Validator country_code();
// An even number of hex digits, at least one byte.
CLI::Validator hex_bytes();

// --metrics-addr: HOST:PORT, [IPV6]:PORT or :PORT (every interface), port 0 (the
// kernel chooses) to 65535, HOST an IP literal or a DNS name (supervisor/listen_address.h).
shared::Status check_listen_address(std::string_view text);
CLI::Validator listen_address();

}  // namespace supervisor
