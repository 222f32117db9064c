// The last events for the live view's pane: the supervisor's own log lines (an
// spdlog sink on the default logger) and what its workers write to stderr, in
// the order they came, cleaned so that each is one line of printable ASCII.
#pragma once

#include <spdlog/sinks/base_sink.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace supervisor {

class EventLog {
public:
    explicit EventLog(std::size_t capacity = 200) : capacity_(capacity) {}

    // One line; control characters and bytes outside ASCII become '?', a leading
    // RFC 3339 timestamp (a worker's text line) is cut to its HH:MM:SS.
    void push(std::string_view line);
    // The last `n` lines, oldest first.
    std::vector<std::string> last(std::size_t n) const;
    // Moves on with every push: the view redraws only when it changed.
    std::uint64_t generation() const;

private:
    mutable std::mutex mutex_;
    std::size_t capacity_;
    std::deque<std::string> lines_;
    std::uint64_t generation_ = 0;
};

// What EventLog::push does to a line, for tests.
std::string clean_event_line(std::string_view line);

// Splits bytes read from a pipe into lines; a line longer than `max_line` is cut
// into pieces of that size, so a writer without newlines cannot grow it forever.
class LineSplitter {
public:
    explicit LineSplitter(std::size_t max_line = 4096) : max_line_(max_line) {}
    template <class F>
    void feed(std::string_view bytes, F&& on_line) {
        for (char c : bytes) {
            if (c == '\n') {
                on_line(std::string_view(partial_));
                partial_.clear();
                continue;
            }
            partial_ += c;
            if (partial_.size() >= max_line_) {
                on_line(std::string_view(partial_));
                partial_.clear();
            }
        }
    }
    // What is left without its newline (the writer died mid-line).
    template <class F>
    void flush(F&& on_line) {
        if (!partial_.empty()) on_line(std::string_view(partial_));
        partial_.clear();
    }

private:
    std::size_t max_line_;
    std::string partial_;
};

// An spdlog sink into an EventLog, with the view's short pattern ("12:00:01 info message").
class EventSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    explicit EventSink(std::shared_ptr<EventLog> log);

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override;
    void flush_() override {}

private:
    std::shared_ptr<EventLog> log_;
};

}  // namespace supervisor
