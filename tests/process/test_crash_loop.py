"""Crash loop: a worker that cannot start (it exits before its hello, or its
executable is missing) makes the supervisor exit 1 with a clear message within
30 s instead of restarting it forever."""
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
    crash_loop(workdir, started, os.path.join(workdir, "no-such-worker"), "missing-executable")


harness.run(test)
