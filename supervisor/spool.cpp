// Spool files: "PNSPOOL1", u32 task id length, task id, u64 payload length,
// payload, then Keccak-256 of everything before it, so a torn or altered file is
// recognised and set aside instead of submitted.
#include "supervisor/spool.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "shared/durable_file.h"
#include "shared/keccak.h"

namespace supervisor {

namespace {

constexpr char kMagic[8] = {'P', 'N', 'S', 'P', 'O', 'O', 'L', '1'};
constexpr std::size_t kMaxFileBytes = 300u << 20;
// 244 hex digits + ".spool.tmp" is the most NAME_MAX (255) holds; every id that fits keeps
// the hex name it always had, so spools written before long ids were hashed still load.
constexpr std::size_t kMaxHexNamedId = 122;

shared::Error errno_error(const std::string& what, const std::filesystem::path& path) {
    return shared::fail(what + " " + path.string() + ": " + std::strerror(errno));
}

shared::Bytes serialise(const std::string& task_id, shared::ByteView submission) {
    shared::Bytes out(kMagic, kMagic + 8);
    std::uint8_t len[8];
    shared::store_le32(len, static_cast<std::uint32_t>(task_id.size()));
    out.insert(out.end(), len, len + 4);
    out.insert(out.end(), task_id.begin(), task_id.end());
    shared::store_le64(len, submission.size());
    out.insert(out.end(), len, len + 8);
    out.insert(out.end(), submission.begin(), submission.end());
    const auto digest = shared::keccak256(out);
    out.insert(out.end(), digest.begin(), digest.end());
    return out;
}

shared::Expected<Spool::Entry> parse(const shared::Bytes& file) {
    if (file.size() < 8 + 4 + 8 + 32) return shared::fail("file is " + std::to_string(file.size()) + " bytes, too short");
    if (!std::equal(kMagic, kMagic + 8, file.begin())) return shared::fail("no spool header");
    const shared::ByteView body(file.data(), file.size() - 32);
    const auto digest = shared::keccak256(body);
    if (!std::equal(digest.begin(), digest.end(), file.end() - 32)) return shared::fail("checksum mismatch (torn or altered)");
    const std::uint32_t id_len = shared::load_le32(file.data() + 8);
    if (id_len == 0 || 12 + id_len + 8 > body.size()) return shared::fail("task id length out of range");
    const std::uint64_t payload_len = shared::load_le64(file.data() + 12 + id_len);
    if (12 + id_len + 8 + payload_len != body.size()) return shared::fail("payload length does not match the file");
    Spool::Entry entry;
    entry.task_id.assign(reinterpret_cast<const char*>(file.data() + 12), id_len);
    entry.submission.assign(file.begin() + 12 + id_len + 8, file.end() - 32);
    return entry;
}

}  // namespace

std::filesystem::path Spool::file_for(const std::string& task_id) const {
    // Task ids come from the server: hex keeps any of them a safe file name. Hex
    // doubles the length, and the codec allows ids of 128 bytes, more than a file
    // name (255 bytes, with ".spool.tmp") can hold: a long id is named by its hash,
    // under a prefix that no hex name has.
    if (task_id.size() <= kMaxHexNamedId) return directory_ / (shared::to_hex(shared::as_bytes(task_id)) + ".spool");
    return directory_ / ("k" + shared::keccak256_hex(shared::as_bytes(task_id)) + ".spool");
}

shared::Status Spool::open() const {
    std::error_code ec;
    std::filesystem::create_directories(directory_ / "corrupt", ec);
    if (ec) return shared::fail("cannot create spool directory " + directory_.string() + ": " + ec.message());
    std::filesystem::permissions(directory_, std::filesystem::perms::owner_all, ec);
    return shared::Ok{};
}

shared::Status Spool::write(const std::string& task_id, shared::ByteView submission) const {
    // load() refuses an entry without a task id, so writing one would only hide the loss.
    if (task_id.empty()) return shared::fail("cannot spool a submission without a task id");
    // Written durably: the data reaches the disk before the rename makes it visible as a
    // spool entry, and the rename is synced before the first submission goes out. Every
    // write has a temp name of its own (two writes of one task never share one), ending
    // in ".tmp" so that load() sweeps up a write that never reached its rename.
    return shared::write_file_durably(file_for(task_id), serialise(task_id, submission), 0600,
                                      shared::TempName::Unique);
}

shared::Status Spool::remove(const std::string& task_id) const {
    const auto path = file_for(task_id);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return errno_error("cannot remove", path);
    return shared::Ok{};
}

namespace {

// The whole file, within the spool's bound; errors name the file and errno.
shared::Expected<shared::Bytes> read_bounded(const std::filesystem::path& path) {
    shared::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) return errno_error("cannot open", path);
    shared::Bytes bytes;
    std::uint8_t buffer[1 << 16];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errno_error("cannot read", path);
        if (n == 0) return bytes;
        if (bytes.size() + static_cast<std::size_t>(n) > kMaxFileBytes) {
            return shared::fail(path.string() + ": larger than " + std::to_string(kMaxFileBytes) + " bytes");
        }
        bytes.insert(bytes.end(), buffer, buffer + n);
    }
}

}  // namespace

