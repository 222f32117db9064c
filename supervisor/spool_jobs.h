// File work that must not block the loop (spool writes, reads and removals, the
// memory figures), on libuv's thread pool. A job touches no state of
// the supervisor until its completion callback, which runs on the loop.
#pragma once

#include <uv.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "shared/bytes.h"
#include "shared/expected.h"
#include "supervisor/spool.h"

namespace supervisor {

class SpoolJobs {
public:
    SpoolJobs(uv_loop_t* loop, const Spool& spool) : loop_(loop), spool_(spool) {}

    void write(const std::string& task_id, std::shared_ptr<const shared::Bytes> bytes,
               std::function<void(const shared::Status&)> done);
    void read(const std::string& task_id, std::function<void(shared::Expected<shared::Bytes>&&)> done);
    // An unlink waits for the directory, which the writes' fsyncs hold: off the loop too.
    void remove(const std::string& task_id, std::function<void(const shared::Status&)> done);
    // Any small file, written durably (temp, fsync, rename, fsync of the directory).
    void write_file(std::filesystem::path path, std::string text, unsigned mode,
                    std::function<void(const shared::Status&)> done);
    std::size_t running() const { return running_; }

private:
    void run(std::function<void()> work, std::function<void()> after);

    uv_loop_t* loop_;
    const Spool& spool_;
    std::size_t running_ = 0;
};

}  // namespace supervisor
