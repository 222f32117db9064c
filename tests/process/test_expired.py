"""Expired task: a submission after the deadline gets 404, is counted as expired
and is not submitted again. The orchestrator's `expire` fault issues every task
already past its deadline, so the test holds however fast the prover is."""
import signal

import harness
from harness import check

TASKS = 2


def test(workdir, started):
    orchestrator = harness.Orchestrator(workdir, "--program", "argon2id_pow", "--inputs", "2:2",
                                        "--difficulty", "small", "--fault", "fetch:expire:p=1",
                                        "--max-tasks", str(TASKS))
    started.append(orchestrator)
    supervisor = harness.Supervisor(workdir, orchestrator.url, "--workers", "2", "--fetch-backoff", "30:60")
    started.append(supervisor)
    harness.wait_until(lambda: supervisor.log_text().count("-> expired") >= TASKS, 120, "both tasks expired")
    supervisor.proc.send_signal(signal.SIGTERM)
    check(supervisor.wait(60) == 0, "supervisor did not exit 0 after SIGTERM")
    per_task = orchestrator.query("SELECT task_id, COUNT(*) FROM submissions GROUP BY task_id")
    check(len(per_task) == TASKS and all(n == 1 for _, n in per_task), "submissions per task: %s" % per_task)
    outcomes = orchestrator.query("SELECT DISTINCT outcome FROM submissions")
    check(outcomes == [("expired",)], "outcomes: %s" % outcomes)
    summary = supervisor.summary()
    check(summary["expired"] == str(TASKS), "summary: %s" % summary)
    harness.log("expired: %s tasks expired, each submitted once" % summary["expired"])


harness.run(test)