shared::Expected<shared::Bytes> Spool::read(const std::string& task_id) const {
    const auto path = file_for(task_id);
    auto bytes = read_bounded(path);
    if (!bytes) return shared::fail(bytes.error());
    auto entry = parse(*bytes);
    if (!entry) return shared::fail(path.string() + ": " + entry.error());
    if (entry->task_id != task_id) return shared::fail(path.string() + ": holds another task");
    return std::move(entry->submission);
}

// A name in corrupt/ that no earlier set-aside file has.
std::filesystem::path Spool::aside_path(const std::filesystem::path& file) const {
    const auto base = directory_ / "corrupt" / file.filename();
    std::error_code ec;
    if (!std::filesystem::exists(base, ec)) return base;
    for (unsigned n = 1;; ++n) {
        auto candidate = base;
        candidate += "." + std::to_string(n);
        if (!std::filesystem::exists(candidate, ec)) return candidate;
    }
}

void Spool::check_entry(const std::filesystem::path& path, Loaded& loaded) const {
    std::string problem;
    if (path.extension() != ".spool") {
        problem = "not a spool file";
    } else if (auto bytes = read_bounded(path); !bytes) {
        problem = bytes.error();
    } else if (auto entry = parse(*bytes); !entry) {
        problem = entry.error();
    } else if (path.filename() != file_for(entry->task_id).filename()) {
        // A good entry under another name (renamed or copied) could never be removed by
        // remove(task_id), and would be submitted again at every start.
        problem = "the task inside belongs in " + file_for(entry->task_id).filename().string();
    } else {
        loaded.task_ids.push_back(entry->task_id);
        return;
    }
    const auto aside = aside_path(path);
    std::error_code ec;
    std::filesystem::rename(path, aside, ec);
    loaded.problems.push_back(path.string() + ": " + problem +
                              (ec ? "; cannot move it to " + aside.string() + " (" + ec.message() + "), left in place"
                                  : "; moved to " + aside.string()));
}

Spool::Loaded Spool::load() const {
    Loaded loaded;
    std::error_code ec;
    std::filesystem::directory_iterator it(directory_, ec);
    if (ec) {
        loaded.problems.push_back("cannot read the spool directory " + directory_.string() + ": " + ec.message());
        return loaded;
    }
    for (const std::filesystem::directory_iterator end; it != end; it.increment(ec)) {
        if (ec) break;
        const auto path = it->path();
        std::error_code type_ec;
        const auto status = it->symlink_status(type_ec);
        if (type_ec) {
            if (type_ec != std::errc::no_such_file_or_directory) {
                loaded.problems.push_back(path.string() + ": " + type_ec.message() + "; skipped");
            }
            continue;  // a file that vanished meanwhile is no problem
        }
        if (!std::filesystem::is_regular_file(status)) continue;
        if (path.extension() == ".tmp") {  // a write that never reached its rename
            std::error_code rm_ec;
            std::filesystem::remove(path, rm_ec);
            continue;
        }
        check_entry(path, loaded);
    }
    if (ec) loaded.problems.push_back("reading the spool directory " + directory_.string() + ": " + ec.message());
    return loaded;
}

}  // namespace supervisor
