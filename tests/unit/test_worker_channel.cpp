// Unit tests for the worker channel (supervisor/worker_channel.h): a real ZeroMQ
// ROUTER bound on an ipc endpoint, a DEALER played by the test as the worker.
// send() never delivers a message (issue 9, item 1's rule); drain() reads whole
// messages; and interrupted ZeroMQ calls (item 8) lose no message and never read
// a payload as a routing id: under a real signal storm, and with EINTR injected
// into ZeroMQ's own poll() so that every path sees it, whatever the machine.
#include <doctest.h>

#include <dlfcn.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <uv.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <variant>
#include <vector>
#include <zmq.hpp>

#include "shared/bytes.h"
#include "shared/worker_codec.h"
#include "supervisor/worker_channel.h"
#include "tests/support/temp_dir.h"

namespace wire = shared::wire;
using supervisor::WorkerChannel;
using test_support::TempDir;
using namespace std::chrono_literals;

namespace {

// ZeroMQ waits for its internal commands with poll(fd, 1, 0) on the calling
// thread; that is where a signal turns into EINTR out of zmq_recv, zmq_send and
// zmq_getsockopt. This test's poll() stands in front of libc's: it counts the
// real interruptions, and on the thread that asks, makes every n-th one return
// EINTR as a signal would.
std::atomic<unsigned long> g_interrupted{0};  // real EINTRs seen by ZeroMQ's poll
thread_local unsigned t_inject_every = 0;     // 0: none
thread_local unsigned long t_zero_polls = 0;
thread_local unsigned long t_injected = 0;

}  // namespace

extern "C" int poll(struct pollfd* fds, nfds_t count, int timeout) {
    using Poll = int (*)(struct pollfd*, nfds_t, int);
    static const Poll real = reinterpret_cast<Poll>(::dlsym(RTLD_NEXT, "poll"));
    if (timeout == 0 && t_inject_every && ++t_zero_polls % t_inject_every == 0) {
        ++t_injected;
        errno = EINTR;
        return -1;
    }
    const int rc = real(fds, count, timeout);
    if (rc < 0 && errno == EINTR) g_interrupted.fetch_add(1, std::memory_order_relaxed);
    return rc;
}

namespace {

constexpr const char* kWorkerId = "4242";

wire::Heartbeat numbered(std::uint64_t n) {
    wire::Heartbeat beat;
    beat.rss_bytes = n;
    beat.assigns_received = n;
    return beat;
}

zmq::message_t frame(const wire::Message& message) {
    auto bytes = wire::encode(message);
    REQUIRE(bytes.ok());
    return zmq::message_t(bytes->data(), bytes->size());
}

// A uv loop for the channel's poll handle; closed handles are run out before it closes.
struct UvLoop {
    UvLoop() { REQUIRE(uv_loop_init(&loop) == 0); }
    ~UvLoop() {
        uv_run(&loop, UV_RUN_DEFAULT);
        uv_loop_close(&loop);
    }
    UvLoop(const UvLoop&) = delete;
    UvLoop& operator=(const UvLoop&) = delete;
    uv_loop_t loop{};
};

// A channel bound in a fresh directory, on its own loop, with every message it
// delivers kept in order.
struct Bound {
    struct Got {
        std::string routing_id;
        shared::Expected<wire::Message> frame;
    };

