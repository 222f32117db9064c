"""Real OOM: the supervisor and its workers in a memory cgroup whose limit is
below workers x threads x the memory each input takes. The kernel OOM-kills a
worker; the supervisor attributes the death to OOM, retries the task with half
its threads, and every task is accepted once. Skipped (exit 77) where no memory
cgroup can be created."""
import os
import re
import sys

import harness
from harness import check

LIMIT_MIB = 300
INPUT_MIB = 100      # each input allocates and touches this much
HOLD_MS = 600
TASKS = 6


def own_memory_cgroup():
    """(version, directory) of this process's memory cgroup, or None."""
    v2 = None
    for line in open("/proc/self/cgroup"):
        hierarchy, controllers, path = line.rstrip("\n").split(":", 2)
        if "memory" in controllers.split(","):
            return 1, "/sys/fs/cgroup/memory" + path
        if hierarchy == "0" and controllers == "":
            v2 = "/sys/fs/cgroup" + path
    if v2 and os.path.exists(os.path.join(v2, "cgroup.controllers")):
        return 2, v2
    return None


def make_cgroup():
    found = own_memory_cgroup()
    if not found:
        return None, "no memory cgroup controller is mounted"
    version, parent = found
    path = os.path.join(parent, "provenode-oom-%d" % os.getpid())
    try:
        if version == 2:
            with open(os.path.join(parent, "cgroup.subtree_control"), "w") as f:
                f.write("+memory")
        os.mkdir(path)
        limit_file = "memory.limit_in_bytes" if version == 1 else "memory.max"
        with open(os.path.join(path, limit_file), "w") as f:
            f.write(str(LIMIT_MIB << 20))
        if version == 2 and os.path.exists(os.path.join(path, "memory.swap.max")):
            with open(os.path.join(path, "memory.swap.max"), "w") as f:
                f.write("0")
    except OSError as error:
        return None, "cannot create a memory cgroup under %s: %s" % (parent, error)
    return (version, path), None


def oom_kills(version, path):
    name = "memory.oom_control" if version == 1 else "memory.events"
    for line in open(os.path.join(path, name)):
        key, value = line.split()
        if key == "oom_kill":
            return int(value)
    return 0


def test(workdir, started):
    cgroup, why = make_cgroup()
    if not cgroup:
        harness.log("SKIP:", why)
        sys.exit(harness.SKIP)
    version, path = cgroup
    try:
        run_in(workdir, started, version, path)
    finally:
        for thing in reversed(started):
            thing.stop()
        try:
            os.rmdir(path)
        except OSError:
            pass


def run_in(workdir, started, version, path):
    alloc = (INPUT_MIB).to_bytes(4, "little") + HOLD_MS.to_bytes(4, "little")
    orchestrator = harness.Orchestrator(workdir, "--program", "test_alloc", "--test-input", "test_alloc=" + alloc.hex(),
                                        "--inputs", "2:2", "--max-tasks", str(TASKS))
    started.append(orchestrator)
    wrapper = ["sh", "-c", 'echo $$ > "%s/cgroup.procs" && exec "$@"' % path, "sh"]
    supervisor = harness.Supervisor(workdir, orchestrator.url, "--workers", "2", "--per-task-threads", "2",
                                    "--max-tasks", str(TASKS), "--allow-test-programs", "--no-memory-guard",
                                    "--memory-per-proof", "10M",
                                    wrapper=wrapper)
    started.append(supervisor)
    status = supervisor.wait(240)
    kernel_kills = oom_kills(version, path)
    check(status == 0, "supervisor exited %d" % status)
    harness.assert_each_accepted_once(orchestrator, TASKS)
    summary = supervisor.summary()
    oom_restarts = int(summary.get("restart_oom", "0"))
    check(kernel_kills >= 1, "the kernel OOM-killed nothing (limit %d MiB)" % LIMIT_MIB)
    check(oom_restarts >= 1, "no death was attributed to OOM: %s" % summary)
    check(oom_restarts <= kernel_kills, "%d OOM deaths but the kernel killed %d" % (oom_restarts, kernel_kills))
    check(int(summary["restarts"]) == oom_restarts, "a death in the cgroup was not attributed to OOM: %s" % summary)
    log_text = supervisor.log_text()
    check(re.search(r"died: oom \(signal 9", log_text), "no 'died: oom' line in the log")
    check(re.search(r"retry 2 of 3 with 1 threads", log_text), "the OOM-killed task was not retried with 1 thread")
    harness.assert_no_workers_left(supervisor)
    harness.log("oom: tasks=%d kernel_oom_kills=%d oom_restarts=%d restarts=%s wall_s=%s lost=%d" % (
        TASKS, kernel_kills, oom_restarts, summary["restarts"], summary["wall_s"],
        TASKS - orchestrator.scalar("SELECT COUNT(*) FROM tasks WHERE state='accepted'")))


harness.run(test)
