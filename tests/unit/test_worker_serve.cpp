// Process test: the real worker executable against a ROUTER socket played by the test.
#include <doctest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include "shared/programs/argon2id_pow.h"
#include "shared/worker_codec.h"
#include "tests/support/temp_dir.h"

namespace fs = std::filesystem;
namespace wire = shared::wire;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using test_support::TempDir;

namespace {

const char* worker_exe() {
    const char* path = std::getenv("WORKER_EXE");
    REQUIRE_MESSAGE(path != nullptr, "WORKER_EXE must name the worker executable");
    return path;
}

// A child process that is SIGKILLed and reaped when the test is done with it.
class Child {
public:
    explicit Child(std::vector<std::string> args) {
        pid_ = ::fork();
        REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            std::vector<char*> argv;
            for (auto& a : args) argv.push_back(a.data());
            argv.push_back(nullptr);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
    }
    ~Child() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            wait();
        }
    }
    pid_t pid() const { return pid_; }
    // The wait status, or nullopt when the child is still running after `timeout`.
    std::optional<int> wait_for(std::chrono::milliseconds timeout) {
        const auto deadline = Clock::now() + timeout;
        int status = 0;
        while (Clock::now() < deadline) {
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                return status;
            }
            std::this_thread::sleep_for(10ms);
        }
        return std::nullopt;
    }
    int wait() {
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        return status;
    }

private:
    pid_t pid_ = -1;
};

// The supervisor's side: a ROUTER bound on ipc in a private directory.
class Router {
public:
    explicit Router(const fs::path& dir) : socket_(context_, zmq::socket_type::router) {
        endpoint_ = "ipc://" + (dir / "workers.sock").string();
        socket_.set(zmq::sockopt::linger, 0);
        socket_.bind(endpoint_);
    }
    const std::string& endpoint() const { return endpoint_; }
    const std::string& peer() const { return peer_; }

    // The next message from a worker, or nullopt after `timeout`.
    std::optional<wire::Message> receive(std::chrono::milliseconds timeout) {
        zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
        if (zmq::poll(&item, 1, timeout) == 0) return std::nullopt;
        zmq::message_t id;
        zmq::message_t frame;
        REQUIRE(socket_.recv(id));
        REQUIRE(id.more());
        REQUIRE(socket_.recv(frame));
        CHECK_FALSE(frame.more());
        peer_ = id.to_string();
        auto message = wire::decode({frame.data<std::uint8_t>(), frame.size()});
        REQUIRE_MESSAGE(message.ok(), message.error());
        return *message;
    }

    // The next message other than a heartbeat.
    std::optional<wire::Message> receive_skipping_heartbeats(std::chrono::milliseconds timeout) {
        const auto deadline = Clock::now() + timeout;
        for (;;) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            if (left <= 0ms) return std::nullopt;
            auto message = receive(left);
            if (!message || !std::holds_alternative<wire::Heartbeat>(*message)) return message;
        }
    }

    void send_frame(const shared::Bytes& frame) {
        socket_.send(zmq::buffer(peer_), zmq::send_flags::sndmore);
        socket_.send(zmq::buffer(frame));
    }
    void send(const wire::Message& message) {
        auto frame = wire::encode(message);
        REQUIRE(frame.ok());
        send_frame(*frame);
    }

private:
    zmq::context_t context_;
    zmq::socket_t socket_;
    std::string endpoint_;
    std::string peer_;
};

std::vector<std::string> serve_args(const std::string& endpoint, bool allow_test, pid_t parent = ::getpid()) {
    std::vector<std::string> args{worker_exe(), "serve", "--endpoint", endpoint, "--index", "3",
                                  "--parent-pid", std::to_string(parent)};
    if (allow_test) args.push_back("--allow-test-programs");
    return args;
}

wire::Hello expect_hello(Router& router, const Child& worker) {
    auto message = router.receive(5000ms);
    REQUIRE(message.has_value());
    REQUIRE(std::holds_alternative<wire::Hello>(*message));
    const auto hello = std::get<wire::Hello>(*message);
    CHECK(hello.pid == static_cast<std::uint32_t>(worker.pid()));
    CHECK(hello.worker_index == 3);
    CHECK(hello.hardware_threads >= 1);
    CHECK(hello.version == PROVENODE_VERSION);
    CHECK(router.peer() == std::to_string(worker.pid()));
    return hello;
}

