"""The node's benchmarks (run by scripts/bench): figures, not assertions."""
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "process"))
import harness  # noqa: E402
import timeline  # noqa: E402

QUICK = os.environ.get("PROVENODE_QUICK") == "1"
CORES = os.cpu_count() or 1
WORK = tempfile.mkdtemp(prefix="provenode-bench-")
QUIET = {**os.environ, "PROVENODE_LOG_LEVEL": "warning"}



LATENCY_MS = 40  # a round trip to a distant orchestrator
# test_alloc holding 0 MiB for 200 ms: a task that only sleeps, so that the
# workers' time is the task's and not the machine's (which others share).
SLEEP_200MS = (0).to_bytes(4, "little") + (200).to_bytes(4, "little")


def load():
    return "load %s" % " ".join(open("/proc/loadavg").read().split()[:3])


def summary_of(text):
    for line in text.splitlines():
        if line.startswith("summary:"):
            return {k: v for k, v in (item.split("=", 1) for item in line.split()[1:] if "=" in item)}
    raise RuntimeError("no summary in: " + text[-500:])


def anonymous(name, workers, tasks, program, input_hex=None, threads=1, extra=()):
    args = [harness.SUPERVISOR, "start", "--anonymous", "--anonymous-program", program, "--workers", str(workers),
            "--per-task-threads", str(threads), "--max-tasks", str(tasks), "--state-dir", os.path.join(WORK, name),
            "--headless", "--worker-path", harness.WORKER, *extra]
    if input_hex:
        args += ["--anonymous-input", input_hex]
    if program.startswith("test_"):
        args.append("--allow-test-programs")
    done = subprocess.run(args, capture_output=True, text=True, env=QUIET, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (name, done.returncode, done.stderr[-500:]))
    return summary_of(done.stdout)


def dispatch_overhead():
    tasks = 5000 if QUICK else 20000
    print("== dispatch overhead: %d trivial tasks (test_noop) through 2 workers, anonymous mode" % tasks, flush=True)
    s = anonymous("noop", 2, tasks, "test_noop")
    wall = float(s["wall_s"])
    print("  %.0f tasks/s; supervisor CPU %.1f us per task (%.3f s in all); workers' CPU %.3f s" % (
        tasks / wall, float(s["cpu_s"]) * 1e6 / tasks, float(s["cpu_s"]), float(s["workers_cpu_s"])))


def ready_lines(log_path):
    """(timestamp, slot, pid) of every 'ready' line."""
    out = []
    for line in open(log_path):
        m = re.search(r"^(\S+) \w+ supervisor\[\d+\] worker#(\d+)\[(\d+)\] ready", line)
        if m:
            ts = datetime.fromisoformat(m.group(1)).timestamp()  # RFC 3339, with the UTC offset
            out.append((ts, int(m.group(2)), int(m.group(3))))
    return out


def restart_latency():
    kills = 10 if QUICK else 50
    print("== restart latency: SIGKILL of a worker to its replacement's hello, %d kills" % kills, flush=True)
    log_path = os.path.join(WORK, "restart.log")
    # Tasks of 20 ms keep the pool working between kills, as in a real pool, and the log small.
    alloc = (1).to_bytes(4, "little") + (20).to_bytes(4, "little")
    proc = subprocess.Popen([harness.SUPERVISOR, "start", "--anonymous", "--anonymous-program", "test_alloc",
                             "--anonymous-input", alloc.hex(), "--allow-test-programs", "--workers", "2",
                             "--state-dir", os.path.join(WORK, "restart"), "--headless", "--worker-path", harness.WORKER],
                            stdout=subprocess.DEVNULL, stderr=open(log_path, "w"))
    latencies = []
    try:
        harness.wait_until(lambda: len(harness.worker_pids(proc.pid)) == 2, 20, "2 workers")
        time.sleep(0.5)
        for _ in range(kills):
            victim = harness.worker_pids(proc.pid)[0]
            seen = len(ready_lines(log_path))
            killed_at = time.time()
            os.kill(victim, signal.SIGKILL)
            harness.wait_until(lambda: len(ready_lines(log_path)) > seen, 10, "a replacement")
            latencies.append(ready_lines(log_path)[-1][0] - killed_at)
            time.sleep(0.3)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.send_signal(signal.SIGINT)
        proc.wait(30)
    ms = sorted(1000 * x for x in latencies)
    print("  median %.1f ms, max %.1f ms, min %.1f ms (log timestamps have 1 ms resolution)" % (
        statistics.median(ms), ms[-1], ms[0]))


