// Reading, compacting and appending STATE/verdicts.
#include "supervisor/verdict_journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace supervisor {

std::vector<std::string> VerdictJournal::open(Verdicts& verdicts, std::int64_t now_unix_s) {
    std::vector<std::string> problems;
    std::error_code ec;
    if (std::filesystem::exists(path_, ec)) {
        std::ifstream in(path_, std::ios::binary);
        if (!in) {
            problems.push_back(path_.string() + ": cannot read (" + std::strerror(errno) + "); verdicts start afresh");
        } else {
            std::ostringstream text;
            text << in.rdbuf();
            for (const auto& p : verdicts.load_journal(text.str(), now_unix_s)) problems.push_back(path_.string() + ": " + p + "; skipped");
        }
    }
    const std::string compacted = verdicts.compacted();
    if (auto written = shared::write_file_durably(path_, shared::as_bytes(compacted), 0600, shared::TempName::Unique);
        !written) {
        problems.push_back(written.error());
    }
    lines_ = verdicts.size();
    if (auto opened = reopen(); !opened) problems.push_back(opened.error());
    return problems;
}

shared::Status VerdictJournal::reopen() {
    fd_ = shared::UniqueFd(::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
    if (fd_.get() < 0) return shared::fail("cannot open " + path_.string() + ": " + std::strerror(errno));
    return shared::Ok{};
}

shared::Status VerdictJournal::append(const Verdicts::Entry& entry) {
    if (fd_.get() < 0) return shared::fail(path_.string() + " is not open");
    const std::string line = Verdicts::journal_line(entry);
    if (auto written = shared::write_all(fd_.get(), shared::as_bytes(line)); !written) {
        return shared::fail("cannot append to " + path_.string() + ": " + written.error());
    }
    ++lines_;
    return shared::Ok{};
}

void VerdictJournal::compact_if_large(const Verdicts& verdicts) {
    if (lines_ < 2 * Verdicts::kCapacity) return;
    if (!shared::write_file_durably(path_, shared::as_bytes(verdicts.compacted()), 0600, shared::TempName::Unique)) return;
    lines_ = verdicts.size();
    (void)reopen();
}

}  // namespace supervisor
