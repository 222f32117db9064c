// Unit tests for the job runner: order, real parallelism, and failures with their input.
#include <doctest.h>

#include <chrono>

#include "shared/keccak.h"
#include "shared/programs/argon2id_pow.h"
#include "worker/job_runner.h"
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
        CHECK(failure.message.find("crypto_pwhash") != std::string::npos);
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
