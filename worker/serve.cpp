// `worker serve`: hello, heartbeats every second, tasks proven on a job thread.
#include "worker/serve.h"

#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <mutex>
#include <thread>

#include "shared/log.h"
#include "worker/process_memory.h"

namespace worker {
namespace {

using shared::wire::FailureKind;
using Clock = std::chrono::steady_clock;

// worker.options bounds Failure.message to 256 bytes including nanopb's terminator.
constexpr std::size_t kMaxFailureMessage = 255;

// Indexed like shared::wire::Message, for log lines.
constexpr std::string_view kMessageNames[] = {"hello", "assign", "heartbeat", "result", "failure", "shutdown"};
static_assert(std::size(kMessageNames) == std::variant_size_v<shared::wire::Message>);

std::string_view kind_name(FailureKind kind) {
    switch (kind) {
        case FailureKind::ProverError: return "prover error";
        case FailureKind::MalformedInput: return "malformed input";
        case FailureKind::UnsupportedProgram: return "unsupported program";
        case FailureKind::BadRequest: return "bad request";
    }
    return "failure";
}

}  // namespace

// A task being proven: the runner, the thread that runs it, and the outcome it
// leaves for the main thread.
struct Server::RunningJob {
    RunningJob(shared::wire::Assign assign, bool allow_test_programs)
        : runner(std::move(assign), allow_test_programs) {}
    JobRunner runner;
    Clock::time_point started = Clock::now();
    std::mutex mutex;
    std::optional<JobOutcome> outcome;
    std::jthread thread;  // last member: joined before the rest is destroyed
};

int serve(const ServeOptions& options) {
    // Asked first, before anything can fail: a worker must never outlive its supervisor.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != options.parent_pid) {  // the parent died before prctl took hold
        std::fprintf(stderr, "worker: parent %d is gone; exiting\n", static_cast<int>(options.parent_pid));
        return 1;
    }
    shared::init_logging("worker#" + std::to_string(options.index));
    try {
        Server server(options);
        return server.run();
    } catch (const zmq::error_t& e) {
        spdlog::error("cannot set up the socket to {}: {}", options.endpoint, e.what());
        return 1;
    }
}

Server::Server(ServeOptions options)
    : options_(std::move(options)), context_(1), socket_(context_, zmq::socket_type::dealer) {
    job_done_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (job_done_fd_ < 0) throw zmq::error_t();  // errno is set; reported like a socket error
}

Server::~Server() {
    if (job_done_fd_ >= 0) ::close(job_done_fd_);
}

int Server::run() {
    // The supervisor routes by pid, so it knows which process a frame came from.
    socket_.set(zmq::sockopt::routing_id, std::to_string(::getpid()));
    socket_.set(zmq::sockopt::linger, 0);
    socket_.set(zmq::sockopt::immediate, 0);  // queue the hello even before the pipe is up
    socket_.connect(options_.endpoint);
    spdlog::info("connected to {}; test programs {}", options_.endpoint,
                 options_.allow_test_programs ? "allowed" : "refused");
    send(shared::wire::Hello{static_cast<std::uint32_t>(::getpid()), options_.index,
                             std::thread::hardware_concurrency(), PROVENODE_VERSION});
    next_heartbeat_ = Clock::now() + kHeartbeatInterval;
    for (;;) poll_once();
}

// One turn of the loop: wait for a frame, a finished job or the next heartbeat,
// whichever comes first, and handle what is ready.
void Server::poll_once() {
    resend_result();
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_heartbeat_ - Clock::now());
    if (unsent_result_) wait = std::min(wait, kResendInterval);
    zmq::pollitem_t items[] = {
        {socket_.handle(), 0, ZMQ_POLLIN, 0},
        {nullptr, job_done_fd_, ZMQ_POLLIN, 0},
    };
    zmq::poll(items, 2, std::max(wait, std::chrono::milliseconds(0)));
    if (items[0].revents & ZMQ_POLLIN) {
        zmq::message_t frame;
        while (socket_.recv(frame, zmq::recv_flags::dontwait)) on_frame(frame);
    }
    if (items[1].revents & ZMQ_POLLIN) on_job_done();
    if (Clock::now() >= next_heartbeat_) {
        send_heartbeat();
        // After a stall, beat again a full interval later rather than in a burst.
        next_heartbeat_ = std::max(next_heartbeat_ + kHeartbeatInterval, Clock::now());
    }
}

void Server::on_frame(const zmq::message_t& frame) {
    auto message = shared::wire::decode({frame.data<std::uint8_t>(), frame.size()});
    if (!message) {
        ++undecodable_frames_;
        spdlog::warn("undecodable frame of {} bytes ({} so far): {}; answered with bad request",
                     frame.size(), undecodable_frames_, message.error());
        return send_failure({"", FailureKind::BadRequest, "undecodable frame: " + message.error(), 0});
    }
    if (auto* assign = std::get_if<shared::wire::Assign>(&*message)) return on_assign(std::move(*assign));
    if (std::holds_alternative<shared::wire::Shutdown>(*message)) {
        spdlog::info("shutdown requested{}", job_ ? "; abandoning task " + job_->runner.task_id() : "");
        exit_now(0);
    }
    spdlog::warn("unexpected {} from the supervisor; answered with bad request", kMessageNames[message->index()]);
    send_failure({"", FailureKind::BadRequest, "a worker accepts only Assign and Shutdown", 0});
}