    Bound()
        : dir("channel_test."),
          channel(&uv.loop, [this](const std::string& id, auto&& f) { got.push_back({id, std::move(f)}); }, [] {}) {
        endpoint = "ipc://" + (dir.path() / "workers.sock").string();
        REQUIRE(channel.bind(endpoint).ok());
    }
    // Until frames are waiting (they cross a socket: bounded, not timed).
    void wait_for_input() {
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (!channel.has_input() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
        REQUIRE(channel.has_input());
    }
    // Drains until `count` messages came (they cross a socket: bounded, not timed).
    void drain_until(std::size_t count) {
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (got.size() < count && std::chrono::steady_clock::now() < deadline) {
            channel.drain();
            if (got.size() < count) std::this_thread::sleep_for(1ms);
        }
    }

    UvLoop uv;  // outlives the channel, which closes its handle when destroyed
    TempDir dir;
    std::vector<Got> got;
    WorkerChannel channel;
    std::string endpoint;
};

// The worker's end: a DEALER whose routing id is its pid.
struct Worker {
    explicit Worker(const std::string& endpoint) : socket(context, zmq::socket_type::dealer) {
        socket.set(zmq::sockopt::routing_id, kWorkerId);
        socket.set(zmq::sockopt::linger, 0);
        socket.set(zmq::sockopt::rcvtimeo, 10'000);
        socket.connect(endpoint);
    }
    void send(const wire::Message& message) { REQUIRE(socket.send(frame(message), zmq::send_flags::none)); }
    wire::Message receive() {
        zmq::message_t m;
        REQUIRE(socket.recv(m));
        auto decoded = wire::decode(shared::ByteView(static_cast<const std::uint8_t*>(m.data()), m.size()));
        REQUIRE(decoded.ok());
        return std::move(*decoded);
    }

    zmq::context_t context;
    zmq::socket_t socket;
};

}  // namespace

TEST_CASE("send() never delivers a message, even with frames waiting to be read") {
    Bound bound;
    Worker worker(bound.endpoint);
    for (std::uint64_t i = 0; i < 3; ++i) worker.send(numbered(i));
    bound.wait_for_input();

    wire::Assign assign;
    assign.task_id = "t1";
    assign.program_id = "fib_input_initial";
    REQUIRE(bound.channel.send(kWorkerId, assign).ok());
    CHECK(bound.got.empty());  // nothing ran inside the send
    CHECK(bound.channel.has_input());

    bound.drain_until(3);
    REQUIRE(bound.got.size() == 3);
    for (std::uint64_t i = 0; i < 3; ++i) {
        CHECK(bound.got[i].routing_id == kWorkerId);
        REQUIRE(bound.got[i].frame.ok());
        REQUIRE(std::holds_alternative<wire::Heartbeat>(*bound.got[i].frame));
        CHECK(std::get<wire::Heartbeat>(*bound.got[i].frame).rss_bytes == i);
    }
    const auto received = worker.receive();
    REQUIRE(std::holds_alternative<wire::Assign>(received));
    CHECK(std::get<wire::Assign>(received).task_id == "t1");
}

TEST_CASE("send() to a worker that is not connected fails, and delivers nothing") {
    Bound bound;
    CHECK_FALSE(bound.channel.send("999", wire::Shutdown{}).ok());
    CHECK(bound.got.empty());
}

TEST_CASE("drain() reads whole messages: one of several parts is refused whole, and the next is read right") {
    Bound bound;
    Worker worker(bound.endpoint);
    REQUIRE(worker.socket.send(frame(numbered(1)), zmq::send_flags::sndmore));
    REQUIRE(worker.socket.send(frame(numbered(2)), zmq::send_flags::sndmore));
    REQUIRE(worker.socket.send(frame(numbered(3)), zmq::send_flags::none));
    REQUIRE(worker.socket.send(zmq::str_buffer("not a frame"), zmq::send_flags::none));
    worker.send(numbered(4));
    bound.drain_until(3);
    REQUIRE(bound.got.size() == 3);
    for (const auto& g : bound.got) CHECK(g.routing_id == kWorkerId);
    REQUIRE_FALSE(bound.got[0].frame.ok());
    CHECK(bound.got[0].frame.error() == "frame has more than one part");
    CHECK_FALSE(bound.got[1].frame.ok());  // undecodable, but from the right worker
    REQUIRE(bound.got[2].frame.ok());
    CHECK(std::get<wire::Heartbeat>(*bound.got[2].frame).rss_bytes == 4);
}

namespace {

std::atomic<unsigned long> g_signals{0};
void on_signal(int) { g_signals.fetch_add(1, std::memory_order_relaxed); }

// The main thread reads what the worker thread sends and answers each message, N
// of each way, while its ZeroMQ calls are interrupted. What it got is checked
// message by message; `send_failures` counts sends that did not go out.
struct Exchange {
    // At most the ROUTER's send high-water mark (10000): a send never has to wait.
    explicit Exchange(std::uint64_t count) : messages(count) {}
    const std::uint64_t messages;

