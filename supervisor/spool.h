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
        std::vector<std::string> task_ids;   // good entries; their bytes stay on disk until sent
        std::vector<std::string> problems;  // one message per file set aside or unreadable, naming it
    };

    explicit Spool(std::filesystem::path directory) : directory_(std::move(directory)) {}

    shared::Status open() const;
    // Temp file, fsync, rename, fsync of the directory. Safe to call from a thread
    // of libuv's pool: it touches no supervisor state.
    shared::Status write(const std::string& task_id, shared::ByteView submission) const;
    shared::Status remove(const std::string& task_id) const;
    // The submission spooled for a task (it is read back when it is sent).
    shared::Expected<shared::Bytes> read(const std::string& task_id) const;
    // Checks every entry; a corrupt or partial file is moved to corrupt/ and reported,
    // and nothing on disk (EACCES, EIO, a file that vanishes) can make it throw.
    Loaded load() const;

    const std::filesystem::path& directory() const { return directory_; }

private:
    std::filesystem::path file_for(const std::string& task_id) const;
    std::filesystem::path aside_path(const std::filesystem::path& file) const;
    void check_entry(const std::filesystem::path& path, Loaded& loaded) const;

    std::filesystem::path directory_;
};

}  // namespace supervisor
