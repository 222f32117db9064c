"""Chaos: 40 tasks, 2 workers, and a random busy worker SIGKILLed every 200 to
600 ms until all are done. Every task is accepted exactly once; every kill is a
restart. (A worker whose task is on its last attempt is spared, so that the test
measures loss, not the poison rule, which test_hung_worker covers.)"""
import os
import random
import re
import signal
import time

import harness
from harness import check

DISPATCH = re.compile(r"task (\S+) queued -> dispatched: worker#\d+\[(\d+)\], attempt (\d+)")
LEAVES = re.compile(r"task (\S+) dispatched -> ")


def busy_workers(log_text):
    """pid -> (task, attempt) for workers holding a task, read from the supervisor's log."""
    holder = {}
    for line in log_text.splitlines():
        m = DISPATCH.search(line)
        if m:
            holder[int(m.group(2))] = (m.group(1), int(m.group(3)))
            continue
        m = LEAVES.search(line)
        if m:
            holder = {pid: held for pid, held in holder.items() if held[0] != m.group(1)}
    return holder


def test(workdir, started):
    rng = random.Random(int(os.environ.get("CHAOS_SEED", "7")))
    orchestrator = harness.Orchestrator(workdir, "--program", "argon2id_pow", "--inputs", "1:3",
                                        "--difficulty", "small_medium", "--max-tasks", "40")
    started.append(orchestrator)
    began = time.time()
    supervisor = harness.Supervisor(workdir, orchestrator.url, "--workers", "2", "--per-task-threads", "2",
                                    "--max-tasks", "40")
    started.append(supervisor)
    kills = 0
    while supervisor.proc.poll() is None and time.time() - began < 240:
        time.sleep(rng.uniform(0.2, 0.6))
        alive = set(supervisor.workers())
        candidates = [pid for pid, (_, attempt) in busy_workers(supervisor.log_text()).items()
                      if pid in alive and attempt < 3]
        if candidates:
            victim = rng.choice(candidates)
            try:
                os.kill(victim, signal.SIGKILL)
                kills += 1
            except ProcessLookupError:
                pass
    status = supervisor.wait(60)
    wall = time.time() - began
    check(status == 0, "supervisor exited %d" % status)
    harness.assert_each_accepted_once(orchestrator, 40)
    summary = supervisor.summary()
    restarts = int(summary["restarts"])
    check(kills > 0, "no worker was killed")
    check(restarts == kills, "%d kills but %d restarts counted" % (kills, restarts))
    check(summary.get("restart_killed", "0") == str(kills), "restarts by cause: %s" % summary)
    lost = 40 - orchestrator.scalar("SELECT COUNT(*) FROM tasks WHERE state = 'accepted'")
    harness.assert_no_workers_left(supervisor)
    harness.log("chaos: tasks=40 kills=%d restarts=%d wall_s=%.1f lost=%d" % (kills, restarts, wall, lost))


harness.run(test)
