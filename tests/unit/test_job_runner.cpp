// Unit tests for the job runner: order, real parallelism, and failures with their input.
#include <doctest.h>

#include <chrono>

#include "shared/argon2/arena_pool.h"
#include "shared/keccak.h"
#include "shared/programs/argon2id_pow.h"
#include "worker/job_runner.h"
#include "worker/process_memory.h"
#include "tests/support/address_space_limit.h"

namespace {

using shared::wire::Assign;
using shared::wire::Failure;
using shared::wire::FailureKind;
using shared::wire::Result;
using test_support::AddressSpaceLimit;
using Clock = std::chrono::steady_clock;

Assign make_assign(std::string program, std::vector<shared::Bytes> inputs, unsigned threads) {
    return Assign{"task-1", std::move(program), std::move(inputs), threads, 1};
}

shared::Bytes alloc_input(std::uint32_t mib, std::uint32_t hold_ms) {
    shared::Bytes input(8);
    shared::store_le32(input.data(), mib);
    shared::store_le32(input.data() + 4, hold_ms);
    return input;
}

shared::Bytes keccak_bytes(const shared::Bytes& input) {
    const auto digest = shared::keccak256(input);
    return {digest.begin(), digest.end()};
}

Result run_ok(Assign assign, bool allow_test = true) {
    worker::JobRunner runner(std::move(assign), allow_test);
    auto outcome = runner.run();
    if (auto* failure = std::get_if<Failure>(&outcome)) FAIL("unexpected failure: " << failure->message);
    return std::get<Result>(std::move(outcome));
}

Failure run_failing(Assign assign, bool allow_test = true) {
    worker::JobRunner runner(std::move(assign), allow_test);
    auto outcome = runner.run();
    REQUIRE(std::holds_alternative<Failure>(outcome));
    return std::get<Failure>(std::move(outcome));
}

double millis(Clock::duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

}  // namespace

TEST_CASE("proofs come back in input order, whatever the thread count") {
    std::vector<shared::Bytes> inputs;
    for (std::uint8_t i = 1; i <= 20; ++i) inputs.push_back(shared::Bytes(i, i));
    for (unsigned threads : {1u, 3u, 8u}) {
        CAPTURE(threads);
        worker::JobRunner runner(make_assign("test_noop", inputs, threads), true);
        auto outcome = runner.run();
        REQUIRE(std::holds_alternative<Result>(outcome));
        const Result& result = std::get<Result>(outcome);
        CHECK(result.task_id == "task-1");
        REQUIRE(result.proofs.size() == inputs.size());
        for (std::size_t i = 0; i < inputs.size(); ++i) CHECK(result.proofs[i] == keccak_bytes(inputs[i]));
        CHECK(result.proof_micros.size() == inputs.size());
        CHECK(result.threads_used == threads);
        CHECK(result.peak_rss_bytes > 0);
        CHECK(runner.proofs_done() == inputs.size());
    }
}

TEST_CASE("inputs are proven at once: 4 x 200 ms at 4 threads takes well under 800 ms") {
    const std::vector<shared::Bytes> inputs(4, alloc_input(1, 200));
    const auto start = Clock::now();
    const Result result = run_ok(make_assign("test_alloc", inputs, 4));
    const double elapsed = millis(Clock::now() - start);
    CHECK(elapsed >= 200);
    CHECK(elapsed < 500);
    CHECK(result.threads_used == 4);
    CHECK(result.total_micros >= 200'000);
    for (std::uint64_t micros : result.proof_micros) CHECK(micros >= 200'000);
}

TEST_CASE("one thread proves sequentially") {
    const std::vector<shared::Bytes> inputs(3, alloc_input(1, 100));
    const auto start = Clock::now();
    const Result result = run_ok(make_assign("test_alloc", inputs, 1));
    CHECK(millis(Clock::now() - start) >= 300);
    CHECK(result.threads_used == 1);
    CHECK(result.proofs.size() == 3);
}

TEST_CASE("the thread plan gives spare threads to each input") {
    auto plan = worker::plan_threads(4, 1);
    CHECK(plan.concurrent == 1);
    CHECK(plan.per_input == 4);
    plan = worker::plan_threads(8, 3);
    CHECK(plan.concurrent == 3);
    CHECK(plan.per_input == 2);
    plan = worker::plan_threads(4, 10);
    CHECK(plan.concurrent == 4);
    CHECK(plan.per_input == 1);
    plan = worker::plan_threads(0, 5);
    CHECK(plan.concurrent == 1);
    CHECK(plan.per_input == 1);
    plan = worker::plan_threads(100000, 1);
    CHECK(plan.per_input == worker::kMaxThreads);
}

TEST_CASE("a malformed input is reported with its index before anything is proven") {
    std::vector<shared::Bytes> inputs{alloc_input(1, 2000), alloc_input(1, 0), shared::Bytes(3)};
    const auto start = Clock::now();
    const Failure failure = run_failing(make_assign("test_alloc", inputs, 2));
    CHECK(millis(Clock::now() - start) < 1000);  // the 2 s input never ran
    CHECK(failure.kind == FailureKind::MalformedInput);
    CHECK(failure.input_index == 2);
    CHECK(failure.task_id == "task-1");
    CHECK(failure.message.find("input 2") != std::string::npos);
}

TEST_CASE("a prover error is reported with the index of the input that failed") {
    shared::argon2id::Input good;
    good.target_bits = 1;
    shared::argon2id::Input impossible = good;
    impossible.memlimit_kib = 0xffffffffu;  // 4 TiB: cannot be allocated under the limit below
    const std::vector<shared::Bytes> inputs{shared::argon2id::encode_input(good),
                                            shared::argon2id::encode_input(impossible),
                                            shared::argon2id::encode_input(good)};
    AddressSpaceLimit limit(1ull << 30);
    for (unsigned threads : {1u, 3u}) {
        CAPTURE(threads);
        const Failure failure = run_failing(make_assign("argon2id_pow", inputs, threads), false);
        CHECK(failure.kind == FailureKind::ProverError);
        CHECK(failure.input_index == 1);
        CHECK(failure.message.find("of Argon2 memory") != std::string::npos);
    }
}

TEST_CASE("unknown programs, refused test programs and empty tasks") {
    Failure failure = run_failing(make_assign("nope", {shared::Bytes{1}}, 1));
    CHECK(failure.kind == FailureKind::UnsupportedProgram);
    CHECK(failure.message.find("nope") != std::string::npos);

    failure = run_failing(make_assign("test_noop", {shared::Bytes{1}}, 1), false);
    CHECK(failure.kind == FailureKind::UnsupportedProgram);
    CHECK(failure.message == "test program refused: worker not started with --allow-test-programs");

    failure = run_failing(make_assign("test_noop", {}, 1));
    CHECK(failure.kind == FailureKind::MalformedInput);
}

TEST_CASE("argon2id_pow through the runner gives the spec's nonce") {
    shared::argon2id::Input input;
    for (std::size_t i = 0; i < 32; ++i) input.seed[i] = static_cast<std::uint8_t>(i);
    input.target_bits = 8;
    const Result result = run_ok(make_assign("argon2id_pow", {shared::argon2id::encode_input(input)}, 2), false);
    REQUIRE(result.proofs.size() == 1);
    CHECK(shared::load_le64(result.proofs[0].data()) == 109);
}

namespace {

// argon2id_pow inputs whose nonce 0 already meets the target: one hash each.
std::vector<shared::Bytes> one_hash_inputs(std::size_t count, std::uint32_t memlimit_kib, std::uint8_t first) {
    std::vector<shared::Bytes> inputs;
    for (std::size_t i = 0; i < count; ++i) {
        shared::argon2id::Input input;
        input.seed.assign(32, static_cast<std::uint8_t>(first + i));
        input.target_bits = 0;
        input.memlimit_kib = memlimit_kib;
        inputs.push_back(shared::argon2id::encode_input(input));
    }
    return inputs;
}

constexpr std::uint64_t kMiB = 1 << 20;

}  // namespace

TEST_CASE("argon2id_pow arenas are in the task's peak, and the pool shrinks to the next task's threads and size") {
    auto& pool = shared::argon2::arena_pool();
    // One input on two threads: find_nonce's two threads each take an arena
    // before they hash, however quickly the other finds the nonce.
    const Result two = run_ok(make_assign("argon2id_pow", one_hash_inputs(1, 16 * 1024, 1), 2), false);
    CHECK(pool.arenas() == 2);
    CHECK(two.peak_rss_bytes >= 32 * kMiB);  // both pre-faulted arenas
    CHECK(worker::current_rss_bytes() >= 32 * kMiB);  // kept for the next task

    // After an OOM kill the supervisor halves the threads: one arena is unmapped
    // before the task starts, so its peak no longer counts it.
    const std::uint64_t before = worker::current_rss_bytes();
    const Result one = run_ok(make_assign("argon2id_pow", one_hash_inputs(2, 16 * 1024, 3), 1), false);
    CHECK(pool.arenas() == 1);
    CHECK(worker::current_rss_bytes() + 15 * kMiB <= before);
    CHECK(one.peak_rss_bytes + 15 * kMiB <= two.peak_rss_bytes);

    // Another memory size: the 16 MiB arena goes, one of 4 MiB comes.
    run_ok(make_assign("argon2id_pow", one_hash_inputs(1, 4 * 1024, 5), 1), false);
    CHECK(pool.arenas() == 1);
    CHECK(pool.mapped_bytes() == 4 * kMiB);
}

TEST_CASE("a worker proving 1,000 nonces in a row keeps a steady RSS: arenas are reused, not leaked") {
    auto& pool = shared::argon2::arena_pool();
    auto task = [](unsigned t) {
        return make_assign("argon2id_pow", one_hash_inputs(20, 1024, static_cast<std::uint8_t>(t)), 1 + t % 2);
    };
    run_ok(task(1), false);  // warm-up: arenas and malloc's per-thread heaps exist from here
    run_ok(task(0), false);
    const std::uint64_t before = worker::current_rss_bytes();
    std::uint32_t proofs = 0;
    for (unsigned t = 0; t < 50; ++t) proofs += static_cast<std::uint32_t>(run_ok(task(t), false).proofs.size());
    CHECK(proofs == 1000);
    CHECK(pool.arenas() <= 2);
    // One 1 MiB arena leaked per task would add 50 MiB, one per hash 1,000 MiB.
    const auto growth = static_cast<std::int64_t>(worker::current_rss_bytes()) - static_cast<std::int64_t>(before);
    CHECK(growth < static_cast<std::int64_t>(8 * kMiB));
}