shared::Bytes argon_input(std::uint8_t seed_byte, std::uint8_t target_bits) {
    shared::argon2id::Input input;
    input.seed.assign(32, seed_byte);
    input.target_bits = target_bits;
    return shared::argon2id::encode_input(input);
}

bool process_gone(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return true;
    const auto close = line.rfind(')');
    return close != std::string::npos && line.size() > close + 2 && line[close + 2] == 'Z';
}

}  // namespace

TEST_CASE("hello, heartbeats every second, a proven task, and heartbeats while a task hangs") {
    TempDir dir("worker_serve.");
    Router router(dir.path());
    Child worker(serve_args(router.endpoint(), true));
    expect_hello(router, worker);

    // Two heartbeats about a second apart, idle.
    std::vector<Clock::time_point> beats;
    while (beats.size() < 2) {
        auto message = router.receive(2500ms);
        REQUIRE(message.has_value());
        REQUIRE(std::holds_alternative<wire::Heartbeat>(*message));
        const auto& beat = std::get<wire::Heartbeat>(*message);
        CHECK(beat.task_id.empty());
        CHECK(beat.rss_bytes > 0);
        CHECK(beat.peak_rss_bytes >= beat.rss_bytes);
        beats.push_back(Clock::now());
    }
    const auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(beats[1] - beats[0]);
    CHECK(gap >= 700ms);
    CHECK(gap <= 1500ms);

    // argon2id_pow, 2 inputs: 2 valid proofs, in input order.
    const std::vector<shared::Bytes> inputs{argon_input(0x11, 4), argon_input(0x22, 4)};
    router.send(wire::Assign{"task-argon", "argon2id_pow", inputs, 2, 1});
    auto reply = router.receive_skipping_heartbeats(20000ms);
    REQUIRE(reply.has_value());
    REQUIRE(std::holds_alternative<wire::Result>(*reply));
    const auto& result = std::get<wire::Result>(*reply);
    CHECK(result.task_id == "task-argon");
    REQUIRE(result.proofs.size() == 2);
    CHECK(result.proof_micros.size() == 2);
    CHECK(result.threads_used == 2);
    CHECK(result.peak_rss_bytes > 0);
    for (std::size_t i = 0; i < 2; ++i) {
        CAPTURE(i);
        REQUIRE(result.proofs[i].size() == 8);
        auto input = shared::argon2id::decode_input(inputs[i]);
        REQUIRE(input.ok());
        auto digest = shared::argon2id::hash(*input, shared::load_le64(result.proofs[i].data()));
        REQUIRE(digest.ok());
        CHECK(shared::argon2id::leading_zero_bits(*digest) >= 4);
    }
    CHECK(result.proofs[0] != result.proofs[1]);  // the seeds differ, so do the smallest nonces

    // test_hang: heartbeats naming the task keep coming for 3 s.
    router.send(wire::Assign{"task-hang", "test_hang", {shared::Bytes{1}}, 1, 1});
    const auto start = Clock::now();
    int hang_beats = 0;
    while (Clock::now() - start < 3200ms) {
        auto message = router.receive(1500ms);
        REQUIRE_MESSAGE(message.has_value(), "no heartbeat for 1.5 s while a task hangs");
        REQUIRE(std::holds_alternative<wire::Heartbeat>(*message));
        CHECK(std::get<wire::Heartbeat>(*message).task_id == "task-hang");
        ++hang_beats;
    }
    CHECK(hang_beats >= 3);

    // A second task while busy is refused, and an undecodable frame is answered; the worker goes on.
    router.send(wire::Assign{"task-2", "test_noop", {shared::Bytes{1}}, 1, 1});
    reply = router.receive_skipping_heartbeats(3000ms);
    REQUIRE(reply.has_value());
    REQUIRE(std::holds_alternative<wire::Failure>(*reply));
    CHECK(std::get<wire::Failure>(*reply).task_id == "task-2");
    CHECK(std::get<wire::Failure>(*reply).kind == wire::FailureKind::BadRequest);

    router.send_frame(shared::Bytes{0xff, 0xff, 0xff});
    reply = router.receive_skipping_heartbeats(3000ms);
    REQUIRE(reply.has_value());
    REQUIRE(std::holds_alternative<wire::Failure>(*reply));
    CHECK(std::get<wire::Failure>(*reply).kind == wire::FailureKind::BadRequest);
    reply = router.receive(1500ms);
    REQUIRE(reply.has_value());
    CHECK(std::holds_alternative<wire::Heartbeat>(*reply));

    // Killed for real, and reaped.
    REQUIRE(::kill(worker.pid(), SIGKILL) == 0);
    const int status = worker.wait();
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGKILL);
}