void Server::on_assign(shared::wire::Assign assign) {
    ++assigns_received_;
    if (job_) {
        spdlog::warn("task {} refused: busy with task {}", assign.task_id, job_->runner.task_id());
        return send_failure(
            {assign.task_id, FailureKind::BadRequest, "busy with task " + job_->runner.task_id(), 0, assign.dispatch_id});
    }
    spdlog::info("task {}: {} with {} inputs, {} threads, attempt {}", assign.task_id, assign.program_id,
                 assign.inputs.size(), assign.threads, assign.attempt);
    // idle -> busy: the job thread proves, the main thread keeps heartbeating.
    job_ = std::make_unique<RunningJob>(std::move(assign), options_.allow_test_programs);
    job_->thread = std::jthread([job = job_.get(), fd = job_done_fd_] {
        JobOutcome outcome = [&]() -> JobOutcome {
            try {
                return job->runner.run();
            } catch (const std::exception& e) {
                return shared::wire::Failure{job->runner.task_id(), FailureKind::ProverError, e.what(), 0,
                                             job->runner.dispatch_id()};
            }
        }();
        {
            std::lock_guard lock(job->mutex);
            job->outcome = std::move(outcome);
        }
        const std::uint64_t one = 1;
        (void)!::write(fd, &one, sizeof one);
    });
}

void Server::on_job_done() {
    std::uint64_t count = 0;
    (void)!::read(job_done_fd_, &count, sizeof count);
    if (!job_) return;
    std::optional<JobOutcome> outcome;
    {
        std::lock_guard lock(job_->mutex);
        outcome = std::move(job_->outcome);
    }
    if (!outcome) return;  // not this job's wake-up
    const auto millis = std::chrono::duration<double, std::milli>(Clock::now() - job_->started).count();
    job_.reset();  // busy -> idle: joins the finished job thread
    if (auto* result = std::get_if<shared::wire::Result>(&*outcome)) {
        spdlog::info("task {}: {} proofs in {:.1f} ms, peak rss {} MiB", result->task_id, result->proofs.size(),
                     millis, result->peak_rss_bytes >> 20);
        auto frame = shared::wire::encode(*result);
        if (!frame) {
            return send_failure({result->task_id, FailureKind::ProverError,
                                 "result cannot be sent: " + frame.error(), 0, result->dispatch_id});
        }
        // A result is never dropped: if the supervisor cannot take it now, it is kept
        // and sent again, ahead of anything else that is not a heartbeat.
        if (!send_frame(*frame, "result")) unsent_result_ = UnsentResult{result->task_id, std::move(*frame)};
        return;
    }
    send_failure(std::get<shared::wire::Failure>(std::move(*outcome)));
}

void Server::resend_result() {
    if (!unsent_result_) return;
    if (send_frame(unsent_result_->frame, "result (sent again)")) {
        spdlog::info("task {}: result sent after all", unsent_result_->task_id);
        unsent_result_.reset();
    }
}

void Server::send_heartbeat() {
    shared::wire::Heartbeat beat;
    if (job_) {
        beat.task_id = job_->runner.task_id();
        beat.proofs_done = job_->runner.proofs_done();
    } else if (unsent_result_) {
        beat.task_id = unsent_result_->task_id;  // still ours until the result is through
    }
    beat.assigns_received = assigns_received_;
    beat.rss_bytes = current_rss_bytes();
    beat.peak_rss_bytes = peak_rss_bytes();
    send(beat);
}

// Never blocks: a heartbeat that the socket cannot take now is dropped with a
// warning, because a blocked main thread would stop every heartbeat after it (a
// result is kept and sent again instead: see on_job_done).
void Server::send(const shared::wire::Message& message) {
    auto frame = shared::wire::encode(message);
    if (!frame) {
        spdlog::error("cannot encode {}: {}", kMessageNames[message.index()], frame.error());
        return;
    }
    (void)send_frame(*frame, kMessageNames[message.index()]);
}

bool Server::send_frame(const shared::Bytes& frame, std::string_view what) {
    for (int interrupted = 0; interrupted < 100; ++interrupted) {
        try {
            if (socket_.send(zmq::buffer(frame), zmq::send_flags::dontwait)) return true;
            break;
        } catch (const zmq::error_t& e) {
            if (e.num() != EINTR) throw;
        }
    }
    spdlog::warn("supervisor not taking frames; {} not sent now", what);
    return false;
}

void Server::send_failure(shared::wire::Failure failure) {
    if (!failure.task_id.empty()) {
        spdlog::warn("task {}: {}: {}", failure.task_id, kind_name(failure.kind), failure.message);
    }
    if (failure.message.size() > kMaxFailureMessage) failure.message.resize(kMaxFailureMessage);
    send(failure);
}

// Shutdown means finish nothing: a job thread may be inside a prover that never
// returns (test_hang), so the process ends without joining it.
void Server::exit_now(int code) {
    spdlog::default_logger()->flush();
    socket_.close();
    ::_exit(code);
}

}  // namespace worker
