"""429 storm: for 10 s every fetch and submit gets 429 with Retry-After: 3. No
request of an endpoint may arrive inside a Retry-After window that endpoint was
given, and every task is then accepted exactly once."""
import time

import harness
from harness import check

TASKS = 12
STORM_S = 10
RETRY_AFTER = 3


MAX_IN_FLIGHT = 32  # Intake::kMaxFetchesInFlight and SubmitQueue::kMaxInFlight


def violations(orchestrator, endpoint):
    rows = orchestrator.query("SELECT arrived_at, answered_at, status, retry_after FROM requests "
                              "WHERE endpoint = ? ORDER BY arrived_at", endpoint)
    found = []
    windows = [(answered, answered + float(ra)) for _, answered, status, ra in rows if status == 429 and ra]
    # Requests the node had already sent when the storm's first 429 came (several
    # fetches or submissions may be in flight at once) reach the server after it,
    # however late a busy machine delivers them: they were sent before the node
    # knew, so the first window forgives as many as can be in flight, and no more.
    # Every later window is strict: after a window the node sends one request and
    # waits for its answer before it sends more. None of this depends on speed.
    first = windows[0] if windows else None
    forgiven = 0
    for arrived, _, _, _ in rows:
        inside = [(start, end) for start, end in windows if start < arrived < end]
        if not inside:
            continue
        if first and first[0] < arrived < first[1] and forgiven < MAX_IN_FLIGHT:
            forgiven += 1
            continue
        found.append((arrived,) + inside[0])
    waits = [b[0] - a[1] for a, b in zip(rows, rows[1:]) if a[2] == 429]
    return rows, windows, found, waits, forgiven


def test(workdir, started):
    orchestrator = harness.Orchestrator(workdir, "--program", "argon2id_pow", "--inputs", "1:2",
                                        "--difficulty", "small", "--max-tasks", str(TASKS))
    started.append(orchestrator)
    supervisor = harness.Supervisor(workdir, orchestrator.url, "--workers", "2", "--max-tasks", str(TASKS))
    started.append(supervisor)
    harness.wait_until(lambda: orchestrator.scalar("SELECT COUNT(*) FROM tasks") >= 3, 60, "3 tasks fetched")
    storm = [{"endpoint": e, "kind": "429", "probability": 1.0, "duration_s": STORM_S,
              "retry_after": str(RETRY_AFTER)} for e in ("fetch", "submit")]
    orchestrator.admin("POST", "/admin/faults", storm)
    status = supervisor.wait(180)
    check(status == 0, "supervisor exited %d" % status)
    harness.assert_each_accepted_once(orchestrator, TASKS)
    report = []
    for endpoint in ("fetch", "submit"):
        rows, windows, found, waits, forgiven = violations(orchestrator, endpoint)
        check(windows, "no 429 was given on %s" % endpoint)
        check(not found, "%d %s requests arrived inside a Retry-After window: %s" % (len(found), endpoint, found[:3]))
        report.append("%s: requests=%d 429s=%d in_flight_at_onset=%d shortest_wait=%.2fs longest_wait=%.2fs "
                      "violations=%d" % (endpoint, len(rows), len(windows), forgiven, min(waits), max(waits),
                                         len(found)))
    waited = [l for l in supervisor.log_text().splitlines() if "429" in l]
    check(waited, "the supervisor logged no 429")
    for line in report:
        harness.log("storm", line)


harness.run(test)
