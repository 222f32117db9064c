// Round trips and refusals of the supervisor-worker frames (shared/worker_codec.h).
#include <doctest.h>

#include "shared/bounds.h"
#include "shared/worker_codec.h"

using namespace shared;
using namespace shared::wire;

namespace {

template <class T>
T round_trip(const T& body) {
    auto bytes = encode(Message{body});
    REQUIRE_MESSAGE(bytes.ok(), (bytes.ok() ? "" : bytes.error()));
    auto back = decode(*bytes);
    REQUIRE_MESSAGE(back.ok(), (back.ok() ? "" : back.error()));
    REQUIRE(std::holds_alternative<T>(*back));
    return std::get<T>(*back);
}

}  // namespace

TEST_CASE("every frame round trips") {
    auto hello = round_trip(Hello{1234, 2, 8, "0.1.0"});
    CHECK(hello.pid == 1234);
    CHECK(hello.worker_index == 2);
    CHECK(hello.hardware_threads == 8);
    CHECK(hello.version == "0.1.0");

    auto assign = round_trip(Assign{"t-1", "argon2id_pow", {Bytes(41, 1), Bytes(41, 2)}, 4, 2});
    CHECK(assign.task_id == "t-1");
    CHECK(assign.program_id == "argon2id_pow");
    CHECK(assign.inputs == std::vector<Bytes>{Bytes(41, 1), Bytes(41, 2)});
    CHECK(assign.threads == 4);
    CHECK(assign.attempt == 2);

    auto beat = round_trip(Heartbeat{"t-1", 100, 200, 3});
    CHECK(beat.task_id == "t-1");
    CHECK(beat.rss_bytes == 100);
    CHECK(beat.peak_rss_bytes == 200);
    CHECK(beat.proofs_done == 3);

    Result r{"t-1", {Bytes(300000, 7), Bytes(8, 1)}, {10, 20}, 1 << 20, 30, 2};
    auto result = round_trip(r);
    CHECK(result.task_id == "t-1");
    CHECK(result.proofs == r.proofs);
    CHECK(result.proof_micros == r.proof_micros);
    CHECK(result.peak_rss_bytes == r.peak_rss_bytes);
    CHECK(result.total_micros == 30);
    CHECK(result.threads_used == 2);

    auto failure = round_trip(Failure{"t-2", FailureKind::MalformedInput, "input 1 is 3 bytes", 1});
    CHECK(failure.kind == FailureKind::MalformedInput);
    CHECK(failure.message == "input 1 is 3 bytes");
    CHECK(failure.input_index == 1);

    round_trip(Shutdown{});
}

TEST_CASE("a long failure message is cut, not refused") {
    auto failure = round_trip(Failure{"t", FailureKind::ProverError, std::string(1000, 'x'), 0});
    CHECK(failure.message.size() == 255);
}

TEST_CASE("bounds are enforced when encoding") {
    CHECK_FALSE(encode(Message{Assign{std::string(200, 'x'), "p", {}, 1, 1}}).ok());
    CHECK_FALSE(encode(Message{Assign{"t", "p", std::vector<Bytes>(kMaxInputs + 1, Bytes(1)), 1, 1}}).ok());
    CHECK_FALSE(encode(Message{Assign{"t", "p", {Bytes(kMaxInputBytes + 1)}, 1, 1}}).ok());
    CHECK_FALSE(encode(Message{Result{"t", {Bytes(kMaxProofBytes + 1)}, {}, 0, 0, 1}}).ok());
}

TEST_CASE("wrong version, no body, two bodies and garbage are refused") {
    CHECK_FALSE(decode(Bytes{}).ok());                    // no version, no body
    CHECK_FALSE(decode(Bytes{0x08, 0x02, 0x3a, 0x00}).ok());  // version 2 with shutdown
    CHECK(decode(Bytes{0x08, 0x01, 0x3a, 0x00}).ok());        // version 1 with shutdown
    auto two = decode(Bytes{0x08, 0x01, 0x3a, 0x00, 0x12, 0x00});  // shutdown and hello
    REQUIRE_FALSE(two.ok());
    CHECK(two.error().find("exactly one") != std::string::npos);
    for (int seed = 0; seed < 2000; ++seed) {
        Bytes noise(seed % 61);
        for (std::size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<std::uint8_t>(seed * 13 + i * 29);
        (void)decode(noise);
    }
}
