// argon2id_pow: the spec's proof of work, proven with our Argon2id in pooled arenas, verified with libsodium's.
#include "shared/programs/argon2id_pow.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <limits>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "shared/argon2/arena_pool.h"
#include "shared/argon2/argon2.h"
#include "shared/programs/programs.h"

namespace shared::argon2id {
namespace {

constexpr std::uint64_t kNotFound = std::numeric_limits<std::uint64_t>::max();

std::string check(ByteView input) {
    if (input.size() != kInputSize) {
        return "input must be " + std::to_string(kInputSize) + " bytes, got " + std::to_string(input.size());
    }
    const unsigned target_bits = input[32];
    const std::uint32_t opslimit = load_le32(input.data() + 33);
    const std::uint32_t memlimit_kib = load_le32(input.data() + 37);
    if (target_bits > kMaxTargetBits) {
        return "target_bits " + std::to_string(target_bits) + " is above the limit " +
               std::to_string(kMaxTargetBits);
    }
    if (opslimit < kMinOpslimit) return "opslimit 0 is below the minimum 1";
    if (memlimit_kib < kMinMemlimitKib) {
        return "memlimit_kib " + std::to_string(memlimit_kib) + " is below the minimum " +
               std::to_string(kMinMemlimitKib);
    }
    return {};
}

// The nonce search shared by the threads of one find_nonce call. Thread i tries
// i, i + T, i + 2T, ... and stops once its next nonce is above the best found so
// far; every smaller nonce was then tried by its own thread, so the answer is the
// smallest valid nonce whatever the thread count or timing.
class Search {
public:
    Search(const Input& input, unsigned threads) : input_(input), threads_(threads) {}

    // One arena per thread for the whole search, leased by find_nonce before any
    // thread starts, from the pool that keeps it for the next.
    void run(unsigned first, const argon2::Arena& arena) {
        for (std::uint64_t nonce = first; nonce <= best_.load() && !failed_.load(); nonce += threads_) {
            auto digest = hash_in(arena, input_, nonce);
            if (!digest) return record_error(digest.error());
            if (leading_zero_bits(*digest) >= input_.target_bits) return record_found(nonce);
            if (kNotFound - nonce < threads_) return;  // the whole u64 range has been tried
        }
    }

    Expected<std::uint64_t> result() const {
        if (error_) return fail(*error_);
        if (best_.load() == kNotFound) return fail("no nonce meets the target in the u64 range");
        return best_.load();
    }

private:
    void record_found(std::uint64_t nonce) {
        std::uint64_t best = best_.load();
        while (nonce < best && !best_.compare_exchange_weak(best, nonce)) {
        }
    }

    // An error stops every thread: the search cannot promise the smallest nonce any more.
    void record_error(const std::string& message) {
        std::lock_guard lock(mutex_);
        if (!error_) error_ = message;
        failed_.store(true);
    }

