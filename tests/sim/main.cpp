// `sim`: runs the simulator over a range of seeds, on several processes at once,
// and prints every failing seed with the command that replays it.
//   sim --seeds 10000 --events 2000 --jobs 2
//   sim --seed 1234 --events 2000 --trace          (one seed, every event printed)
//   sim_mutants --mutant CommitAfterSend --seeds 1000 --first
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "supervisor/mutants.h"
#include "tests/sim/world.h"

namespace {

struct Args {
    std::uint64_t first_seed = 1;
    std::uint64_t seeds = 1000;
    std::uint64_t events = 2000;
    unsigned jobs = 1;
    bool trace = false;
    bool stop_at_first = false;
    std::string mutant;
};

int usage(const char* why) {
    std::fprintf(stderr, "sim: %s\nusage: sim [--seed N | --from N --seeds N] [--events N] [--jobs N] [--trace] "
                         "[--first] [--mutant NAME | --list-mutants]\n", why);
    return 2;
}

// One line per failing seed on `out`; the totals on the last line.
void run_range(const Args& args, std::uint64_t from, std::uint64_t to, std::FILE* out) {
    std::uint64_t ok = 0, tasks = 0, restarts = 0;
    for (std::uint64_t seed = from; seed < to; ++seed) {
        sim::World world(seed, args.events, args.trace);
        const sim::Outcome o = world.run();
        tasks += o.tasks;
        if (args.trace || args.seeds == 1) {
            std::fprintf(stderr, "seed %llu: %llu turns, %.1f s simulated, %llu tasks, %llu restarts\n",
                         static_cast<unsigned long long>(seed), static_cast<unsigned long long>(o.turns),
                         o.at_us / 1e6, static_cast<unsigned long long>(o.tasks), static_cast<unsigned long long>(o.restarts));
        }
        restarts += o.restarts;
        if (o.ok) {
            ++ok;
            continue;
        }
        std::fprintf(out, "FAIL seed %llu event %llu t=%.3fs: %s: %s\n", static_cast<unsigned long long>(seed),
                     static_cast<unsigned long long>(o.event), o.at_us / 1e6, o.invariant.c_str(), o.detail.c_str());
        std::fflush(out);
        if (args.stop_at_first) break;
    }
    std::fprintf(out, "DONE %llu %llu %llu\n", static_cast<unsigned long long>(ok),
                 static_cast<unsigned long long>(tasks), static_cast<unsigned long long>(restarts));
}

}  // namespace

int main(int argc, char** argv) {
    Args args;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
        if (a == "--seed") {
            args.first_seed = std::strtoull(value().c_str(), nullptr, 10);
            args.seeds = 1;
        } else if (a == "--from") args.first_seed = std::strtoull(value().c_str(), nullptr, 10);
        else if (a == "--seeds") args.seeds = std::strtoull(value().c_str(), nullptr, 10);
        else if (a == "--events") args.events = std::strtoull(value().c_str(), nullptr, 10);
        else if (a == "--jobs") args.jobs = static_cast<unsigned>(std::strtoul(value().c_str(), nullptr, 10));
        else if (a == "--trace") args.trace = true;
        else if (a == "--first") args.stop_at_first = true;
        else if (a == "--mutant") args.mutant = value();
        else if (a == "--list-mutants") {
#ifdef PROVENODE_MUTANTS
            for (auto m : supervisor::mutants::all()) std::printf("%s\n", std::string(supervisor::mutants::name_of(m)).c_str());
            return 0;
#else
            return usage("--list-mutants needs the sim_mutants build");
#endif
        }
        else return usage(("unknown argument " + a).c_str());
    }
    if (args.seeds == 0 || args.events == 0 || args.jobs == 0) return usage("counts must be 1 or more");
#ifdef PROVENODE_MUTANTS
    supervisor::mutants::active = supervisor::mutants::from_name(args.mutant);
    if (!args.mutant.empty() && supervisor::mutants::active == supervisor::mutants::Mutant::None) {
        return usage(("unknown mutant " + args.mutant).c_str());
    }
#else
    if (!args.mutant.empty()) return usage("--mutant needs the sim_mutants build");
#endif
    spdlog::set_level(args.trace ? spdlog::level::info : spdlog::level::off);
    const auto started = std::chrono::steady_clock::now();
    std::vector<std::pair<pid_t, std::FILE*>> children;
    const std::uint64_t per_job = (args.seeds + args.jobs - 1) / args.jobs;
    for (unsigned j = 0; j < args.jobs; ++j) {
        const std::uint64_t from = args.first_seed + j * per_job;
        const std::uint64_t to = std::min(args.first_seed + args.seeds, from + per_job);
        if (from >= to) break;
        int fds[2];
        if (::pipe(fds) != 0) return usage("pipe failed");
        const pid_t pid = ::fork();
        if (pid == 0) {
            ::close(fds[0]);
            std::FILE* out = ::fdopen(fds[1], "w");
            run_range(args, from, to, out);
            std::fclose(out);
            std::_Exit(0);
        }
        ::close(fds[1]);
        children.emplace_back(pid, ::fdopen(fds[0], "r"));
    }
    std::uint64_t ok = 0, tasks = 0, restarts = 0, failed = 0;
    std::string first_failure;
    for (auto& [pid, in] : children) {
        char line[4096];
        while (std::fgets(line, sizeof line, in)) {
            unsigned long long a = 0, b = 0, c = 0;
            if (std::sscanf(line, "DONE %llu %llu %llu", &a, &b, &c) == 3) {
                ok += a;
                tasks += b;
                restarts += c;
                continue;
            }
            ++failed;
            std::fputs(line, stdout);
            if (first_failure.empty()) first_failure = line;
        }
        std::fclose(in);
        int status = 0;
        ::waitpid(pid, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            std::printf("FAIL a job died (status %d): run its seeds alone to see which\n", status);
            ++failed;
        }
    }
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::printf("sim: %llu seeds x %llu events: %llu passed, %llu failed; %llu tasks issued, %llu node restarts; "
                "%.1f s on %u jobs%s%s\n",
                static_cast<unsigned long long>(args.seeds), static_cast<unsigned long long>(args.events),
                static_cast<unsigned long long>(ok), static_cast<unsigned long long>(failed),
                static_cast<unsigned long long>(tasks), static_cast<unsigned long long>(restarts), took, args.jobs,
                args.mutant.empty() ? "" : ", mutant ", args.mutant.c_str());
    if (!first_failure.empty()) {
        unsigned long long seed = 0;
        std::sscanf(first_failure.c_str(), "FAIL seed %llu", &seed);
        std::printf("replay: %s --seed %llu --events %llu --trace%s%s\n", argv[0], seed,
                    static_cast<unsigned long long>(args.events), args.mutant.empty() ? "" : " --mutant ",
                    args.mutant.c_str());
    }
    return failed ? 1 : 0;
}
