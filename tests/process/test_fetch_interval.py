"""--min-fetch-interval: however many tasks the pool wants, the node never sends two
fetches within one interval (the public network allows about one task per node
every two minutes). 4 idle workers want 5 tasks at once; the orchestrator's own
record of arrival times must show the fetches at least an interval apart. A slow
machine can only spread them further, so the bound holds at any speed."""
import harness
from harness import check

INTERVAL_S = 1.0
TASKS = 4


def test(workdir, started):
    orchestrator = harness.Orchestrator(workdir, "--program", "test_noop", "--inputs", "1:1",
                                        "--task-types", "proof_hash")
    started.append(orchestrator)
    supervisor = harness.Supervisor(workdir, orchestrator.url, "--workers", "4", "--max-tasks", str(TASKS),
                                    "--min-fetch-interval", str(INTERVAL_S), "--allow-test-programs",
                                    "--memory-per-proof", "16M")
    started.append(supervisor)
    check(supervisor.wait(60) == 0, "supervisor did not exit 0 after %d tasks" % TASKS)
    harness.assert_each_accepted_once(orchestrator, TASKS)
    arrivals = [row[0] for row in orchestrator.query(
        "SELECT arrived_at FROM requests WHERE endpoint = 'fetch' ORDER BY arrived_at")]
    check(len(arrivals) == TASKS, "%d fetches for %d tasks" % (len(arrivals), TASKS))
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:])]
    # 10 ms of slack for the two clocks: the node's monotonic one paces, the server stamps wall time.
    check(all(gap >= INTERVAL_S - 0.01 for gap in gaps), "fetches closer than %.1f s apart: gaps %s" % (
        INTERVAL_S, ["%.3f" % g for g in gaps]))
    harness.log("fetch interval: %d fetches, gaps %s s" % (len(arrivals), " ".join("%.2f" % g for g in gaps)))


harness.run(test)
