// The live view's event pane: a bounded, locked ring of cleaned lines.
#include "supervisor/event_log.h"

#include <spdlog/pattern_formatter.h>

#include <cctype>

namespace supervisor {

namespace {

bool digits(std::string_view s, std::size_t from, std::size_t n) {
    if (s.size() < from + n) return false;
    for (std::size_t i = from; i < from + n; ++i) {
        if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    }
    return true;
}

// "2026-12-02T00:34:43.123+00:00 " -> the length of that prefix, or 0.
std::size_t rfc3339_prefix(std::string_view s) {
    if (!digits(s, 0, 4) || s.size() < 20 || s[4] != '-' || !digits(s, 5, 2) || s[7] != '-' || !digits(s, 8, 2) ||
        s[10] != 'T' || !digits(s, 11, 2) || s[13] != ':' || !digits(s, 14, 2) || s[16] != ':' || !digits(s, 17, 2)) {
        return 0;
    }
    const std::size_t space = s.find(' ', 19);
    return space == std::string_view::npos ? 0 : space + 1;
}

}  // namespace

std::string clean_event_line(std::string_view line) {
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
    std::string out;
    if (const std::size_t cut = rfc3339_prefix(line); cut > 0) {
        out.append(line.substr(11, 8));  // HH:MM:SS
        out += ' ';
        line.remove_prefix(cut);
    }
    out.reserve(out.size() + line.size());
    for (char c : line) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '\t') out += ' ';
        else out += (u >= 0x20 && u < 0x7f) ? c : '?';
    }
    return out;
}

void EventLog::push(std::string_view line) {
    std::string cleaned = clean_event_line(line);
    std::lock_guard lock(mutex_);
    lines_.push_back(std::move(cleaned));
    while (lines_.size() > capacity_) lines_.pop_front();
    ++generation_;
}

std::vector<std::string> EventLog::last(std::size_t n) const {
    std::lock_guard lock(mutex_);
    const std::size_t take = std::min(n, lines_.size());
    return std::vector<std::string>(lines_.end() - static_cast<std::ptrdiff_t>(take), lines_.end());
}

std::uint64_t EventLog::generation() const {
    std::lock_guard lock(mutex_);
    return generation_;
}

EventSink::EventSink(std::shared_ptr<EventLog> log) : log_(std::move(log)) {
    set_formatter(std::make_unique<spdlog::pattern_formatter>("%H:%M:%S %l %v", spdlog::pattern_time_type::local, ""));
}

void EventSink::sink_it_(const spdlog::details::log_msg& msg) {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    // A message with newlines of its own becomes several lines of the pane.
    LineSplitter lines;
    const std::string_view text(formatted.data(), formatted.size());
    lines.feed(text, [this](std::string_view line) { log_->push(line); });
    lines.flush([this](std::string_view line) { log_->push(line); });
}

}  // namespace supervisor