    // `started` runs once the worker thread exists, `pace` before every answer.
    void run(Bound& bound, const std::function<void()>& started = [] {}, const std::function<void()>& pace = [] {}) {
        std::thread worker_thread([this, &bound] { play_worker(bound.endpoint); });
        started();
        std::size_t answered = 0;
        Quiet quiet;
        while (answered < messages && !quiet.too_long(all_sent && !bound.channel.has_input())) {
            bound.channel.drain();
            for (; answered < bound.got.size(); ++answered) {
                pace();
                wire::Assign assign;
                assign.task_id = "t" + std::to_string(answered);
                if (!bound.channel.send(kWorkerId, assign).ok()) ++send_failures;
            }
        }
        reader_done = true;
        worker_thread.join();
    }

    // A broken run loses messages, and one side would wait for them for ever: it
    // stops once the other is done and nothing has come for 5 s. A run that works
    // never gets there: nothing is left to come when the other side is done.
    struct Quiet {
        bool too_long(bool idle) {
            const auto now = std::chrono::steady_clock::now();
            if (!idle) since = now;
            return now - since > 5s;
        }
        std::chrono::steady_clock::time_point since = std::chrono::steady_clock::now();
    };

    void play_worker(const std::string& endpoint) {
        zmq::context_t context;
        zmq::socket_t dealer(context, zmq::socket_type::dealer);
        dealer.set(zmq::sockopt::routing_id, kWorkerId);
        dealer.set(zmq::sockopt::linger, 0);
        dealer.connect(endpoint);
        std::uint64_t sent = 0;
        Quiet quiet;
        bool got_some = true;
        while ((sent < messages || answers.size() < messages) && !quiet.too_long(reader_done && !got_some)) {
            got_some = false;
            const short events = static_cast<short>(ZMQ_POLLIN | (sent < messages ? ZMQ_POLLOUT : 0));
            zmq::pollitem_t item{dealer.handle(), 0, events, 0};
            try {
                zmq::poll(&item, 1, 100ms);
                if ((item.revents & ZMQ_POLLOUT) && sent < messages) {
                    auto bytes = wire::encode(numbered(sent));
                    if (dealer.send(zmq::buffer(bytes->data(), bytes->size()), zmq::send_flags::dontwait)) ++sent;
                    if (sent == messages) all_sent = true;
                }
                zmq::message_t m;
                while (dealer.recv(m, zmq::recv_flags::dontwait)) {
                    got_some = true;
                    auto decoded = wire::decode(shared::ByteView(static_cast<const std::uint8_t*>(m.data()), m.size()));
                    answers.push_back(decoded.ok() && std::holds_alternative<wire::Assign>(*decoded)
                                          ? std::get<wire::Assign>(*decoded).task_id
                                          : "(bad)");
                }
            } catch (const zmq::error_t& e) {
                if (e.num() != EINTR) throw;
            }
        }
    }

    void check(const Bound& bound) const {
        CHECK(send_failures == 0);
        REQUIRE(bound.got.size() == messages);
        std::size_t wrong = 0;
        for (std::uint64_t i = 0; i < messages; ++i) {
            const auto& g = bound.got[i];
            const bool right = g.routing_id == kWorkerId && g.frame.ok() &&
                               std::holds_alternative<wire::Heartbeat>(*g.frame) &&
                               std::get<wire::Heartbeat>(*g.frame).rss_bytes == i;
            if (!right && wrong++ == 0) {
                const std::string id_hex = shared::to_hex(shared::as_bytes(g.routing_id)).substr(0, 32);
                FAIL_CHECK("message " << i << " from routing id 0x" << id_hex << ": "
                                      << (g.frame.ok() ? "decoded, out of order" : g.frame.error()));
            }
        }
        CHECK(wrong == 0);
        REQUIRE(answers.size() == messages);
        for (std::uint64_t i = 0; i < messages; ++i) {
            if (answers[i] != "t" + std::to_string(i)) {
                FAIL_CHECK("answer " << i << " is " << answers[i]);
                break;
            }
        }
    }

