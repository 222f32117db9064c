// The durable spool: every signed submission is on disk before its first send,
// and leaves only on a final answer (DESIGN.md invariant 2).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "shared/bytes.h"
#include "shared/expected.h"

namespace supervisor {

class Spool {
public:
    struct Entry {
        std::string task_id;
        shared::Bytes submission;  // an encoded SubmitProofRequest
    };
    struct Loaded {
        std::vector<Entry> entries;
        std::vector<std::string> set_aside;  // one message per corrupt file moved to corrupt/
    };

    explicit Spool(std::filesystem::path directory) : directory_(std::move(directory)) {}

    shared::Status open() const;
    // Temp file, fsync, rename, fsync of the directory. Safe to call from a thread
    // of libuv's pool: it touches no supervisor state.
    shared::Status write(const std::string& task_id, shared::ByteView submission) const;
    shared::Status remove(const std::string& task_id) const;
    // Reads every entry; a corrupt or partial file is moved to corrupt/ and reported.
    Loaded load() const;

    const std::filesystem::path& directory() const { return directory_; }

private:
    std::filesystem::path file_for(const std::string& task_id) const;

    std::filesystem::path directory_;
};

}  // namespace supervisor
