// argon2-bench: our Argon2id against libsodium's crypto_pwhash, one process and two at once (scripts/bench-argon2).
#include <sodium.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "shared/argon2/arena_pool.h"
#include "shared/argon2/argon2.h"

namespace a2 = shared::argon2;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
    std::uint32_t memory_kib = 64 * 1024;
    std::uint32_t passes = 1;
    unsigned hashes = 30;
    unsigned rounds = 3;
    // --two-processes WHICH: only the two processes at once, of libsodium, ours or both
    // (the baseline of scripts/bench_node.py's pool efficiency).
    std::string two_processes_only;
};

// One hash of the proof of work's shape (40-byte password, 16-byte salt) for nonce `n`.
using HashFn = std::function<bool(std::uint64_t n)>;

std::uint8_t g_seed[40] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

const std::uint8_t* password_for(std::uint64_t n) {
    for (int i = 0; i < 8; ++i) g_seed[32 + i] = static_cast<std::uint8_t>(n >> (8 * i));
    return g_seed;
}

HashFn sodium_hash(const Options& o) {
    return [o](std::uint64_t n) {
        std::uint8_t tag[32];
        return crypto_pwhash(tag, sizeof tag, reinterpret_cast<const char*>(password_for(n)), 40, g_seed, o.passes,
                             std::size_t{o.memory_kib} * 1024, crypto_pwhash_ALG_ARGON2ID13) == 0;
    };
}

// Ours in an arena mapped (and faulted) once, as the prover's pool does.
HashFn our_hash(const Options& o, a2::Pages pages, a2::Isa isa) {
    const a2::Params params{.password = shared::ByteView(g_seed, 40), .salt = shared::ByteView(g_seed, 16),
                            .passes = o.passes, .memory_kib = o.memory_kib};
    auto arena = a2::Arena::map(a2::memory_blocks(params), pages);
    if (!arena) {
        std::fprintf(stderr, "argon2-bench: %s\n", arena.error().c_str());
        std::exit(1);
    }
    auto shared_arena = std::make_shared<a2::Arena>(std::move(*arena));
    return [params, shared_arena, isa](std::uint64_t n) {
        password_for(n);
        std::uint8_t tag[32];
        return a2::hash(params, *shared_arena, tag, isa).ok();
    };
}

// Hashes per second over `count` hashes, after one untimed hash.
double rate(const HashFn& hash, unsigned count) {
    if (!hash(1000000)) return 0;
    const auto start = Clock::now();
    for (unsigned i = 0; i < count; ++i) {
        if (!hash(i)) return 0;
    }
    const std::chrono::duration<double> elapsed = Clock::now() - start;
    return count / elapsed.count();
}

const char* pages_name(a2::Pages pages) { return pages == a2::Pages::Huge ? "huge pages" : "small pages"; }

// This process's anonymous memory in transparent huge pages, from smaps_rollup.
long anon_huge_kib() {
    FILE* smaps = std::fopen("/proc/self/smaps_rollup", "r");
    if (smaps == nullptr) return -1;
    char line[256];
    long kib = -1;
    while (std::fgets(line, sizeof line, smaps) != nullptr) {
        if (std::sscanf(line, "AnonHugePages: %ld kB", &kib) == 1) break;
    }
    std::fclose(smaps);
    return kib;
}

// The one-time cost of an arena (map and fault every page), and how much of it
// the kernel gave as huge pages.
void map_once(const Options& o, a2::Pages pages) {
    const long huge_before = anon_huge_kib();
    const auto start = Clock::now();
    auto arena = a2::Arena::map(o.memory_kib, pages);
    const std::chrono::duration<double, std::milli> elapsed = Clock::now() - start;
    if (!arena) return;
    std::printf("  mapping and faulting one arena, %-11s: %6.1f ms once; %ld of %lu KiB in huge pages\n",
                pages_name(pages), elapsed.count(),
                anon_huge_kib() - huge_before, static_cast<unsigned long>(arena->mapped_bytes() >> 10));
}