def proc_cpu_seconds(pid):
    fields = open("/proc/%d/stat" % pid).read().split(")")[-1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_rss_kib(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def supervisor_footprint():
    seconds = 10 if QUICK else 30
    print("== the supervisor itself: RSS and idle CPU over %d s (2 workers, an orchestrator with no tasks)" % seconds,
          flush=True)
    workdir = tempfile.mkdtemp(prefix="provenode-idle-")
    orchestrator = harness.Orchestrator(workdir, "--max-tasks", "0")
    try:
        supervisor = harness.Supervisor(workdir, orchestrator.url, "--workers", "2", "--fetch-backoff", "30:60",
                                        env={"PROVENODE_LOG_LEVEL": "warning"})
        harness.wait_until(lambda: len(supervisor.workers()) == 2, 20, "2 workers")
        time.sleep(2)
        cpu0, t0 = proc_cpu_seconds(supervisor.pid), time.time()
        time.sleep(seconds)
        cpu = proc_cpu_seconds(supervisor.pid) - cpu0
        rss = proc_rss_kib(supervisor.pid)
        print("  RSS %.1f MiB; idle CPU %.2f%% of a core" % (rss / 1024, 100 * cpu / (time.time() - t0)))
        supervisor.proc.send_signal(signal.SIGTERM)
        supervisor.wait(30)
    finally:
        orchestrator.stop()


def through_orchestrator(name, workers, tasks, orchestrator_args, supervisor_args=()):
    """A node of `workers` workers proving `tasks` tasks from a local orchestrator; its timeline."""
    workdir = os.path.join(WORK, name)
    os.makedirs(workdir)
    # The orchestrator logs only warnings: it stands for a server elsewhere, and its
    # two lines a request would take CPU from the workers. The node logs at info,
    # which the timeline reads.
    saved = os.environ.get("PROVENODE_LOG_LEVEL")
    os.environ["PROVENODE_LOG_LEVEL"] = "warning"
    try:
        orchestrator = harness.Orchestrator(workdir, *orchestrator_args)
    finally:
        if saved is None:
            del os.environ["PROVENODE_LOG_LEVEL"]
        else:
            os.environ["PROVENODE_LOG_LEVEL"] = saved
    try:
        supervisor = harness.Supervisor(workdir, orchestrator.url, "--workers", str(workers), "--max-tasks",
                                        str(tasks), "--fetch-backoff", "1:2", *supervisor_args,
                                        env={"PROVENODE_LOG_LEVEL": "info"})
        code = supervisor.wait(1800)
        if code != 0:
            raise RuntimeError("%s: supervisor exit %d; see %s" % (name, code, supervisor.log_path))
        tl = timeline.Timeline(supervisor.log_path)
        summary = supervisor.summary()
        # Where the machine's time went, per task: the node's own and the orchestrator's
        # CPU (here on the same 2 cores as the workers, unlike a real network's).
        tl.cpu_ms = {"supervisor": 1000 * float(summary["cpu_s"]) / tasks,
                     "workers": 1000 * float(summary["workers_cpu_s"]) / tasks,
                     "orchestrator": 1000 * proc_cpu_seconds(orchestrator.proc.pid) / tasks}
        return tl
    finally:
        orchestrator.stop()


def hash_pool_run(name, latency_ms, tasks):
    """Proofs per second of 2 workers on hash-only tasks: argon2id_pow at 64 MiB, opslimit 1,
    target_bits 0 (exactly one hash per input), 4 inputs, PROOF_HASH (the orchestrator
    verifies no proof, so its CPU is not taken from the workers)."""
    tl = through_orchestrator(name, 2, tasks, [
        "--program", "argon2id_pow", "--inputs", "4:4", "--task-types", "proof_hash", "--difficulty", "large",
        "--argon2-target-bits", "0", "--argon2-memlimit-kib", "65536", "--latency-ms", str(latency_ms)])
    print("    %s: CPU per task: supervisor %.2f ms, workers %.1f ms, orchestrator %.2f ms" % (
        name, tl.cpu_ms["supervisor"], tl.cpu_ms["workers"], tl.cpu_ms["orchestrator"]), flush=True)
    return tl.steady_proof_rate()


def two_hashers(which, hashes):
    """Hashes per second of two processes of `which` (ours, libsodium) hashing at once, summed."""
    done = subprocess.run([os.path.join(harness.BUILD, "shared", "argon2-bench"), "--two-processes", which,
                           "--hashes", str(hashes), "--rounds", "1"],
                          capture_output=True, text=True, check=True, timeout=1800)
    a, b = re.search(r"^  \S.*?\s([0-9.]+) and ([0-9.]+) hashes/s", done.stdout, re.M).groups()
    return float(a) + float(b)


def hash_pool_round(r, tasks, hashes):
    """One round: each node run between two runs of our hashers (their mean is its baseline,
    which cancels a steady change in others' load), then libsodium's. Odd rounds run the
    40 ms node first."""
    latencies = [0, LATENCY_MS] if r % 2 == 0 else [LATENCY_MS, 0]
    ours = [two_hashers("ours", hashes)]
    node = {}
    for latency in latencies:
        node[latency] = hash_pool_run("hash-%dms-%d" % (latency, r), latency, tasks)
        ours.append(two_hashers("ours", hashes))
    baseline = {latencies[0]: (ours[0] + ours[1]) / 2, latencies[1]: (ours[1] + ours[2]) / 2}
    sodium = two_hashers("libsodium", max(4, hashes // 4))
    got = {"sodium": sodium, "ours": baseline[0], "node0": node[0], "node40": node[LATENCY_MS],
           "eff0": node[0] / baseline[0], "eff40": node[LATENCY_MS] / baseline[LATENCY_MS]}
    print("  round %d (%s): ours x2 %s; libsodium x2 %.1f; node at 0 ms %.1f, at %d ms %.1f proofs/s: "
          "node / libsodium %.2fx, pool efficiency %.3f at 0 ms, %.3f at %d ms (ratio %.3f)" % (
              r + 1, load(), " ".join("%.1f" % x for x in ours), sodium, node[0], LATENCY_MS, node[LATENCY_MS],
              node[0] / sodium, got["eff0"], got["eff40"], LATENCY_MS, got["eff40"] / got["eff0"]), flush=True)
    return got


def hash_pool():
    rounds, tasks, hashes = (1, 60, 30) if QUICK else (4, 100, 60)
    print("== hash pool: 2 workers on argon2id_pow at 64 MiB, opslimit 1, one hash per input, 4 inputs a task,\n"
          "   PROOF_HASH, against two processes hashing at once (argon2-bench --two-processes); %d rounds" % rounds,
          flush=True)
    rows = [hash_pool_round(r, tasks, hashes) for r in range(rounds)]
    for label, f in [("node / libsodium", lambda g: g["node0"] / g["sodium"]),
                     ("pool efficiency at 0 ms", lambda g: g["eff0"]),
                     ("pool efficiency at %d ms" % LATENCY_MS, lambda g: g["eff40"]),
                     ("%d ms / 0 ms" % LATENCY_MS, lambda g: g["eff40"] / g["eff0"])]:
        values = sorted(f(g) for g in rows)
        print("  %s: median %.3f (min %.3f, max %.3f)" % (label, statistics.median(values), values[0], values[-1]))


def sleeping_pool(workers):
    tasks = workers * (10 if QUICK else 50)
    print("== %d workers on tasks that sleep 200 ms (test_alloc, 0 MiB), orchestrator at %d ms (%s)" % (
        workers, LATENCY_MS, load()), flush=True)
    tl = through_orchestrator("sleep-%d" % workers, workers, tasks, [
        "--program", "test_alloc", "--test-input", "test_alloc=" + SLEEP_200MS.hex(), "--inputs", "1:1",
        "--task-types", "proof_hash", "--latency-ms", str(LATENCY_MS)],
        ["--force", "--memory-per-proof", "16M", "--allow-test-programs"])
    starved, longest = tl.starvation(workers)
    start, end = tl.steady_span()
    print("  workers busy %.1f%% of %.1f s (first dispatch to last result); %.0f tasks/s; idle with nothing "
          "queued %.1f worker-s (%.1f%%), longest %.0f ms" % (
              100 * tl.busy(workers), end - start, tl.tasks_per_second(), starved,
              100 * starved / (workers * (end - start)), 1000 * longest), flush=True)


def noop_feed():
    workers, tasks = 16, (1000 if QUICK else 4000)
    print("== %d workers on near-empty tasks (test_noop), orchestrator at %d ms (%s)" % (workers, LATENCY_MS, load()),
          flush=True)
    tl = through_orchestrator("noop-feed", workers, tasks, [
        "--program", "test_noop", "--inputs", "1:1", "--task-types", "proof_hash", "--latency-ms", str(LATENCY_MS)],
        ["--force", "--memory-per-proof", "16M", "--allow-test-programs"])
    print("  %.0f tasks fed per second (first dispatch to last result, %d tasks)" % (tl.tasks_per_second(), tasks))


def stamps(log_path, pattern):
    out = []
    for line in open(log_path, errors="replace"):
        if re.search(pattern, line):
            out.append(datetime.fromisoformat(line.split()[0]).timestamp())
    return out


def responsiveness(workers=256):
    """Signals with a large pool: how long from each signal to the supervisor acting on it."""
    print("== responsiveness: %d workers on 200 ms sleeping tasks (--force), signal to action" % workers, flush=True)
    log_path = os.path.join(WORK, "responsive.log")
    proc = subprocess.Popen([harness.SUPERVISOR, "start", "--anonymous", "--anonymous-program", "test_alloc",
                             "--anonymous-input", SLEEP_200MS.hex(), "--allow-test-programs", "--workers",
                             str(workers), "--force", "--memory-per-proof", "8M", "--state-dir",
                             os.path.join(WORK, "responsive"), "--headless", "--worker-path", harness.WORKER],
                            stdout=subprocess.DEVNULL, stderr=open(log_path, "w"))
    took = {}
    try:
        began = time.time()
        harness.wait_until(lambda: len(stamps(log_path, r"worker#\d+\[\d+\] ready")) >= workers, 300,
                           "%d workers ready" % workers)
        ready_s = time.time() - began
        time.sleep(3)  # the pool at work
        for name, signum, pattern in (("SIGTTOU", signal.SIGTTOU, r"SIGTTOU: target"),
                                      ("SIGTTIN", signal.SIGTTIN, r"SIGTTIN: target"),
                                      ("SIGHUP", signal.SIGHUP, r"SIGHUP"),
                                      ("SIGTERM", signal.SIGTERM, r"running -> draining")):
            seen = len(stamps(log_path, pattern))
            sent = time.time()
            proc.send_signal(signum)
            harness.wait_until(lambda: len(stamps(log_path, pattern)) > seen, 60, "the supervisor to act on " + name)
            took[name] = stamps(log_path, pattern)[-1] - sent
            time.sleep(0.5)
        proc.wait(120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    print("  %d workers ready in %.1f s; signal to action (log time): %s; exit %d" % (
        workers, ready_s, ", ".join("%s %.0f ms" % (k, 1000 * v) for k, v in took.items()), proc.returncode))


def pipeline():
    """The fetch pipeline: throughput against hashers, and workers kept busy over a round trip."""
    hash_pool()
    sleeping_pool(16)
    sleeping_pool(64)
    noop_feed()


if __name__ == "__main__":
    print("provenode benchmarks on %d cores (%s), %s" % (CORES, "quick" if QUICK else "full", load()), flush=True)
    if os.environ.get("PROVENODE_BENCH_ONLY") == "pipeline":
        pipeline()
        sys.exit(0)
    if os.environ.get("PROVENODE_BENCH_ONLY") == "responsiveness":
        responsiveness()
        sys.exit(0)
    pipeline()
    dispatch_overhead()
    restart_latency()
    supervisor_footprint()
    responsiveness()
