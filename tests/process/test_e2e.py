"""End to end: 2 workers prove 20 argon2id_pow tasks of all three task types with
1 to 4 inputs; the orchestrator accepts each exactly once; no worker survives."""
import harness
from harness import check


def test(workdir, started):
    orchestrator = harness.Orchestrator(workdir, "--program", "argon2id_pow", "--inputs", "1:4",
                                        "--task-types", "proof_required,proof_hash,all_proof_hashes")
    started.append(orchestrator)
    supervisor = harness.Supervisor(workdir, orchestrator.url, "--workers", "2", "--per-task-threads", "2",
                                    "--max-tasks", "20", "--max-difficulty", "small_medium")
    started.append(supervisor)
    status = supervisor.wait(180)
    check(status == 0, "supervisor exited %d" % status)
    harness.assert_each_accepted_once(orchestrator, 20)
    types = dict(orchestrator.query("SELECT task_type, COUNT(*) FROM tasks WHERE state='accepted' GROUP BY task_type"))
    check(set(types) == {0, 1, 2}, "task types accepted: %s" % types)
    inputs = {len(row[0].split(",")) for row in orchestrator.query("SELECT inputs_hex FROM tasks")}
    check(len(inputs) > 1 and max(inputs) <= 4, "inputs per task: %s" % inputs)
    summary = supervisor.summary()
    check(summary["accepted"] == "20", "summary says %s accepted" % summary["accepted"])
    harness.assert_no_workers_left(supervisor)
    harness.log("summary:", summary)


harness.run(test)
