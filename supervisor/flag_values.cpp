// Validators of the supervisor's flag values, on CLI11's Validator: each returns
// what is wrong with a value (CLI11 puts the flag's name in front) or rewrites it.
#include "supervisor/flag_values.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>

#include "shared/bytes.h"
#include "shared/codec.h"
#include "supervisor/listen_address.h"
#include "supervisor/memory_guard.h"

namespace supervisor {
namespace {

constexpr double kMaxSeconds = 1e7;

std::optional<unsigned> parse_count(std::string_view text) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value == 0) return std::nullopt;
    return value;
}

std::optional<double> parse_seconds(std::string_view text) {
    double value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || !(value >= 0) || value > kMaxSeconds) {
        return std::nullopt;
    }
    return value;
}

std::string in_quotes(std::string_view text) { return "'" + std::string(text) + "'"; }

// RFC 1123 names: dot-separated labels of letters, digits and '-', not at a label's ends.
bool is_dns_name(std::string_view name) {
    if (name.empty() || name.size() > 253) return false;
    std::size_t label = 0;
    for (std::size_t i = 0; i <= name.size(); ++i) {
        if (i == name.size() || name[i] == '.') {
            if (label == 0 || label > 63 || name[i - 1] == '-' || name[i - label] == '-') return false;
            label = 0;
            continue;
        }
        if (!std::isalnum(static_cast<unsigned char>(name[i])) && name[i] != '-') return false;
        ++label;
    }
    // A top-level label of digits alone is a mistyped IPv4 address (999.1.1.1), not a name.
    const std::string_view top = name.substr(name.rfind('.') == std::string_view::npos ? 0 : name.rfind('.') + 1);
    return !std::all_of(top.begin(), top.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

}  // namespace

std::optional<std::pair<unsigned, unsigned>> parse_worker_range(std::string_view text) {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos) {
        auto n = parse_count(text);
        if (!n) return std::nullopt;
        return std::pair{*n, *n};
    }
    auto lo = parse_count(text.substr(0, colon));
    auto hi = parse_count(text.substr(colon + 1));
    if (!lo || !hi || *lo > *hi) return std::nullopt;
    return std::pair{*lo, *hi};
}

CLI::Validator worker_range() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            if (parse_worker_range(text)) return "";
            const auto colon = text.find(':');
            if (colon == std::string::npos) return in_quotes(text) + " is not a count of 1 or more, nor MIN:MAX";
            auto lo = parse_count(std::string_view(text).substr(0, colon));
            auto hi = parse_count(std::string_view(text).substr(colon + 1));
            if (!lo || !hi) return in_quotes(text) + " needs MIN:MAX with counts of 1 or more";
            return "MIN " + std::to_string(*lo) + " is above MAX " + std::to_string(*hi);
        },
        "");
}

std::optional<Backoff> parse_backoff(std::string_view text) {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    auto lo = parse_seconds(text.substr(0, colon));
    auto hi = parse_seconds(text.substr(colon + 1));
    if (!lo || !hi || *lo <= 0 || *lo > *hi) return std::nullopt;
    return Backoff{*lo, *hi};
}

std::string format_backoff(const Backoff& backoff) {
    auto number = [](double s) {
        char text[32];
        std::snprintf(text, sizeof text, "%g", s);
        return std::string(text);
    };
    return number(backoff.initial_s) + ":" + number(backoff.max_s);
}

CLI::Validator backoff() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            if (parse_backoff(text)) return "";
            const auto colon = text.find(':');
            auto lo = colon == std::string::npos ? std::nullopt : parse_seconds(std::string_view(text).substr(0, colon));
            auto hi = colon == std::string::npos ? std::nullopt : parse_seconds(std::string_view(text).substr(colon + 1));
            if (lo && hi && *lo > 0) return "INITIAL " + text.substr(0, colon) + " is above MAX";
            return in_quotes(text) + " needs INITIAL:MAX in seconds, INITIAL above 0";
        },
        "");
}

