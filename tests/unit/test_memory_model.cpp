// Unit tests for the memory model: initial figure, learned percentile with margin,
// the sample window, the OOM floor, and its file in a temporary directory.
#include <doctest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "supervisor/memory_model.h"
#include "tests/support/temp_dir.h"

namespace fs = std::filesystem;
using supervisor::MemoryModel;
using test_support::TempDir;

namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;
constexpr std::uint64_t kInitial = 512 * kMiB;

void write_file(const fs::path& file, const std::string& text) {
    std::ofstream out(file, std::ios::trunc);
    out << text;
}

}  // namespace

TEST_CASE("before learning, the figure is the initial one") {
    MemoryModel model(kInitial);
    CHECK(model.per_proof("argon2id_pow", 0) == kInitial);
    CHECK_FALSE(model.learned("argon2id_pow", 0));
}

TEST_CASE("learned figure: the 95th percentile of per-proof samples times 1.25") {
    MemoryModel model(kInitial);
    SUBCASE("one sample") {
        model.observe("p", 1, 80 * kMiB, 1);
        CHECK(model.learned("p", 1));
        CHECK(model.per_proof("p", 1) == 100 * kMiB);
    }
    SUBCASE("twenty samples 1..20 MiB, in shuffled order: the 19th smallest counts, not the largest") {
        const int order[20] = {7, 20, 3, 15, 1, 12, 18, 9, 5, 14, 2, 19, 11, 6, 17, 4, 13, 10, 16, 8};
        for (int mib : order) model.observe("p", 1, mib * kMiB, 1);
        // Nearest rank: ceil(0.95 * 20) = 19th -> 19 MiB; x 1.25 = 23.75 MiB.
        CHECK(model.per_proof("p", 1) == 19 * kMiB * 5 / 4);
    }
    SUBCASE("ten samples: the 95th percentile is the largest") {
        for (int mib = 1; mib <= 10; ++mib) model.observe("p", 1, mib * 4 * kMiB, 1);
        CHECK(model.per_proof("p", 1) == 50 * kMiB);
    }
    SUBCASE("a learned figure may be below the initial one") {
        model.observe("p", 1, 8 * kMiB, 1);
        CHECK(model.per_proof("p", 1) == 10 * kMiB);
    }
    // Other keys are untouched.
    CHECK(model.per_proof("p", 2) == kInitial);
    CHECK(model.per_proof("q", 1) == kInitial);
    CHECK_FALSE(model.learned("p", 2));
}

TEST_CASE("only the last 32 samples count") {
    MemoryModel model(kInitial);
    for (int i = 0; i < 32; ++i) model.observe("p", 3, 1000 * kMiB, 1);
    REQUIRE(model.per_proof("p", 3) == 1250 * kMiB);
    for (int mib = 1; mib <= 32; ++mib) model.observe("p", 3, mib * 4 * kMiB, 1);
    // Window 4..128 MiB: nearest rank ceil(0.95 * 32) = 31st -> 124 MiB; x 1.25 = 155 MiB.
    CHECK(model.per_proof("p", 3) == 155 * kMiB);

    SUBCASE("one old large sample still in the window when 31 new ones came") {
        MemoryModel m(kInitial);
        m.observe("p", 3, 1000 * kMiB, 1);
        for (int i = 0; i < 30; ++i) m.observe("p", 3, 8 * kMiB, 1);
        m.observe("p", 3, 8 * kMiB, 1);  // 32 samples: the large one is the 32nd rank, not the 31st
        CHECK(m.per_proof("p", 3) == 10 * kMiB);
        // Make it count: two large ones in a window of 32 reach the 31st rank.
        m.observe("p", 3, 1000 * kMiB, 1);  // the first large one leaves the window now
        CHECK(m.per_proof("p", 3) == 10 * kMiB);
        m.observe("p", 3, 1000 * kMiB, 1);
        CHECK(m.per_proof("p", 3) == 1250 * kMiB);
    }
}

TEST_CASE("observe divides the peak by the proofs that ran at once") {
    MemoryModel model(kInitial);
    model.observe("p", 0, 400 * kMiB, 4);  // 100 MiB each
    CHECK(model.per_proof("p", 0) == 125 * kMiB);
    MemoryModel zero(kInitial);
    zero.observe("p", 0, 80 * kMiB, 0);  // 0 concurrent counts as 1
    CHECK(zero.per_proof("p", 0) == 100 * kMiB);
}

TEST_CASE("a peak of zero (not measured) teaches nothing") {
    MemoryModel model(kInitial);
    model.observe("p", 0, 0, 1);
    CHECK_FALSE(model.learned("p", 0));
    CHECK(model.per_proof("p", 0) == kInitial);
}

