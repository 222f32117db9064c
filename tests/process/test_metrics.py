"""Metrics (DESIGN.md "Operating it"): what /metrics says agrees with the orchestrator's
database: tasks accepted, proofs made, submissions answered 200, workers, queue and
memory budget; counters start at 0; a worker killed by someone else is counted as such.
A worker's RSS series goes with the worker (SIGTTIN then SIGTTOU), over IPv6 where the
host has it. --metrics-addr: a bad port is a usage error (exit 2) and a port in use a
one-line start-up error (exit 1), each naming the flag. Then anonymous mode: 2000
built-in test_noop tasks with no network request at all."""
import os
import re
import signal
import socket
import shutil
import subprocess
import time
import urllib.request

import harness
from harness import check

TASKS = 10
WORKERS = 2
ANONYMOUS_TASKS = 2000


def scrape(url):
    """The Prometheus text format as {(name, ((label, value), ...)): value}."""
    with urllib.request.urlopen(url, timeout=5) as reply:
        check(reply.status == 200, "/metrics answered %d" % reply.status)
        text = reply.read().decode()
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)", line)
        check(match, "unparsable metrics line: %r" % line)
        labels = tuple(sorted(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(2) or "")))
        samples[(match.group(1), labels)] = float(match.group(3))
    return samples


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))))


def accepted_in_db(orchestrator):
    return orchestrator.scalar("SELECT COUNT(*) FROM tasks WHERE state='accepted'")


def with_orchestrator(workdir, started):
    orchestrator = harness.Orchestrator(workdir, "--program", "argon2id_pow", "--inputs", "1:3",
                                        "--max-tasks", str(TASKS))
    started.append(orchestrator)
    supervisor = harness.Supervisor(workdir, orchestrator.url, "--workers", str(WORKERS), "--per-task-threads", "2",
                                    "--metrics-addr", "127.0.0.1:0")
    started.append(supervisor)
    found = harness.wait_until(lambda: re.search(r"metrics on http://127\.0\.0\.1:(\d+)/metrics", supervisor.log_text()),
                               10, "'metrics on http://127.0.0.1:PORT/metrics' in the log")
    port = int(found.group(1))
    check(port > 0, "metrics port %d" % port)
    url = "http://127.0.0.1:%d/metrics" % port

    harness.wait_until(lambda: accepted_in_db(orchestrator) == TASKS, 120, "%d tasks accepted in the DB" % TASKS)
    # The database accepts before the node reads the answer: wait for the node's ledger.
    harness.wait_until(lambda: value(scrape(url), "provenode_tasks_total", state="accepted") == TASKS, 15,
                       "provenode_tasks_total{state=\"accepted\"} == %d" % TASKS)
    # Gauges are updated every 100 ms: let the pool settle with nothing left to do.
    harness.wait_until(lambda: value(scrape(url), "provenode_workers", state="ready") == WORKERS, 15,
                       "both workers ready")
    samples = scrape(url)

    for cause in ("killed", "crash", "oom", "guard", "hang", "overdue", "exit", "clean"):
        check(value(samples, "provenode_worker_restarts_total", cause=cause) == 0, "restarts{%s} not at 0" % cause)
    check(value(samples, "provenode_tasks_total", state="rejected") == 0, "tasks_total{rejected} not at 0")
    check(accepted_in_db(orchestrator) == TASKS, "DB accepted changed to %s" % accepted_in_db(orchestrator))
    check(value(samples, "provenode_tasks_total", state="accepted") == TASKS,
          "tasks_total{accepted} = %s" % value(samples, "provenode_tasks_total", state="accepted"))
    inputs = sum(len(row[0].split(",")) for row in
                 orchestrator.query("SELECT inputs_hex FROM tasks WHERE state='accepted'"))
    check(inputs > TASKS, "the orchestrator issued one input per task (%d); --inputs 1:3 should vary" % inputs)
    check(value(samples, "provenode_proofs_total") == inputs,
          "proofs_total = %s, the accepted tasks have %d inputs" % (value(samples, "provenode_proofs_total"), inputs))
    accepted_submissions = orchestrator.scalar(
        "SELECT COUNT(*) FROM submissions WHERE outcome='accepted' AND status=200")
    check(accepted_submissions == TASKS, "DB: %d submissions accepted" % accepted_submissions)
    submit_200 = value(samples, "provenode_requests_total", endpoint="submit", status="200")
    check(submit_200 == accepted_submissions,
          "requests_total{submit,200} = %s, DB accepted submissions = %d" % (submit_200, accepted_submissions))
    fetch_200 = value(samples, "provenode_requests_total", endpoint="fetch", status="200")
    fetched_db = orchestrator.scalar("SELECT COUNT(*) FROM requests WHERE endpoint='fetch' AND status=200")
    check(fetch_200 == fetched_db == TASKS, "fetch 200: metrics %s, DB %s" % (fetch_200, fetched_db))
    ready = value(samples, "provenode_workers", state="ready") or 0
    busy = value(samples, "provenode_workers", state="busy") or 0
    check(ready + busy == WORKERS, "workers ready %s + busy %s != %d" % (ready, busy, WORKERS))
    check(value(samples, "provenode_queue_depth") == 0, "queue_depth = %s" % value(samples, "provenode_queue_depth"))
    budget = value(samples, "provenode_memory_budget_bytes")
    check(budget is not None and budget > 0, "memory_budget_bytes = %s" % budget)
    check(value(samples, "provenode_workers_target") == WORKERS,
          "workers_target = %s" % value(samples, "provenode_workers_target"))
    check(not [k for k in samples if k[0] == "provenode_worker_restarts_total" and samples[k] > 0],
          "restarts before any death: %s" % {k: v for k, v in samples.items()
                                             if k[0] == "provenode_worker_restarts_total"})
    harness.log("metrics agree with the DB: %d accepted, %d proofs, %d submissions 200, budget %.0f MiB" %
                (TASKS, inputs, submit_200, budget / 2**20))

    # A worker killed by someone else: replaced, and counted once as "killed".
    workers = supervisor.workers()
    check(len(workers) == WORKERS, "live workers: %s" % workers)
    victim = workers[0]
    os.kill(victim, signal.SIGKILL)
    harness.wait_until(lambda: victim not in supervisor.workers() and len(supervisor.workers()) == WORKERS, 15,
                       "worker %d to be replaced" % victim)
    harness.wait_until(lambda: re.search(r"worker#\d+\[%d\] died: killed" % victim, supervisor.log_text()), 5,
                       "'died: killed' for worker %d in the log" % victim)
    harness.wait_until(lambda: value(scrape(url), "provenode_workers", state="ready") == WORKERS, 15,
                       "the replacement to be ready")
    samples = scrape(url)
    killed = value(samples, "provenode_worker_restarts_total", cause="killed")
    check(killed == 1, "worker_restarts_total{cause=\"killed\"} = %s" % killed)
    others = {k: v for k, v in samples.items()
              if k[0] == "provenode_worker_restarts_total" and k[1] != (("cause", "killed"),) and v > 0}
    check(not others, "other restart causes counted: %s" % others)

    supervisor.proc.send_signal(signal.SIGTERM)
    status = supervisor.wait(30)
    check(status == 0, "after SIGTERM the supervisor exited %d" % status)
    harness.assert_no_workers_left(supervisor)
    harness.log("SIGKILL counted as killed once; SIGTERM exit 0")