TEST_CASE("refusals: test programs without the flag, unknown programs, malformed input") {
    TempDir dir("worker_serve.");
    Router router(dir.path());
    Child worker(serve_args(router.endpoint(), false));
    expect_hello(router, worker);

    router.send(wire::Assign{"t1", "test_noop", {shared::Bytes{1}}, 1, 1});
    auto reply = router.receive_skipping_heartbeats(3000ms);
    REQUIRE(reply.has_value());
    REQUIRE(std::holds_alternative<wire::Failure>(*reply));
    CHECK(std::get<wire::Failure>(*reply).kind == wire::FailureKind::UnsupportedProgram);
    CHECK(std::get<wire::Failure>(*reply).message.find("--allow-test-programs") != std::string::npos);

    router.send(wire::Assign{"t2", "no_such_program", {shared::Bytes{1}}, 1, 1});
    reply = router.receive_skipping_heartbeats(3000ms);
    REQUIRE(reply.has_value());
    REQUIRE(std::holds_alternative<wire::Failure>(*reply));
    CHECK(std::get<wire::Failure>(*reply).kind == wire::FailureKind::UnsupportedProgram);

    router.send(wire::Assign{"t3", "argon2id_pow", {argon_input(1, 1), shared::Bytes(40)}, 1, 1});
    reply = router.receive_skipping_heartbeats(3000ms);
    REQUIRE(reply.has_value());
    REQUIRE(std::holds_alternative<wire::Failure>(*reply));
    const auto& failure = std::get<wire::Failure>(*reply);
    CHECK(failure.task_id == "t3");
    CHECK(failure.kind == wire::FailureKind::MalformedInput);
    CHECK(failure.input_index == 1);
}

TEST_CASE("Shutdown ends the worker with status 0, even while a task hangs") {
    TempDir dir("worker_serve.");
    Router router(dir.path());
    Child worker(serve_args(router.endpoint(), true));
    expect_hello(router, worker);
    router.send(wire::Assign{"task-hang", "test_hang", {shared::Bytes{}}, 1, 1});
    std::this_thread::sleep_for(200ms);
    router.send(wire::Shutdown{});
    const auto status = worker.wait_for(3000ms);
    REQUIRE(status.has_value());
    CHECK(WIFEXITED(*status));
    CHECK(WEXITSTATUS(*status) == 0);
}

TEST_CASE("a worker whose parent is already gone exits 1 at once") {
    TempDir dir("worker_serve.");
    Router router(dir.path());
    // pid 1 is never the test's own parent... unless the test runs as init's child.
    if (::getppid() == 1) return;
    Child worker(serve_args(router.endpoint(), false, 1));
    const auto status = worker.wait_for(3000ms);
    REQUIRE(status.has_value());
    CHECK(WIFEXITED(*status));
    CHECK(WEXITSTATUS(*status) == 1);
    CHECK_FALSE(router.receive(200ms).has_value());  // no hello
}

TEST_CASE("the worker dies with its parent (PR_SET_PDEATHSIG)") {
    TempDir dir("worker_serve.");
    Router router(dir.path());
    // An intermediate parent that starts the worker, then waits to be killed.
    const pid_t parent = ::fork();
    REQUIRE(parent >= 0);
    if (parent == 0) {
        auto args = serve_args(router.endpoint(), false, ::getpid());
        const pid_t worker = ::fork();
        if (worker == 0) {
            std::vector<char*> argv;
            for (auto& a : args) argv.push_back(a.data());
            argv.push_back(nullptr);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        for (;;) ::pause();
    }
    auto message = router.receive(5000ms);
    REQUIRE(message.has_value());
    REQUIRE(std::holds_alternative<wire::Hello>(*message));
    const pid_t worker_pid = static_cast<pid_t>(std::get<wire::Hello>(*message).pid);

    ::kill(parent, SIGKILL);
    int status = 0;
    ::waitpid(parent, &status, 0);
    bool gone = false;
    for (int i = 0; i < 200 && !gone; ++i) {
        gone = process_gone(worker_pid);
        if (!gone) std::this_thread::sleep_for(10ms);
    }
    if (!gone) ::kill(worker_pid, SIGKILL);  // do not leave it behind
    CHECK(gone);
}