// Two processes hashing at once, each with a fresh `make()` (its own arena);
// both start together and report their own rate.
std::vector<double> two_at_once(const std::function<HashFn()>& make, unsigned count) {
    int go[2], results[2];
    if (::pipe(go) != 0 || ::pipe(results) != 0) return {};
    std::vector<pid_t> children;
    for (int c = 0; c < 2; ++c) {
        const pid_t pid = ::fork();
        if (pid == 0) {
            // A session of its own, as each of the node's workers has (uv_spawn
            // detached): with the kernel's autogroup scheduling, every session gets
            // its fair share of a loaded machine, so two hashers in one session would
            // get half of what two workers get.
            ::setsid();
            ::close(go[1]);
            const HashFn hash = make();
            hash(2000000);  // mapped and warm before the start
            char byte;
            (void)!::read(go[0], &byte, 1);  // returns 0 when the parent closes: start
            const double r = rate(hash, count);
            (void)!::write(results[1], &r, sizeof r);
            std::_Exit(0);
        }
        children.push_back(pid);
    }
    ::usleep(300000);  // let both map and warm up
    ::close(go[0]);
    ::close(go[1]);
    std::vector<double> rates;
    for (std::size_t c = 0; c < children.size(); ++c) {
        double r = 0;
        if (::read(results[0], &r, sizeof r) == sizeof r) rates.push_back(r);
    }
    for (pid_t pid : children) ::waitpid(pid, nullptr, 0);
    ::close(results[0]);
    ::close(results[1]);
    return rates;
}

double mean(const std::vector<double>& v) {
    double sum = 0;
    for (double x : v) sum += x;
    return v.empty() ? 0 : sum / static_cast<double>(v.size());
}

// Huge against small pages in short alternating runs, paired so that a change
// in others' load hits both sides of a pair: the median of the pairs' ratios.
void pages_paired(const Options& o, a2::Isa best) {
    constexpr unsigned kPairs = 30;
    const unsigned per_run = std::max(1u, o.hashes / 6);
    const HashFn huge = our_hash(o, a2::Pages::Huge, best);
    const HashFn small = our_hash(o, a2::Pages::Small, best);
    std::vector<double> ratios;
    for (unsigned pair = 0; pair < kPairs; ++pair) {
        const bool huge_first = pair % 2 == 0;  // neither side always runs first
        const double first = rate(huge_first ? huge : small, per_run);
        const double second = rate(huge_first ? small : huge, per_run);
        ratios.push_back(huge_first ? first / second : second / first);
    }
    std::sort(ratios.begin(), ratios.end());
    std::printf("  huge / small pages, %s, %u alternating pairs of %u hashes: median %.3fx (quartiles %.3f, %.3f)\n",
                std::string(a2::isa_name(best)).c_str(), kPairs, per_run, ratios[kPairs / 2], ratios[kPairs / 4],
                ratios[3 * kPairs / 4]);
}

struct Config {
    std::string name;
    HashFn hash;
    bool what_prove_uses = false;
    double best = 0;  // hashes/s, the best round
};

// Every configuration once per round, round after round, and the best round of
// each: on a machine that others load, the best is the one least disturbed, and
// interleaving spreads the disturbance over all configurations alike.
void one_thread(const Options& o, a2::Isa best) {
    std::printf("\none thread, this process (best of %u rounds of %u hashes each):\n", o.rounds, o.hashes);
    std::vector<Config> configs;
    configs.push_back({"libsodium crypto_pwhash", sodium_hash(o)});
    for (a2::Pages pages : {a2::Pages::Huge, a2::Pages::Small}) {
        for (a2::Isa isa : {a2::Isa::Avx512, a2::Isa::Avx2, a2::Isa::Portable}) {
            if (!a2::cpu_supports(isa)) continue;
            configs.push_back({"ours " + std::string(a2::isa_name(isa)) + ", " + pages_name(pages),
                               our_hash(o, pages, isa), isa == best && pages == a2::pool_pages(o.memory_kib)});
        }
    }
    for (unsigned round = 0; round < o.rounds; ++round) {
        for (Config& c : configs) c.best = std::max(c.best, rate(c.hash, o.hashes));
    }
    const double sodium = configs.front().best;
    for (const Config& c : configs) {
        std::printf("  %-32s %7.1f hashes/s  %5.2fx libsodium%s\n", c.name.c_str(), c.best, c.best / sodium,
                    c.what_prove_uses ? "  <- what prove uses" : "");
    }
    pages_paired(o, best);
    map_once(o, a2::Pages::Huge);
    map_once(o, a2::Pages::Small);
}

