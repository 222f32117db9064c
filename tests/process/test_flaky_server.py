"""Flaky server: 30% of requests fail (5xx, garbage, truncated, reset, delayed).
Every task is accepted exactly once and the supervisor never exits before it is done."""
import harness
from harness import check

TASKS = 15


def test(workdir, started):
    faults = []
    for endpoint, kinds in (("fetch", ["500", "503", "garbage", "truncate", "reset", "html", "delay"]),
                            ("list", ["500", "garbage", "reset"]),
                            ("submit", ["500", "503", "reset", "html", "delay"])):
        # Chained draws: each fault fires with probability p of the requests that reach it;
        # p = 1 - 0.7 ** (1 / len(kinds)) makes 30% in all.
        p = 1 - 0.7 ** (1.0 / len(kinds))
        for kind in kinds:
            faults += ["--fault", "%s:%s:p=%.4f:ms=1500" % (endpoint, kind, p)]
    orchestrator = harness.Orchestrator(workdir, "--program", "argon2id_pow", "--inputs", "1:3",
                                        "--difficulty", "small", "--max-tasks", str(TASKS), *faults)
    started.append(orchestrator)
    supervisor = harness.Supervisor(workdir, orchestrator.url, "--workers", "2", "--max-tasks", str(TASKS),
                                    "--fetch-backoff", "0.2:1", "--submit-backoff", "0.2:1")
    started.append(supervisor)
    status = supervisor.wait(240)
    check(status == 0, "supervisor exited %d" % status)
    harness.assert_each_accepted_once(orchestrator, TASKS)
    total = orchestrator.scalar("SELECT COUNT(*) FROM requests WHERE endpoint IN ('fetch','list','submit')")
    faulted = orchestrator.scalar("SELECT COUNT(*) FROM requests WHERE fault IS NOT NULL AND fault != ''")
    check(faulted > 0, "no fault fired")
    harness.log("flaky: requests=%d faulted=%d (%.0f%%) tasks accepted=%d" % (total, faulted, 100.0 * faulted / total,
                                                                             TASKS))


harness.run(test)
