// Spool writes and submissions: per-task state, per-task backoff, the shared 429 timer.
#include "supervisor/submit_queue.h"

#include <algorithm>
#include <cmath>
#include "supervisor/mutants.h"

namespace supervisor {

SubmitQueue::SubmitQueue(const shared::Clock& clock, const Backoff& backoff, std::uint64_t seed)
    : clock_(clock),
      backoff_(backoff),
      rate_timer_(clock, RequestTimerConfig{0, backoff.initial_s, backoff.max_s, 2.0}, seed),
      rng_(seed ^ 0x5bd1e995u) {}

void SubmitQueue::add_proved(const std::string& task_id, std::shared_ptr<const shared::Bytes> bytes) {
    if (contains(task_id)) return;  // one submission per task, whatever asks twice
    Entry entry;
    entry.bytes = std::move(bytes);
    entries_.emplace(task_id, std::move(entry));
    order_.push_back(task_id);
}

void SubmitQueue::add_spooled(const std::string& task_id) {
    if (contains(task_id)) return;
    Entry entry;
    entry.spooled = true;
    entries_.emplace(task_id, std::move(entry));
    order_.push_back(task_id);
}

bool SubmitQueue::spooled(const std::string& task_id) const {
    auto it = entries_.find(task_id);
    return it != entries_.end() && it->second.spooled;
}

std::vector<WriteSpool> SubmitQueue::writes_due() {
    std::vector<WriteSpool> writes;
    const std::int64_t now = clock_.now_us();
    for (auto& [id, e] : entries_) {
        if (e.spooled || e.writing || now < e.next_write_us) continue;
        e.writing = true;
        e.write_id = next_write_id_++;
        writes.push_back(WriteSpool{id, e.write_id, e.bytes});
    }
    return writes;
}

SubmitQueue::Written SubmitQueue::on_written(const std::string& task_id, std::uint64_t write_id, bool ok) {
    auto it = entries_.find(task_id);
    if (MUTANT(StaleWriteRequeues) && it == entries_.end() && ok) {  // the old Submitter::spooled()
        add_spooled(task_id);
        return Written::Spooled;
    }
    if (it == entries_.end() || it->second.write_id != write_id || !it->second.writing) return Written::Stale;
    Entry& e = it->second;
    e.writing = false;
    if (ok) {
        e.spooled = true;
        e.write_failures = 0;
        if (!e.sending) e.bytes.reset();  // a send from memory in flight still needs them
        return Written::Spooled;
    }
    if (MUTANT(FailedWriteDropped)) {
        forget(task_id);
        return Written::Failed;
    }
    ++e.write_failures;
    const std::int64_t step = kWriteRetryInitialUs << std::min(e.write_failures - 1, 20u);
    e.next_write_us = clock_.now_us() + std::min(step, kWriteRetryMaxUs);
    return Written::Failed;
}

// Spooled, or in memory only because the spool failed: better out than lost.
bool SubmitQueue::may_send(const Entry& e, std::int64_t now) const {
    if (e.sending || now < e.next_send_us) return false;
    return e.spooled || (e.write_failures > 0 && e.bytes);
}

std::vector<SubmitProof> SubmitQueue::sends_due() {
    std::vector<SubmitProof> sends;
    if (!rate_timer_.ready() && !MUTANT(RetryAfterIgnoredSubmit)) return sends;
    const std::int64_t now = clock_.now_us();
    const std::size_t most = rate_timer_.probing() ? 1 : kMaxInFlight;
    for (const auto& id : order_) {
        if (in_flight_ >= most) break;
        Entry& e = entries_.at(id);
        if (!may_send(e, now)) continue;
        e.sending = true;
        e.sent_us = now;
        ++in_flight_;
        rate_timer_.on_sent();
        sends.push_back(SubmitProof{id, e.spooled ? nullptr : e.bytes});
    }
    return sends;
}

void SubmitQueue::back_off(Entry& e) {
    ++e.errors;
    const double step = backoff_.initial_s * std::pow(2.0, std::min(e.errors - 1, 30u));
    const double jitter = std::uniform_real_distribution<double>(0, std::min(1.0, backoff_.initial_s))(rng_);
    e.next_send_us = clock_.now_us() + shared::seconds_to_us(std::min(step, backoff_.max_s) + jitter);
}

std::optional<SubmitQueue::Final> SubmitQueue::on_answer(const std::string& task_id, const Outcome& outcome) {
    auto it = entries_.find(task_id);
    if (it == entries_.end() || !it->second.sending) return std::nullopt;
    Entry& e = it->second;
    e.sending = false;
    --in_flight_;
    const std::string status = std::to_string(outcome.status);
    std::optional<Final> final;
    switch (outcome.reply) {
        case Reply::Ok:
            rate_timer_.on_success(e.sent_us);
            final = Final{TaskState::Accepted, "accepted (" + status + ")"};
            break;
        case Reply::Conflict:
            rate_timer_.on_success(e.sent_us);
            final = Final{TaskState::Accepted, "accepted earlier (409)"};
            break;
        case Reply::NotFound: final = Final{TaskState::Expired, "404: unknown or past its deadline"}; break;
        case Reply::Rejected: final = Final{TaskState::Rejected, status + ": " + outcome.message}; break;
        case Reply::RateLimited:
            if (outcome.retry_after_s) rate_timer_.on_retry_after(*outcome.retry_after_s);
            else rate_timer_.on_error();
            break;
        case Reply::Retry:
            // A 503 with Retry-After speaks for the server, not for this task.
            if (outcome.retry_after_s) rate_timer_.on_retry_after(*outcome.retry_after_s);
            back_off(e);
            break;
    }
    if (final) forget(task_id);
    else if (e.spooled) e.bytes.reset();
    return final;
}

void SubmitQueue::withheld(const std::string& task_id) {
    auto it = entries_.find(task_id);
    if (it == entries_.end() || !it->second.sending) return;
    it->second.sending = false;
    --in_flight_;
}

void SubmitQueue::forget(const std::string& task_id) {
    auto it = entries_.find(task_id);
    if (it == entries_.end()) return;
    if (it->second.sending) --in_flight_;
    entries_.erase(it);
    order_.erase(std::find(order_.begin(), order_.end(), task_id));
}

std::size_t SubmitQueue::memory_only() const {
    return static_cast<std::size_t>(std::count_if(entries_.begin(), entries_.end(), [](const auto& kv) {
        return !kv.second.spooled && kv.second.write_failures > 0;
    }));
}

// Only a time still to come: a write or send due now went out in this turn, or
// waits for an answer (the bound in flight, a probe), which brings a turn of its own.
std::int64_t SubmitQueue::next_due_us() const {
    const std::int64_t now = clock_.now_us();
    std::int64_t next = 0;
    auto earliest = [&next, now](std::int64_t t) {
        if (t > now) next = next == 0 ? t : std::min(next, t);
    };
    for (const auto& [id, e] : entries_) {
        if (!e.spooled && !e.writing) earliest(e.next_write_us);
        if ((e.spooled || e.write_failures > 0) && !e.sending) {
            earliest(std::max(e.next_send_us, now + rate_timer_.wait_us()));
        }
    }
    return next;
}

}  // namespace supervisor
