// Unit tests for the node key: creation, reuse, signatures and refused key files.
#include <doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "shared/node_key.h"
#include "shared/proof_hash.h"
#include "tests/support/temp_dir.h"

namespace fs = std::filesystem;
using test_support::TempDir;

namespace {

mode_t mode_of(const fs::path& p) {
    struct stat st {};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

void write_file(const fs::path& p, const std::string& content, mode_t mode) {
    std::ofstream(p, std::ios::binary) << content;
    REQUIRE(::chmod(p.c_str(), mode) == 0);
}

}  // namespace

TEST_CASE("load_or_create creates a 0600 key in a new 0700 directory, then reuses it") {
    TempDir dir("node_key_test.");
    const fs::path file = dir.path() / "state" / "keys" / "node.key";
    auto first = shared::NodeKey::load_or_create(file);
    REQUIRE_MESSAGE(first.ok(), first.error());
    CHECK(fs::file_size(file) == 64);
    CHECK(mode_of(file) == 0600);
    CHECK(mode_of(dir.path() / "state") == 0700);
    CHECK(mode_of(dir.path() / "state" / "keys") == 0700);
    int entries = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(file.parent_path())) ++entries;
    CHECK(entries == 1);  // no temp file left behind

    auto second = shared::NodeKey::load_or_create(file);
    REQUIRE(second.ok());
    CHECK(second->public_key() == first->public_key());
    CHECK(second->sign(shared::as_bytes("m")) == first->sign(shared::as_bytes("m")));
}

TEST_CASE("a signature verifies, and fails for another message, key or signature") {
    const auto key = shared::NodeKey::generate();
    const std::string message = shared::signature_message("task-1", "abcd");
    const auto signature = key.sign(shared::as_bytes(message));
    CHECK(shared::verify_signature(key.public_key(), shared::as_bytes(message), signature));
    CHECK_FALSE(shared::verify_signature(key.public_key(), shared::as_bytes("0 | task-1 | abce"), signature));

    auto tampered = signature;
    tampered[10] ^= 0x01;
    CHECK_FALSE(shared::verify_signature(key.public_key(), shared::as_bytes(message), tampered));

    const auto other = shared::NodeKey::generate();
    CHECK(other.public_key() != key.public_key());
    CHECK_FALSE(shared::verify_signature(other.public_key(), shared::as_bytes(message), signature));
}

TEST_CASE("verify_signature is false for wrong sizes") {
    const auto key = shared::NodeKey::generate();
    const auto signature = key.sign(shared::as_bytes("m"));
    const shared::ByteView pk(key.public_key());
    const shared::ByteView sig(signature);
    CHECK_FALSE(shared::verify_signature(pk.first(31), shared::as_bytes("m"), sig));
    CHECK_FALSE(shared::verify_signature(pk, shared::as_bytes("m"), sig.first(63)));
    CHECK_FALSE(shared::verify_signature(shared::Bytes{}, shared::as_bytes("m"), shared::Bytes{}));
}

TEST_CASE("a key file of the wrong size is an error naming the file") {
    TempDir dir("node_key_test.");
    const fs::path file = dir.path() / "node.key";
    write_file(file, std::string(63, 'x'), 0600);
    auto key = shared::NodeKey::load_or_create(file);
    REQUIRE_FALSE(key.ok());
    CHECK(key.error().find(file.string()) != std::string::npos);
    CHECK(key.error().find("63 bytes") != std::string::npos);
    CHECK(fs::file_size(file) == 63);  // never overwritten
}

TEST_CASE("a key file readable by others is an error naming the file and its mode") {
    TempDir dir("node_key_test.");
    const fs::path file = dir.path() / "node.key";
    REQUIRE(shared::NodeKey::load_or_create(file).ok());
    REQUIRE(::chmod(file.c_str(), 0644) == 0);
    auto key = shared::NodeKey::load_or_create(file);
    REQUIRE_FALSE(key.ok());
    CHECK(key.error().find(file.string()) != std::string::npos);
    CHECK(key.error().find("0644") != std::string::npos);

    REQUIRE(::chmod(file.c_str(), 0400) == 0);  // narrower than 0600 is fine
    CHECK(shared::NodeKey::load_or_create(file).ok());
}

TEST_CASE("a key file whose public half does not match its seed is refused") {
    TempDir dir("node_key_test.");
    const fs::path file = dir.path() / "node.key";
    write_file(file, std::string(64, '\x01'), 0600);
    auto key = shared::NodeKey::load_or_create(file);
    REQUIRE_FALSE(key.ok());
    CHECK(key.error().find("does not match") != std::string::npos);
}
