// STATE/verdicts: the journal of terminal verdicts (supervisor/verdicts.h), one
// line appended per verdict. Loaded and compacted at start; appended on the loop
// without an fsync (a verdict lost to a crash costs at most a 409 or a task
// proved once more, never a lost proof).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "shared/durable_file.h"
#include "shared/expected.h"
#include "supervisor/verdicts.h"

namespace supervisor {

class VerdictJournal {
public:
    explicit VerdictJournal(std::filesystem::path path) : path_(std::move(path)) {}

    // Reads the journal into `verdicts`, rewrites it compacted, and opens it for
    // appending. Returns one message per problem (bad lines, unreadable file), naming the file.
    std::vector<std::string> open(Verdicts& verdicts, std::int64_t now_unix_s);
    shared::Status append(const Verdicts::Entry& entry);
    // Rewrites the journal with what `verdicts` still remembers, when it has grown well past that.
    void compact_if_large(const Verdicts& verdicts);

private:
    shared::Status reopen();

    std::filesystem::path path_;
    shared::UniqueFd fd_;
    std::size_t lines_ = 0;
};

}  // namespace supervisor
