// Unit tests for the identity file: round trip, atomic write modes, the errors a bad
// file gives, and how start reads it (resolve_identity).
#include <doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "supervisor/identity.h"
#include "supervisor/node_config.h"
#include "tests/support/scoped_env.h"
#include "tests/support/temp_dir.h"

using supervisor::NodeConfig;
using test_support::ScopedEnv;
using test_support::TempDir;

namespace {

const std::string kWallet = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";

void write_text(const std::filesystem::path& path, const std::string& text) {
    std::ofstream(path) << text;
}

unsigned mode_of(const std::filesystem::path& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

std::string load_error(const std::filesystem::path& path) {
    auto loaded = NodeConfig::load(path);
    REQUIRE_FALSE(loaded.ok());
    CHECK(loaded.error().find(path.string()) != std::string::npos);  // names the file
    return loaded.error();
}

}  // namespace

TEST_CASE("an absent file is no config, not an error") {
    TempDir dir("node-config-");
    auto loaded = NodeConfig::load(dir.path() / "config.json");
    REQUIRE(loaded.ok());
    CHECK_FALSE(loaded->has_value());
}

TEST_CASE("save creates private directories and a 0600 file that loads back") {
    TempDir dir("node-config-");
    const auto path = dir.path() / "a" / "b" / "config.json";
    const NodeConfig config{"user-1", kWallet, "node-7", "http://127.0.0.1:9"};
    REQUIRE(config.save(path).ok());
    CHECK(mode_of(path) == 0600);
    CHECK(mode_of(dir.path() / "a") == 0700);
    CHECK(mode_of(dir.path() / "a" / "b") == 0700);
    auto loaded = NodeConfig::load(path);
    REQUIRE(loaded.ok());
    REQUIRE(loaded->has_value());
    CHECK((*loaded)->user_id == "user-1");
    CHECK((*loaded)->wallet_address == kWallet);
    CHECK((*loaded)->node_id == "node-7");
    CHECK((*loaded)->orchestrator_url == "http://127.0.0.1:9");
    // The temp file was renamed, not left beside the config.
    int entries = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(path.parent_path())) ++entries;
    CHECK(entries == 1);
}

TEST_CASE("save replaces the whole file; absent fields load as empty") {
    TempDir dir("node-config-");
    const auto path = dir.path() / "config.json";
    REQUIRE(NodeConfig{"user-1", kWallet, "node-7", "http://x"}.save(path).ok());
    REQUIRE(NodeConfig{"user-2", "", "", ""}.save(path).ok());
    auto loaded = NodeConfig::load(path);
    REQUIRE(loaded.ok());
    REQUIRE(loaded->has_value());
    CHECK((*loaded)->user_id == "user-2");
    CHECK((*loaded)->wallet_address.empty());
    CHECK((*loaded)->node_id.empty());
    CHECK((*loaded)->orchestrator_url.empty());
}

TEST_CASE("a file that is not a config is an error naming the file and the fault") {
    TempDir dir("node-config-");
    const auto path = dir.path() / "config.json";
    SUBCASE("not JSON") {
        write_text(path, "user_id = 3\n");
        CHECK(load_error(path).find("not JSON") != std::string::npos);
    }
    SUBCASE("JSON but not an object") {
        write_text(path, "[1, 2]");
        CHECK(load_error(path).find("expected an object") != std::string::npos);
    }
    SUBCASE("a field of the wrong type") {
        write_text(path, R"({"user_id": "u", "node_id": 42})");
        const std::string error = load_error(path);
        CHECK(error.find("node_id") != std::string::npos);
        CHECK(error.find("expected a string") != std::string::npos);
    }
    SUBCASE("a wallet with a wrong checksum") {
        write_text(path, R"({"wallet_address": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"})");
        const std::string error = load_error(path);
        CHECK(error.find("wallet_address") != std::string::npos);
        CHECK(error.find("checksum is wrong") != std::string::npos);
    }
    SUBCASE("a wallet that is not an address") {
        write_text(path, R"({"wallet_address": "alice"})");
        CHECK(load_error(path).find("40 hex digits") != std::string::npos);
    }
    SUBCASE("an orchestrator URL that is not http(s)") {
        write_text(path, R"({"orchestrator_url": "ftp://x"})");
        CHECK(load_error(path).find("orchestrator_url") != std::string::npos);
    }
    SUBCASE("unreadable: a directory in its place") {
        std::filesystem::create_directory(path);
        CHECK(load_error(path).find("not a regular file") != std::string::npos);
    }
}