    std::size_t send_failures = 0;
    std::vector<std::string> answers;  // written by the worker thread until it is joined
    std::atomic<bool> all_sent{false};
    std::atomic<bool> reader_done{false};
};

// SIGALRM from an interval timer every 20 us, with a handler and without
// SA_RESTART (as SIGCHLD is on the shell's loop), taken only by the thread that
// reads and sends: the kernel's timer needs no thread of ours to be scheduled,
// so the storm is as thick on a busy machine as on an idle one.
class SignalStorm {
public:
    SignalStorm() {
        struct sigaction action {};
        action.sa_handler = on_signal;
        sigemptyset(&action.sa_mask);
        action.sa_flags = 0;
        REQUIRE(::sigaction(SIGALRM, &action, &previous_) == 0);
        // Blocked until the reader takes it: threads started meanwhile (ZeroMQ's,
        // the worker's) keep it blocked for their whole life.
        sigset_t alarm;
        sigemptyset(&alarm);
        sigaddset(&alarm, SIGALRM);
        REQUIRE(::pthread_sigmask(SIG_BLOCK, &alarm, nullptr) == 0);
    }
    ~SignalStorm() {
        const struct itimerval off {};
        ::setitimer(ITIMER_REAL, &off, nullptr);
        sigset_t alarm;
        sigemptyset(&alarm);
        sigaddset(&alarm, SIGALRM);
        ::pthread_sigmask(SIG_UNBLOCK, &alarm, nullptr);
        ::sigaction(SIGALRM, &previous_, nullptr);
    }
    // From the calling thread on, every 20 us.
    void start() {
        struct itimerval every {};
        every.it_interval.tv_usec = 20;
        every.it_value.tv_usec = 20;
        REQUIRE(::setitimer(ITIMER_REAL, &every, nullptr) == 0);
        sigset_t alarm;
        sigemptyset(&alarm);
        sigaddset(&alarm, SIGALRM);
        REQUIRE(::pthread_sigmask(SIG_UNBLOCK, &alarm, nullptr) == 0);
    }

private:
    struct sigaction previous_ {};
};

}  // namespace

TEST_CASE("item 8, EINTR: a signal storm while sending and draining loses no message and mis-parts none") {
    g_signals = 0;
    SignalStorm storm;
    Bound bound;
    Exchange exchange(10'000);
    const unsigned long interrupted_before = g_interrupted.load();
    // However fast the machine, the storm goes on through the whole exchange:
    // every answer waits for a signal that came after the last one.
    exchange.run(bound, [&storm] { storm.start(); }, [] {
        const unsigned long seen = g_signals.load();
        while (g_signals.load() == seen) std::this_thread::yield();
    });
    const unsigned long signals = g_signals.load();
    exchange.check(bound);
    CHECK(signals >= exchange.messages);
    MESSAGE(signals << " signals; " << g_interrupted.load() - interrupted_before
                    << " of ZeroMQ's polls were interrupted by them");
}

TEST_CASE("item 8, EINTR: every path interrupted (injected into ZeroMQ's poll) loses no message and mis-parts none") {
    Bound bound;
    Exchange exchange(5000);
    t_zero_polls = t_injected = 0;
    t_inject_every = 3;
    exchange.run(bound);
    t_inject_every = 0;
    exchange.check(bound);
    CHECK(t_injected > 100);
    MESSAGE(t_injected << " EINTRs injected in " << t_zero_polls << " polls");
}
