// The node's Ed25519 key: libsodium keys in a 0600 file written atomically.
#include "shared/node_key.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>

#include "shared/durable_file.h"

namespace shared {
namespace {

constexpr std::size_t kSecretKeySize = crypto_sign_SECRETKEYBYTES;  // seed || public key
static_assert(kSecretKeySize == 64 && crypto_sign_PUBLICKEYBYTES == 32 && crypto_sign_BYTES == 64);

// libsodium must be initialised once before use; call_once makes that safe
// however many threads reach for a key first.
void ensure_sodium() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (sodium_init() < 0) std::abort();  // no entropy source: nothing can be signed
    });
}

Error file_error(const std::filesystem::path& file, const std::string& what) {
    return fail("key file " + file.string() + ": " + what);
}

Error errno_error(const std::filesystem::path& file, const std::string& what) {
    return file_error(file, what + ": " + std::strerror(errno));
}

std::string octal_mode(mode_t mode) {
    char text[8];
    std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
    return text;
}

Expected<std::array<std::uint8_t, 64>> read_key(const std::filesystem::path& file) {
    UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (fd.get() < 0) return errno_error(file, "cannot open");
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return errno_error(file, "cannot stat");
    if (!S_ISREG(st.st_mode)) return file_error(file, "not a regular file");
    if ((st.st_mode & 077) != 0) {
        return file_error(file, "mode " + octal_mode(st.st_mode) +
                                    " is wider than 0600 (the secret key must be private; chmod 600 it)");
    }
    if (static_cast<std::size_t>(st.st_size) != kSecretKeySize) {
        return file_error(file, "size " + std::to_string(st.st_size) + " bytes, expected " +
                                    std::to_string(kSecretKeySize) + " (libsodium seed || public key)");
    }
    std::array<std::uint8_t, 64> key{};
    std::size_t got = 0;
    while (got < key.size()) {
        const ssize_t n = ::read(fd.get(), key.data() + got, key.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return errno_error(file, "cannot read");
        got += static_cast<std::size_t>(n);
    }
    return key;
}

// libsodium's secret key carries the public key; a file whose halves disagree was
// corrupted or hand-edited, and signing with it would produce unverifiable signatures.
bool consistent(const std::array<std::uint8_t, 64>& secret_key) {
    PublicKey derived{};
    std::array<std::uint8_t, 64> scratch{};
    crypto_sign_seed_keypair(derived.data(), scratch.data(), secret_key.data());
    sodium_memzero(scratch.data(), scratch.size());
    return sodium_memcmp(derived.data(), secret_key.data() + 32, 32) == 0;
}

}  // namespace

Expected<NodeKey> NodeKey::load_or_create(const std::filesystem::path& file) {
    ensure_sodium();
    NodeKey key;
    struct stat st {};
    if (::lstat(file.c_str(), &st) == 0) {
        auto secret = read_key(file);
        if (!secret) return Error{secret.error()};
        if (!consistent(*secret)) return file_error(file, "public key half does not match the seed");
        key.secret_key_ = *secret;
    } else if (errno == ENOENT) {
        // The state directory holds a secret, so nobody else needs to list it.
        if (Status made = create_private_directories(file.parent_path()); !made) {
            return file_error(file, made.error());
        }
        key = generate();
        // Written durably: a crash leaves either no key or a whole one, never a
        // truncated file that would lose the node's identity.
        if (Status written = write_file_durably(file, key.secret_key_, 0600); !written) {
            return file_error(file, written.error());
        }
    } else {
        return errno_error(file, "cannot stat");
    }
    std::memcpy(key.public_key_.data(), key.secret_key_.data() + 32, 32);
    return key;
}

NodeKey NodeKey::generate() {
    ensure_sodium();
    NodeKey key;
    crypto_sign_keypair(key.public_key_.data(), key.secret_key_.data());
    return key;
}

Signature NodeKey::sign(ByteView message) const {
    Signature signature{};
    crypto_sign_detached(signature.data(), nullptr, message.data(), message.size(), secret_key_.data());
    return signature;
}

bool verify_signature(ByteView public_key, ByteView message, ByteView signature) {
    if (public_key.size() != crypto_sign_PUBLICKEYBYTES || signature.size() != crypto_sign_BYTES) {
        return false;
    }
    ensure_sodium();
    return crypto_sign_verify_detached(signature.data(), message.data(), message.size(),
                                       public_key.data()) == 0;
}

}  // namespace shared
