// Unit tests for the memory cgroup probes over a fake /proc and /sys/fs/cgroup tree.
#include <doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "shared/cgroup.h"
#include "tests/support/temp_dir.h"

namespace fs = std::filesystem;
using test_support::TempDir;

namespace {

void write_file(const fs::path& p, const std::string& content) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
}

constexpr std::uint64_t kGiB = 1024ull * 1024 * 1024;

}  // namespace

TEST_CASE("cgroup v1: the memory hierarchy, its OOM counter and its limit") {
    TempDir t("cgroup_test.");
    const fs::path proc = t.path() / "proc_self_cgroup";
    const fs::path root = t.path() / "sys_fs_cgroup";
    write_file(proc,
               "12:pids:/a/b\n"
               "7:cpu,cpuacct:/a/b\n"
               "4:memory:/a/b\n"
               "1:name=systemd:/a/b\n"
               "0::/a/b\n");
    auto cg = shared::find_memory_cgroup(proc, root);
    REQUIRE(cg.has_value());
    CHECK(cg->version == 1);
    CHECK(cg->directory == root / "memory" / "a" / "b");

    write_file(cg->directory / "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 7\n");
    CHECK(shared::read_oom_kills(*cg) == std::optional<std::uint64_t>(7));

    write_file(cg->directory / "memory.limit_in_bytes", "9223372036854771712\n");
    CHECK_FALSE(shared::read_memory_limit(*cg).has_value());  // unlimited
    write_file(cg->directory / "memory.limit_in_bytes", "2147483648\n");
    CHECK(shared::read_memory_limit(*cg) == std::optional<std::uint64_t>(2 * kGiB));
}

TEST_CASE("cgroup v1: memory among other controllers on one line") {
    TempDir t("cgroup_test.");
    const fs::path proc = t.path() / "cgroup";
    write_file(proc, "3:cpuset:/\n5:blkio,memory:/docker/abc\n");
    auto cg = shared::find_memory_cgroup(proc, t.path() / "root");
    REQUIRE(cg.has_value());
    CHECK(cg->version == 1);
    CHECK(cg->directory == t.path() / "root" / "memory" / "docker" / "abc");
}

TEST_CASE("cgroup v2: the unified hierarchy, memory.events and memory.max") {
    TempDir t("cgroup_test.");
    const fs::path proc = t.path() / "proc_self_cgroup";
    const fs::path root = t.path() / "sys_fs_cgroup";
    write_file(proc, "0::/x.slice/y\n");
    auto cg = shared::find_memory_cgroup(proc, root);
    REQUIRE(cg.has_value());
    CHECK(cg->version == 2);
    CHECK(cg->directory == root / "x.slice" / "y");

    write_file(cg->directory / "memory.events", "low 0\nhigh 0\nmax 3\noom 2\noom_kill 2\n");
    CHECK(shared::read_oom_kills(*cg) == std::optional<std::uint64_t>(2));
    write_file(cg->directory / "memory.events", "low 0\nhigh 0\nmax 3\noom 2\noom_kill 5\noom_group_kill 1\n");
    CHECK(shared::read_oom_kills(*cg) == std::optional<std::uint64_t>(5));

    write_file(cg->directory / "memory.max", "max\n");
    CHECK_FALSE(shared::read_memory_limit(*cg).has_value());
    write_file(cg->directory / "memory.max", "1073741824\n");
    CHECK(shared::read_memory_limit(*cg) == std::optional<std::uint64_t>(kGiB));
}

TEST_CASE("cgroup v2 at the root of a container") {
    TempDir t("cgroup_test.");
    write_file(t.path() / "cgroup", "0::/\n");
    auto cg = shared::find_memory_cgroup(t.path() / "cgroup", t.path() / "root");
    REQUIRE(cg.has_value());
    CHECK(cg->version == 2);
    CHECK(cg->directory / "memory.max" == t.path() / "root" / "memory.max");
}

TEST_CASE("missing or unreadable files give nothing, not a crash") {
    TempDir t("cgroup_test.");
    CHECK_FALSE(shared::find_memory_cgroup(t.path() / "absent", t.path()).has_value());
    write_file(t.path() / "nonsense", "no colons here\n\n");
    CHECK_FALSE(shared::find_memory_cgroup(t.path() / "nonsense", t.path()).has_value());

    shared::MemoryCgroup v2{2, t.path() / "empty"};
    CHECK_FALSE(shared::read_oom_kills(v2).has_value());
    CHECK_FALSE(shared::read_memory_limit(v2).has_value());
    shared::MemoryCgroup v1{1, t.path() / "empty"};
    CHECK_FALSE(shared::read_oom_kills(v1).has_value());
    CHECK_FALSE(shared::read_memory_limit(v1).has_value());

    write_file(t.path() / "bad" / "memory.max", "lots\n");
    CHECK_FALSE(shared::read_memory_limit(shared::MemoryCgroup{2, t.path() / "bad"}).has_value());
}

TEST_CASE("MemTotal from a fake meminfo") {
    TempDir t("cgroup_test.");
    write_file(t.path() / "meminfo",
               "MemTotal:       16318504 kB\n"
               "MemFree:         1023400 kB\n"
               "MemAvailable:    9876543 kB\n"
               "HugePages_Total:       0\n"
               "Hugepagesize:       2048 kB\n");
    CHECK(shared::read_mem_total(t.path() / "meminfo") == std::optional<std::uint64_t>(16318504ull * 1024));
    CHECK_FALSE(shared::read_mem_total(t.path() / "absent").has_value());
    write_file(t.path() / "nototal", "MemFree: 1 kB\n");
    CHECK_FALSE(shared::read_mem_total(t.path() / "nototal").has_value());
}

TEST_CASE("the real system can be probed without failing") {
    CHECK(shared::read_mem_total().value_or(0) > 0);
    CHECK(shared::read_rss(static_cast<int>(::getpid())).value_or(0) > 0);
}
