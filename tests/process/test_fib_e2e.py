"""End to end with the STARK: the supervisor proves fib_input_initial tasks of
every task type from the local orchestrator, which verifies every PROOF_REQUIRED
proof with the shared verifier; all are accepted exactly once."""
import harness
from harness import check

TASKS = 9


def test(workdir, started):
    orchestrator = harness.Orchestrator(workdir, "--program", "fib_input_initial", "--inputs", "1:3",
                                        "--difficulty", "small", "--max-tasks", str(TASKS),
                                        "--task-types", "proof_required,proof_hash,all_proof_hashes")
    started.append(orchestrator)
    supervisor = harness.Supervisor(workdir, orchestrator.url, "--workers", "2", "--per-task-threads", "2",
                                    "--max-tasks", str(TASKS), "--max-difficulty", "small")
    started.append(supervisor)
    status = supervisor.wait(300)
    check(status == 0, "supervisor exited %d" % status)
    harness.assert_each_accepted_once(orchestrator, TASKS)
    types = dict(orchestrator.query("SELECT task_type, COUNT(*) FROM tasks WHERE state='accepted' GROUP BY task_type"))
    check(set(types) == {0, 1, 2}, "task types accepted: %s" % types)
    harness.assert_no_workers_left(supervisor)
    harness.log("fib e2e: %d fib_input_initial tasks accepted, types %s" % (TASKS, types))


harness.run(test)