CLI::Validator count() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            std::uint64_t value = 0;
            auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
            if (ec == std::errc() && end == text.data() + text.size() && value > 0) return "";
            return in_quotes(text) + " is not a whole number of 1 or more";
        },
        "");
}

CLI::Validator seconds(bool zero_allowed) {
    return CLI::Validator(
        [zero_allowed](std::string& text) -> std::string {
            auto value = parse_seconds(text);
            if (value && (zero_allowed || *value > 0)) return "";
            return in_quotes(text) + " is not a number of seconds " + (zero_allowed ? "(0 or more)" : "above 0");
        },
        "");
}

CLI::Validator size_at_least(std::uint64_t min_bytes) {
    return CLI::Validator(
        [min_bytes](std::string& text) -> std::string {
            auto bytes = parse_size(text);
            if (!bytes || *bytes < min_bytes) {
                return in_quotes(text) + " is not a size" + (min_bytes > 1 ? " of " + format_size(min_bytes) + " or more" : "") +
                       " such as 512M or 2G";
            }
            text = std::to_string(*bytes);
            return "";
        },
        "");
}

std::string format_size(std::uint64_t bytes) {
    constexpr std::uint64_t kKi = 1024, kMi = kKi << 10, kGi = kMi << 10;
    char text[32];
    if (bytes >= kGi && bytes % kGi == 0) return std::to_string(bytes / kGi) + "G";
    if (bytes < kGi && bytes >= kMi && bytes % kMi == 0) return std::to_string(bytes / kMi) + "M";
    if (bytes >= kGi) {
        std::snprintf(text, sizeof text, "%.1fG", static_cast<double>(bytes) / kGi);
        return text;
    }
    if (bytes >= kMi) {
        std::snprintf(text, sizeof text, "%.1fM", static_cast<double>(bytes) / kMi);
        return text;
    }
    return std::to_string(bytes);
}

CLI::Validator difficulty_names() {
    std::vector<std::string> names;
    for (shared::Difficulty d : shared::all_difficulties()) names.emplace_back(shared::to_string(d));
    return CLI::IsMember(names, [](std::string name) {
        for (char& c : name) c = c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        return name;
    });
}

CLI::Validator http_url() {
    return CLI::Validator(
        [](std::string& url) -> std::string {
            if (!url.starts_with("http://") && !url.starts_with("https://")) {
                return in_quotes(url) + " is not an http:// or https:// URL";
            }
            const auto host_start = url.find("//") + 2;
            if (host_start >= url.size() || url[host_start] == '/' || url[host_start] == ':') {
                return in_quotes(url) + " has no host";
            }
            for (char c : url) {
                if (std::isspace(static_cast<unsigned char>(c)) || std::iscntrl(static_cast<unsigned char>(c))) {
                    return in_quotes(url) + " has a space or control character in it";
                }
            }
            return "";
        },
        "");
}

CLI::Validator country_code() {
    return CLI::Validator(
        [](std::string& code) -> std::string {
            const bool letters = code.size() == 2 && std::isalpha(static_cast<unsigned char>(code[0])) &&
                                 std::isalpha(static_cast<unsigned char>(code[1]));
            if (!letters) return in_quotes(code) + " is not a two-letter country code such as DE";
            for (char& c : code) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            return "";
        },
        "");
}

CLI::Validator hex_bytes() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            auto bytes = shared::from_hex(text);
            return bytes && !bytes->empty() ? "" : in_quotes(text) + " is not hex (an even number of hex digits)";
        },
        "");
}

shared::Status check_listen_address(std::string_view text) {
    auto address = parse_listen_address(text);
    if (!address) return shared::fail(address.error());
    const std::string& host = address->host;
    in_addr v4{};
    if (!host.empty() && host.find(':') == std::string::npos && ::inet_pton(AF_INET, host.c_str(), &v4) != 1 &&
        !is_dns_name(host)) {
        return shared::fail(in_quotes(text) + ": " + in_quotes(host) + " is neither an IP address nor a host name");
    }
    return shared::Ok{};
}

CLI::Validator listen_address() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            auto checked = check_listen_address(text);
            return checked ? "" : checked.error();
        },
        "");
}

}  // namespace supervisor
