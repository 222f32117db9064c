"""Supervisor killed: SIGKILL the supervisor mid-run (with proofs in its spool
that the server has not taken yet, and tasks on its workers). No worker is left.
Started again on the same state directory, it submits the spooled proofs, gets
the tasks it was proving back through GET /v3/tasks/{node_id}, and every task is
accepted exactly once."""
import glob
import os
import signal
import time

import harness
from harness import check

TASKS = 8


def test(workdir, started):
    orchestrator = harness.Orchestrator(workdir, "--program", "argon2id_pow", "--inputs", "1:2",
                                        "--difficulty", "small_medium", "--argon2-target-bits", "6",
                                        "--max-tasks", str(TASKS))
    started.append(orchestrator)
    state = os.path.join(workdir, "state")
    first = harness.Supervisor(workdir, orchestrator.url, "--workers", "2", state_dir=state, name="first")
    started.append(first)
    accepted = lambda: orchestrator.scalar("SELECT COUNT(*) FROM tasks WHERE state='accepted'")
    harness.wait_until(lambda: accepted() >= 2, 120, "2 tasks accepted")

    # From now on the server answers every submission with 429: proofs pile up in the spool.
    orchestrator.admin("POST", "/admin/faults", {"endpoint": "submit", "kind": "429", "probability": 1.0,
                                                 "retry_after": "30"})
    spool = os.path.join(state, "spool", "*.spool")
    harness.wait_until(lambda: len(glob.glob(spool)) >= 1, 120, "a proof in the spool")
    workers = first.workers()
    check(workers, "no workers before the kill")
    os.kill(first.pid, signal.SIGKILL)
    first.proc.wait()
    harness.wait_until(lambda: not harness.worker_pids(first.pid), 5, "the workers to die with their supervisor")
    still = [pid for pid in workers if harness.alive(pid)]
    check(not still, "workers alive after the supervisor was killed: %s" % still)
    spooled = len(glob.glob(spool))
    before = accepted()
    orchestrator.admin("DELETE", "/admin/faults")

    second = harness.Supervisor(workdir, orchestrator.url, "--workers", "2", state_dir=state, name="second",
                                node_id=first.node_id)
    started.append(second)
    harness.wait_until(lambda: accepted() == TASKS, 180, "all %d tasks accepted" % TASKS)
    second.proc.send_signal(signal.SIGTERM)
    status = second.wait(60)
    check(status == 0, "the second supervisor exited %d after SIGTERM" % status)
    harness.assert_no_workers_left(second)

    once = orchestrator.query("SELECT task_id, COUNT(*) FROM submissions WHERE outcome='accepted' GROUP BY task_id")
    check(len(once) == TASKS and all(n == 1 for _, n in once), "accepted submissions per task: %s" % once)
    rejected = orchestrator.scalar("SELECT COUNT(*) FROM submissions WHERE outcome='rejected'")
    check(rejected == 0, "%d submissions rejected" % rejected)
    log_text = second.log_text()
    check("spool: %d proved tasks to submit first" % spooled in log_text, "the spool was not resubmitted first")
    listed = orchestrator.scalar("SELECT COUNT(*) FROM requests WHERE endpoint='list'")
    check(listed >= 2, "the restarted node did not list its assigned tasks")
    resumed = log_text.count("resumed (assigned to this node earlier)")
    check(not glob.glob(spool), "proofs left in the spool after all were accepted")
    harness.log("supervisor killed: accepted before the kill %d, spooled %d, resumed %d, all %d accepted once" % (
        before, spooled, resumed, TASKS))


harness.run(test)
