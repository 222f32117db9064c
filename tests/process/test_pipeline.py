"""Fetching ahead over a round trip: with the orchestrator 40 ms away, 8 workers on
tasks that sleep 250 ms stay busy, and no task expires for having been held too long.

Why these numbers. 8 workers on 250 ms tasks need 32 tasks a second; a node that
holds one task queued and one fetch in flight gets one task per round trip, 25 a
second, so its workers could be busy at most 78% of the time: the 90% asserted
here needs the fetch ahead. How busy the workers are depends on the machine, so it
is logged here and measured by `scripts/bench --pipeline`; what is asserted is the
fetch ahead itself, seen from the server: several fetches open at once (a node
fetching one task per round trip never has two). The deadline (2 s from issue to
submission, on the server and given to the node as --task-timeout) leaves a node
that holds what the pool can finish (a task waits at most about one task time) well
clear of it, while a node hoarding some 50 tasks (a queue 6 task times long) would
see the last of them expire.
"""
import harness
import timeline
from harness import check

WORKERS = 8
TASKS = WORKERS * 20
SLEEP_MS = 250
DEADLINE_S = 2
SLEEP = (0).to_bytes(4, "little") + SLEEP_MS.to_bytes(4, "little")  # test_alloc: 0 MiB, held SLEEP_MS


def test(workdir, started):
    orchestrator = harness.Orchestrator(workdir, "--program", "test_alloc", "--test-input", "test_alloc=" + SLEEP.hex(),
                                        "--inputs", "1:1", "--task-types", "proof_hash", "--latency-ms", "40",
                                        "--task-deadline", str(DEADLINE_S))
    started.append(orchestrator)
    supervisor = harness.Supervisor(workdir, orchestrator.url, "--workers", str(WORKERS), "--max-tasks", str(TASKS),
                                    "--task-timeout", str(DEADLINE_S), "--memory-per-proof", "16M",
                                    "--allow-test-programs", "--fetch-backoff", "1:2")
    started.append(supervisor)
    check(supervisor.wait(240) == 0, "supervisor did not exit 0 after %d tasks" % TASKS)
    harness.assert_each_accepted_once(orchestrator, TASKS)
    expired = orchestrator.scalar("SELECT COUNT(*) FROM tasks WHERE state = 'expired'")
    late = orchestrator.scalar("SELECT COUNT(*) FROM submissions WHERE outcome = 'expired'")
    check(expired == 0 and late == 0, "%s tasks expired, %s submissions came after the deadline" % (expired, late))
    issued = orchestrator.scalar("SELECT COUNT(*) FROM tasks")
    check(issued == TASKS, "%s tasks issued for --max-tasks %d: the node fetched more than it could use" % (
        issued, TASKS))

    tl = timeline.Timeline(supervisor.log_path)
    busy = tl.busy(WORKERS)
    starved, longest = tl.starvation(WORKERS)
    start, end = tl.steady_span()
    harness.log("pipeline: %d tasks in %.1f s, workers busy %.1f%%, idle with nothing queued %.2f worker-s "
                "(longest %.0f ms), none expired" % (TASKS, end - start, 100 * busy, starved, 1000 * longest))
    fetches = orchestrator.query("SELECT arrived_at, answered_at FROM requests WHERE endpoint = 'fetch'")
    edges = sorted([(a, 1) for a, _ in fetches] + [(b, -1) for _, b in fetches])
    open_now = most_open = 0
    for _, step in edges:
        open_now += step
        most_open = max(most_open, open_now)
    harness.log("pipeline: at most %d fetches open at once" % most_open)
    check(most_open >= 2, "never more than one fetch open at once: the node fetches one task per round trip")


harness.run(test)
