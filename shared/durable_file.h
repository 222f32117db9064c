// Writing a file so that a crash leaves the old contents or the new, never a torn file.
#pragma once

#include <sys/types.h>

#include <filesystem>

#include "bytes.h"
#include "expected.h"

namespace shared {

// Owns one file descriptor and closes it when it goes out of scope; move-only.
class UniqueFd {
public:
    explicit UniqueFd(int fd = -1) noexcept : fd_(fd) {}
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    UniqueFd(UniqueFd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
    UniqueFd& operator=(UniqueFd&& other) noexcept;
    ~UniqueFd();

    int get() const { return fd_; }
    // Closing can report a deferred write error, so a writer checks the result:
    // 0, or -1 with errno set. Closing an empty UniqueFd returns 0.
    int close() noexcept;

private:
    int fd_;
};

// Writes all of data, retrying short writes and EINTR; the error is strerror(errno).
Status write_all(int fd, ByteView data);

// A rename is durable only once the directory that holds the new name is synced.
Status fsync_directory(const std::filesystem::path& dir);

// Creates each missing component of dir with mode 0700 (before the umask): the
// directories this is used for hold secrets or say who the node is.
Status create_private_directories(const std::filesystem::path& dir);

// How the temp file beside the target is named.
enum class TempName {
    // "<file>.tmp.<pid>": two processes writing the same file never share a temp.
    PerProcess,
    // "<file>.tmp": one fixed name, so a reader that sweeps "*.tmp" clears leftovers.
    Fixed,
    // ".w<pid>-<n>.tmp" beside the file: a name of its own for every write, even two
    // writes of one file at once in one process, still ending in ".tmp" for the sweep.
    Unique,
};

// Temp file beside `file` (created with `mode`, less the umask), write, fsync,
// close, rename over `file`, fsync of the directory. On failure the temp file is
// removed and the error names the step and the path; the directory must exist.
Status write_file_durably(const std::filesystem::path& file, ByteView data, mode_t mode,
                          TempName temp_name = TempName::PerProcess);

}  // namespace shared
