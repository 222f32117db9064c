"""The supervisor's command line as an operator meets it, on the real binary: help
per subcommand, --version, exit codes and messages of refused flags, and start's
flags from a config file and the environment (workers log in the same format)."""
import json
import os
import re
import subprocess

import harness
from harness import check


def run(*args, env=None, timeout=60):
    result = subprocess.run([harness.SUPERVISOR, *args], capture_output=True, text=True, timeout=timeout,
                            env={**os.environ, **(env or {})})
    harness.log("$ supervisor %s -> %d\n%s%s" % (" ".join(args), result.returncode, result.stdout[-1500:],
                                                 result.stderr[-1500:]))
    return result


def flags_in(help_text):
    """The long flags a help text lists, in its options column."""
    return set(re.findall(r"^\s+(?:-\w,)?(--[\w-]+)", help_text, re.M))


def test_help_and_version():
    top = run("--help")
    check(top.returncode == 0 and "Usage: supervisor [OPTIONS] [SUBCOMMAND]" in top.stdout, "top help: %r" % top.stdout)
    for command in ("start", "register-user", "register-node", "logout", "status"):
        check(re.search(r"^\s+%s\s" % command, top.stdout, re.M), "top help does not list %s" % command)
    check("--workers" not in top.stdout, "the top level lists start's flags")

    start = run("start", "--help")
    flags = flags_in(start.stdout)
    check(start.returncode == 0 and {"--workers", "--per-task-threads", "--log-format", "--max-queued",
                                      "--force"} <= flags, "start help flags: %s" % sorted(flags))
    check("--wallet-address" not in flags and " TEXT" not in start.stdout, "start help: %s" % start.stdout)
    check("1/20 of the memory limit, at least 32M, at most 512M; here" in start.stdout, "--memory-reserve default")

    status = run("status", "--help")
    check(status.returncode == 0 and flags_in(status.stdout) == {"--help", "--state-dir", "--json"},
          "status help lists %s" % sorted(flags_in(status.stdout)))

    version = json.load(open(os.path.join(harness.BUILD, "meson-info", "intro-projectinfo.json")))["version"]
    for flag in ("--version", "-V"):
        shown = run(flag)
        check(shown.returncode == 0 and shown.stdout == "provenode supervisor %s\n" % version,
              "%s printed %r" % (flag, shown.stdout))


def readme_table(heading):
    """Rows of the README table under `heading`, as lists of cells."""
    readme = open(os.path.join(os.path.dirname(__file__), "..", "..", "README.md")).read()
    section = readme.split(heading, 1)[1].split("\n### ", 1)[0]
    rows = [re.split(r"(?<!\\)\|", line.strip())[1:-1] for line in section.splitlines() if line.startswith("| `")]
    return [[cell.strip() for cell in row] for row in rows]


def test_readme_agrees_with_help():
    """The README's table of start's flags lists what the help lists, with the same defaults."""
    help_text = run("start", "--help").stdout
    rows = readme_table("### start's flags")
    documented = {re.match(r"`(--[\w-]+)", row[0]).group(1): row[1] for row in rows}
    check(set(documented) == flags_in(help_text) - {"--help"},
          "README and help differ: only in the README %s, only in help %s" % (
              sorted(set(documented) - flags_in(help_text)), sorted(flags_in(help_text) - set(documented) - {"--help"})))
    # Help's defaults come from the code; those that do not depend on the environment must match.
    for flag, default in re.findall(r"^\s+(--[\w-]+) [^\s=]*=(\S+)", help_text, re.M):
        if not default.startswith("/"):
            check(documented[flag] == default, "%s: README says %r, help %r" % (flag, documented[flag], default))
    other = run("status", "--help").stdout
    check({"--state-dir", "--json"} <= {re.match(r"`(--[\w-]+)", row[1]).group(1)
                                        for row in readme_table("### The other subcommands' flags")},
          "status flags missing from the README: %s" % flags_in(other))


def check_refused(result, *needles):
    check(result.returncode == 2, "exit %d, expected 2" % result.returncode)
    check(len(result.stderr.strip().splitlines()) == 1, "not one line: %r" % result.stderr)
    for needle in needles:
        check(needle in result.stderr, "stderr does not say %r: %r" % (needle, result.stderr))


def test_refusals(workdir):
    state = os.path.join(workdir, "refused-state")
    check_refused(run("logout", "--workers", "3"), "--workers", "not a flag of `supervisor logout`", "start")
    check_refused(run("status", "--wallet-address", "0x0"), "--wallet-address", "register-user")
    check_refused(run("start", "--bogus"), "--bogus", "supervisor start --help")
    check_refused(run("frobnicate"), "unknown command 'frobnicate'")
    for address in ("127.0.0.1:99999", ":abc", "bad"):
        check_refused(run("start", "--anonymous", "--state-dir", state, "--metrics-addr", address), "--metrics-addr")
    check_refused(run("start", "--anonymous", "--state-dir", state, "--per-task-threads", "300"), "--per-task-threads")
    # Refused before a worker is started: nothing was spawned, no state was written.
    check_refused(run("start", "--anonymous", "--state-dir", state, "--workers", "%d" % (4 * os.cpu_count() + 1)),
                  "--workers", "--force")
    check_refused(run("start", "--anonymous", "--state-dir", state, env={"PROVENODE_WORKERS": "0"}),
                  "(from PROVENODE_WORKERS)")
    check(not os.path.exists(state), "a refused start made its state directory")
    missing = os.path.join(workdir, "missing.json")
    check_refused(run("start", "--config", missing, "--state-dir", state), "--config", missing, "does not exist")
    gone = run("status", "--state-dir", state)
    check(gone.returncode == 1 and "no node answers" in gone.stderr, "status without a node: %r" % gone.stderr)


def test_config_file_and_environment(workdir):
    """The file names the job; the environment overrides one of its values; the
    workers log JSON as the supervisor does."""
    alloc = (1).to_bytes(4, "little") + (20).to_bytes(4, "little")
    config = os.path.join(workdir, "node.toml")
    with open(config, "w") as f:
        f.write('# start, from a file\nanonymous = true\nworkers = 1\nmax-tasks = 2\nheadless = true\n'
                'anonymous-program = "test_alloc"\nallow-test-programs = true\nanonymous-input = "%s"\n'
                'log-format = "json"\nstate-dir = "%s"\nworker-path = "%s"\n'
                % (alloc.hex(), os.path.join(workdir, "state"), harness.WORKER))
    result = run("--config-file", config, env={"PROVENODE_MAX_TASKS": "3"}, timeout=120)
    check(result.returncode == 0, "start from the config file exited %d" % result.returncode)
    check("accepted=3 " in result.stdout, "the environment did not win over the file: %r" % result.stdout)
    roles = set()
    for line in result.stderr.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            raise harness.Failure("a log line is not JSON: %r" % line)
        check(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$", entry["time"]),
              "time %r is not RFC 3339 with an offset" % entry["time"])
        roles.add(entry["role"].split("#")[0])
    check(roles == {"supervisor", "worker"}, "roles logging JSON: %s" % roles)


def test(workdir, started):
    test_help_and_version()
    test_readme_agrees_with_help()
    test_refusals(workdir)
    test_config_file_and_environment(workdir)


harness.run(test)
