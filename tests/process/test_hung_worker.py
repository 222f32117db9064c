"""Hung worker: a task that hangs (its worker still heartbeats) is detected by its
deadline, never before it, the worker replaced, the task poisoned after 3
attempts, and the other tasks done. A worker that stops heartbeating (SIGSTOP)
while it holds a task is killed after 3 missed heartbeats and its task proved
elsewhere.

Nothing here races the machine's speed: the deadline and heartbeat arithmetic are
checked with a fake clock in tests/unit/test_health.cpp and tests/sim; this test
only asks that the node, in real time, never kills early and does kill (an upper
bound of SLACK_S is a hang of the test, not a speed limit)."""
import os
import re
import signal
import time
from datetime import datetime

import harness
from harness import check

TASKS = 6
SLACK_S = 60
HEARTBEATS_MISSED_S = 3.0  # 3 heartbeats of 1 s


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
        # Log times are rounded to the millisecond: a kill is never before the 2 s deadline.
        check(kill - start >= 2.0 - 0.002, "the hanging task was killed %.3f s after dispatch, before its deadline"
              % (kill - start))
        check(kill - start <= SLACK_S, "hang detected only after %.1f s" % (kill - start))
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
    """A worker that stops heartbeating altogether (SIGSTOP) while it holds a task
    is killed as hung, and the task it held is proved by another worker. The task
    (test_alloc, holding 2 s) cannot finish while its worker is stopped, so the node
    can only end by noticing, whatever the machine's speed."""
    hold = (0).to_bytes(4, "little") + (2000).to_bytes(4, "little")
    orchestrator.admin("POST", "/admin/tasks", {"program_id": "test_alloc", "inputs": [hold.hex()],
                                                 "task_type": "proof_required", "difficulty": "small"})
    supervisor = harness.Supervisor(workdir, orchestrator.url, "--workers", "2", "--max-tasks", "3",
                                    "--allow-test-programs", name="frozen")
    started.append(supervisor)

    def holder():
        for line in supervisor.log_text().splitlines():
            found = re.search(r"task (\S+) queued -> dispatched: worker#\d\[(\d+)\]", line)
            if found and orchestrator.scalar("SELECT program_id FROM tasks WHERE task_id = ?",
                                             found.group(1)) == "test_alloc":
                return found.group(1), int(found.group(2))
        return None

    alloc_id, frozen = harness.wait_until(holder, SLACK_S, "the test_alloc task to be dispatched")
    os.kill(frozen, signal.SIGSTOP)
    frozen_at = time.time()
    status = supervisor.wait(180)
    check(status == 0, "frozen: supervisor exited %d" % status)
    log_text = supervisor.log_text()
    noticed = [(stamp(l), float(m.group(1))) for l in log_text.splitlines()
               for m in [re.search(r"worker#\d\[%d\] missed 3 heartbeats \(silent ([0-9.]+) s\)" % frozen, l)] if m]
    check(noticed, "the frozen worker was not noticed")
    at, silent = noticed[0]
    check(silent >= HEARTBEATS_MISSED_S, "the frozen worker was killed after %.1f s of silence" % silent)
    check(at - frozen_at <= SLACK_S, "the frozen worker was noticed only after %.1f s" % (at - frozen_at))
    check(re.search(r"worker#\d\[%d\] died: hang" % frozen, log_text), "the frozen worker's death is not a hang")
    check(re.search(r"task %s dispatched -> proved" % alloc_id, log_text), "the frozen worker's task was not proved")
    check(supervisor.summary()["accepted"] == "3", "frozen: %s" % supervisor.summary())
    harness.assert_no_workers_left(supervisor)
    harness.log("frozen worker: noticed after %.1f s of silence (%.1f s after SIGSTOP)" % (silent, at - frozen_at))


harness.run(test)