def has_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


def rss_series_follow_workers(workdir, started):
    """--workers 1:2, an orchestrator that is not there: SIGTTIN adds worker 1, SIGTTOU stops it,
    and its RSS series goes with it."""
    host, pattern = ("[::1]", r"metrics on (http://\[::1\]:\d+)/metrics") if has_ipv6_loopback() else \
        ("127.0.0.1", r"metrics on (http://127\.0\.0\.1:\d+)/metrics")
    node = harness.Supervisor(workdir, "http://127.0.0.1:9", "--workers", "1:2", "--metrics-addr", host + ":0",
                              node_id="anonymous", name="scaled", state_dir=os.path.join(workdir, "state-scaled"))
    started.append(node)
    base = harness.wait_until(lambda: re.search(pattern, node.log_text()), 20, "the metrics URL in the log").group(1)
    rss = lambda: {dict(k[1]).get("worker") for k in scrape(base + "/metrics") if k[0] == "provenode_worker_rss_bytes"}
    harness.wait_until(lambda: rss() == {"0"}, 20, "the RSS series of worker 0 alone")
    node.proc.send_signal(signal.SIGTTIN)
    harness.wait_until(lambda: rss() == {"0", "1"}, 30, "an RSS series for worker 1 after SIGTTIN")
    node.proc.send_signal(signal.SIGTTOU)
    harness.wait_until(lambda: re.search(r"worker#1\[\d+\] stopped", node.log_text()), 30, "worker 1 to stop")
    harness.wait_until(lambda: rss() == {"0"}, 10, "worker 1's RSS series to go")
    status, body = harness.http_get(base + "/readyz")
    check(status == 503 and "orchestrator" in body, "/readyz with no orchestrator: %d %r" % (status, body))
    harness.log("RSS series follow the workers over %s; /readyz %d %r" % (base, status, body.strip()))
    return node, base


