// local-orchestrator: parse the flags, open the records, serve until SIGTERM or SIGINT.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include <spdlog/spdlog.h>

#include "faults.h"
#include "options.h"
#include "prng.h"
#include "server.h"
#include "shared/log.h"
#include "store.h"
#include "task_factory.h"

namespace {

// Written to a temporary name and renamed, so a reader never sees half a port.
void write_port_file(const std::string& path, int port) {
    const std::string temporary = path + ".tmp." + std::to_string(::getpid());
    {
        std::ofstream out(temporary, std::ios::trunc);
        out << port << "\n";
        if (!out.flush()) throw orch::UsageError("--port-file: cannot write " + temporary);
    }
    std::error_code ec;
    std::filesystem::rename(temporary, path, ec);
    if (ec) throw orch::UsageError("--port-file: cannot rename to " + path + ": " + ec.message());
}

// Signals are waited for on a thread of their own (blocked everywhere else),
// which asks the server to stop; the accept loop then returns in main.
std::thread start_signal_thread(orch::Server& server, const sigset_t& signals) {
    return std::thread([&server, signals] {
        int signal_number = 0;
        sigwait(&signals, &signal_number);
        spdlog::info("signal {}: stopping", signal_number);
        server.stop();
    });
}

int serve(const orch::Options& options) {
    orch::Prng prng(options.seed);
    orch::Store store(options.db_path);
    orch::FaultTable faults;
    for (const auto& spec : options.faults) faults.add(spec, orch::unix_now());
    orch::TaskFactory factory(options, prng);
    orch::Server server(options, store, factory, faults, prng);

    const int port = server.bind();
    if (!options.port_file.empty()) write_port_file(options.port_file, port);
    std::cout << "listening on http://" << options.listen_host << ":" << port << std::endl;
    spdlog::info("listening on {}:{} db={} seed={}", options.listen_host, port, options.db_path,
                 options.seed);

    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    auto signal_thread = start_signal_thread(server, signals);
    const bool ok = server.run();
    if (!ok) {
        // The loop failed on its own: wake the signal thread so it can be joined.
        ::kill(::getpid(), SIGTERM);
    }
    signal_thread.join();
    spdlog::info("stopped");
    return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    // Before any thread exists: every thread inherits the mask, so only the
    // signal thread receives SIGTERM and SIGINT. A client that hangs up must
    // not kill the server with SIGPIPE.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    ::signal(SIGPIPE, SIG_IGN);

    shared::init_logging("local-orchestrator");
    try {
        auto options = orch::parse_options(argc, argv);
        if (!options) return 0;
        return serve(*options);
    } catch (const orch::UsageError& e) {
        std::cerr << "local-orchestrator: " << e.what() << std::endl;
        return 2;
    } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
        return 1;
    }
}
