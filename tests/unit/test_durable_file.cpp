// Unit tests for durable writes: contents, modes, failures that leave nothing
// behind, private directories, and the file descriptor owner.
#include <doctest.h>

#include <fcntl.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "shared/durable_file.h"
#include "tests/support/temp_dir.h"

namespace fs = std::filesystem;
using test_support::TempDir;

namespace {

// Fixes the umask for one scope, so that the modes the tests expect do not depend
// on the shell that runs them.
class ScopedUmask {
public:
    explicit ScopedUmask(mode_t mask) : old_(::umask(mask)) {}
    ~ScopedUmask() { ::umask(old_); }

private:
    mode_t old_;
};

mode_t mode_of(const fs::path& p) {
    struct stat st {};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

std::string read_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::string> names_in(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
    return names;
}

// Root ignores permission bits, so a read-only directory could not make its
// writes fail. For one scope this checks file access as nobody instead: a
// filesystem uid of its own, which euid 0 may set and set back (Linux).
class ScopedUnprivilegedFiles {
public:
    ScopedUnprivilegedFiles() {
        if (::geteuid() == 0) old_ = ::setfsuid(kNobody);
    }
    ~ScopedUnprivilegedFiles() {
        if (old_ >= 0) ::setfsuid(static_cast<uid_t>(old_));
    }

private:
    static constexpr uid_t kNobody = 65534;
    int old_ = -1;
};

// Whether a file can still be created in the directory (permission bits ignored).
bool can_create_in(const fs::path& dir) {
    const fs::path probe = dir / "probe";
    const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return false;
    ::close(fd);
    ::unlink(probe.c_str());
    return true;
}

}  // namespace

TEST_CASE("write_file_durably writes the bytes, replaces an older file and leaves no temp file") {
    TempDir dir("durable_file_test.");
    const fs::path file = dir.path() / "data.json";
    for (const auto temp_name : {shared::TempName::PerProcess, shared::TempName::Fixed}) {
        const std::string first = "first version\n";
        REQUIRE(shared::write_file_durably(file, shared::as_bytes(first), 0600, temp_name).ok());
        CHECK(read_text(file) == first);

        const std::string second(100'000, 'x');
        REQUIRE(shared::write_file_durably(file, shared::as_bytes(second), 0600, temp_name).ok());
        CHECK(read_text(file) == second);
        CHECK(names_in(dir.path()) == std::vector<std::string>{"data.json"});
    }
}

TEST_CASE("an empty file is written as an empty file") {
    TempDir dir("durable_file_test.");
    const fs::path file = dir.path() / "empty";
    REQUIRE(shared::write_file_durably(file, {}, 0600).ok());
    CHECK(fs::exists(file));
    CHECK(fs::file_size(file) == 0);
}

TEST_CASE("the mode is applied, less the umask") {
    TempDir dir("durable_file_test.");
    ScopedUmask mask(022);
    const fs::path file = dir.path() / "f";
    REQUIRE(shared::write_file_durably(file, shared::as_bytes("a"), 0600).ok());
    CHECK(mode_of(file) == 0600);
    // The new file replaces the old one, so the new mode holds even when it is wider.
    REQUIRE(shared::write_file_durably(file, shared::as_bytes("b"), 0640).ok());
    CHECK(mode_of(file) == 0640);
    REQUIRE(shared::write_file_durably(file, shared::as_bytes("c"), 0666).ok());
    CHECK(mode_of(file) == 0644);
}

TEST_CASE("an unwritable directory is an error naming the path, and leaves no temp file") {
    TempDir dir("durable_file_test.");
    const fs::path locked = dir.path() / "locked";
    REQUIRE(fs::create_directory(locked));
    fs::permissions(locked, fs::perms::owner_read | fs::perms::owner_exec);
    const fs::path file = locked / "data";
    for (const auto temp_name : {shared::TempName::PerProcess, shared::TempName::Fixed}) {
        shared::Status written = shared::Ok{};
        {
            ScopedUnprivilegedFiles unprivileged;
            if (can_create_in(locked)) {
                MESSAGE("skipped: this process ignores directory permissions");
                return;
            }
            written = shared::write_file_durably(file, shared::as_bytes("x"), 0600, temp_name);
        }
        REQUIRE_FALSE(written.ok());
        CHECK(written.error().find("cannot create " + file.string() + ".tmp") != std::string::npos);
        CHECK(written.error().find("Permission denied") != std::string::npos);
        CHECK(names_in(locked).empty());
    }
}

TEST_CASE("a missing directory is an error naming the path, and nothing is created") {
    TempDir dir("durable_file_test.");
    const fs::path file = dir.path() / "absent" / "data";
    const auto written = shared::write_file_durably(file, shared::as_bytes("x"), 0600);
    REQUIRE_FALSE(written.ok());
    CHECK(written.error().find(file.string()) != std::string::npos);
    CHECK_FALSE(fs::exists(dir.path() / "absent"));
}

TEST_CASE("a failed rename removes the temp file and names both paths") {
    TempDir dir("durable_file_test.");
    const fs::path file = dir.path() / "target";
    REQUIRE(fs::create_directories(file / "inside"));  // a file cannot be renamed over a directory
    const auto written = shared::write_file_durably(file, shared::as_bytes("x"), 0600, shared::TempName::Fixed);
    REQUIRE_FALSE(written.ok());
    CHECK(written.error().find("cannot rename " + file.string() + ".tmp to " + file.string()) != std::string::npos);
    CHECK(names_in(dir.path()) == std::vector<std::string>{"target"});
}

TEST_CASE("create_private_directories makes each missing directory 0700 and accepts existing ones") {
    TempDir dir("durable_file_test.");
    ScopedUmask mask(022);
    const fs::path deep = dir.path() / "a" / "b" / "c";
    REQUIRE(shared::create_private_directories(deep).ok());
    CHECK(mode_of(dir.path() / "a") == 0700);
    CHECK(mode_of(dir.path() / "a" / "b") == 0700);
    CHECK(mode_of(deep) == 0700);
    CHECK(shared::create_private_directories(deep).ok());  // all there already

    // An existing directory keeps its mode: only what was missing is created.
    fs::permissions(dir.path() / "a", fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
    REQUIRE(shared::create_private_directories(dir.path() / "a" / "d").ok());
    CHECK(mode_of(dir.path() / "a") == 0750);
    CHECK(mode_of(dir.path() / "a" / "d") == 0700);
}

TEST_CASE("create_private_directories names the component it could not create") {
    TempDir dir("durable_file_test.");
    const fs::path blocker = dir.path() / "file";
    std::ofstream(blocker) << "not a directory";
    const auto made = shared::create_private_directories(blocker / "sub");
    REQUIRE_FALSE(made.ok());
    CHECK(made.error().find("cannot create directory " + (blocker / "sub").string()) != std::string::npos);
}

TEST_CASE("fsync_directory syncs a directory and names one it cannot open") {
    TempDir dir("durable_file_test.");
    CHECK(shared::fsync_directory(dir.path()).ok());
    const auto synced = shared::fsync_directory(dir.path() / "absent");
    REQUIRE_FALSE(synced.ok());
    CHECK(synced.error().find((dir.path() / "absent").string()) != std::string::npos);
}

TEST_CASE("UniqueFd closes once, on close() or at the end of its owner's life") {
    TempDir dir("durable_file_test.");
    const fs::path file = dir.path() / "f";
    const auto open_file = [&] { return ::open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600); };
    const auto is_open = [](int fd) { return ::fcntl(fd, F_GETFD) != -1; };

    int raw = -1;
    {
        shared::UniqueFd fd(open_file());
        raw = fd.get();
        REQUIRE(raw >= 0);
        CHECK(is_open(raw));
    }
    CHECK_FALSE(is_open(raw));

    shared::UniqueFd fd(open_file());
    raw = fd.get();
    CHECK(fd.close() == 0);
    CHECK(fd.get() == -1);
    CHECK_FALSE(is_open(raw));
    CHECK(fd.close() == 0);  // closing again is a no-op

    shared::UniqueFd from(open_file());
    raw = from.get();
    shared::UniqueFd to(std::move(from));
    CHECK(from.get() == -1);  // NOLINT(bugprone-use-after-move): the moved-from state is the point
    CHECK(to.get() == raw);
    shared::UniqueFd other(open_file());
    const int other_raw = other.get();
    other = std::move(to);  // closes what `other` held
    CHECK(other.get() == raw);
    CHECK_FALSE(is_open(other_raw));
    CHECK(is_open(raw));
}
