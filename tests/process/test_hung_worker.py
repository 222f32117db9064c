"""Hung worker: a task that hangs (its worker still heartbeats) is detected by its
deadline within 4 s, the worker replaced, the task poisoned after 3 attempts, and
the other tasks done. A worker that stops heartbeating (SIGSTOP) is killed after
3 missed heartbeats."""
import os
import re
import signal
import time
from datetime import datetime

import harness
from harness import check

TASKS = 6


def stamp(line):
    return datetime.fromisoformat(line.split()[0]).timestamp()  # RFC 3339, with the UTC offset


def test(workdir, started):
    orchestrator = harness.Orchestrator(workdir, "--program", "argon2id_pow", "--inputs", "1:2",
                                        "--difficulty", "small")
    started.append(orchestrator)
    orchestrator.admin("POST", "/admin/tasks", {"program_id": "test_hang", "inputs": ["00"],
                                                 "task_type": "proof_required", "difficulty": "small"})
    supervisor = harness.Supervisor(workdir, orchestrator.url, "--workers", "2", "--max-tasks", str(TASKS),
                                    "--allow-test-programs", "--task-timeout", "2")
    started.append(supervisor)

    status = supervisor.wait(180)
    check(status == 0, "supervisor exited %d" % status)

    log_text = supervisor.log_text()
    hang_id = orchestrator.scalar("SELECT task_id FROM tasks WHERE program_id = 'test_hang'")
    dispatched = [stamp(l) for l in log_text.splitlines() if re.search(r"task %s queued -> dispatched" % hang_id, l)]
    killed = [stamp(l) for l in log_text.splitlines() if "task %s passed its deadline" % hang_id in l]
    check(len(dispatched) == 3, "the hanging task was dispatched %d times, expected 3" % len(dispatched))
    check(len(killed) == 3, "the hanging task's worker was killed %d times, expected 3" % len(killed))
    for start, kill in zip(dispatched, killed):
        check(kill - start <= 4.0, "hang detected after %.1f s" % (kill - start))
    check(re.search(r"task %s queued -> poison: 3 attempts failed" % hang_id, log_text) or
          re.search(r"task %s dispatched -> poison: 3 attempts failed" % hang_id, log_text),
          "the hanging task was not poisoned after 3 attempts")
    summary = supervisor.summary()
    check(summary["poison"] == "1", "summary: %s" % summary)
    check(summary["accepted"] == str(TASKS), "summary: %s" % summary)
    check(orchestrator.scalar("SELECT COUNT(*) FROM tasks WHERE state='accepted'") == TASKS, "not all accepted")
    harness.assert_no_workers_left(supervisor)
    harness.log("hung task: detections %s s" % ["%.1f" % (k - d) for d, k in zip(dispatched, killed)])
    frozen_worker(workdir, started, orchestrator)


def frozen_worker(workdir, started, orchestrator):
    """A worker that stops heartbeating altogether (SIGSTOP) is killed as hung."""
    supervisor = harness.Supervisor(workdir, orchestrator.url, "--workers", "2", "--max-tasks", "3",
                                    name="frozen")
    started.append(supervisor)
    pids = harness.wait_until(lambda: len(supervisor.workers()) == 2 and supervisor.workers(), 20, "2 workers")
    frozen = pids[0]
    os.kill(frozen, signal.SIGSTOP)
    frozen_at = time.time()
    status = supervisor.wait(120)
    check(status == 0, "frozen: supervisor exited %d" % status)
    log_text = supervisor.log_text()
    noticed = [stamp(l) for l in log_text.splitlines() if re.search(r"worker#\d\[%d\] missed 3 heartbeats" % frozen, l)]
    check(noticed, "the frozen worker was not noticed")
    check(noticed[0] - frozen_at <= 4.5, "the frozen worker was noticed after %.1f s" % (noticed[0] - frozen_at))
    check(re.search(r"worker#\d\[%d\] died: hang" % frozen, log_text), "the frozen worker's death is not a hang")
    check(supervisor.summary()["accepted"] == "3", "frozen: %s" % supervisor.summary())
    harness.assert_no_workers_left(supervisor)
    harness.log("frozen worker: noticed after %.1f s" % (noticed[0] - frozen_at))


harness.run(test)
