// Unit tests for our Argon2id: RFC 9106's vector, the spec's, and every kernel against libsodium.
#include <doctest.h>

#include <sodium.h>

#include <random>
#include <string>
#include <vector>

#include "shared/argon2/argon2.h"
#include "shared/programs/argon2id_pow.h"

namespace a2 = shared::argon2;
using shared::Bytes;

namespace {

constexpr a2::Isa kIsas[] = {a2::Isa::Portable, a2::Isa::Avx2, a2::Isa::Avx512};

// The kernels this CPU runs; the others are named once, as skipped.
std::vector<a2::Isa> runnable_isas() {
    std::vector<a2::Isa> isas;
    for (a2::Isa isa : kIsas) {
        if (a2::cpu_supports(isa)) {
            isas.push_back(isa);
        } else {
            MESSAGE("skipped: the " << a2::isa_name(isa) << " kernel needs a CPU feature this one lacks");
        }
    }
    return isas;
}

a2::Arena map_arena(std::uint64_t blocks, a2::Pages pages = a2::Pages::Small) {
    auto arena = a2::Arena::map(blocks, pages);
    REQUIRE_MESSAGE(arena.ok(), arena.error());
    return std::move(*arena);
}

// A case of the proof of work: password seed || nonce, salt seed[0..16].
struct PowCase {
    Bytes seed = Bytes(32);
    std::uint64_t nonce = 0;
    std::uint32_t opslimit = 1;
    std::uint32_t memlimit_kib = 8;
};

Bytes pow_password(const PowCase& c) {
    Bytes password = c.seed;
    password.resize(40);
    shared::store_le64(password.data() + 32, c.nonce);
    return password;
}

std::string sodium_hex(const PowCase& c) {
    const Bytes password = pow_password(c);
    std::uint8_t tag[32];
    REQUIRE(crypto_pwhash(tag, sizeof tag, reinterpret_cast<const char*>(password.data()), password.size(),
                          c.seed.data(), c.opslimit, std::size_t{c.memlimit_kib} * 1024,
                          crypto_pwhash_ALG_ARGON2ID13) == 0);
    return shared::to_hex(shared::ByteView(tag, sizeof tag));
}

std::string ours_hex(const PowCase& c, const a2::Arena& arena, a2::Isa isa) {
    const Bytes password = pow_password(c);
    const a2::Params params{.password = password,
                            .salt = shared::ByteView(c.seed.data(), 16),
                            .passes = c.opslimit,
                            .memory_kib = c.memlimit_kib};
    std::uint8_t tag[32];
    auto done = a2::hash(params, arena, tag, isa);
    REQUIRE_MESSAGE(done.ok(), done.error());
    return shared::to_hex(shared::ByteView(tag, sizeof tag));
}

// Memory sizes spread evenly over the orders of magnitude from 8 KiB to
// `max_kib`, with odd sizes that m' rounds down.
std::vector<PowCase> random_cases(std::size_t count, std::uint32_t max_kib, std::uint32_t max_ops,
                                  std::uint64_t seed) {
    std::mt19937_64 random(seed);
    std::uniform_real_distribution<double> log_kib(std::log(8.0), std::log(max_kib + 1.0));
    std::vector<PowCase> cases(count);
    for (PowCase& c : cases) {
        for (auto& byte : c.seed) byte = static_cast<std::uint8_t>(random());
        c.nonce = random();
        c.opslimit = 1 + static_cast<std::uint32_t>(random() % max_ops);
        c.memlimit_kib = std::max(8u, static_cast<std::uint32_t>(std::exp(log_kib(random))));
    }
    return cases;
}

// Every kernel gives libsodium's tag for every case, each kernel reusing one
// arena for all of them as the prover does (so stale blocks must not matter).
void check_against_libsodium(const std::vector<PowCase>& cases, std::uint32_t max_kib) {
    std::vector<std::string> expected;
    expected.reserve(cases.size());
    for (const PowCase& c : cases) expected.push_back(sodium_hex(c));
    for (a2::Isa isa : runnable_isas()) {
        CAPTURE(a2::isa_name(isa));
        const a2::Arena arena = map_arena(max_kib);
        std::size_t mismatches = 0;
        for (std::size_t i = 0; i < cases.size(); ++i) {
            if (ours_hex(cases[i], arena, isa) == expected[i]) continue;
            if (++mismatches <= 3) {
                FAIL_CHECK("case " << i << ": opslimit " << cases[i].opslimit << ", memlimit "
                                   << cases[i].memlimit_kib << " KiB, nonce " << cases[i].nonce);
            }
        }
        CHECK(mismatches == 0);
    }
}

PowCase spec_case(std::uint64_t nonce) {
    PowCase c;
    for (std::size_t i = 0; i < 32; ++i) c.seed[i] = static_cast<std::uint8_t>(i);
    c.nonce = nonce;
    return c;
}

}  // namespace

TEST_CASE("RFC 9106's Argon2id vector: 4 lanes, secret and associated data") {
    const Bytes password(32, 0x01), salt(16, 0x02), secret(8, 0x03), data(12, 0x04);
    const a2::Params params{.password = password, .salt = salt, .secret = secret, .associated_data = data,
                            .passes = 3, .memory_kib = 32, .lanes = 4};
    const a2::Arena arena = map_arena(a2::memory_blocks(params));
    for (a2::Isa isa : runnable_isas()) {
        CAPTURE(a2::isa_name(isa));
        std::uint8_t tag[32];
        REQUIRE(a2::hash(params, arena, tag, isa).ok());
        CHECK(shared::to_hex(shared::ByteView(tag, 32)) ==
              "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659");
    }
}