// Rounds of libsodium's pair then ours, and the best round of each.
// With --two-processes ours (or libsodium), only that side runs: a caller that
// brackets its own measurement with ours does not run libsodium right before, whose
// fresh 64 MiB per hash leaves the kernel reclaiming pages for a while after.
void two_processes(const Options& o, a2::Isa best) {
    const bool with_sodium = o.two_processes_only != "ours", with_ours = o.two_processes_only != "libsodium";
    std::printf("\ntwo processes at once, one thread each (best of %u rounds of %u hashes each):\n", o.rounds,
                o.hashes);
    std::vector<double> sodium{0, 0}, ours{0, 0};
    for (unsigned round = 0; round < o.rounds; ++round) {
        const auto s = with_sodium ? two_at_once([&] { return sodium_hash(o); }, o.hashes) : sodium;
        const auto u = with_ours ? two_at_once([&] { return our_hash(o, a2::pool_pages(o.memory_kib), best); }, o.hashes)
                                 : ours;
        if (s.size() != 2 || u.size() != 2) {
            std::printf("  a child failed\n");
            return;
        }
        if (mean(s) > mean(sodium)) sodium = s;
        if (mean(u) > mean(ours)) ours = u;
    }
    if (with_sodium) std::printf("  %-32s %7.1f and %.1f hashes/s\n", "libsodium crypto_pwhash", sodium[0], sodium[1]);
    if (!with_ours) return;
    const std::string name = "ours " + std::string(a2::isa_name(best)) + ", " + pages_name(a2::pool_pages(o.memory_kib));
    std::printf("  %-32s %7.1f and %.1f hashes/s", name.c_str(), ours[0], ours[1]);
    if (with_sodium) std::printf("  %5.2fx libsodium", mean(ours) / mean(sodium));
    std::printf("\n");
}

std::optional<Options> parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--two-processes") {
            o.two_processes_only = argv[i + 1];
            if (o.two_processes_only != "both" && o.two_processes_only != "ours" && o.two_processes_only != "libsodium") {
                return std::nullopt;
            }
            continue;
        }
        const auto value = static_cast<std::uint32_t>(std::strtoul(argv[i + 1], nullptr, 10));
        if (flag == "--memory-kib" && value >= 8) {
            o.memory_kib = value;
        } else if (flag == "--opslimit" && value >= 1) {
            o.passes = value;
        } else if (flag == "--hashes" && value >= 1) {
            o.hashes = value;
        } else if (flag == "--rounds" && value >= 1) {
            o.rounds = value;
        } else {
            return std::nullopt;
        }
    }
    if (argc % 2 == 0) return std::nullopt;
    return o;
}

}  // namespace

int main(int argc, char** argv) {
    const auto options = parse(argc, argv);
    if (!options) {
        std::fprintf(stderr,
                     "usage: argon2-bench [--two-processes both|ours|libsodium] [--memory-kib KIB] [--opslimit N] [--hashes N] "
                     "[--rounds N]\n");
        return 2;
    }
    if (sodium_init() < 0) return 1;
    const auto best = a2::configured_isa();
    if (!best) {
        std::fprintf(stderr, "argon2-bench: %s\n", best.error().c_str());
        return 1;
    }
    std::printf("Argon2id, %u KiB, opslimit %u; kernel chosen: %s\n", options->memory_kib, options->passes,
                std::string(a2::isa_name(*best)).c_str());
    if (options->two_processes_only.empty()) one_thread(*options, *best);
    two_processes(*options, *best);
    return 0;
}
