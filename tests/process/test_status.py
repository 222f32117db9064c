"""`supervisor status` asks a running node over STATE/control.sock and prints its
state as a table (with --json, the node's document as it sent it); a second node on
the same state directory is refused; with no node running, status says so (exit 1)."""
import json
import signal
import subprocess

import harness
from harness import check


def status(state_dir, *flags):
    return subprocess.run([harness.SUPERVISOR, "status", "--state-dir", state_dir, *flags], capture_output=True,
                          text=True, timeout=20)


def test(workdir, started):
    alloc = (1).to_bytes(4, "little") + (300).to_bytes(4, "little")
    args = ["--anonymous", "--anonymous-program", "test_alloc", "--anonymous-input", alloc.hex(),
            "--allow-test-programs", "--workers", "2"]
    node = harness.Supervisor(workdir, "http://127.0.0.1:9", *args, node_id="anonymous")
    started.append(node)
    harness.wait_until(lambda: len(node.workers()) == 2 and "dispatched" in node.log_text(), 20, "a busy node")
    reply = status(node.state_dir, "--json")
    check(reply.returncode == 0, "status --json exited %d: %s" % (reply.returncode, reply.stderr))
    report = json.loads(reply.stdout)
    check(report["phase"] == "running", "phase: %s" % report["phase"])
    pids = sorted(w["pid"] for w in report["workers"])
    check(pids == sorted(node.workers()), "workers %s, processes %s" % (pids, node.workers()))
    check(report["target_workers"] == 2 and report["memory"]["budget_bytes"] > 0, "report: %s" % report)
    check(any(w["state"] == "busy" and w["task"] for w in report["workers"]), "no busy worker: %s" % report["workers"])

    table = status(node.state_dir)
    check(table.returncode == 0, "status exited %d: %s" % (table.returncode, table.stderr))
    lines = table.stdout.splitlines()
    check(lines and lines[0].startswith("node anonymous") and "phase running" in lines[0], "summary: %r" % lines[:1])
    check(any(line.startswith("memory: projected ") and " of budget " in line for line in lines),
          "no memory line: %s" % table.stdout)
    header = [i for i, line in enumerate(lines) if line.split()[:3] == ["SLOT", "PID", "STATE"]]
    check(header, "no worker table: %s" % table.stdout)
    rows = [line.split() for line in lines[header[0] + 1:] if line.strip()]
    check(sorted(int(row[1]) for row in rows) == sorted(node.workers()), "table rows %s, processes %s" % (
        rows, node.workers()))
    check("{" not in table.stdout, "JSON in the table: %s" % table.stdout)

    second = harness.Supervisor(workdir, "http://127.0.0.1:9", *args, node_id="anonymous", name="second",
                                state_dir=node.state_dir)
    started.append(second)
    check(second.wait(20) == 1, "a second node on the same state directory was not refused")
    check("another node is running" in second.log_text(), "no reason given: %s" % second.log_text()[-300:])

    node.proc.send_signal(signal.SIGTERM)
    check(node.wait(30) == 0, "the node did not exit 0 after SIGTERM")
    gone = status(node.state_dir)
    check(gone.returncode == 1 and "no node answers" in gone.stderr, "status with no node: %d %s" % (
        gone.returncode, gone.stderr))
    harness.log("status: %d workers reported, phase %s; a second node refused; no node -> exit 1" % (
        len(pids), report["phase"]))


harness.run(test)
