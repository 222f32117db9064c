"""Chaos: 40 tasks, 2 workers, and a random busy worker SIGKILLed every 200 to
600 ms until all are done. Every task is accepted exactly once; every kill is a
restart; the summary's proofs are exactly the inputs of the accepted tasks; no
attempt of a task reaches a worker twice; no transition is refused. (A worker
whose task is on its last attempt is spared, so that the test measures loss, not
the poison rule, which test_hung_worker covers.)"""
import os
import random
import re
import signal
import time

import harness
from harness import check

DISPATCH = re.compile(r"task (\S+) queued -> dispatched: worker#\d+\[(\d+)\], attempt (\d+)")
LEAVES = re.compile(r"task (\S+) dispatched -> ")
WORKER_TAKES = re.compile(r"worker#\d+\[\d+\] task (\S+): \S+ with \d+ inputs, \d+ threads, attempt (\d+)")


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
    inputs = sum(len(row[0].split(",")) for row in
                 orchestrator.query("SELECT inputs_hex FROM tasks WHERE state = 'accepted'"))
    check(int(summary["proofs"]) == inputs, "summary proofs=%s, but the accepted tasks have %d inputs" % (
        summary["proofs"], inputs))
    log_text = supervisor.log_text()
    taken = [m.groups() for m in WORKER_TAKES.finditer(log_text)]
    twice = sorted({t for t in taken if taken.count(t) > 1})
    check(taken, "no worker logged taking a task: the check saw nothing")
    check(not twice, "a task's attempt reached workers twice: %s" % twice[:5])
    refused = [l for l in log_text.splitlines() if "refused:" in l and "transition" in l]
    check(not refused, "transitions refused: %s" % refused[:3])
    lost = 40 - orchestrator.scalar("SELECT COUNT(*) FROM tasks WHERE state = 'accepted'")
    harness.assert_no_workers_left(supervisor)
    harness.log("chaos: tasks=40 kills=%d restarts=%d wall_s=%.1f lost=%d proofs=%d attempts_taken=%d" % (
        kills, restarts, wall, lost, inputs, len(taken)))


harness.run(test)
