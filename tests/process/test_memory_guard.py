"""Memory guard: a worker whose RSS passes --max-worker-memory is killed by the
supervisor before the kernel would; that counts as an OOM kill, and the task is
retried with half its threads and accepted."""
import re

import harness
from harness import check

TASKS = 3


def test(workdir, started):
    alloc = (100).to_bytes(4, "little") + (800).to_bytes(4, "little")  # 100 MiB per input, held 0.8 s
    orchestrator = harness.Orchestrator(workdir, "--program", "test_alloc", "--test-input", "test_alloc=" + alloc.hex(),
                                        "--inputs", "2:2", "--max-tasks", str(TASKS))
    started.append(orchestrator)
    supervisor = harness.Supervisor(workdir, orchestrator.url, "--workers", "1", "--per-task-threads", "2",
                                    "--max-tasks", str(TASKS), "--allow-test-programs", "--max-worker-memory", "160M")
    started.append(supervisor)
    status = supervisor.wait(120)
    check(status == 0, "supervisor exited %d" % status)
    harness.assert_each_accepted_once(orchestrator, TASKS)
    log_text = supervisor.log_text()
    guard_kills = len(re.findall(r"memory guard: killing worker", log_text))
    summary = supervisor.summary()
    check(guard_kills >= 1, "the memory guard killed nothing")
    check(summary.get("restart_oom") == str(guard_kills), "guard kills %d, summary %s" % (guard_kills, summary))
    check(re.search(r"retry 2 of 3 with 1 threads", log_text), "the task was not retried with 1 thread")
    harness.assert_no_workers_left(supervisor)
    harness.log("memory guard: tasks=%d guard_kills=%d restarts=%s" % (TASKS, guard_kills, summary["restarts"]))


harness.run(test)
