"""Identity: register-user, register-node and logout against the local orchestrator,
the config file they keep, and a `start` that takes its node id and orchestrator
from that file."""
import json
import os
import re
import stat
import subprocess

import harness
from harness import check

WALLET = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"   # EIP-55 spec vector
BAD_CHECKSUM = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"  # last letter's case flipped
UUID_V4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


class Cli:
    """Runs supervisor commands with a private XDG_CONFIG_HOME, so no real config is touched."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.state_dir = os.path.join(workdir, "state")
        self.env = {**os.environ, "XDG_CONFIG_HOME": os.path.join(workdir, "xdg")}

    def run(self, *args, timeout=30):
        # Each subcommand takes only its own flags: --state-dir is start's, logout's and status's.
        state = ["--state-dir", self.state_dir] if args[0] in ("start", "logout", "status") else []
        result = subprocess.run([harness.SUPERVISOR, *args, *state], env=self.env,
                                capture_output=True, text=True, timeout=timeout)
        harness.log("$ supervisor %s -> %d\n%s%s" % (" ".join(args), result.returncode, result.stdout,
                                                     result.stderr))
        return result


def load(path):
    with open(path) as f:
        return json.load(f)


def check_usage_error(result, *needles):
    check(result.returncode == 2, "exit %d, expected 2" % result.returncode)
    for needle in needles:
        check(needle in result.stderr, "stderr does not mention %r: %r" % (needle, result.stderr))
    check(len(result.stderr.strip().splitlines()) == 1, "more than one line of error: %r" % result.stderr)


def test_refusals_before_any_request(cli, config, orchestrator):
    check_usage_error(cli.run("register-user", "--orchestrator-url", orchestrator.url, "--config", config,
                              "--wallet-address", BAD_CHECKSUM), "--wallet-address", "checksum is wrong")
    check_usage_error(cli.run("register-user", "--orchestrator-url", orchestrator.url, "--config", config,
                              "--wallet-address", "0x1234"), "--wallet-address", "40 hex digits")
    check_usage_error(cli.run("register-node", "--orchestrator-url", orchestrator.url, "--config", config),
                      "register-user --wallet-address")
    check_usage_error(cli.run("start", "--orchestrator-url", orchestrator.url), "--node-id", "register-node")
    check_usage_error(cli.run("start", "--orchestrator-url", orchestrator.url, "--config", config, "--node-id", "n",
                              "--location", "DEU"), "--location")
    # A --config named on purpose must exist: a typo is not "nobody registered yet".
    check_usage_error(cli.run("start", "--orchestrator-url", orchestrator.url, "--config", config, "--node-id", "n"),
                      "--config", config, "does not exist")
    check_usage_error(cli.run("register-node", "--node-id", "n", "--config", config), "--node-id",
                      "not a flag of `supervisor register-node`")
    check(not os.path.exists(config), "a refused command wrote " + config)
    check(orchestrator.scalar("SELECT COUNT(*) FROM users") == 0, "a refused command registered a user")


def test_register(cli, config, orchestrator):
    result = cli.run("register-user", "--orchestrator-url", orchestrator.url, "--config", config,
                     "--wallet-address", WALLET)
    check(result.returncode == 0, "register-user exited %d" % result.returncode)
    saved = load(config)
    user_id = orchestrator.scalar("SELECT user_id FROM users WHERE wallet_address = ?", WALLET)
    check(user_id and saved.get("user_id") == user_id, "config user %s, orchestrator user %s" % (saved, user_id))
    check(UUID_V4.match(user_id), "user id %r is not a UUIDv4 with the RFC variant" % user_id)
    check(saved.get("wallet_address") == WALLET and saved.get("orchestrator_url") == orchestrator.url,
          "config after register-user: %s" % saved)
    check("registered user %s for wallet %s" % (user_id, WALLET) in result.stdout, "stdout: %r" % result.stdout)
    check(stat.S_IMODE(os.stat(config).st_mode) == 0o600, "config mode %o" % os.stat(config).st_mode)

    # Again for the same wallet: the server keeps the first user, and so does the config.
    again = cli.run("register-user", "--config", config, "--wallet-address", WALLET)
    check(again.returncode == 0 and load(config)["user_id"] == user_id, "second register-user changed the user")

    # No --orchestrator-url: the one saved by register-user is used.
    result = cli.run("register-node", "--config", config)
    check(result.returncode == 0, "register-node exited %d" % result.returncode)
    node_id = load(config).get("node_id")
    check(node_id and ("registered node %s" % node_id) in result.stdout, "node %r, stdout %r" % (node_id, result.stdout))
    row = orchestrator.query("SELECT user_id, registered, node_type FROM nodes WHERE node_id = ?", node_id)
    check(row == [(user_id, 1, 1)], "orchestrator's row for node %s: %s" % (node_id, row))
    check(load(config)["user_id"] == user_id, "register-node lost the user id")
    return node_id


def test_start_from_config(cli, config, orchestrator, node_id):
    """No --node-id, no --orchestrator-url: both come from the config; the orchestrator
    runs with --strict-nodes, so a task reaches the node only under its registered id."""
    result = cli.run("start", "--config", config, "--headless", "--startup-jitter", "0", "--workers", "1",
                     "--max-tasks", "1", "--worker-path", harness.WORKER, timeout=90)
    check(result.returncode == 0, "start from config exited %d" % result.returncode)
    rows = orchestrator.query("SELECT node_id, state FROM tasks")
    check(rows == [(node_id, "accepted")], "tasks: %s" % rows)


def test_unknown_node(cli, orchestrator):
    """GET /v3/nodes/{id} at start: a node the orchestrator does not know is a clear error (exit 2)."""
    result = cli.run("start", "--orchestrator-url", orchestrator.url, "--node-id", "no-such-node", "--headless",
                     "--startup-jitter", "0", "--workers", "1", "--worker-path", harness.WORKER, timeout=60)
    check(result.returncode == 2, "start with an unknown node exited %d" % result.returncode)
    check("no-such-node" in result.stderr and "register-node" in result.stderr,
          "the error does not name the node and the fix: %s" % result.stderr[-300:])
    fetches = orchestrator.scalar("SELECT COUNT(*) FROM requests WHERE endpoint='fetch' AND path LIKE '%'")
    check(orchestrator.scalar("SELECT COUNT(*) FROM tasks WHERE node_id='no-such-node'") == 0,
          "an unknown node was given tasks (fetches: %s)" % fetches)


def test_server_and_network_errors(cli, workdir, orchestrator):
    stranger = os.path.join(workdir, "stranger.json")
    with open(stranger, "w") as f:
        json.dump({"user_id": "no-such-user", "orchestrator_url": orchestrator.url}, f)
    result = cli.run("register-node", "--config", stranger)
    check(result.returncode == 1, "register-node for an unknown user exited %d" % result.returncode)
    check("404" in result.stderr and "no user no-such-user" in result.stderr, "stderr: %r" % result.stderr)

    dead = "http://127.0.0.1:%d" % closed_port()
    result = cli.run("register-user", "--orchestrator-url", dead, "--config", os.path.join(workdir, "dead.json"),
                     "--wallet-address", WALLET.lower())
    check(result.returncode == 1, "register-user against a closed port exited %d" % result.returncode)
    check("cannot reach" in result.stderr and len(result.stderr.strip().splitlines()) == 1,
          "stderr: %r" % result.stderr)
    check(not os.path.exists(os.path.join(workdir, "dead.json")), "a failed registration wrote a config")


def closed_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_logout(cli, config, workdir):
    key = os.path.join(cli.state_dir, "node.key")
    check(os.path.exists(key), "start should have made the node key")
    result = cli.run("logout", "--config", config)
    check(result.returncode == 0 and "removed " + config in result.stdout, "logout: %r" % result.stdout)
    check(not os.path.exists(config), "logout left " + config)
    check(os.path.exists(key), "logout removed the node key")
    result = cli.run("logout", "--config", config)
    check(result.returncode == 0 and "nothing to remove" in result.stdout, "second logout: %r" % result.stdout)
    not_ours = os.path.join(workdir, "notes.txt")
    with open(not_ours, "w") as f:
        f.write("not a config\n")
    check_usage_error(cli.run("logout", "--config", not_ours), not_ours, "not removed")
    check(os.path.exists(not_ours), "logout deleted a file that is not a config")


def test_default_path(cli, orchestrator):
    """Without --config the file lives in $XDG_CONFIG_HOME/provenode/, in a 0700 directory.
    The wallet typed in lower case is the same wallet: stored, sent and matched in its EIP-55
    spelling, so the orchestrator still has one user for it."""
    result = cli.run("register-user", "--orchestrator-url", orchestrator.url, "--wallet-address", WALLET.lower())
    check(result.returncode == 0, "register-user with the default path exited %d" % result.returncode)
    directory = os.path.join(cli.env["XDG_CONFIG_HOME"], "provenode")
    saved = load(os.path.join(directory, "config.json"))
    check(saved.get("wallet_address") == WALLET, "wallet saved as %r, not in its EIP-55 form" % saved)
    users = orchestrator.query("SELECT user_id, wallet_address FROM users WHERE lower(wallet_address) = ?",
                               WALLET.lower())
    check(len(users) == 1 and users[0][1] == WALLET and saved.get("user_id") == users[0][0],
          "one wallet, two spellings: users %s, config %s" % (users, saved))
    check("for wallet %s" % WALLET in result.stdout, "stdout: %r" % result.stdout)
    check(stat.S_IMODE(os.stat(directory).st_mode) == 0o700, "directory mode %o" % os.stat(directory).st_mode)
    check(cli.run("logout").returncode == 0 and not os.listdir(directory), "logout left the default config")


def test(workdir, started):
    orchestrator = harness.Orchestrator(workdir, "--strict-nodes", "--difficulty", "small", "--inputs", "1:1")
    started.append(orchestrator)
    cli = Cli(workdir)
    config = os.path.join(workdir, "identity", "config.json")
    test_refusals_before_any_request(cli, config, orchestrator)
    node_id = test_register(cli, config, orchestrator)
    test_start_from_config(cli, config, orchestrator, node_id)
    test_unknown_node(cli, orchestrator)
    test_server_and_network_errors(cli, workdir, orchestrator)
    test_logout(cli, config, workdir)
    test_default_path(cli, orchestrator)


harness.run(test)