    const Input& input_;
    const std::uint64_t threads_;
    std::atomic<std::uint64_t> best_{kNotFound};
    std::atomic<bool> failed_{false};
    std::mutex mutex_;
    std::optional<std::string> error_;
};

Expected<Bytes> prove(ByteView raw, unsigned threads) {
    auto input = decode_input(raw);
    if (!input) return Error{input.error()};
    auto nonce = find_nonce(*input, threads);
    if (!nonce) return Error{nonce.error()};
    Bytes proof(kProofSize);
    store_le64(proof.data(), *nonce);
    return proof;
}

Expected<std::string> verify(ByteView raw, ByteView proof) {
    auto input = decode_input(raw);
    if (!input) return Error{input.error()};
    if (proof.size() != kProofSize) return fail("proof must be 8 bytes, got " + std::to_string(proof.size()));
    const std::uint64_t nonce = load_le64(proof.data());
    auto digest = hash(*input, nonce);
    if (!digest) return Error{digest.error()};
    const unsigned zeros = leading_zero_bits(*digest);
    if (zeros < input->target_bits) {
        return fail("H has only " + std::to_string(zeros) + " leading zero bits, target " +
                    std::to_string(input->target_bits));
    }
    return "nonce " + std::to_string(nonce) + ", H=" + to_hex(*digest) + ", " + std::to_string(zeros) +
           " leading zero bits";
}

// Frees the pooled arenas this task will not use: more than its threads, or of
// sizes none of its inputs asks for.
void prepare_task(std::span<const Bytes> inputs, unsigned threads) {
    std::vector<std::uint64_t> sizes;
    for (const Bytes& raw : inputs) {
        if (auto input = decode_input(raw)) sizes.push_back(arena_blocks(*input));
    }
    argon2::arena_pool().fit(threads, sizes);
}

// The spec's password: seed || nonce (u64 little-endian).
using Password = std::array<std::uint8_t, kSeedSize + 8>;
Password password_for(const Input& input, std::uint64_t nonce) {
    Password password{};
    std::copy(input.seed.begin(), input.seed.end(), password.begin());
    store_le64(password.data() + kSeedSize, nonce);
    return password;
}

}  // namespace

Bytes encode_input(const Input& input) {
    Bytes raw(kInputSize, 0);
    std::copy_n(input.seed.begin(), std::min(input.seed.size(), kSeedSize), raw.begin());
    raw[32] = input.target_bits;
    store_le32(raw.data() + 33, input.opslimit);
    store_le32(raw.data() + 37, input.memlimit_kib);
    return raw;
}

Expected<Input> decode_input(ByteView raw) {
    if (std::string problem = check(raw); !problem.empty()) return fail(problem);
    Input input;
    input.seed.assign(raw.begin(), raw.begin() + kSeedSize);
    input.target_bits = raw[32];
    input.opslimit = load_le32(raw.data() + 33);
    input.memlimit_kib = load_le32(raw.data() + 37);
    return input;
}

Expected<Digest> hash(const Input& input, std::uint64_t nonce) {
    // sodium_init picks the fastest Argon2 implementation for this CPU; once is enough.
    static const bool sodium_ready = sodium_init() >= 0;
    if (!sodium_ready) return fail("libsodium could not be initialised");
    if (input.seed.size() != kSeedSize) return fail("seed must be 32 bytes");
    const Password password = password_for(input, nonce);
    static_assert(crypto_pwhash_SALTBYTES == 16);
    Digest digest{};
    // The salt is the first 16 bytes of the seed, as the spec says.
    const int rc = crypto_pwhash(digest.data(), digest.size(), reinterpret_cast<const char*>(password.data()),
                                 password.size(), input.seed.data(), input.opslimit,
                                 static_cast<std::size_t>(input.memlimit_kib) * 1024,
                                 crypto_pwhash_ALG_ARGON2ID13);
    if (rc != 0) {
        return fail("crypto_pwhash failed (opslimit " + std::to_string(input.opslimit) + ", memlimit " +
                    std::to_string(input.memlimit_kib) + " KiB): out of memory or limits refused");
    }
    return digest;
}

std::uint64_t arena_blocks(const Input& input) {
    return argon2::memory_blocks({.passes = input.opslimit, .memory_kib = input.memlimit_kib});
}

Expected<Digest> hash_in(const argon2::Arena& arena, const Input& input, std::uint64_t nonce) {
    if (input.seed.size() != kSeedSize) return fail("seed must be 32 bytes");
    const Password password = password_for(input, nonce);
    // One lane, no secret, no associated data and the first 16 bytes of the seed
    // as the salt: what crypto_pwhash computes.
    const argon2::Params params{.password = password,
                                .salt = ByteView(input.seed.data(), 16),
                                .passes = input.opslimit,
                                .memory_kib = input.memlimit_kib};
    Digest digest{};
    if (auto done = argon2::hash(params, arena, digest); !done) return Error{done.error()};
    return digest;
}

unsigned leading_zero_bits(ByteView digest) {
    unsigned zeros = 0;
    for (std::uint8_t byte : digest) {
        if (byte != 0) return zeros + static_cast<unsigned>(std::countl_zero(byte));
        zeros += 8;
    }
    return zeros;
}

Expected<std::uint64_t> find_nonce(const Input& input, unsigned threads) {
    threads = std::max(1u, threads);
    // Every thread's arena is leased before any thread hashes, so that a search on
    // T threads holds T arenas however quickly one of them finds the nonce: the
    // worker's memory is what its threads say, not what the scheduler made of it.
    std::vector<argon2::ArenaPool::Lease> leases;
    leases.reserve(threads);
    for (unsigned i = 0; i < threads; ++i) {
        auto lease = argon2::arena_pool().acquire(arena_blocks(input));
        if (!lease) return fail(lease.error());
        leases.push_back(std::move(*lease));
    }
    Search search(input, threads);
    if (threads == 1) {
        search.run(0, leases[0].arena());
        return search.result();
    }
    std::vector<std::jthread> pool;
    pool.reserve(threads);
    for (unsigned i = 0; i < threads; ++i) {
        pool.emplace_back([&search, &leases, i] { search.run(i, leases[i].arena()); });
    }
    pool.clear();  // joins every thread before the result is read
    return search.result();
}

Params params_for_difficulty(int difficulty) {
    if (difficulty <= 0) return {3, 8 * 1024};      // SMALL
    if (difficulty <= 3) return {4, 16 * 1024};     // SMALL_MEDIUM
    if (difficulty <= 5) return {4, 32 * 1024};     // MEDIUM
    if (difficulty <= 10) return {5, 64 * 1024};    // LARGE
    return {5, 256 * 1024};                         // EXTRA_LARGE and up
}

}  // namespace shared::argon2id

namespace shared::programs {

const Program& argon2id_pow() {
    static const Program program{
        .id = "argon2id_pow",
        .test_only = false,
        .check_input = argon2id::check,
        .prove = argon2id::prove,
        .verify = argon2id::verify,
        .prepare_task = argon2id::prepare_task,
    };
    return program;
}

}  // namespace shared::programs