def bad_addresses(workdir, busy_url):
    """A port out of range is refused before start; a port in use fails start-up in one line."""
    common = ["start", "--anonymous", "--anonymous-program", "test_noop", "--allow-test-programs", "--headless"]
    done = subprocess.run([harness.SUPERVISOR, *common, "--state-dir", os.path.join(workdir, "state-bad1"),
                           "--metrics-addr", "127.0.0.1:99999"], capture_output=True, text=True, timeout=30)
    check(done.returncode == 2, "--metrics-addr 127.0.0.1:99999 exited %d" % done.returncode)
    check("--metrics-addr: '127.0.0.1:99999': the port '99999' is not a number from 0 to 65535" in done.stderr,
          "stderr: %r" % done.stderr)
    in_use = busy_url.split("//", 1)[1]
    done = subprocess.run([harness.SUPERVISOR, *common, "--state-dir", os.path.join(workdir, "state-bad2"),
                           "--metrics-addr", in_use], capture_output=True, text=True, timeout=30)
    check(done.returncode == 1, "--metrics-addr %s (in use) exited %d" % (in_use, done.returncode))
    lines = [line for line in done.stderr.splitlines() if "metrics-addr" in line]
    check(len(lines) == 1 and lines[0].endswith("--metrics-addr: cannot listen on %s: Address already in use" % in_use),
          "stderr: %r" % done.stderr)
    check("Civet" not in done.stderr, "library text in: %r" % done.stderr)
    harness.log("bad addresses: exit 2 for a bad port, exit 1 and %r for a port in use" % lines[0])



def network_calls(trace_path):
    """Sockets other than AF_UNIX created, and connects to anything but AF_UNIX, in an strace log."""
    found = []
    for line in open(trace_path, errors="replace"):
        if re.search(r"\bsocket(pair)?\(AF_(?!UNIX|LOCAL)", line) or \
                (re.search(r"\bconnect\(", line) and "AF_UNIX" not in line and "AF_LOCAL" not in line):
            found.append(line.strip())
    return found


def anonymous(workdir, started):
    state = os.path.join(workdir, "state-anon")
    command = [harness.SUPERVISOR, "start", "--anonymous", "--anonymous-program", "test_noop", "--allow-test-programs",
               "--workers", "2", "--max-tasks", str(ANONYMOUS_TASKS), "--state-dir", state, "--headless"]
    trace_path = os.path.join(workdir, "anonymous.strace")
    strace = shutil.which("strace")
    if strace:
        # Every process of the node (-f: the workers too); only socket set-up is traced, which any
        # network request needs. --seccomp-bpf stops the node at those calls only: a plain ptrace
        # stop at every system call and signal also changes the node's timing (it made a zmq call
        # fail with EINTR in 2 of 6 runs, which the supervisor does not survive; reported).
        trace = [strace, "-f", "-qq", "--seccomp-bpf", "-e", "trace=socket,socketpair,connect"]
        probe = subprocess.run([*trace, "-o", os.devnull, "true"], capture_output=True, text=True)
        if probe.returncode == 0:
            command = [*trace, "-o", trace_path, *command]
        else:
            harness.log("strace cannot trace here (%s); the no-network check is skipped" % probe.stderr.strip())
            strace = None
    else:
        harness.log("no strace; the no-network check is skipped")
    out_path = os.path.join(workdir, "anonymous.out")
    log_path = os.path.join(workdir, "anonymous.log")
    began = time.time()
    proc = subprocess.Popen(command, stdout=open(out_path, "w"), stderr=open(log_path, "w"))

    class Stopper:
        def stop(self):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    started.append(Stopper())
    try:
        status = proc.wait(90)
    except subprocess.TimeoutExpired:
        raise harness.Failure("anonymous mode did not finish %d tasks within 90 s" % ANONYMOUS_TASKS)
    check(status == 0, "anonymous mode exited %d; see %s" % (status, log_path))
    summary = [line for line in open(out_path).read().splitlines() if line.startswith("summary:")]
    check(summary, "no summary line on stdout: %r" % open(out_path).read()[-500:])
    fields = dict(item.split("=", 1) for item in summary[-1].split()[1:] if "=" in item)
    check(fields.get("accepted") == str(ANONYMOUS_TASKS), "anonymous summary: %s" % summary[-1])
    if strace:
        calls = network_calls(trace_path)
        check(not calls, "anonymous mode touched the network: %s" % calls[:10])
        traced = sum(1 for _ in open(trace_path))
        check(traced > 0, "the strace log is empty: the check saw nothing")
    harness.log("anonymous: %s in %.1f s, no network socket" % (summary[-1], time.time() - began))


def test(workdir, started):
    with_orchestrator(workdir, started)
    node, base = rss_series_follow_workers(workdir, started)
    bad_addresses(workdir, base)
    node.proc.send_signal(signal.SIGTERM)
    check(node.wait(30) == 0, "the scaled node did not exit 0 after SIGTERM")
    anonymous(workdir, started)


harness.run(test)
