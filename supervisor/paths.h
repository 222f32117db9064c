// Where the node's files are when no flag says: systemd's unit directories, then XDG, then fixed places.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

namespace supervisor {

// Looks one environment variable up (nullptr when unset). Tests pass their own;
// everything else reads the process's environment.
using Getenv = std::function<const char*(const char*)>;
const char* process_getenv(const char* name);

// $STATE_DIRECTORY (a unit's StateDirectory=), else $XDG_STATE_HOME/provenode,
// else ~/.local/state/provenode, else /var/lib/provenode.
std::filesystem::path default_state_dir(const Getenv& getenv = process_getenv);

// $CONFIGURATION_DIRECTORY/config.json (a unit's ConfigurationDirectory=), else
// $XDG_CONFIG_HOME/provenode/config.json, else ~/.config/provenode/config.json,
// else /etc/provenode/config.json.
std::filesystem::path default_config_path(const Getenv& getenv = process_getenv);

// Where the worker socket's private directory is made: $RUNTIME_DIRECTORY (a
// unit's RuntimeDirectory=), else $XDG_RUNTIME_DIR when it is writable, else /tmp.
std::filesystem::path runtime_base(const Getenv& getenv = process_getenv);

// Where `meson install` put the executables; compiled in from the build's prefix.
struct InstallLayout {
    std::filesystem::path bindir;  // provenode-supervisor
    std::filesystem::path worker;  // the installed worker executable (under libexecdir)

    static InstallLayout compiled_in();
};

// The worker executable for a supervisor at `self` (its /proc/self/exe): `flag`
// when given; else the installed worker when `self` runs from the installed
// bindir; else a provenode-worker beside `self`; else the build tree's
// (build/supervisor/.. /worker/provenode-worker). With none of them executable,
// the first candidate, so that the error names a path that was tried.
std::filesystem::path find_worker(const std::string& flag, const std::filesystem::path& self,
                                  const InstallLayout& layout = InstallLayout::compiled_in());

// This process's executable, from /proc/self/exe (empty if it cannot be read).
std::filesystem::path self_executable();

}  // namespace supervisor
