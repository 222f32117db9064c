// Faults on demand: what can go wrong on which endpoint, parsed from --fault
// flags and the admin endpoint, and the table that decides per request.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "shared/expected.h"

namespace orch {

class Prng;

// The endpoints as the requests table names them.
enum class Endpoint { Fetch, List, Submit, Users, Nodes, Admin, Other };
std::string_view to_string(Endpoint endpoint);
std::optional<Endpoint> parse_endpoint(std::string_view name);

enum class FaultKind {
    TooMany,        // "429": Retry-After in integer seconds
    TooManyDate,    // "429-date": Retry-After as an HTTP-date
    TooManyBare,    // "429-bare": no Retry-After
    Internal,       // "500"
    Unavailable,    // "503"
    Html,           // "html": 502 with a proxy's HTML page
    Garbage,        // "garbage": 200 with random bytes
    Truncate,       // "truncate": the real answer, body cut in half
    Oversize,       // "oversize": 200 with a 2 MiB body
    Reset,          // "reset": connection closed without a response
    Delay,          // "delay": answer normally after delay_ms
    Expire,         // "expire": fetch issues a task whose deadline is issue + deadline_s
};
std::string_view to_string(FaultKind kind);
std::optional<FaultKind> parse_fault_kind(std::string_view name);

struct FaultSpec {
    std::optional<Endpoint> endpoint;  // nullopt: every /v3 endpoint ("all")
    FaultKind kind = FaultKind::Internal;
    double probability = 1.0;
    double duration_s = 0;            // 0: until cleared
    std::string retry_after = "1";    // seconds, for the 429 kinds
    std::uint32_t delay_ms = 1000;    // for delay
    double deadline_s = 0;            // for expire: the deadline after issue
    std::uint64_t count = 0;          // fire at most this many times; 0: no limit
};

// "submit:429:p=1:d=10:ra=3" (keys: p, d, ra, ms, dl, n, or the JSON names).
shared::Expected<FaultSpec> parse_fault_flag(std::string_view text);
// {"endpoint":"submit","kind":"429","probability":1.0,"duration_s":10,"retry_after":"3"}
shared::Expected<FaultSpec> fault_from_json(const nlohmann::json& json);
nlohmann::json to_json(const FaultSpec& spec);

// The active faults, in the order they were added. For each request the first
// active fault that matches the endpoint and wins its probability draw fires;
// a request gets at most one fault. Thread-safe.
class FaultTable {
public:
    void add(FaultSpec spec, double now);
    void clear();
    std::optional<FaultSpec> draw(Endpoint endpoint, double now, Prng& prng);
    nlohmann::json describe(double now);

private:
    struct Entry {
        FaultSpec spec;
        double added_at;
        std::uint64_t fired = 0;
    };
    bool is_spent(const Entry& entry, double now) const;

    std::mutex mutex_;
    std::vector<Entry> entries_;
};

}  // namespace orch
