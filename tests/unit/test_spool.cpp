// Unit tests for the durable spool, in a temporary directory: round trips, removal,
// and damaged or stray files set aside instead of submitted.
#include <doctest.h>

#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <optional>
#include <fstream>
#include <iterator>
#include <thread>
#include <string>
#include <vector>

#include "supervisor/spool.h"
#include "tests/support/temp_dir.h"

namespace fs = std::filesystem;
using supervisor::Spool;
using test_support::TempDir;

namespace {

shared::Bytes payload(std::size_t n, std::uint8_t seed) {
    shared::Bytes b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(seed + i * 7);
    return b;
}

std::vector<fs::path> files_in(const fs::path& dir) {
    std::vector<fs::path> files;
    for (const auto& item : fs::directory_iterator(dir)) {
        if (item.is_regular_file()) files.push_back(item.path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

shared::Bytes read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return shared::Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_all(const fs::path& p, const shared::Bytes& bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// A spool with one entry, written and opened in `dir`; returns the entry's file.
fs::path spool_one(const Spool& spool, const std::string& id, const shared::Bytes& data) {
    REQUIRE(spool.open().ok());
    auto before = files_in(spool.directory());
    REQUIRE(spool.write(id, data).ok());
    auto after = files_in(spool.directory());
    REQUIRE(after.size() == before.size() + 1);
    for (const auto& f : after) {
        if (std::find(before.begin(), before.end(), f) == before.end()) return f;
    }
    FAIL("no new file");
    return {};
}

// Loading must set exactly this one file aside, with a message naming it, and return nothing.
void check_set_aside(const Spool& spool, const fs::path& file) {
    auto loaded = spool.load();
    CHECK(loaded.task_ids.empty());
    REQUIRE(loaded.problems.size() == 1);
    INFO(loaded.problems[0]);
    CHECK(loaded.problems[0].find(file.filename().string()) != std::string::npos);
    CHECK(loaded.problems[0].find("corrupt") != std::string::npos);
    CHECK_FALSE(fs::exists(file));
    CHECK(fs::exists(spool.directory() / "corrupt" / file.filename()));
    CHECK_FALSE(spool.read("t").ok());
    // And it stays aside: a second load finds nothing.
    auto again = spool.load();
    CHECK(again.task_ids.empty());
    CHECK(again.problems.empty());
}

// Loads `spool` as a user without privileges, since root reads any file: in a
// child process that drops to nobody when the test runs as root. Nullopt when
// that cannot be done here.
std::optional<Spool::Loaded> load_unprivileged(const Spool& spool) {
    if (::geteuid() != 0) return spool.load();
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::close(fds[0]);
        if (::setgroups(0, nullptr) != 0 || ::setresgid(65534, 65534, 65534) != 0 ||
            ::setresuid(65534, 65534, 65534) != 0) {
            ::_exit(77);
        }
        std::string out;
        try {
            const auto loaded = spool.load();
            for (const auto& id : loaded.task_ids) out += "id " + id + "\n";
            for (const auto& problem : loaded.problems) out += "problem " + problem + "\n";
        } catch (...) {
            ::_exit(3);
        }
        const bool written = ::write(fds[1], out.data(), out.size()) == static_cast<ssize_t>(out.size());
        ::_exit(written ? 0 : 4);
    }
    ::close(fds[1]);
    std::string out;
    char buffer[4096];
    for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;) out.append(buffer, static_cast<std::size_t>(n));
    ::close(fds[0]);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77) return std::nullopt;
    REQUIRE_MESSAGE(WEXITSTATUS(status) == 0, "the load in the child exited " << WEXITSTATUS(status) << " (3: it threw)");
    Spool::Loaded loaded;
    std::size_t from = 0;
    for (std::size_t end; (end = out.find('\n', from)) != std::string::npos; from = end + 1) {
        const std::string line = out.substr(from, end - from);
        if (line.rfind("id ", 0) == 0) loaded.task_ids.push_back(line.substr(3));
        if (line.rfind("problem ", 0) == 0) loaded.problems.push_back(line.substr(8));
    }
    return loaded;
}

}  // namespace

TEST_CASE("open creates the directory and corrupt/, owner only") {
    TempDir dir("spool_test.");
    Spool spool(dir.path() / "spool");
    REQUIRE(spool.open().ok());
    CHECK(fs::is_directory(dir.path() / "spool" / "corrupt"));
    const auto perms = fs::status(dir.path() / "spool").permissions();
    CHECK((perms & (fs::perms::group_all | fs::perms::others_all)) == fs::perms::none);
    CHECK(spool.load().task_ids.empty());
}

TEST_CASE("write and load round trip") {
    TempDir dir("spool_test.");
    Spool spool(dir.path());
    REQUIRE(spool.open().ok());
    REQUIRE(spool.write("task-1", payload(100, 1)).ok());
    REQUIRE(spool.write("task-2", payload(0, 2)).ok());
    REQUIRE(spool.write("task-3", payload(70'000, 3)).ok());
    auto loaded = spool.load();
    CHECK(loaded.problems.empty());
    REQUIRE(loaded.task_ids.size() == 3);
    std::sort(loaded.task_ids.begin(), loaded.task_ids.end());
    CHECK(loaded.task_ids == std::vector<std::string>{"task-1", "task-2", "task-3"});
    CHECK(*spool.read("task-1") == payload(100, 1));
    CHECK(spool.read("task-2")->empty());
    CHECK(*spool.read("task-3") == payload(70'000, 3));
    CHECK_FALSE(spool.read("task-4").ok());
    // No temp file is left behind by a write.
    for (const auto& f : files_in(dir.path())) CHECK(f.extension() == ".spool");
}

TEST_CASE("a second write of one task replaces the first") {
    TempDir dir("spool_test.");
    Spool spool(dir.path());
    REQUIRE(spool.open().ok());
    REQUIRE(spool.write("t", payload(10, 1)).ok());
    REQUIRE(spool.write("t", payload(20, 2)).ok());
    auto loaded = spool.load();
    REQUIRE(loaded.task_ids.size() == 1);
    CHECK(*spool.read("t") == payload(20, 2));
}

TEST_CASE("remove takes one entry away and is harmless twice") {
    TempDir dir("spool_test.");
    Spool spool(dir.path());
    REQUIRE(spool.open().ok());
    REQUIRE(spool.write("keep", payload(5, 1)).ok());
    REQUIRE(spool.write("drop", payload(5, 2)).ok());
    REQUIRE(spool.remove("drop").ok());
    CHECK(spool.remove("drop").ok());
    CHECK(spool.remove("never-written").ok());
    auto loaded = spool.load();
    REQUIRE(loaded.task_ids.size() == 1);
    CHECK(loaded.task_ids[0] == "keep");
}

TEST_CASE("a truncated file is set aside") {
    TempDir dir("spool_test.");
    Spool spool(dir.path());
    const auto file = spool_one(spool, "t", payload(200, 1));
    fs::resize_file(file, fs::file_size(file) - 40);
    check_set_aside(spool, file);
}

TEST_CASE("a file cut inside its header is set aside") {
    TempDir dir("spool_test.");
    Spool spool(dir.path());
    const auto file = spool_one(spool, "t", payload(200, 1));
    fs::resize_file(file, 10);
    check_set_aside(spool, file);
}

TEST_CASE("a file with one flipped byte is set aside") {
    for (std::size_t offset : {std::size_t{0}, std::size_t{9}, std::size_t{14}, std::size_t{60}, std::size_t{250}}) {
        INFO("offset " << offset);
        TempDir dir("spool_test.");
        Spool spool(dir.path());
        const auto file = spool_one(spool, "t", payload(200, 1));
        auto bytes = read_all(file);
        REQUIRE(offset < bytes.size());
        bytes[offset] ^= 0x01;
        write_all(file, bytes);
        check_set_aside(spool, file);
    }
}

TEST_CASE("an empty file is set aside") {
    TempDir dir("spool_test.");
    Spool spool(dir.path());
    const auto file = spool_one(spool, "t", payload(20, 1));
    fs::resize_file(file, 0);
    check_set_aside(spool, file);
}

TEST_CASE("a file with another name is set aside") {
    TempDir dir("spool_test.");
    Spool spool(dir.path());
    REQUIRE(spool.open().ok());
    const auto stray = dir.path() / "notes.txt";
    write_all(stray, payload(10, 1));
    check_set_aside(spool, stray);
}

TEST_CASE("a good entry under a name that is not its task's is set aside") {
    // Such a file could never be removed by remove(task_id), so it would be submitted
    // again at every start; a copy would be submitted twice.
    TempDir dir("spool_test.");
    Spool spool(dir.path());
    const auto file = spool_one(spool, "t", payload(20, 1));
    const auto renamed = dir.path() / "deadbeef.spool";
    fs::rename(file, renamed);
    check_set_aside(spool, renamed);
}

TEST_CASE("a copy of a good entry is not loaded twice") {
    TempDir dir("spool_test.");
    Spool spool(dir.path());
    const auto file = spool_one(spool, "t", payload(20, 1));
    fs::copy_file(file, dir.path() / "0074.spool");
    auto loaded = spool.load();
    REQUIRE(loaded.task_ids.size() == 1);
    CHECK(loaded.task_ids[0] == "t");
    CHECK(loaded.problems.size() == 1);
    CHECK(fs::exists(file));
}

TEST_CASE("a leftover temp file is removed and not returned") {
    TempDir dir("spool_test.");
    Spool spool(dir.path());
    const auto file = spool_one(spool, "t", payload(20, 1));
    const auto temp = fs::path(file.string() + ".tmp");
    fs::copy_file(file, temp);
    REQUIRE(spool.remove("t").ok());
    auto loaded = spool.load();
    CHECK(loaded.task_ids.empty());
    CHECK(loaded.problems.empty());
    CHECK_FALSE(fs::exists(temp));
    CHECK(files_in(dir.path() / "corrupt").empty());
}

TEST_CASE("good entries load beside bad ones") {
    TempDir dir("spool_test.");
    Spool spool(dir.path());
    REQUIRE(spool.open().ok());
    REQUIRE(spool.write("good", payload(30, 1)).ok());
    write_all(dir.path() / "junk.spool", payload(80, 9));
    write_all(dir.path() / "empty.spool", {});
    auto loaded = spool.load();
    REQUIRE(loaded.task_ids.size() == 1);
    CHECK(loaded.task_ids[0] == "good");
    CHECK(loaded.problems.size() == 2);
    CHECK(files_in(dir.path() / "corrupt").size() == 2);
}

TEST_CASE("a submission without a task id is refused at write time") {
    TempDir dir("spool_test.");
    Spool spool(dir.path());
    REQUIRE(spool.open().ok());
    CHECK_FALSE(spool.write("", payload(10, 1)).ok());
    CHECK(files_in(dir.path()).empty());
}

TEST_CASE("odd task ids stay inside the spool directory") {
    TempDir dir("spool_test.");
    Spool spool(dir.path() / "spool");
    REQUIRE(spool.open().ok());
    const std::vector<std::string> ids = {
        "a/b",         "../../escape", "/abs/path", "..",  ".", "with space", "tab\there",
        "new\nline",   "ünïcödé",      "semi;colon*?<>|", std::string("nul\0byte", 8),
        std::string(122, 'y'),  // the longest id named by its hex form
        std::string(123, 'y'),
        std::string(128, 'x'),  // the longest id the codec accepts
        std::string(128, '/'),
        std::string(1000, 'z'),
    };
    for (std::size_t i = 0; i < ids.size(); ++i) {
        INFO("id " << i);
        auto status = spool.write(ids[i], payload(10, static_cast<std::uint8_t>(i)));
        CHECK_MESSAGE(status.ok(), (status.ok() ? "" : status.error()));
    }
    auto loaded = spool.load();
    CHECK(loaded.problems.empty());
    CHECK(loaded.task_ids.size() == ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
        INFO("id " << i);
        CHECK(std::find(loaded.task_ids.begin(), loaded.task_ids.end(), ids[i]) != loaded.task_ids.end());
        CHECK(*spool.read(ids[i]) == payload(10, static_cast<std::uint8_t>(i)));
    }
    // Nothing was written outside the spool directory.
    std::size_t outside = 0;
    for (const auto& item : fs::recursive_directory_iterator(dir.path())) {
        if (item.is_regular_file() && item.path().parent_path() != dir.path() / "spool") ++outside;
    }
    CHECK(outside == 0);
    for (const auto& id : ids) CHECK(spool.remove(id).ok());
    CHECK(spool.load().task_ids.empty());
    CHECK(files_in(dir.path() / "spool").empty());
}

TEST_CASE("two writes of one task at once never tear or lose its file") {
    // Seen before: both writes shared "<id>.spool.tmp", one truncated the other's file.
    TempDir dir("spool_test.");
    Spool spool(dir.path());
    REQUIRE(spool.open().ok());
    std::vector<std::string> errors[2];
    auto writer = [&](int w) {
        for (int i = 0; i < 200; ++i) {
            auto s = spool.write("t", payload(4096 + 97 * w, static_cast<std::uint8_t>(w)));
            if (!s) errors[w].push_back(s.error());
        }
    };
    std::thread a(writer, 0), b(writer, 1);
    a.join();
    b.join();
    CHECK(errors[0].empty());
    CHECK(errors[1].empty());
    auto loaded = spool.load();
    CHECK(loaded.problems.empty());
    REQUIRE(loaded.task_ids.size() == 1);
    auto bytes = spool.read("t");
    REQUIRE(bytes.ok());
    CHECK((*bytes == payload(4096, 0) || *bytes == payload(4096 + 97, 1)));
}

TEST_CASE("a spool that cannot be read is reported, never thrown") {
    TempDir dir("spool_test.");
    // The spool directory is a file: iterating it fails.
    write_all(dir.path() / "not-a-dir", payload(10, 1));
    Spool spool(dir.path() / "not-a-dir");
    Spool::Loaded loaded;
    CHECK_NOTHROW(loaded = spool.load());
    CHECK(loaded.task_ids.empty());
    REQUIRE(loaded.problems.size() == 1);
    CHECK(loaded.problems[0].find("not-a-dir") != std::string::npos);

    // A dangling link, a link loop and a directory named like an entry are skipped.
    Spool good(dir.path() / "spool");
    REQUIRE(good.open().ok());
    REQUIRE(good.write("ok", payload(10, 2)).ok());
    fs::create_symlink(dir.path() / "nowhere", dir.path() / "spool" / "dangling.spool");
    fs::create_symlink(dir.path() / "spool" / "loop.spool", dir.path() / "spool" / "loop.spool");
    fs::create_directory(dir.path() / "spool" / "6162.spool");
    CHECK_NOTHROW(loaded = good.load());
    CHECK(loaded.task_ids == std::vector<std::string>{"ok"});
}

TEST_CASE("a set-aside file never overwrites an earlier one") {
    TempDir dir("spool_test.");
    Spool spool(dir.path());
    REQUIRE(spool.open().ok());
    write_all(dir.path() / "junk.spool", payload(80, 1));
    spool.load();
    write_all(dir.path() / "junk.spool", payload(80, 2));
    auto loaded = spool.load();
    REQUIRE(loaded.problems.size() == 1);
    CHECK(files_in(dir.path() / "corrupt").size() == 2);
}

TEST_CASE("item 13: an entry that cannot be read is named with the reason, and the others load") {
    TempDir dir("spool_test.");
    Spool spool(dir.path() / "spool");
    REQUIRE(spool.open().ok());
    REQUIRE(spool.write("good", payload(30, 1)).ok());
    REQUIRE(spool.write("locked", payload(30, 2)).ok());
    fs::path locked;
    for (const auto& f : files_in(spool.directory())) {
        if (f.filename() != "676f6f64.spool") locked = f;  // "good" in hex
    }
    REQUIRE_FALSE(locked.empty());
    // Readable by anyone but the one entry; the directories open to the user who loads.
    fs::permissions(dir.path(), fs::perms::owner_all | fs::perms::others_read | fs::perms::others_exec);
    fs::permissions(spool.directory(), fs::perms::all);
    fs::permissions(spool.directory() / "corrupt", fs::perms::all);
    fs::permissions(spool.directory() / "676f6f64.spool", fs::perms::owner_read | fs::perms::others_read);
    fs::permissions(locked, fs::perms::none);
    const auto loaded = load_unprivileged(spool);
    if (!loaded) {
        MESSAGE("skipped: cannot drop privileges to test an unreadable file as root");
        return;
    }
    CHECK(loaded->task_ids == std::vector<std::string>{"good"});
    REQUIRE(loaded->problems.size() == 1);
    INFO(loaded->problems[0]);
    CHECK(loaded->problems[0].find(locked.filename().string()) != std::string::npos);
    CHECK(loaded->problems[0].find("Permission denied") != std::string::npos);  // not "too short"
}

TEST_CASE("item 13: a file that cannot be set aside is said to be left in place, not moved") {
    TempDir dir("spool_test.");
    Spool spool(dir.path());
    REQUIRE(spool.open().ok());
    REQUIRE(spool.write("good", payload(30, 1)).ok());
    write_all(dir.path() / "junk.spool", payload(80, 9));
    fs::remove(dir.path() / "corrupt");
    write_all(dir.path() / "corrupt", payload(1, 1));  // a file where corrupt/ should be
    Spool::Loaded loaded;
    CHECK_NOTHROW(loaded = spool.load());
    CHECK(loaded.task_ids == std::vector<std::string>{"good"});
    // Two: junk.spool, and the stray file "corrupt" itself, neither of which can go to corrupt/.
    REQUIRE(loaded.problems.size() == 2);
    const auto junk = std::find_if(loaded.problems.begin(), loaded.problems.end(),
                                   [](const std::string& p) { return p.find("junk.spool:") != std::string::npos; });
    REQUIRE(junk != loaded.problems.end());
    INFO(*junk);
    CHECK(junk->find("left in place") != std::string::npos);
    CHECK(junk->find("moved to") == std::string::npos);
    CHECK(fs::exists(dir.path() / "junk.spool"));
}

TEST_CASE("item 13: files that vanish while the spool is read are never thrown, and never taken for others") {
    // Another process (an operator, a second node refused by the lock a moment
    // later) removes entries while the node reads them. Whether a removal falls
    // between the listing and the read is up to the scheduler; what load() says
    // must be true either way.
    TempDir dir("spool_test.");
    Spool spool(dir.path());
    REQUIRE(spool.open().ok());
    constexpr int kEntries = 64;
    std::vector<std::pair<fs::path, shared::Bytes>> entries;
    for (int i = 0; i < kEntries; ++i) {
        const std::string id = "t" + std::to_string(i);
        const fs::path file = spool_one(spool, id, payload(64, static_cast<std::uint8_t>(i)));
        entries.emplace_back(file, read_all(file));
    }
    std::size_t vanished = 0;
    for (int round = 0; round < 50; ++round) {
        for (const auto& [file, bytes] : entries) {
            if (!fs::exists(file)) write_all(file, bytes);
        }
        std::atomic<bool> go{false};
        std::thread remover([&] {
            while (!go) std::this_thread::yield();
            for (int i = kEntries - 1; i >= 0; i -= 2) ::unlink(entries[static_cast<std::size_t>(i)].first.c_str());
        });
        Spool::Loaded loaded;
        go = true;
        CHECK_NOTHROW(loaded = spool.load());
        remover.join();
        for (const auto& id : loaded.task_ids) {
            CHECK((id.size() >= 2 && id[0] == 't' && std::stoi(id.substr(1)) < kEntries));
        }
        for (const auto& problem : loaded.problems) {
            INFO(problem);
            CHECK(problem.rfind(dir.path().string(), 0) == 0);  // names the file
            // Said to be moved only when it is.
            if (auto at = problem.find("moved to "); at != std::string::npos) CHECK(fs::exists(problem.substr(at + 9)));
            if (problem.find("No such file") != std::string::npos) ++vanished;
        }
        CHECK(loaded.task_ids.size() + loaded.problems.size() <= kEntries);
        for (const auto& f : files_in(dir.path() / "corrupt")) fs::remove(f);
    }
    MESSAGE(vanished << " entries vanished between the listing and their read");
}
