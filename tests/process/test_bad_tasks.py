"""Bad tasks from the server never crash the node: an unknown program, an unknown
task type or difficulty, zero inputs and an input of the wrong size are each set
aside with the reason, counted, and the good tasks around them are accepted."""
import re

import harness
from harness import check

GOOD = 4
ARGON2 = bytes(range(32)) + bytes([2]) + (1).to_bytes(4, "little") + (8).to_bytes(4, "little")


def test(workdir, started):
    orchestrator = harness.Orchestrator(workdir, "--program", "argon2id_pow", "--inputs", "1:2",
                                        "--difficulty", "small")
    started.append(orchestrator)
    bad = [
        ({"program_id": "no_such_program", "inputs": ["00"], "unchecked": True}, "unsupported", "unknown program"),
        ({"program_id": "argon2id_pow", "inputs": [ARGON2.hex()], "task_type": 7}, "unsupported", "unknown task type 7"),
        ({"program_id": "argon2id_pow", "inputs": [ARGON2.hex()], "difficulty": 4}, "unsupported", "unknown difficulty 4"),
        ({"program_id": "argon2id_pow", "inputs": [], "unchecked": True}, "malformed", "no inputs"),
        ({"program_id": "argon2id_pow", "inputs": [ARGON2.hex(), "0102"], "unchecked": True}, "malformed", "input 1"),
    ]
    for spec, _, _ in bad:
        orchestrator.admin("POST", "/admin/tasks", {"task_type": "proof_required", "difficulty": "small", **spec})
    supervisor = harness.Supervisor(workdir, orchestrator.url, "--workers", "2", "--max-tasks", str(GOOD),
                                    "--max-difficulty", "small")
    started.append(supervisor)
    status = supervisor.wait(120)
    check(status == 0, "supervisor exited %d" % status)
    summary = supervisor.summary()
    check(summary["accepted"] == str(GOOD), "summary: %s" % summary)
    check(summary["unsupported"] == "3" and summary["malformed"] == "2", "summary: %s" % summary)
    log_text = supervisor.log_text()
    for spec, state, reason in bad:
        check(re.search(r"-> %s: .*%s" % (state, re.escape(reason)), log_text),
              "no '%s' line saying '%s'" % (state, reason))
    proved = orchestrator.scalar("SELECT COUNT(*) FROM submissions")
    check(proved == GOOD, "%d submissions, expected only the %d good tasks" % (proved, GOOD))
    harness.assert_no_workers_left(supervisor)
    harness.log("bad tasks: 5 set aside (3 unsupported, 2 malformed), %d good ones accepted" % GOOD)


harness.run(test)
