"""Crash loop: a worker that cannot start (it exits before its hello, or its
file cannot be executed) makes the supervisor exit 1 with a clear message within
30 s instead of restarting it forever. A --worker-path that does not exist at all
is refused at parse time (exit 2, naming the flag), before anything is fetched."""
import os
import time

import harness
from harness import check


def crash_loop(workdir, started, worker_path, name):
    orchestrator = started[0]
    began = time.time()
    supervisor = harness.Supervisor(workdir, orchestrator.url, "--workers", "2", "--worker-path", worker_path,
                                    name=name)
    started.append(supervisor)
    status = supervisor.wait(40)
    took = time.time() - began
    log_text = supervisor.log_text()
    check(status == 1, "%s: supervisor exited %d, expected 1" % (name, status))
    check(took < 30, "%s: took %.1f s to give up" % (name, took))
    check("workers cannot start" in log_text and "start-up failures in a row" in log_text
          or "workers cannot start" in log_text,
          "%s: no clear message in the log" % name)
    harness.assert_no_workers_left(supervisor)
    harness.log("%s: exit %d after %.1f s" % (name, status, took))


def test(workdir, started):
    started.append(harness.Orchestrator(workdir, "--program", "argon2id_pow"))
    failing = os.path.join(workdir, "failing-worker")
    with open(failing, "w") as f:
        f.write("#!/bin/sh\necho 'failing-worker: cannot start' >&2\nexit 3\n")
    os.chmod(failing, 0o755)
    crash_loop(workdir, started, failing, "exits-at-start")
    not_executable = os.path.join(workdir, "not-executable-worker")
    with open(not_executable, "w") as f:
        f.write("not a program\n")
    crash_loop(workdir, started, not_executable, "not-executable")

    missing = os.path.join(workdir, "no-such-worker")
    supervisor = harness.Supervisor(workdir, started[0].url, "--workers", "2", "--worker-path", missing,
                                    name="missing-executable")
    started.append(supervisor)
    check(supervisor.wait(20) == 2, "a missing --worker-path was not refused with exit 2")
    check("--worker-path" in supervisor.log_text() and missing in supervisor.log_text(),
          "the refusal does not name the flag and file: %r" % supervisor.log_text())
    check(started[0].scalar("SELECT COUNT(*) FROM tasks WHERE node_id = ?", supervisor.node_id) == 0,
          "tasks were fetched before the worker path was checked")


harness.run(test)
