// Fault programs for tests: memory on demand, crashes, hangs, exits and a no-op.
// They exist so that process tests can make a worker die or hang at will; a worker
// runs them only when started with --allow-test-programs.
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <string>
#include <thread>

#include "shared/bounds.h"
#include "shared/keccak.h"
#include "shared/programs/programs.h"

namespace shared::programs {
namespace {

constexpr std::size_t kMiB = 1u << 20;
constexpr std::uint32_t kMaxHoldMillis = 600'000;  // a test that holds longer is a mistake

std::string size_problem(ByteView input, std::size_t min, std::size_t max) {
    if (input.size() >= min && input.size() <= max) return {};
    const std::string wanted = min == max ? std::to_string(min) : std::to_string(min) + ".." + std::to_string(max);
    return "input must be " + wanted + " bytes, got " + std::to_string(input.size());
}

Expected<std::string> check_keccak_proof(ByteView input, ByteView proof) {
    const auto expected = keccak256(input);
    if (proof.size() != expected.size() || !std::equal(proof.begin(), proof.end(), expected.begin())) {
        return fail("proof is not keccak256 of the input");
    }
    return "keccak256 " + to_hex(expected);
}

Expected<std::string> no_proof(ByteView, ByteView) {
    return fail("this test program never produces a proof");
}

// test_alloc: input u32 MiB, u32 hold ms. Writing every page makes the memory
// resident, so the kernel (or a cgroup limit) sees it as the real thing.
std::string alloc_check(ByteView input) {
    if (std::string problem = size_problem(input, 8, 8); !problem.empty()) return problem;
    const std::uint32_t hold = load_le32(input.data() + 4);
    if (hold > kMaxHoldMillis) {
        return "hold " + std::to_string(hold) + " ms is above the limit " + std::to_string(kMaxHoldMillis);
    }
    return {};
}

Expected<Bytes> alloc_prove(ByteView input, unsigned) {
    const std::size_t mib = load_le32(input.data());
    const std::uint32_t hold = load_le32(input.data() + 4);
    if (mib > 0) {
        const std::size_t size = mib * kMiB;
        void* memory = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (memory == MAP_FAILED) return fail("cannot map " + std::to_string(mib) + " MiB");
        const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
        auto* bytes = static_cast<volatile std::uint8_t*>(memory);
        for (std::size_t offset = 0; offset < size; offset += page) bytes[offset] = 1;
        std::this_thread::sleep_for(std::chrono::milliseconds(hold));
        ::munmap(memory, size);
    } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(hold));
    }
    const auto digest = keccak256(input);
    return Bytes(digest.begin(), digest.end());
}

std::string any_input_check(ByteView input) {
    return size_problem(input, 0, kMaxInputBytes);
}

// test_crash: a real SIGSEGV, with the default action restored first so that no
// handler (a sanitizer's, say) can turn it into something gentler.
Expected<Bytes> crash_prove(ByteView, unsigned) {
    std::signal(SIGSEGV, SIG_DFL);
    std::raise(SIGSEGV);
    return fail("SIGSEGV did not end the process");
}

// test_hang: never returns; the worker's heartbeats go on from its main thread.
Expected<Bytes> hang_prove(ByteView, unsigned) {
    for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
}

std::string exit_check(ByteView input) {
    return size_problem(input, 1, 1);
}

// test_exit: _exit skips destructors and atexit handlers, like a library that bails out.
Expected<Bytes> exit_prove(ByteView input, unsigned) {
    ::_exit(input[0]);
}

std::string noop_check(ByteView input) {
    return size_problem(input, 1, kMaxInputBytes);
}

Expected<Bytes> noop_prove(ByteView input, unsigned) {
    const auto digest = keccak256(input);
    return Bytes(digest.begin(), digest.end());
}

const Program kAlloc{"test_alloc", true, alloc_check, alloc_prove, check_keccak_proof};
const Program kCrash{"test_crash", true, any_input_check, crash_prove, no_proof};
const Program kHang{"test_hang", true, any_input_check, hang_prove, no_proof};
const Program kExit{"test_exit", true, exit_check, exit_prove, no_proof};
const Program kNoop{"test_noop", true, noop_check, noop_prove, check_keccak_proof};

}  // namespace

const std::vector<const Program*>& test_programs() {
    static const std::vector<const Program*> programs{&kAlloc, &kCrash, &kHang, &kExit, &kNoop};
    return programs;
}

}  // namespace shared::programs
