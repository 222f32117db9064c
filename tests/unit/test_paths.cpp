// Unit tests for the default paths: systemd's unit directories, XDG, the home
// directory, and how the supervisor finds its worker installed or in the build tree.
#include <doctest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "supervisor/paths.h"
#include "tests/support/temp_dir.h"

using supervisor::Getenv;
using supervisor::InstallLayout;
using test_support::TempDir;
namespace fs = std::filesystem;

namespace {

// An environment of exactly these variables.
Getenv env(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](const char* name) -> const char* {
        const auto it = vars.find(name);
        return it == vars.end() ? nullptr : it->second.c_str();
    };
}

void make_file(const fs::path& path, fs::perms perms) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << "#!/bin/sh\n";
    fs::permissions(path, perms);
}

void make_executable(const fs::path& path) {
    make_file(path, fs::perms::owner_all);
}

}  // namespace

TEST_CASE("the state directory: the unit's, else XDG, else home, else /var/lib") {
    CHECK(supervisor::default_state_dir(env({{"STATE_DIRECTORY", "/var/lib/provenode"},
                                             {"XDG_STATE_HOME", "/xdg"}})) == "/var/lib/provenode");
    // Several StateDirectory= entries arrive colon-separated; the first is ours.
    CHECK(supervisor::default_state_dir(env({{"STATE_DIRECTORY", "/var/lib/a:/var/lib/b"}})) == "/var/lib/a");
    CHECK(supervisor::default_state_dir(env({{"XDG_STATE_HOME", "/xdg"}, {"HOME", "/home/alice"}})) ==
          "/xdg/provenode");
    // Relative values are invalid (XDG spec) and ignored, as a relative STATE_DIRECTORY is.
    CHECK(supervisor::default_state_dir(env({{"STATE_DIRECTORY", "state"},
                                             {"XDG_STATE_HOME", "relative"},
                                             {"HOME", "/home/alice"}})) == "/home/alice/.local/state/provenode");
    CHECK(supervisor::default_state_dir(env({{"STATE_DIRECTORY", ""}, {"HOME", ""}})) == "/var/lib/provenode");
    CHECK(supervisor::default_state_dir(env({})) == "/var/lib/provenode");
}

TEST_CASE("the identity file: the unit's configuration directory, else XDG, else home, else /etc") {
    CHECK(supervisor::default_config_path(env({{"CONFIGURATION_DIRECTORY", "/etc/provenode"},
                                               {"XDG_CONFIG_HOME", "/xdg"}})) == "/etc/provenode/config.json");
    CHECK(supervisor::default_config_path(env({{"XDG_CONFIG_HOME", "/xdg"}})) == "/xdg/provenode/config.json");
    CHECK(supervisor::default_config_path(env({{"XDG_CONFIG_HOME", "relative"}, {"HOME", "/home/alice"}})) ==
          "/home/alice/.config/provenode/config.json");
    CHECK(supervisor::default_config_path(env({})) == "/etc/provenode/config.json");
}

TEST_CASE("the runtime directory: the unit's, else a writable XDG_RUNTIME_DIR, else /tmp") {
    TempDir dir("paths-");
    CHECK(supervisor::runtime_base(env({{"RUNTIME_DIRECTORY", "/run/provenode"},
                                        {"XDG_RUNTIME_DIR", dir.path().string()}})) == "/run/provenode");
    CHECK(supervisor::runtime_base(env({{"XDG_RUNTIME_DIR", dir.path().string()}})) == dir.path());
    // A session's runtime directory that is gone (after su, say) is not used.
    CHECK(supervisor::runtime_base(env({{"XDG_RUNTIME_DIR", (dir.path() / "gone").string()}})) == "/tmp");
    CHECK(supervisor::runtime_base(env({{"RUNTIME_DIRECTORY", "run"}})) == "/tmp");
    CHECK(supervisor::runtime_base(env({})) == "/tmp");
}

TEST_CASE("an installed supervisor runs the worker from libexec") {
    TempDir dir("paths-");
    const InstallLayout layout{dir.path() / "bin", dir.path() / "libexec/provenode/provenode-worker"};
    make_executable(layout.worker);
    const fs::path self = layout.bindir / "provenode-supervisor";
    make_executable(self);
    CHECK(supervisor::find_worker("", self, layout) == layout.worker);
    SUBCASE("ahead of a worker that happens to sit beside it in bindir") {
        make_executable(layout.bindir / "provenode-worker");
        CHECK(supervisor::find_worker("", self, layout) == layout.worker);
    }
    SUBCASE("the flag wins") {
        CHECK(supervisor::find_worker("/opt/other-worker", self, layout) == "/opt/other-worker");
    }
    SUBCASE("a missing installed worker is named, not replaced by a guess") {
        fs::remove(layout.worker);
        CHECK(supervisor::find_worker("", self, layout) == layout.worker);
    }
}

TEST_CASE("outside the installed bindir: beside the supervisor, else the build tree") {
    TempDir dir("paths-");
    // The compiled-in layout points somewhere else, with a worker that must not be picked.
    const InstallLayout layout{dir.path() / "usr/bin", dir.path() / "usr/libexec/provenode/provenode-worker"};
    make_executable(layout.worker);
    const fs::path self = dir.path() / "build/supervisor/provenode-supervisor";
    make_executable(self);
    const fs::path built = dir.path() / "build/worker/provenode-worker";
    make_executable(built);
    CHECK(supervisor::find_worker("", self, layout) == built);
    SUBCASE("a worker beside the supervisor comes first") {
        make_executable(self.parent_path() / "provenode-worker");
        CHECK(supervisor::find_worker("", self, layout) == self.parent_path() / "provenode-worker");
    }
    SUBCASE("a file that is not executable is passed over") {
        make_file(self.parent_path() / "provenode-worker", fs::perms::owner_read | fs::perms::owner_write);
        CHECK(supervisor::find_worker("", self, layout) == built);
    }
    SUBCASE("nothing found: the path beside the supervisor is named") {
        fs::remove(built);
        CHECK(supervisor::find_worker("", self, layout) == self.parent_path() / "provenode-worker");
    }
}

TEST_CASE("the compiled-in layout keeps the worker out of bindir") {
    const InstallLayout layout = InstallLayout::compiled_in();
    CHECK(layout.bindir.is_absolute());
    CHECK(layout.worker.is_absolute());
    CHECK(layout.worker.filename() == "provenode-worker");
    CHECK(layout.worker.parent_path() != layout.bindir);
}
