// Learning memory per proof from observed peaks.
#include "supervisor/memory_model.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include <iterator>
#include <vector>

#include "shared/durable_file.h"

namespace supervisor {

std::uint64_t MemoryModel::per_proof(const std::string& program, int difficulty) const {
    auto it = figures_.find({program, difficulty});
    if (it == figures_.end() || it->second.samples.empty()) {
        return it == figures_.end() ? initial_ : std::max(initial_, it->second.floor);
    }
    std::vector<std::uint64_t> sorted(it->second.samples.begin(), it->second.samples.end());
    std::sort(sorted.begin(), sorted.end());
    const auto index = static_cast<std::size_t>(std::ceil(kPercentile * sorted.size())) - 1;
    const auto learned = static_cast<std::uint64_t>(static_cast<double>(sorted[std::min(index, sorted.size() - 1)]) * kMargin);
    return std::max(learned, it->second.floor);
}

bool MemoryModel::learned(const std::string& program, int difficulty) const {
    auto it = figures_.find({program, difficulty});
    return it != figures_.end() && !it->second.samples.empty();
}

void MemoryModel::observe(const std::string& program, int difficulty, std::uint64_t peak_rss, unsigned concurrent) {
    if (peak_rss == 0) return;
    auto& figure = figures_[{program, difficulty}];
    figure.samples.push_back(peak_rss / std::max(1u, concurrent));
    if (figure.samples.size() > kSamples) figure.samples.pop_front();
}

void MemoryModel::raise_after_oom(const std::string& program, int difficulty, std::uint64_t at_least) {
    auto& figure = figures_[{program, difficulty}];
    figure.floor = std::max(figure.floor, at_least);
}

shared::Status MemoryModel::load(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) return shared::Ok{};  // nothing learned yet
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (auto loaded = load_text(text); !loaded) return shared::fail(file.string() + ": " + loaded.error());
    return shared::Ok{};
}

shared::Status MemoryModel::load_text(const std::string& text) {
    if (text.empty()) return shared::Ok{};
    try {
        const auto json = nlohmann::json::parse(text);
        std::map<Key, Figure> figures;
        for (const auto& entry : json.at("figures")) {
            Figure figure;
            for (const auto& sample : entry.at("samples")) figure.samples.push_back(sample.get<std::uint64_t>());
            while (figure.samples.size() > kSamples) figure.samples.pop_front();
            figure.floor = entry.value("floor", std::uint64_t{0});
            figures[{entry.at("program").get<std::string>(), entry.at("difficulty").get<int>()}] = std::move(figure);
        }
        figures_ = std::move(figures);
    } catch (const std::exception& e) {
        return shared::fail(std::string("not a memory model file (") + e.what() + ")");
    }
    return shared::Ok{};
}

std::string MemoryModel::to_json() const {
    nlohmann::json figures = nlohmann::json::array();
    for (const auto& [key, figure] : figures_) {
        figures.push_back({{"program", key.first}, {"difficulty", key.second},
                           {"samples", std::vector<std::uint64_t>(figure.samples.begin(), figure.samples.end())},
                           {"floor", figure.floor}});
    }
    return nlohmann::json{{"version", 1}, {"figures", figures}}.dump(1);
}

shared::Status MemoryModel::save(const std::filesystem::path& file) const {
    const std::string text = to_json();
    // Written durably, so a crash mid-save keeps the figures learned so far. The
    // figures are not secret: 0666 less the umask, like any file std::ofstream makes.
    return shared::write_file_durably(file, shared::as_bytes(text), 0666, shared::TempName::Fixed);
}

}  // namespace supervisor
