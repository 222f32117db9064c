// Thread-pool jobs for the spool and other durable files.
#include "supervisor/spool_jobs.h"

#include "shared/durable_file.h"

namespace supervisor {

namespace {

struct Job {
    uv_work_t request{};
    std::function<void()> work;
    std::function<void()> after;
};

}  // namespace

void SpoolJobs::run(std::function<void()> work, std::function<void()> after) {
    auto* job = new Job{{}, std::move(work), std::move(after)};
    job->request.data = job;
    ++running_;
    uv_queue_work(
        loop_, &job->request, [](uv_work_t* r) { static_cast<Job*>(r->data)->work(); },
        [](uv_work_t* r, int) {
            std::unique_ptr<Job> j(static_cast<Job*>(r->data));
            j->after();
        });
}

void SpoolJobs::write(const std::string& task_id, std::shared_ptr<const shared::Bytes> bytes,
                      std::function<void(const shared::Status&)> done) {
    auto result = std::make_shared<shared::Status>(shared::Ok{});
    run([this, task_id, bytes, result] { *result = spool_.write(task_id, *bytes); },
        [this, result, done = std::move(done)] {
            --running_;
            done(*result);
        });
}

void SpoolJobs::read(const std::string& task_id, std::function<void(shared::Expected<shared::Bytes>&&)> done) {
    auto result = std::make_shared<shared::Expected<shared::Bytes>>(shared::fail("not read"));
    run([this, task_id, result] { *result = spool_.read(task_id); },
        [this, result, done = std::move(done)] {
            --running_;
            done(std::move(*result));
        });
}

void SpoolJobs::remove(const std::string& task_id, std::function<void(const shared::Status&)> done) {
    auto result = std::make_shared<shared::Status>(shared::Ok{});
    run([this, task_id, result] { *result = spool_.remove(task_id); },
        [this, result, done = std::move(done)] {
            --running_;
            done(*result);
        });
}

void SpoolJobs::write_file(std::filesystem::path path, std::string text, unsigned mode,
                           std::function<void(const shared::Status&)> done) {
    auto result = std::make_shared<shared::Status>(shared::Ok{});
    run([path = std::move(path), text = std::move(text), mode, result] {
            *result = shared::write_file_durably(path, shared::as_bytes(text), mode, shared::TempName::Unique);
        },
        [this, result, done = std::move(done)] {
            --running_;
            done(*result);
        });
}

}  // namespace supervisor
