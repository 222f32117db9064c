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
    # Telemetry in the network's units: GFLOP/s, and MiB x 1000; no location unless configured.
    import json
    telemetry = [json.loads(t) for (t,) in orchestrator.query(
        "SELECT telemetry FROM submissions WHERE outcome='accepted'")]
    check(len(telemetry) == 20 and all(t.get("flops_per_sec", 0) > 0 for t in telemetry), "telemetry: %s" % telemetry[:2])
    check(all(1000 <= t["memory_used"] <= t["memory_capacity"] for t in telemetry), "memory telemetry: %s" % telemetry[:2])
    check(all("location" not in t for t in telemetry), "a location was sent without --location")
    summary = supervisor.summary()
    check(summary["accepted"] == "20", "summary says %s accepted" % summary["accepted"])
    harness.assert_no_workers_left(supervisor)
    harness.log("summary:", summary)


harness.run(test)