TEST_CASE("an OOM kill sets a floor the figure never goes below") {
    MemoryModel model(kInitial);
    SUBCASE("before learning") {
        model.raise_after_oom("p", 0, 900 * kMiB);
        CHECK(model.per_proof("p", 0) == 900 * kMiB);
        for (int i = 0; i < 40; ++i) model.observe("p", 0, 10 * kMiB, 1);
        CHECK(model.learned("p", 0));
        CHECK(model.per_proof("p", 0) == 900 * kMiB);
    }
    SUBCASE("after learning") {
        model.observe("p", 0, 80 * kMiB, 1);
        REQUIRE(model.per_proof("p", 0) == 100 * kMiB);
        model.raise_after_oom("p", 0, 300 * kMiB);
        CHECK(model.per_proof("p", 0) == 300 * kMiB);
        model.observe("p", 0, 8 * kMiB, 1);
        CHECK(model.per_proof("p", 0) == 300 * kMiB);
        // A learned figure above the floor wins.
        model.observe("p", 0, 400 * kMiB, 1);
        CHECK(model.per_proof("p", 0) == 500 * kMiB);
    }
    SUBCASE("a lower floor does not lower the figure") {
        model.raise_after_oom("p", 0, 900 * kMiB);
        model.raise_after_oom("p", 0, 600 * kMiB);
        model.observe("p", 0, 8 * kMiB, 1);
        CHECK(model.per_proof("p", 0) == 900 * kMiB);
    }
}

TEST_CASE("save and load round trip") {
    TempDir dir("memory_model_test.");
    const fs::path file = dir.path() / "memory.json";
    MemoryModel model(kInitial);
    for (int mib = 1; mib <= 20; ++mib) model.observe("argon2id_pow", 3, mib * kMiB, 1);
    model.observe("fib_input_initial", 10, 200 * kMiB, 2);
    model.raise_after_oom("fib_input_initial", 10, 700 * kMiB);
    model.raise_after_oom("test_alloc", 0, 2048 * kMiB);
    REQUIRE(model.save(file).ok());
    CHECK(fs::exists(file));
    CHECK_FALSE(fs::exists(dir.path() / "memory.json.tmp"));

    MemoryModel loaded(kInitial);
    const auto status = loaded.load(file);
    REQUIRE_MESSAGE(status.ok(), status.error());
    for (const auto& [program, difficulty] :
         {std::pair<std::string, int>{"argon2id_pow", 3}, {"fib_input_initial", 10}, {"test_alloc", 0}, {"x", 1}}) {
        INFO(program << " " << difficulty);
        CHECK(loaded.per_proof(program, difficulty) == model.per_proof(program, difficulty));
        CHECK(loaded.learned(program, difficulty) == model.learned(program, difficulty));
    }
    CHECK(loaded.per_proof("argon2id_pow", 3) == 19 * kMiB * 5 / 4);
    CHECK(loaded.per_proof("fib_input_initial", 10) == 700 * kMiB);
    CHECK(loaded.per_proof("test_alloc", 0) == 2048 * kMiB);

    // The window survives the round trip: 32 new small samples push out the old ones.
    for (int i = 0; i < 32; ++i) loaded.observe("argon2id_pow", 3, 4 * kMiB, 1);
    CHECK(loaded.per_proof("argon2id_pow", 3) == 5 * kMiB);
}

TEST_CASE("a corrupt file is an error naming the file, and the model is unchanged") {
    TempDir dir("memory_model_test.");
    const fs::path file = dir.path() / "memory.json";
    MemoryModel model(kInitial);
    model.observe("p", 0, 80 * kMiB, 1);
    SUBCASE("not JSON") { write_file(file, "{\"figures\": [ {\"program\": "); }
    SUBCASE("JSON of the wrong shape") { write_file(file, "{\"figures\": [ {\"program\": 7, \"samples\": \"x\"} ]}"); }
    SUBCASE("no figures") { write_file(file, "[1, 2, 3]"); }
    const auto status = model.load(file);
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().find(file.string()) != std::string::npos);
    CHECK(model.per_proof("p", 0) == 100 * kMiB);
}

TEST_CASE("a missing file is Ok and nothing is learned") {
    TempDir dir("memory_model_test.");
    MemoryModel model(kInitial);
    const auto status = model.load(dir.path() / "no-such-file.json");
    CHECK(status.ok());
    CHECK_FALSE(model.learned("argon2id_pow", 0));
    CHECK(model.per_proof("argon2id_pow", 0) == kInitial);
}