TEST_CASE("a wallet saved in any case is read back in its EIP-55 spelling") {
    TempDir dir("node-config-");
    const auto path = dir.path() / "config.json";
    std::string lower = kWallet;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    write_text(path, R"({"user_id": "u", "wallet_address": ")" + lower + R"("})");
    auto loaded = NodeConfig::load(path);
    REQUIRE(loaded.ok());
    REQUIRE(loaded->has_value());
    CHECK((*loaded)->wallet_address == kWallet);
}

TEST_CASE("remove says whether there was a file") {
    TempDir dir("node-config-");
    const auto path = dir.path() / "config.json";
    REQUIRE(NodeConfig{"u", "", "", ""}.save(path).ok());
    auto first = NodeConfig::remove(path);
    REQUIRE(first.ok());
    CHECK(*first);
    CHECK_FALSE(std::filesystem::exists(path));
    auto second = NodeConfig::remove(path);
    REQUIRE(second.ok());
    CHECK_FALSE(*second);
}

TEST_CASE("start takes from the config what the flags leave out, and flags win") {
    TempDir dir("node-config-");
    supervisor::Options options;
    options.config_path = dir.path() / "config.json";
    SUBCASE("no config: nothing filled, no error") {
        REQUIRE(supervisor::resolve_identity(options).ok());
        CHECK(options.node_id.empty());
        CHECK(options.orchestrator_url.empty());
    }
    REQUIRE(NodeConfig{"u", kWallet, "saved-node", "http://saved:1"}.save(options.config_path).ok());
    SUBCASE("both from the config") {
        REQUIRE(supervisor::resolve_identity(options).ok());
        CHECK(options.node_id == "saved-node");
        CHECK(options.orchestrator_url == "http://saved:1");
    }
    SUBCASE("a flag wins over the config") {
        options.node_id = "flag-node";
        REQUIRE(supervisor::resolve_identity(options).ok());
        CHECK(options.node_id == "flag-node");
        CHECK(options.orchestrator_url == "http://saved:1");
    }
    SUBCASE("a broken config is an error, unless the flags give everything") {
        write_text(options.config_path, "{");
        auto status = supervisor::resolve_identity(options);
        REQUIRE_FALSE(status.ok());
        CHECK(status.error().find(options.config_path.string()) != std::string::npos);
        options.node_id = "flag-node";
        options.orchestrator_url = "http://flag:1";
        CHECK(supervisor::resolve_identity(options).ok());
    }
}

TEST_CASE("a --config given explicitly must exist, even when the flags give everything") {
    TempDir dir("node-config-");
    supervisor::Options options;
    options.config_path = dir.path() / "missing.json";
    options.config_path_given = true;
    options.node_id = "flag-node";
    options.orchestrator_url = "http://flag:1";
    auto status = supervisor::resolve_identity(options);
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().find("--config") != std::string::npos);
    CHECK(status.error().find(options.config_path.string()) != std::string::npos);
    options.config_path_given = false;  // the default path may be absent: nobody registered yet
    CHECK(supervisor::resolve_identity(options).ok());
}

TEST_CASE("user UUIDs sent at registration are version 4 with the RFC variant") {
    const std::string a = supervisor::make_uuid_v4();
    CHECK(a.size() == 36);
    CHECK(a[8] == '-');
    CHECK(a[13] == '-');
    CHECK(a[14] == '4');  // version
    CHECK(std::string("89ab").find(a[19]) != std::string::npos);  // variant 10
    CHECK(a != supervisor::make_uuid_v4());
}
