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

QUICK = os.environ.get("PROVENODE_QUICK") == "1"
CORES = os.cpu_count() or 1
WORK = tempfile.mkdtemp(prefix="provenode-bench-")
QUIET = {**os.environ, "PROVENODE_LOG_LEVEL": "warn"}

# argon2id_pow at 64 MiB: seed 0..31, target_bits 3, opslimit 1, memlimit 65536 KiB.
# The same input every time, so that every proof does exactly the same work.
ARGON2_64MIB = bytes(range(32)) + bytes([3]) + (1).to_bytes(4, "little") + (65536).to_bytes(4, "little")


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


def single_process_rate(proofs):
    """Proofs per second of `worker prove`, one process, one thread, proving one after another."""
    start = time.time()
    for _ in range(proofs):
        subprocess.run([harness.WORKER, "prove", "--program", "argon2id_pow", "--input", ARGON2_64MIB.hex(),
                        "--threads", "1"], check=True, capture_output=True)
    return proofs / (time.time() - start)


def pool_efficiency():
    print("== pool efficiency: argon2id_pow at 64 MiB (the same input each time), 1 thread per task", flush=True)
    proofs = 10 if QUICK else 60
    single = single_process_rate(proofs)
    print("  single process: worker prove x%d: %.2f proofs/s" % (proofs, single))
    for n in sorted({1, CORES}):
        tasks = proofs * n
        s = anonymous("pool-%d" % n, n, tasks, "argon2id_pow", ARGON2_64MIB.hex())
        wall = float(s["wall_s"])
        rate = int(s["proofs"]) / wall
        busy = float(s["workers_cpu_s"]) / (wall * n)
        print("  N=%d: supervisor %.2f proofs/s vs %d x single %.2f: efficiency %.1f%%; workers' CPU %.1f%% busy; "
              "supervisor CPU %.3f s" % (n, rate, n, n * single, 100 * rate / (n * single), 100 * busy,
                                         float(s["cpu_s"])))


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
                                        env={"PROVENODE_LOG_LEVEL": "warn"})
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


if __name__ == "__main__":
    print("provenode benchmarks on %d cores (%s)" % (CORES, "quick" if QUICK else "full"), flush=True)
    pool_efficiency()
    dispatch_overhead()
    restart_latency()
    supervisor_footprint()
