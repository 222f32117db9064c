// Writing a file so that a crash leaves the old contents or the new, never a torn file.
#include "shared/durable_file.h"

#include <atomic>
#include <cstdint>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace shared {
namespace {

// Reads errno, so it must be called before anything else can change it.
Error errno_error(const std::string& what, const std::filesystem::path& path) {
    return fail(what + " " + path.string() + ": " + std::strerror(errno));
}

std::filesystem::path temp_path_for(const std::filesystem::path& file, TempName temp_name) {
    if (temp_name == TempName::Fixed) return file.string() + ".tmp";
    if (temp_name == TempName::Unique) {
        static std::atomic<std::uint64_t> counter{0};
        // Short, so that it fits where the target's own name already fills NAME_MAX.
        return file.parent_path() / (".w" + std::to_string(::getpid()) + "-" + std::to_string(++counter) + ".tmp");
    }
    return file.string() + ".tmp." + std::to_string(::getpid());
}

// Write, fsync and close of a temp file that is already open; the caller removes
// the temp file if this fails.
Status fill_temp(UniqueFd& fd, const std::filesystem::path& temp, ByteView data) {
    if (Status written = write_all(fd.get(), data); !written) {
        return fail("cannot write " + temp.string() + ": " + written.error());
    }
    // The data must be on disk before the rename makes it visible under the real name.
    if (::fsync(fd.get()) != 0) return errno_error("cannot fsync", temp);
    if (fd.close() != 0) return errno_error("cannot close", temp);
    return Ok{};
}

}  // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
        close();
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

UniqueFd::~UniqueFd() { close(); }

int UniqueFd::close() noexcept {
    if (fd_ < 0) return 0;
    // Linux frees the descriptor even when close fails, so it is never retried.
    return ::close(std::exchange(fd_, -1));
}

Status write_all(int fd, ByteView data) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail(std::strerror(errno));
        // write(2) returns 0 only for a zero-length request; a device that takes
        // nothing would otherwise loop forever.
        if (n == 0) return fail("write wrote nothing");
        data = data.subspan(static_cast<std::size_t>(n));
    }
    return Ok{};
}

Status fsync_directory(const std::filesystem::path& dir) {
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0) return errno_error("cannot open directory", dir);
    if (::fsync(fd.get()) != 0) return errno_error("cannot sync directory", dir);
    return Ok{};
}

Status create_private_directories(const std::filesystem::path& dir) {
    std::filesystem::path partial;
    for (const auto& part : dir) {
        partial /= part;
        if (::mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST) {
            return errno_error("cannot create directory", partial);
        }
    }
    return Ok{};
}

Status write_file_durably(const std::filesystem::path& file, ByteView data, mode_t mode, TempName temp_name) {
    const std::filesystem::path temp = temp_path_for(file, temp_name);
    // O_NOFOLLOW: a symlink planted at the temp name must not redirect the write.
    UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode));
    // Nothing of ours to remove yet: whatever is at the temp name was not made by this call.
    if (fd.get() < 0) return errno_error("cannot create", temp);
    Status written = fill_temp(fd, temp, data);
    if (written && ::rename(temp.c_str(), file.c_str()) != 0) {
        written = errno_error("cannot rename " + temp.string() + " to", file);
    }
    if (!written) {
        ::unlink(temp.c_str());
        return written;
    }
    // The rename itself is durable only once the directory holding the name is synced.
    const std::filesystem::path parent = file.parent_path().empty() ? "." : file.parent_path();
    return fsync_directory(parent);
}

}  // namespace shared
