// Fault specs: parsing from the flag and JSON forms, and the table of active faults.
#include "faults.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <utility>

#include "prng.h"

namespace orch {
namespace {

constexpr std::array<std::pair<Endpoint, std::string_view>, 7> kEndpointNames{{
    {Endpoint::Fetch, "fetch"}, {Endpoint::List, "list"}, {Endpoint::Submit, "submit"},
    {Endpoint::Users, "users"}, {Endpoint::Nodes, "nodes"}, {Endpoint::Admin, "admin"},
    {Endpoint::Other, "other"},
}};

constexpr std::array<std::pair<FaultKind, std::string_view>, 12> kKindNames{{
    {FaultKind::TooMany, "429"}, {FaultKind::TooManyDate, "429-date"},
    {FaultKind::TooManyBare, "429-bare"}, {FaultKind::Internal, "500"},
    {FaultKind::Unavailable, "503"}, {FaultKind::Html, "html"},
    {FaultKind::Garbage, "garbage"}, {FaultKind::Truncate, "truncate"},
    {FaultKind::Oversize, "oversize"}, {FaultKind::Reset, "reset"},
    {FaultKind::Delay, "delay"}, {FaultKind::Expire, "expire"},
}};

std::optional<double> parse_number(std::string_view text) {
    if (text.empty()) return std::nullopt;
    // std::from_chars for double is in libstdc++ 11+, which Debian 12 has.
    double value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
        return std::nullopt;
    }
    return value;
}

bool is_whole_seconds(std::string_view text) {
    return !text.empty() && text.size() <= 9 &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Sets one named parameter; the error names it.
shared::Status set_parameter(FaultSpec& spec, std::string_view key, std::string_view value) {
    if (key == "ra" || key == "retry_after") {
        if (!is_whole_seconds(value)) {
            return shared::fail("retry_after must be whole seconds, got '" + std::string(value) + "'");
        }
        spec.retry_after = std::string(value);
        return shared::Ok{};
    }
    auto number = parse_number(value);
    if (!number) {
        return shared::fail("'" + std::string(key) + "' needs a number, got '" + std::string(value) + "'");
    }
    if (key == "p" || key == "probability") {
        if (*number < 0 || *number > 1) return shared::fail("probability must be in [0, 1]");
        spec.probability = *number;
    } else if (key == "d" || key == "duration_s") {
        if (*number < 0) return shared::fail("duration_s must not be negative");
        spec.duration_s = *number;
    } else if (key == "ms" || key == "delay_ms") {
        if (*number < 0 || *number > 3'600'000) return shared::fail("delay_ms must be in [0, 3600000]");
        spec.delay_ms = static_cast<std::uint32_t>(*number);
    } else if (key == "dl" || key == "deadline_s") {
        spec.deadline_s = *number;
    } else if (key == "n" || key == "count") {
        if (*number < 0) return shared::fail("count must not be negative");
        spec.count = static_cast<std::uint64_t>(*number);
    } else {
        return shared::fail("unknown fault parameter '" + std::string(key) + "'");
    }
    return shared::Ok{};
}

shared::Status set_endpoint_and_kind(FaultSpec& spec, std::string_view endpoint,
                                     std::string_view kind) {
    if (endpoint == "all") {
        spec.endpoint.reset();
    } else {
        auto parsed = parse_endpoint(endpoint);
        if (!parsed || *parsed == Endpoint::Admin || *parsed == Endpoint::Other) {
            return shared::fail("unknown fault endpoint '" + std::string(endpoint) +
                                "' (fetch, list, submit, users, nodes or all)");
        }
        spec.endpoint = parsed;
    }
    auto parsed_kind = parse_fault_kind(kind);
    if (!parsed_kind) return shared::fail("unknown fault kind '" + std::string(kind) + "'");
    spec.kind = *parsed_kind;
    if (spec.kind == FaultKind::Expire && spec.endpoint && *spec.endpoint != Endpoint::Fetch) {
        return shared::fail("fault kind 'expire' applies to fetch only");
    }
    return shared::Ok{};
}

}  // namespace

std::string_view to_string(Endpoint endpoint) {
    for (const auto& [value, name] : kEndpointNames) {
        if (value == endpoint) return name;
    }
    return "other";
}

std::optional<Endpoint> parse_endpoint(std::string_view name) {
    for (const auto& [value, known] : kEndpointNames) {
        if (known == name) return value;
    }
    return std::nullopt;
}

std::string_view to_string(FaultKind kind) {
    for (const auto& [value, name] : kKindNames) {
        if (value == kind) return name;
    }
    return "?";
}

std::optional<FaultKind> parse_fault_kind(std::string_view name) {
    for (const auto& [value, known] : kKindNames) {
        if (known == name) return value;
    }
    return std::nullopt;
}

shared::Expected<FaultSpec> parse_fault_flag(std::string_view text) {
    std::vector<std::string_view> parts;
    while (true) {
        auto colon = text.find(':');
        parts.push_back(text.substr(0, colon));
        if (colon == std::string_view::npos) break;
        text.remove_prefix(colon + 1);
    }
    if (parts.size() < 2) return shared::fail("expected ENDPOINT:KIND[:key=value...]");
    FaultSpec spec;
    if (auto status = set_endpoint_and_kind(spec, parts[0], parts[1]); !status) {
        return shared::fail(status.error());
    }
    for (std::size_t i = 2; i < parts.size(); ++i) {
        auto eq = parts[i].find('=');
        if (eq == std::string_view::npos) {
            return shared::fail("expected key=value, got '" + std::string(parts[i]) + "'");
        }
        if (auto status = set_parameter(spec, parts[i].substr(0, eq), parts[i].substr(eq + 1));
            !status) {
            return shared::fail(status.error());
        }
    }
    return spec;
}

shared::Expected<FaultSpec> fault_from_json(const nlohmann::json& json) {
    if (!json.is_object()) return shared::fail("a fault is a JSON object");
    auto text_of = [&](const char* key, const char* fallback) -> std::optional<std::string> {
        if (!json.contains(key)) return std::string(fallback);
        const auto& value = json.at(key);
        if (value.is_string()) return value.get<std::string>();
        if (value.is_number_integer()) return std::to_string(value.get<long long>());
        if (value.is_number()) return value.dump();
        return std::nullopt;
    };
    auto endpoint = text_of("endpoint", "all");
    auto kind = text_of("kind", "");
    if (!endpoint || !kind) return shared::fail("'endpoint' and 'kind' must be strings");
    FaultSpec spec;
    if (auto status = set_endpoint_and_kind(spec, *endpoint, *kind); !status) {
        return shared::fail(status.error());
    }
    for (const auto& [key, value] : json.items()) {
        if (key == "endpoint" || key == "kind") continue;
        auto text = text_of(key.c_str(), "");
        if (!text) return shared::fail("'" + key + "' must be a number or a string");
        if (auto status = set_parameter(spec, key, *text); !status) {
            return shared::fail(status.error());
        }
    }
    return spec;
}

nlohmann::json to_json(const FaultSpec& spec) {
    return {
        {"endpoint", spec.endpoint ? std::string(to_string(*spec.endpoint)) : "all"},
        {"kind", std::string(to_string(spec.kind))},
        {"probability", spec.probability},
        {"duration_s", spec.duration_s},
        {"retry_after", spec.retry_after},
        {"delay_ms", spec.delay_ms},
        {"deadline_s", spec.deadline_s},
        {"count", spec.count},
    };
}

void FaultTable::add(FaultSpec spec, double now) {
    std::lock_guard lock(mutex_);
    entries_.push_back(Entry{std::move(spec), now});
}

void FaultTable::clear() {
    std::lock_guard lock(mutex_);
    entries_.clear();
}

bool FaultTable::is_spent(const Entry& entry, double now) const {
    if (entry.spec.duration_s > 0 && now >= entry.added_at + entry.spec.duration_s) return true;
    return entry.spec.count > 0 && entry.fired >= entry.spec.count;
}

std::optional<FaultSpec> FaultTable::draw(Endpoint endpoint, double now, Prng& prng) {
    if (endpoint == Endpoint::Admin || endpoint == Endpoint::Other) return std::nullopt;
    std::lock_guard lock(mutex_);
    std::erase_if(entries_, [&](const Entry& entry) { return is_spent(entry, now); });
    for (auto& entry : entries_) {
        if (entry.spec.endpoint && *entry.spec.endpoint != endpoint) continue;
        // An "all" expire fault still only makes sense where tasks are issued.
        if (entry.spec.kind == FaultKind::Expire && endpoint != Endpoint::Fetch) continue;
        if (!prng.chance(entry.spec.probability)) continue;
        ++entry.fired;
        return entry.spec;
    }
    return std::nullopt;
}

nlohmann::json FaultTable::describe(double now) {
    std::lock_guard lock(mutex_);
    auto list = nlohmann::json::array();
    for (const auto& entry : entries_) {
        if (is_spent(entry, now)) continue;
        auto item = to_json(entry.spec);
        item["fired"] = entry.fired;
        list.push_back(std::move(item));
    }
    return list;
}

}  // namespace orch
