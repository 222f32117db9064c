"""Process-test harness: the real local orchestrator, supervisor and workers.

Every test gets a fresh temporary directory, an orchestrator on a loopback port
chosen by the kernel, and helpers to query its SQLite database. Everything a
test starts is stopped at the end, and the test fails if any worker outlives
its supervisor.
"""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

BUILD = os.environ.get("PROVENODE_BUILD") or os.path.join(os.path.dirname(__file__), "..", "..", "build")
ORCHESTRATOR = os.path.join(BUILD, "tests", "orchestrator", "local-orchestrator")
SUPERVISOR = os.path.join(BUILD, "supervisor", "supervisor")
WORKER = os.path.join(BUILD, "worker", "worker")
SKIP = 77  # meson's "skipped" exit status


def log(*args):
    print(*args, flush=True)


class Failure(AssertionError):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


class Orchestrator:
    def __init__(self, workdir, *args):
        self.workdir = workdir
        self.db = os.path.join(workdir, "orchestrator.db")
        port_file = os.path.join(workdir, "orchestrator.port")
        self.log_path = os.path.join(workdir, "orchestrator.log")
        self.proc = subprocess.Popen(
            [ORCHESTRATOR, "--db", self.db, "--port-file", port_file, *args],
            stdout=subprocess.DEVNULL, stderr=open(self.log_path, "w"))
        deadline = time.time() + 10
        while not os.path.exists(port_file):
            check(self.proc.poll() is None, "local-orchestrator exited at start; see " + self.log_path)
            check(time.time() < deadline, "local-orchestrator did not listen within 10 s")
            time.sleep(0.02)
        self.port = int(open(port_file).read().strip())
        self.url = "http://127.0.0.1:%d" % self.port

    def query(self, sql, *params):
        with sqlite3.connect(self.db, timeout=10) as db:
            return db.execute(sql, params).fetchall()

    def scalar(self, sql, *params):
        rows = self.query(sql, *params)
        return rows[0][0] if rows else None

    def admin(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as reply:
            return json.loads(reply.read() or b"null")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def register_node(workdir, orchestrator_url, name="node"):
    """Registers a user and a node with the orchestrator through the supervisor's own
    commands; returns (config file, node id)."""
    config = os.path.join(workdir, name + ".config.json")
    wallet = "0x" + os.urandom(20).hex()
    for command in (["register-user", "--wallet-address", wallet, "--orchestrator-url", orchestrator_url],
                    ["register-node"]):
        done = subprocess.run([SUPERVISOR, *command, "--config", config], capture_output=True, text=True, timeout=30)
        check(done.returncode == 0, "supervisor %s failed: %s" % (command[0], done.stderr.strip()))
    return config, json.load(open(config))["node_id"]


class Supervisor:
    def __init__(self, workdir, orchestrator_url, *args, node_id=None, state_dir=None, name="supervisor",
                 env=None, wrapper=()):
        """Starts `supervisor start`. Without node_id, a node is registered first (as an
        operator would) and the supervisor finds its id in the config file."""
        self.state_dir = state_dir or os.path.join(workdir, "state")
        self.out_path = os.path.join(workdir, name + ".out")
        self.log_path = os.path.join(workdir, name + ".log")
        if node_id is None:
            config, self.node_id = register_node(workdir, orchestrator_url, name)
            identity = ["--config", config]
        else:
            self.node_id = node_id
            identity = ["--node-id", node_id]
        command = [*wrapper, SUPERVISOR, "start", "--orchestrator-url", orchestrator_url, *identity,
                   "--state-dir", self.state_dir, "--headless", "--startup-jitter", "0",
                   "--worker-path", WORKER, *args]
        self.proc = subprocess.Popen(command, stdout=open(self.out_path, "w"), stderr=open(self.log_path, "w"),
                                     env={**os.environ, **(env or {})})
        self.pid = self.proc.pid

    def wait(self, timeout):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise Failure("supervisor did not finish within %d s; see %s" % (timeout, self.log_path))

    def output(self):
        return open(self.out_path).read()

    def log_text(self):
        return open(self.log_path).read()

    def summary(self):
        for line in self.output().splitlines():
            if line.startswith("summary:"):
                return dict(item.split("=", 1) for item in line.split()[1:] if "=" in item)
        raise Failure("no summary line in " + self.out_path)

    def workers(self):
        return worker_pids(self.pid)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def worker_pids(parent_pid):
    """Worker processes started by this supervisor (their --parent-pid), alive or zombie."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            argv = open("/proc/%s/cmdline" % entry, "rb").read().split(b"\0")
            state = open("/proc/%s/stat" % entry).read().split(")")[-1].split()[0]
        except OSError:
            continue
        if len(argv) > 1 and argv[0].endswith((b"/worker", b"/provenode-worker")) and argv[1] == b"serve" and state != "Z":
            if b"--parent-pid" in argv and argv[argv.index(b"--parent-pid") + 1] == str(parent_pid).encode():
                found.append(int(entry))
    return found


def alive(pid):
    """True for a running process; a zombie waiting for its reaper is dead."""
    try:
        return open("/proc/%d/stat" % pid).read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def http_get(url, timeout=10):
    """(status, body) of a GET; a 4xx or 5xx answer is returned, not raised."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def wait_until(predicate, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise Failure("timed out after %.0f s waiting for %s" % (timeout, what))


def assert_no_workers_left(supervisor, timeout=5):
    wait_until(lambda: not worker_pids(supervisor.pid), timeout, "workers of supervisor %d to exit" % supervisor.pid)


def assert_each_accepted_once(orchestrator, expected):
    accepted = orchestrator.scalar("SELECT COUNT(*) FROM tasks WHERE state = 'accepted'")
    rejected = orchestrator.scalar("SELECT COUNT(*) FROM submissions WHERE outcome = 'rejected'")
    twice = orchestrator.query("SELECT task_id, COUNT(*) FROM submissions WHERE outcome IN ('accepted', 'repeat') "
                               "GROUP BY task_id HAVING COUNT(*) > 1")
    check(accepted == expected, "%s tasks accepted, expected %d" % (accepted, expected))
    check(rejected == 0, "%d submissions rejected: %s" % (
        rejected, orchestrator.query("SELECT task_id, status, message FROM submissions WHERE outcome='rejected'")))
    check(not twice, "tasks submitted twice: %s" % twice)


def run(test):
    """Runs test(workdir, cleanup) and maps the outcome to an exit status."""
    workdir = tempfile.mkdtemp(prefix="provenode-test-")
    started = []
    status = 0
    try:
        test(workdir, started)
        log("PASS (work dir %s)" % workdir)
    except Failure as failure:
        log("FAIL:", failure)
        status = 1
    finally:
        for thing in reversed(started):
            thing.stop()
    if status:
        for name in sorted(os.listdir(workdir)):
            if name.endswith((".log", ".out")):
                text = open(os.path.join(workdir, name), errors="replace").read()
                log("---- %s (last 60 lines)\n%s" % (name, "\n".join(text.splitlines()[-60:])))
    sys.exit(status)
