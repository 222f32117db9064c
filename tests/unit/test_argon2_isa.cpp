// Unit tests for the choice of Argon2 kernel: CPU features, PROVENODE_ARGON2, and the worker forced to each.
#include <doctest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "shared/argon2/isa.h"

namespace a2 = shared::argon2;
using a2::Isa;

namespace {

bool everything(Isa) { return true; }
bool avx2_only(Isa isa) { return isa != Isa::Avx512; }
bool nothing_but_portable(Isa isa) { return isa == Isa::Portable; }

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// `worker prove` of the spec's argon2id_pow vector (smallest nonce 109) with
// PROVENODE_ARGON2 set to `forced`: exit status and what it printed.
struct Run {
    int status;
    std::string output;
};

Run prove_spec_vector(const std::string& forced) {
    const char* worker = std::getenv("WORKER_EXE");
    REQUIRE_MESSAGE(worker != nullptr, "WORKER_EXE must name the worker executable");
    const std::string input = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
                              "08" "01000000" "08000000";
    const std::string command = std::string(a2::kIsaVariable) + "='" + forced + "' '" + worker +
                                "' prove --program argon2id_pow --threads 2 --input " + input + " 2>&1";
    FILE* pipe = ::popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    Run run{0, {}};
    std::array<char, 256> chunk{};
    while (std::fgets(chunk.data(), chunk.size(), pipe) != nullptr) run.output += chunk.data();
    const int status = ::pclose(pipe);
    run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return run;
}

}  // namespace

TEST_CASE("with nothing forced the best kernel the CPU has is chosen") {
    CHECK(*a2::choose_isa("", everything) == Isa::Avx512);
    CHECK(*a2::choose_isa("", avx2_only) == Isa::Avx2);
    CHECK(*a2::choose_isa("", nothing_but_portable) == Isa::Portable);
}

TEST_CASE("a forced kernel is used when the CPU has it") {
    CHECK(*a2::choose_isa("portable", everything) == Isa::Portable);
    CHECK(*a2::choose_isa("avx2", everything) == Isa::Avx2);
    CHECK(*a2::choose_isa("avx512", everything) == Isa::Avx512);
    CHECK(*a2::choose_isa("portable", nothing_but_portable) == Isa::Portable);
}

TEST_CASE("a forced kernel the CPU lacks, or an unknown name, is refused with what is wrong") {
    auto lacking = a2::choose_isa("avx512", avx2_only);
    REQUIRE_FALSE(lacking.ok());
    CHECK(lacking.error() == "PROVENODE_ARGON2=avx512 asks for AVX-512F, which this CPU or build lacks");
    CHECK_FALSE(a2::choose_isa("avx2", nothing_but_portable).ok());

    auto unknown = a2::choose_isa("sse9", everything);
    REQUIRE_FALSE(unknown.ok());
    CHECK(unknown.error() == "PROVENODE_ARGON2=sse9 is not a kernel (known: portable, avx2, avx512)");
    CHECK_FALSE(a2::choose_isa("AVX2", everything).ok());
}

TEST_CASE("the real CPU: portable always, and the environment variable is read") {
    CHECK(a2::cpu_supports(Isa::Portable));
    ::setenv(a2::kIsaVariable, "portable", 1);
    CHECK(*a2::isa_from_environment() == Isa::Portable);
    ::setenv(a2::kIsaVariable, "no-such-kernel", 1);
    CHECK_FALSE(a2::isa_from_environment().ok());
    ::unsetenv(a2::kIsaVariable);
    CHECK(*a2::isa_from_environment() == *a2::choose_isa(""));
}

TEST_CASE("the worker forced to each kernel proves the spec's nonce; a kernel it cannot run is a clear error") {
    for (Isa isa : {Isa::Portable, Isa::Avx2, Isa::Avx512}) {
        const std::string name(a2::isa_name(isa));
        CAPTURE(name);
        const Run run = prove_spec_vector(name);
        if (a2::cpu_supports(isa)) {
            CHECK(run.status == 0);
            CHECK(run.output.rfind("6d00000000000000\n", 0) == 0);  // nonce 109, u64 little-endian
        } else {
            CHECK(run.status == 1);
            CHECK(contains(run.output, "PROVENODE_ARGON2=" + name + " asks for"));
        }
    }
    const Run unknown = prove_spec_vector("fastest");
    CHECK(unknown.status == 1);
    CHECK(contains(unknown.output, "prover error: PROVENODE_ARGON2=fastest is not a kernel"));
}