TEST_CASE("the spec's argon2id_pow vectors, with every kernel") {
    const a2::Arena arena = map_arena(8);
    for (a2::Isa isa : runnable_isas()) {
        CAPTURE(a2::isa_name(isa));
        CHECK(ours_hex(spec_case(0), arena, isa) == "0ab2f54499e8896028bced4a54b019e027469b8c45db21e33874e7b3ba00e433");
        CHECK(ours_hex(spec_case(109), arena, isa) ==
              "00853bdeffe89fcc47d93c42a28d6af947fa617a07a5b2a6fb5cd8a84d1d7963");
    }
}

TEST_CASE("10,000 random small cases: every kernel gives libsodium's tag") {
    REQUIRE(sodium_init() >= 0);
    constexpr std::uint32_t kMaxKib = 384;
    check_against_libsodium(random_cases(10000, kMaxKib, 4, 20240917), kMaxKib);
}

TEST_CASE("a handful of MiB-sized cases, huge-page arena: every kernel gives libsodium's tag") {
    REQUIRE(sodium_init() >= 0);
    std::vector<PowCase> cases = random_cases(6, 4096, 2, 7);
    cases[0].memlimit_kib = 4096;  // a whole number of huge pages
    cases[1].memlimit_kib = 2048 + 13;  // a huge page and a small-page tail
    std::vector<std::string> expected;
    for (const PowCase& c : cases) expected.push_back(sodium_hex(c));
    const a2::Arena arena = map_arena(4096, a2::Pages::Huge);
    for (a2::Isa isa : runnable_isas()) {
        CAPTURE(a2::isa_name(isa));
        for (std::size_t i = 0; i < cases.size(); ++i) CHECK(ours_hex(cases[i], arena, isa) == expected[i]);
    }
}

TEST_CASE("pow hash_in equals libsodium's hash, which stays the verifier's") {
    namespace pow = shared::argon2id;
    pow::Input input;
    input.seed = spec_case(0).seed;
    input.opslimit = 2;
    input.memlimit_kib = 100;
    const a2::Arena arena = map_arena(pow::arena_blocks(input));
    CHECK(pow::arena_blocks(input) == 100);
    for (std::uint64_t nonce : {0ull, 1ull, 0xffffffffffffffffull}) {
        auto ours = pow::hash_in(arena, input, nonce);
        auto theirs = pow::hash(input, nonce);
        REQUIRE(ours.ok());
        REQUIRE(theirs.ok());
        CHECK(*ours == *theirs);
    }
}

TEST_CASE("m' is m rounded down to 4 blocks per lane, and at least 8 per lane") {
    CHECK(a2::memory_blocks({.memory_kib = 8}) == 8);
    CHECK(a2::memory_blocks({.memory_kib = 11}) == 8);
    CHECK(a2::memory_blocks({.memory_kib = 12}) == 12);
    CHECK(a2::memory_blocks({.memory_kib = 65536}) == 65536);
    CHECK(a2::memory_blocks({.memory_kib = 47, .lanes = 4}) == 32);
    CHECK(a2::memory_blocks({.memory_kib = 0xffffffffu}) == 0xfffffffcu);
}

TEST_CASE("bad parameters and a small arena are refused with what is wrong") {
    const Bytes salt(16, 2);
    const a2::Arena arena = map_arena(16);
    std::uint8_t tag[32];
    auto refused = [&](a2::Params params, std::span<std::uint8_t> out) {
        auto done = a2::hash(params, arena, out, a2::Isa::Portable);
        REQUIRE_FALSE(done.ok());
        return done.error();
    };
    CHECK(refused({.salt = shared::ByteView(salt).first(7)}, tag).find("salt of 7 bytes") != std::string::npos);
    CHECK(refused({.salt = salt}, std::span(tag).first(15)).find("tag of 15 bytes") != std::string::npos);
    CHECK(refused({.salt = salt, .passes = 0}, tag).find("passes 0") != std::string::npos);
    CHECK(refused({.salt = salt, .lanes = 0}, tag).find("lanes 0") != std::string::npos);
    CHECK(refused({.salt = salt, .memory_kib = 7}, tag).find("memory 7 KiB") != std::string::npos);
    CHECK(refused({.salt = salt, .memory_kib = 31, .lanes = 4}, tag).find("8 KiB per lane") != std::string::npos);
    CHECK(refused({.salt = salt, .memory_kib = 20}, tag).find("the arena has 16 blocks, the hash needs 20") !=
          std::string::npos);
    CHECK(a2::hash({.salt = salt, .memory_kib = 16}, arena, tag, a2::Isa::Portable).ok());
}

TEST_CASE("tags longer than 64 bytes use H' chaining, as libsodium's do") {
    REQUIRE(sodium_init() >= 0);
    const PowCase c = spec_case(5);
    const Bytes password = pow_password(c);
    const a2::Arena arena = map_arena(8);
    for (std::size_t length : {16u, 64u, 65u, 100u, 128u}) {
        CAPTURE(length);
        Bytes theirs(length), ours(length);
        REQUIRE(crypto_pwhash(theirs.data(), length, reinterpret_cast<const char*>(password.data()), password.size(),
                              c.seed.data(), 1, 8192, crypto_pwhash_ALG_ARGON2ID13) == 0);
        REQUIRE(a2::hash({.password = password, .salt = shared::ByteView(c.seed).first(16)}, arena, ours).ok());
        CHECK(ours == theirs);
    }
}
