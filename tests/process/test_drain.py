"""Stopping. SIGTERM: no new fetches, the task on a worker finishes and is
submitted, exit 0. Two SIGINTs: stop at once, workers killed, spool kept."""
import glob
import os
import re
import signal
import time

import harness
from harness import check


def graceful(workdir, started, orchestrator):
    supervisor = harness.Supervisor(workdir, orchestrator.url, "--workers", "1", name="drain")
    started.append(supervisor)
    harness.wait_until(lambda: "queued -> dispatched" in supervisor.log_text(), 60, "a task on a worker")
    signalled = time.time()
    supervisor.proc.send_signal(signal.SIGTERM)
    status = supervisor.wait(60)
    check(status == 0, "after SIGTERM the supervisor exited %d" % status)
    log_text = supervisor.log_text()
    dispatched = re.findall(r"task (\S+) queued -> dispatched", log_text)
    for task in dispatched:
        check(orchestrator.scalar("SELECT state FROM tasks WHERE task_id=?", task) == "accepted",
              "in-flight task %s was not finished and accepted" % task)
    late = orchestrator.scalar("SELECT COUNT(*) FROM requests WHERE endpoint='fetch' AND arrived_at > ?",
                               signalled + 0.5)
    check(late == 0, "%d fetches after SIGTERM" % late)
    harness.assert_no_workers_left(supervisor)
    harness.log("SIGTERM: %d in-flight tasks finished, exit 0 after %.1f s" % (len(dispatched), time.time() - signalled))


def immediate(workdir, started, orchestrator):
    orchestrator.admin("POST", "/admin/faults", {"endpoint": "submit", "kind": "429", "probability": 1.0,
                                                 "retry_after": "60"})
    state = os.path.join(workdir, "state-int")
    supervisor = harness.Supervisor(workdir, orchestrator.url, "--workers", "2", name="int",
                                    state_dir=state)
    started.append(supervisor)
    spool = os.path.join(state, "spool", "*.spool")
    harness.wait_until(lambda: glob.glob(spool), 60, "a spooled proof")
    workers = supervisor.workers()
    supervisor.proc.send_signal(signal.SIGINT)
    time.sleep(0.2)
    signalled = time.time()
    supervisor.proc.send_signal(signal.SIGINT)
    status = supervisor.wait(60)
    took = time.time() - signalled
    check(status == 128 + signal.SIGINT, "after two SIGINTs the supervisor exited %d" % status)
    # A drain would hold the spooled proof for its 30 s grace (the submit is rate limited for 60 s).
    check(took < 25, "two SIGINTs took %.1f s to stop: the drain's grace was waited" % took)
    check(not [p for p in workers if harness.alive(p)], "workers alive after the stop")
    check(glob.glob(spool), "the spool was not kept")
    orchestrator.admin("DELETE", "/admin/faults")
    harness.log("second SIGINT: stopped in %.2f s, %d spooled proofs kept" % (took, len(glob.glob(spool))))


def test(workdir, started):
    orchestrator = harness.Orchestrator(workdir, "--program", "argon2id_pow", "--inputs", "2:2",
                                        "--difficulty", "small_medium", "--argon2-target-bits", "6")
    started.append(orchestrator)
    graceful(workdir, started, orchestrator)
    immediate(workdir, started, orchestrator)


harness.run(test)
