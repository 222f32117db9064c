// Unit tests for Metrics: what /metrics says from the start, and after each kind of update.
#include <doctest.h>

#include <regex>
#include <string>

#include "supervisor/metrics.h"

using supervisor::Metrics;

namespace {

// The value of one sample line ("name{labels} value"), or -1 when the line is missing.
double sample(const std::string& text, const std::string& series) {
    const auto at = text.find("\n" + series + " ");
    if (at == std::string::npos) return -1;
    return std::stod(text.substr(at + series.size() + 2));
}

}  // namespace

TEST_CASE("from the start: build info, and every counter at 0 with each label value known in advance") {
    Metrics metrics;
    const std::string text = metrics.scrape();
    CHECK(sample(text, "provenode_build_info{version=\"" PROVENODE_VERSION "\"}") == 1);
    for (const char* state : {"queued", "dispatched", "proved", "submitting", "accepted", "rejected", "expired",
                              "poison", "unsupported", "malformed", "abandoned"}) {
        CHECK_MESSAGE(sample(text, "provenode_tasks_total{state=\"" + std::string(state) + "\"}") == 0, state);
    }
    for (const char* cause : {"clean", "exit", "crash", "killed", "oom", "hang", "overdue", "guard"}) {
        CHECK_MESSAGE(sample(text, "provenode_worker_restarts_total{cause=\"" + std::string(cause) + "\"}") == 0, cause);
    }
    CHECK(text.find("cause=\"stopped\"") == std::string::npos);  // stopping on purpose is no restart
    for (const char* endpoint : {"fetch", "list", "submit"}) {
        const std::string e = std::string("{endpoint=\"") + endpoint + "\"}";
        CHECK(sample(text, "provenode_request_duration_seconds_count" + e) == 0);
        CHECK(sample(text, "provenode_rate_limit_wait_seconds_total" + e) == 0);
        CHECK(sample(text, "provenode_bad_replies_total" + e) == 0);
    }
    CHECK(sample(text, "provenode_proof_duration_seconds_count{program=\"argon2id_pow\"}") == 0);
    CHECK(sample(text, "provenode_task_duration_seconds_count{program=\"argon2id_pow\"}") == 0);
    CHECK(text.find("program=\"test_noop\"") == std::string::npos);  // test programs appear when used
    CHECK(sample(text, "provenode_proofs_total") == 0);
    CHECK(text.find("provenode_proofs_per_second") == std::string::npos);
    CHECK(sample(text, "process_open_fds") > 0);
    CHECK(text.find("# TYPE provenode_proof_duration_seconds histogram") != std::string::npos);
}

TEST_CASE("a proved task: proofs counted, each proof and the task observed in seconds") {
    Metrics metrics;
    metrics.task_proved("argon2id_pow", 3, {1'500, 20'000, 4'000'000}, 4.5);
    const std::string text = metrics.scrape();
    CHECK(sample(text, "provenode_proofs_total") == 3);
    const std::string p = "provenode_proof_duration_seconds";
    CHECK(sample(text, p + "_count{program=\"argon2id_pow\"}") == 3);
    CHECK(sample(text, p + "_sum{program=\"argon2id_pow\"}") == doctest::Approx(4.0215));
    CHECK(sample(text, p + "_bucket{program=\"argon2id_pow\",le=\"0.001\"}") == 0);
    CHECK(sample(text, p + "_bucket{program=\"argon2id_pow\",le=\"0.0025\"}") == 1);
    CHECK(sample(text, p + "_bucket{program=\"argon2id_pow\",le=\"0.025\"}") == 2);
    CHECK(sample(text, p + "_bucket{program=\"argon2id_pow\",le=\"5\"}") == 3);
    CHECK(sample(text, p + "_bucket{program=\"argon2id_pow\",le=\"3600\"}") == 3);
    CHECK(sample(text, "provenode_task_duration_seconds_count{program=\"argon2id_pow\"}") == 1);
    CHECK(sample(text, "provenode_task_duration_seconds_sum{program=\"argon2id_pow\"}") == 4.5);
    metrics.task_proved("test_noop", 1, {10}, 0.01);
    CHECK(sample(metrics.scrape(), p + "_count{program=\"test_noop\"}") == 1);
}

TEST_CASE("requests: counted by status, timed by endpoint") {
    Metrics metrics;
    metrics.request("submit", 200, 0.02);
    metrics.request("submit", 0, 30);
    metrics.request("fetch", 429, 0.001);
    const std::string text = metrics.scrape();
    CHECK(sample(text, "provenode_requests_total{endpoint=\"submit\",status=\"200\"}") == 1);
    CHECK(sample(text, "provenode_requests_total{endpoint=\"submit\",status=\"error\"}") == 1);
    CHECK(sample(text, "provenode_requests_total{endpoint=\"fetch\",status=\"429\"}") == 1);
    CHECK(sample(text, "provenode_request_duration_seconds_count{endpoint=\"submit\"}") == 2);
    CHECK(sample(text, "provenode_request_duration_seconds_bucket{endpoint=\"submit\",le=\"0.025\"}") == 1);
    CHECK(sample(text, "provenode_request_duration_seconds_count{endpoint=\"fetch\"}") == 1);
}

TEST_CASE("a worker's RSS series goes when the worker goes") {
    Metrics metrics;
    metrics.worker_rss(0, 1000);
    metrics.worker_rss(1, 2000);
    CHECK(sample(metrics.scrape(), "provenode_worker_rss_bytes{worker=\"0\"}") == 1000);
    metrics.forget_worker(0);
    metrics.forget_worker(7);  // never seen: nothing to remove, nothing added
    const std::string text = metrics.scrape();
    CHECK(sample(text, "provenode_worker_rss_bytes{worker=\"0\"}") == -1);
    CHECK(sample(text, "provenode_worker_rss_bytes{worker=\"7\"}") == -1);
    CHECK(sample(text, "provenode_worker_rss_bytes{worker=\"1\"}") == 2000);
    metrics.worker_rss(0, 3000);  // a replacement in the same slot
    CHECK(sample(metrics.scrape(), "provenode_worker_rss_bytes{worker=\"0\"}") == 3000);
}

TEST_CASE("restarts and task states count up from the zero they started at") {
    Metrics metrics;
    metrics.worker_restart("killed");
    metrics.task_entered("rejected");
    metrics.task_entered("rejected");
    const std::string text = metrics.scrape();
    CHECK(sample(text, "provenode_worker_restarts_total{cause=\"killed\"}") == 1);
    CHECK(sample(text, "provenode_worker_restarts_total{cause=\"oom\"}") == 0);
    CHECK(sample(text, "provenode_tasks_total{state=\"rejected\"}") == 2);
}
