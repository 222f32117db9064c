// The identity file: read and checked as JSON (nlohmann), written whole or not at all.
#include "supervisor/node_config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>

#include "shared/durable_file.h"
#include "shared/eip55.h"

namespace supervisor {
namespace {

// A hand-edited file that grew past this is not ours; refusing it keeps a bad
// path (a log, a device) from being read into memory.
constexpr std::size_t kMaxConfigBytes = 64 * 1024;

shared::Error file_error(const std::filesystem::path& path, const std::string& what) {
    return shared::fail("config file " + path.string() + ": " + what);
}

shared::Error errno_error(const std::filesystem::path& path, const std::string& what) {
    return file_error(path, what + ": " + std::strerror(errno));
}

// nullopt when the file does not exist; otherwise its bytes or an error.
shared::Expected<std::optional<std::string>> read_file(const std::filesystem::path& path) {
    shared::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
        if (errno == ENOENT) return std::optional<std::string>();
        return errno_error(path, "cannot open");
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return errno_error(path, "cannot stat");
    if (!S_ISREG(st.st_mode)) return file_error(path, "not a regular file");
    std::string text;
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errno_error(path, "cannot read");
        if (n == 0) break;
        text.append(buffer, static_cast<std::size_t>(n));
        if (text.size() > kMaxConfigBytes) return file_error(path, "larger than 64 KiB; not a provenode config");
    }
    return std::optional<std::string>(std::move(text));
}

// A missing field is empty; a present one must be a string.
shared::Status read_field(const nlohmann::json& json, const char* name, std::string& out) {
    const auto it = json.find(name);
    if (it == json.end()) return shared::Ok{};
    if (!it->is_string()) return shared::fail(std::string(name) + " is " + it->type_name() + ", expected a string");
    out = it->get<std::string>();
    return shared::Ok{};
}

shared::Expected<NodeConfig> parse(const std::string& text) {
    nlohmann::json json;
    try {
        json = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        return shared::fail(std::string("not JSON (") + e.what() + ")");
    }
    if (!json.is_object()) return shared::fail(std::string("is a JSON ") + json.type_name() + ", expected an object");
    NodeConfig config;
    const std::pair<const char*, std::string*> fields[] = {{"user_id", &config.user_id},
                                                           {"wallet_address", &config.wallet_address},
                                                           {"node_id", &config.node_id},
                                                           {"orchestrator_url", &config.orchestrator_url}};
    for (const auto& [name, field] : fields) {
        if (auto s = read_field(json, name, *field); !s) return shared::fail(s.error());
    }
    const std::string& url = config.orchestrator_url;
    if (!url.empty() && !url.starts_with("http://") && !url.starts_with("https://")) {
        return shared::fail("orchestrator_url '" + url + "' is not an http:// or https:// URL");
    }
    // A file written by hand, or by an older version, may spell the wallet in any
    // case: it is read back in the one form the node compares and sends.
    if (!config.wallet_address.empty()) {
        auto canonical = shared::canonical_wallet_address(config.wallet_address);
        if (!canonical) return shared::fail("wallet_address " + canonical.error());
        config.wallet_address = std::move(*canonical);
    }
    return config;
}

std::string to_json(const NodeConfig& config) {
    nlohmann::json json = nlohmann::json::object();
    // Empty fields are left out, so the file shows what registration has happened.
    if (!config.user_id.empty()) json["user_id"] = config.user_id;
    if (!config.wallet_address.empty()) json["wallet_address"] = config.wallet_address;
    if (!config.node_id.empty()) json["node_id"] = config.node_id;
    if (!config.orchestrator_url.empty()) json["orchestrator_url"] = config.orchestrator_url;
    return json.dump(2) + "\n";
}

}  // namespace

shared::Expected<std::optional<NodeConfig>> NodeConfig::load(const std::filesystem::path& path) {
    auto text = read_file(path);
    if (!text) return shared::fail(text.error());
    if (!*text) return std::optional<NodeConfig>();
    auto config = parse(**text);
    if (!config) return file_error(path, config.error());
    return std::optional<NodeConfig>(std::move(*config));
}

// Written durably: a crash leaves the old file or the new one, never a truncated
// file that would forget the node id.
shared::Status NodeConfig::save(const std::filesystem::path& path) const {
    // Missing directories above the file get mode 0700: the file says which wallet
    // this machine proves for, which is nobody else's business.
    if (auto made = shared::create_private_directories(path.parent_path()); !made) {
        return file_error(path, made.error());
    }
    if (auto written = shared::write_file_durably(path, shared::as_bytes(to_json(*this)), 0600); !written) {
        return file_error(path, written.error());
    }
    return shared::Ok{};
}

shared::Expected<bool> NodeConfig::remove(const std::filesystem::path& path) {
    if (::unlink(path.c_str()) == 0) return true;
    if (errno == ENOENT) return false;
    return errno_error(path, "cannot remove");
}

}  // namespace supervisor
