"""Resume: tasks assigned to a node before it started (fetched with its key by
someone else, e.g. an earlier run) come back through GET /v3/tasks/{node_id}
and are completed."""
import os
import signal
import urllib.request

import harness
from harness import check

TASKS = 5


def varint(n):
    out = b""
    while True:
        byte = n & 0x7F
        n >>= 7
        out += bytes([byte | (0x80 if n else 0)])
        if not n:
            return out


def get_proof_task_request(node_id, public_key):
    node = node_id.encode()
    return (b"\x0a" + varint(len(node)) + node + b"\x10\x01" + b"\x1a\x20" + public_key + b"\x20\x00")


def test(workdir, started):
    orchestrator = harness.Orchestrator(workdir, "--program", "argon2id_pow", "--inputs", "1:2",
                                        "--difficulty", "small", "--max-tasks", str(TASKS))
    started.append(orchestrator)
    state = os.path.join(workdir, "state")
    # A first, short run creates the node key; it talks to nothing.
    config, node_id = harness.register_node(workdir, orchestrator.url)
    keymaker = harness.Supervisor(workdir, "http://127.0.0.1:9", "--workers", "1", state_dir=state, name="keymaker",
                                  node_id=node_id)
    harness.wait_until(lambda: os.path.exists(os.path.join(state, "node.key")), 20, "the node key")
    keymaker.proc.send_signal(signal.SIGINT)
    keymaker.proc.send_signal(signal.SIGINT)
    keymaker.wait(20)
    public_key = open(os.path.join(state, "node.key"), "rb").read()[32:]
    check(len(public_key) == 32, "node.key holds %d bytes after the seed" % len(public_key))
    for _ in range(TASKS):
        request = urllib.request.Request(orchestrator.url + "/v3/tasks", method="POST",
                                         data=get_proof_task_request(node_id, public_key),
                                         headers={"Content-Type": "application/octet-stream"})
        with urllib.request.urlopen(request, timeout=10) as reply:
            check(reply.status == 200, "fetch answered %d" % reply.status)
    supervisor = harness.Supervisor(workdir, orchestrator.url, "--workers", "2", "--max-tasks", str(TASKS),
                                    state_dir=state, node_id=node_id)
    started.append(supervisor)
    status = supervisor.wait(120)
    check(status == 0, "supervisor exited %d" % status)
    harness.assert_each_accepted_once(orchestrator, TASKS)
    resumed = supervisor.log_text().count("resumed (assigned to this node earlier)")
    check(resumed == TASKS, "%d tasks resumed, expected %d" % (resumed, TASKS))
    harness.log("resume: %d assigned tasks listed and completed" % resumed)


harness.run(test)
