// Unit tests for the program registry and the fault programs used by process tests.
#include <doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <string>

#include "shared/keccak.h"
#include "shared/program.h"
#include "shared/programs/programs.h"

namespace {

using Clock = std::chrono::steady_clock;

const shared::Program& program(std::string_view id) {
    const shared::Program* p = shared::find_program(id);
    REQUIRE(p != nullptr);
    return *p;
}

shared::Bytes alloc_input(std::uint32_t mib, std::uint32_t hold_ms) {
    shared::Bytes input(8);
    shared::store_le32(input.data(), mib);
    shared::store_le32(input.data() + 4, hold_ms);
    return input;
}

// Runs a program's prove in a child process and returns its wait status, so that
// the crash and exit programs can be observed without ending the test.
int status_of_prove_in_child(const shared::Program& p, const shared::Bytes& input) {
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        (void)p.prove(input, 1);
        ::_exit(99);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    return status;
}

}  // namespace

TEST_CASE("the registry finds every program by id, and nothing else") {
    CHECK(shared::find_program("argon2id_pow") == &shared::programs::argon2id_pow());
    CHECK(shared::find_program("nope") == nullptr);
    CHECK(shared::find_program("") == nullptr);
    CHECK_FALSE(program("argon2id_pow").test_only);
    for (const char* id : {"test_alloc", "test_crash", "test_hang", "test_exit", "test_noop"}) {
        CAPTURE(id);
        CHECK(program(id).test_only);
        CHECK(program(id).id == id);
    }
    const auto ids = shared::program_ids();
    CHECK(ids.size() == 7);
    CHECK(std::find(ids.begin(), ids.end(), "fib_input_initial") != ids.end());
    CHECK(std::find(ids.begin(), ids.end(), "test_noop") != ids.end());
}

TEST_CASE("test_noop proves keccak256 of its input, and verify checks that") {
    const auto& noop = program("test_noop");
    CHECK(noop.check_input(shared::Bytes{}) != "");
    CHECK(noop.check_input(shared::Bytes(65)) != "");
    CHECK(noop.check_input(shared::Bytes(64)) == "");
    const shared::Bytes input{1, 2, 3};
    auto proof = noop.prove(input, 1);
    REQUIRE(proof.ok());
    const auto digest = shared::keccak256(input);
    CHECK(*proof == shared::Bytes(digest.begin(), digest.end()));
    CHECK(noop.verify(input, *proof).ok());
    shared::Bytes tampered = *proof;
    tampered[0] ^= 1;
    CHECK_FALSE(noop.verify(input, tampered).ok());
    CHECK_FALSE(noop.verify(shared::Bytes{1, 2, 4}, *proof).ok());
}

TEST_CASE("test_alloc holds its memory for the given time, then proves keccak256") {
    const auto& alloc = program("test_alloc");
    CHECK(alloc.check_input(shared::Bytes(7)) != "");
    CHECK(alloc.check_input(alloc_input(1, 10'000'000)) != "");
    const shared::Bytes input = alloc_input(16, 150);
    REQUIRE(alloc.check_input(input) == "");
    const auto start = Clock::now();
    auto proof = alloc.prove(input, 1);
    CHECK(Clock::now() - start >= std::chrono::milliseconds(150));
    REQUIRE(proof.ok());
    CHECK(alloc.verify(input, *proof).ok());
    CHECK_FALSE(alloc.verify(alloc_input(16, 151), *proof).ok());
}

TEST_CASE("test_crash dies of a real SIGSEGV") {
    const int status = status_of_prove_in_child(program("test_crash"), {});
    REQUIRE(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGSEGV);
}

TEST_CASE("test_exit exits with the code in its input") {
    const auto& exit = program("test_exit");
    CHECK(exit.check_input(shared::Bytes{}) != "");
    CHECK(exit.check_input(shared::Bytes{1, 2}) != "");
    const int status = status_of_prove_in_child(exit, {42});
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 42);
}

TEST_CASE("test_hang does not return") {
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        (void)program("test_hang").prove({}, 1);
        ::_exit(99);
    }
    ::usleep(300'000);
    int status = 0;
    CHECK(::waitpid(pid, &status, WNOHANG) == 0);  // still running
    ::kill(pid, SIGKILL);
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(WIFSIGNALED(status));
}

TEST_CASE("programs without proofs say so on verify") {
    for (const char* id : {"test_crash", "test_hang", "test_exit"}) {
        CAPTURE(id);
        CHECK_FALSE(program(id).verify(shared::Bytes{1}, shared::Bytes(32)).ok());
    }
}
