// Memory per proof, per (program, difficulty): a conservative figure at first,
// then learned from the peak RSS that workers report (a high percentile with a
// margin), raised after an OOM kill, and kept in the state directory so that a
// restarted node does not start from scratch. Pure logic plus a JSON file.
#pragma once

#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <string>
#include <utility>

#include "shared/expected.h"

namespace supervisor {

class MemoryModel {
public:
    static constexpr std::size_t kSamples = 32;     // recent observations kept per key
    static constexpr double kPercentile = 0.95;
    static constexpr double kMargin = 1.25;

    explicit MemoryModel(std::uint64_t initial_per_proof) : initial_(initial_per_proof) {}

    std::uint64_t per_proof(const std::string& program, int difficulty) const;
    bool learned(const std::string& program, int difficulty) const;
    // A task finished: `peak_rss` of the worker while `concurrent` proofs ran at once.
    void observe(const std::string& program, int difficulty, std::uint64_t peak_rss, unsigned concurrent);
    // An OOM kill while `concurrent` proofs ran: each needed more than the budget gave it.
    void raise_after_oom(const std::string& program, int difficulty, std::uint64_t at_least);

    shared::Status load(const std::filesystem::path& file);
    // What to_json() made; empty text is nothing learned.
    shared::Status load_text(const std::string& text);
    shared::Status save(const std::filesystem::path& file) const;
    // What save() writes.
    std::string to_json() const;

private:
    using Key = std::pair<std::string, int>;
    struct Figure {
        std::deque<std::uint64_t> samples;
        std::uint64_t floor = 0;  // raised by OOM kills
    };

    std::uint64_t initial_;
    std::map<Key, Figure> figures_;
};

}  // namespace supervisor
