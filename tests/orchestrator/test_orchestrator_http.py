#!/usr/bin/env python3
"""Smoke test of local-orchestrator over real HTTP: fetch, list, submit, faults, latency, records, SIGTERM.

Usage: test_orchestrator_http.py PATH/TO/local-orchestrator
Python 3 stdlib only; protobuf bodies are written and read by the tiny codec below.
"""

import email.utils
import http.client
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

# --- a minimal protobuf writer and reader (varint and length-delimited fields) ---


def varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def message(*fields):
    """fields: (number, value) with int -> varint, str/bytes -> length-delimited."""
    out = bytearray()
    for number, value in fields:
        if isinstance(value, int):
            out += varint(number << 3) + varint(value)
        else:
            data = value.encode() if isinstance(value, str) else value
            out += varint(number << 3 | 2) + varint(len(data)) + data
    return bytes(out)


def parse(data):
    """Returns {field number: [values]}; varints as int, length-delimited as bytes."""
    fields, i = {}, 0

    def read_varint():
        nonlocal i
        shift = result = 0
        while True:
            byte = data[i]
            i += 1
            result |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return result

    while i < len(data):
        key = read_varint()
        number, wire = key >> 3, key & 7
        if wire == 0:
            value = read_varint()
        elif wire == 2:
            length = read_varint()
            value = data[i:i + length]
            i += length
        else:
            raise ValueError("unexpected wire type %d" % wire)
        fields.setdefault(number, []).append(value)
    return fields


def one(fields, number, default=None):
    return fields.get(number, [default])[0]


# --- the process and HTTP helpers ---

FAILURES = []
CHECKS = [0]


def check(condition, what):
    CHECKS[0] += 1
    if not condition:
        FAILURES.append(what)
        print("FAIL: " + what, flush=True)


class Orchestrator:
    def __init__(self, exe, workdir, *extra):
        self.db = os.path.join(workdir, "orch.db")
        port_file = os.path.join(workdir, "port")
        self.log = open(os.path.join(workdir, "orch.log"), "w")
        self.proc = subprocess.Popen(
            [exe, "--db", self.db, "--port-file", port_file, "--seed", "3", "--inputs", "1:2", *extra],
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        deadline = time.time() + 15
        while not os.path.exists(port_file):
            if self.proc.poll() is not None or time.time() > deadline:
                raise SystemExit("local-orchestrator did not start; see " + self.log.name)
            time.sleep(0.05)
        with open(port_file) as f:
            self.port = int(f.read())
        line = self.proc.stdout.readline().strip()
        check(line == "listening on http://127.0.0.1:%d" % self.port, "stdout announces the port: " + line)

    def call(self, method, path, body=None, content_type="application/octet-stream"):
        request = urllib.request.Request("http://127.0.0.1:%d%s" % (self.port, path), data=body,
                                         method=method, headers={"Content-Type": content_type})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()

    def admin(self, method, path, document=None):
        body = None if document is None else json.dumps(document).encode()
        return self.call(method, path, body, "application/json")

    def rows(self, sql, *args):
        with sqlite3.connect(self.db, timeout=5) as db:
            return db.execute(sql, args).fetchall()


def fetch_request(node_id, key, max_difficulty=0):
    return message((1, node_id), (2, 1), (3, key), (4, max_difficulty))


def submit_request(task_id, key, proof_hash, signature=b"\x01" * 64, all_hashes=()):
    fields = [(2, 1), (3, proof_hash), (6, task_id), (7, key), (8, signature)]
    fields += [(9, h) for h in all_hashes]
    return message(*fields)


def error_name(body):
    try:
        return json.loads(body).get("name")
    except ValueError:
        return None


# --- the checks ---


def test_fetch(orch, node_id, key):
    tasks = []
    for _ in range(3):
        status, headers, body = orch.call("POST", "/v3/tasks", fetch_request(node_id, key))
        check(status == 200, "fetch answers 200, got %d %r" % (status, body[:200]))
        check(headers.get("Content-Type") == "application/octet-stream", "fetch content type")
        response = parse(body)
        task = parse(one(response, 4, b""))
        inputs = task.get(5, [])
        check(one(task, 2) == b"argon2id_pow", "program_id is argon2id_pow")
        check(1 <= len(inputs) <= 2, "1 to 2 inputs (--inputs 1:2), got %d" % len(inputs))
        check(all(len(i) == 41 for i in inputs), "argon2id_pow inputs are 41 bytes")
        check(inputs and inputs[0][32] == 3 and inputs[0][37:41] == (8192).to_bytes(4, "little"),
              "SMALL argon2id_pow: target_bits 3, memlimit 8 MiB")
        created = one(parse(one(task, 4, b"")), 1, 0)
        check(abs(created - time.time()) < 60, "created_at is now")
        check(one(task, 7, 0) == 0, "difficulty SMALL as requested")
        check(one(response, 3) == one(task, 1), "deprecated task_id")
        check(one(response, 1) == b"argon2id_pow", "deprecated program_id")
        check(one(response, 2) == inputs[0], "deprecated public_inputs is the first input")
        tasks.append((one(task, 1).decode(), one(task, 6, 0), inputs))
    check(sorted(t[1] for t in tasks) == [0, 1, 2], "task types round-robin: %r" % [t[1] for t in tasks])
    return tasks


def test_bad_fetches(orch, node_id):
    status, headers, body = orch.call("POST", "/v3/tasks", b"\xff\xff\xff")
    check(status == 400 and error_name(body) == "BadRequest", "undecodable fetch -> 400 JSON")
    check(json.loads(body).get("httpCode") == 400, "error JSON carries httpCode")
    status, _, body = orch.call("POST", "/v3/tasks", fetch_request(node_id, b"\x01" * 31))
    check(status == 400 and b"32 bytes" in body, "31-byte key -> 400")


def test_list(orch, node_id, tasks):
    status, _, body = orch.call("GET", "/v3/tasks/" + node_id)
    check(status == 200, "list answers 200")
    listed = [one(parse(t), 1).decode() for t in parse(body).get(1, [])]
    check(listed == [t[0] for t in tasks], "list returns the node's tasks in order: %r" % listed)
    status, _, body = orch.call("GET", "/v3/tasks/someone-else")
    check(status == 200 and parse(body).get(1) is None, "another node's list is empty")


def test_submissions(orch, key, other_key, tasks):
    first, second = tasks[0][0], tasks[1][0]
    status, _, body = orch.call("POST", "/v3/tasks/submit", submit_request(first, key, "ab" * 32))
    check(status == 422 and error_name(body) == "InvalidSignature", "wrong signature -> 422: %r" % body)
    check(orch.rows("SELECT state, submissions FROM tasks WHERE task_id=?", first) == [("rejected", 1)],
          "a rejected submission marks the task rejected")
    check(orch.rows("SELECT status, outcome FROM submissions WHERE task_id=?", first) == [(422, "rejected")],
          "the rejection is recorded")

    status, _, body = orch.call("POST", "/v3/tasks/submit", submit_request(second, other_key, "ab" * 32))
    check(status == 422 and json.loads(body)["message"] == "key does not match the key the task was issued to",
          "another key -> 422 key mismatch")
    check(orch.rows("SELECT state FROM tasks WHERE task_id=?", second) == [("assigned",)],
          "a key mismatch leaves the task assigned")

    status, _, body = orch.call("POST", "/v3/tasks/submit", submit_request("no-such-task", key, "ab" * 32))
    check(status == 404 and error_name(body) == "TaskNotFound", "unknown task -> 404")
    status, _, body = orch.call("POST", "/v3/tasks/submit", b"\x0a")
    check(status == 400, "undecodable submission -> 400")


def test_429_fault(orch, key, task_id):
    status, _, body = orch.admin("POST", "/admin/faults",
                                 {"endpoint": "submit", "kind": "429", "probability": 1.0,
                                  "duration_s": 30, "retry_after": "3"})
    check(status == 200 and len(json.loads(body)["faults"]) == 1, "admin adds a fault")
    arrived = time.time()
    status, headers, body = orch.call("POST", "/v3/tasks/submit", submit_request(task_id, key, "ab" * 32))
    check(status == 429 and headers.get("Retry-After") == "3", "429 fault with Retry-After: 3")
    check(orch.rows("SELECT state, submissions FROM tasks WHERE task_id=?", task_id) == [("assigned", 1)],
          "a 429'd submission leaves the task as it was")
    rows = orch.rows("SELECT status, retry_after, fault, arrived_at FROM requests "
                     "WHERE endpoint='submit' ORDER BY id DESC LIMIT 1")
    check(rows and rows[0][:3] == (429, "3", "429"), "requests logs the 429: %r" % rows)
    check(rows and abs(rows[0][3] - arrived) < 2, "requests logs the arrival time")
    status, _, _ = orch.admin("DELETE", "/admin/faults")
    check(status == 200, "admin clears faults")

    orch.admin("POST", "/admin/faults", {"endpoint": "list", "kind": "429-date", "retry_after": 5, "count": 1})
    status, headers, _ = orch.call("GET", "/v3/tasks/x")
    retry_at = email.utils.parsedate_to_datetime(headers.get("Retry-After", "")).timestamp()
    check(status == 429 and 3 <= retry_at - time.time() <= 7, "429-date gives an HTTP-date")
    status, _, _ = orch.call("GET", "/v3/tasks/x")
    check(status == 200, "a fault with count 1 fires once")


def test_other_faults(orch, node_id, key):
    orch.admin("POST", "/admin/faults", [{"endpoint": "list", "kind": "reset", "count": 1},
                                          {"endpoint": "users", "kind": "html", "count": 1},
                                          {"endpoint": "nodes", "kind": "oversize", "count": 1}])
    try:
        orch.call("GET", "/v3/tasks/x")
        check(False, "reset closes the connection without an answer")
    except (http.client.RemoteDisconnected, ConnectionResetError, urllib.error.URLError):
        pass
    # The client sees the reset before the server's thread has written its row: wait for it.
    deadline = time.time() + 30
    while True:
        rows = orch.rows("SELECT status, fault FROM requests WHERE endpoint='list' ORDER BY id DESC LIMIT 1")
        if rows == [(0, "reset")] or time.time() > deadline:
            break
        time.sleep(0.02)
    check(rows == [(0, "reset")], "requests logs the reset as status 0: %r" % rows)
    status, headers, body = orch.call("GET", "/v3/users/w")
    check(status == 502 and b"<html>" in body, "html fault: 502 with a page")
    status, _, body = orch.call("GET", "/v3/nodes/n")
    check(status == 200 and len(body) == 2 << 20, "oversize fault: 2 MiB body")

    orch.admin("POST", "/admin/faults", {"endpoint": "fetch", "kind": "expire", "count": 1})
    _, _, body = orch.call("POST", "/v3/tasks", fetch_request(node_id, key))
    task_id = one(parse(one(parse(body), 4, b"")), 1, b"").decode()
    status, _, body = orch.call("POST", "/v3/tasks/submit", submit_request(task_id, key, "ab" * 32))
    check(status == 404 and error_name(body) == "TaskExpired", "expire fault: the submission gets 404")
    check(orch.rows("SELECT state FROM tasks WHERE task_id=?", task_id) == [("expired",)],
          "the expired task is recorded expired")


def test_users_and_nodes(orch):
    status, _, _ = orch.call("POST", "/v3/users", message((1, "uuid-1"), (2, "0xwallet")))
    check(status == 200, "register user")
    status, _, body = orch.call("GET", "/v3/users/0xwallet")
    check(status == 200 and one(parse(body), 3) == b"uuid-1", "look the user up by wallet")
    status, _, body = orch.call("POST", "/v3/nodes", message((1, 1), (2, "uuid-1")))
    node_id = one(parse(body), 1, b"").decode()
    check(status == 200 and node_id, "register node")
    status, _, body = orch.call("GET", "/v3/nodes/" + node_id)
    check(status == 200 and one(parse(body), 1) == b"0xwallet", "look the node up")
    status, _, body = orch.call("GET", "/v3/users/0xwallet")
    nodes = [one(parse(n), 1).decode() for n in parse(body).get(1, [])]
    check(nodes == [node_id], "the user lists its node")
    status, _, body = orch.call("GET", "/v3/nodes/unknown%20node")
    check(status == 404 and error_name(body) == "NodeNotFound", "unknown node -> 404")
    status, _, _ = orch.call("POST", "/v3/nodes", message((1, 1), (2, "nobody")))
    check(status == 404, "a node of an unknown user -> 404")
    status, _, body = orch.call("GET", "/nowhere")
    check(status == 404 and error_name(body) == "NotFound", "unknown route -> 404 JSON")


def test_admin_tasks_and_stats(orch, node_id, key):
    status, _, _ = orch.admin("POST", "/admin/tasks", {"program_id": "test_noop", "inputs": ["0102"],
                                                       "task_type": "all_proof_hashes", "difficulty": "large"})
    check(status == 200, "admin queues a task")
    _, _, body = orch.call("POST", "/v3/tasks", fetch_request(node_id, key))
    task = parse(one(parse(body), 4, b""))
    check(one(task, 2) == b"test_noop" and task.get(5) == [b"\x01\x02"] and one(task, 6) == 2
          and one(task, 7) == 10, "the queued task is issued next, exactly")
    status, _, _ = orch.admin("POST", "/admin/tasks", {"program_id": "nope", "inputs": ["00"]})
    check(status == 400, "admin refuses an unknown program")
    status, _, body = orch.admin("GET", "/admin/stats")
    stats = json.loads(body)
    check(stats["requests"]["submit"]["429"] >= 1 and stats["submissions"]["rejected"] >= 1
          and stats["tasks"]["expired"] == 1, "stats counts requests, submissions and tasks: %r" % stats)


LATENCY_S = 1.0  # long beside any request's own work, so that the bounds below hold on a slow machine
CONCURRENT = 8


def test_latency(exe, workdir):
    """--latency-ms: every answer but the admin routes' leaves at least that long after
    its request arrived, and requests in flight together wait together, not in turn.
    Both are read from the server's own record of arrival and answer times."""
    orch = Orchestrator(exe, workdir, "--latency-ms", str(int(LATENCY_S * 1000)), "--fault", "submit:429:p=1:ra=1")
    try:
        node_id, key = "node-latency", os.urandom(32)
        started = time.time()
        status, _, _ = orch.call("POST", "/v3/tasks", fetch_request(node_id, key))
        check(status == 200 and time.time() - started >= LATENCY_S, "a delayed fetch still answers, after the delay")
        threads = [threading.Thread(target=orch.call, args=("POST", "/v3/tasks", fetch_request(node_id, key)))
                   for _ in range(CONCURRENT)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        orch.call("POST", "/v3/tasks/submit", submit_request("no-such-task", key, "ab" * 32))  # the 429 fault
        orch.admin("GET", "/admin/stats")
        rows = orch.rows("SELECT endpoint, arrived_at, answered_at, status FROM requests ORDER BY id")
        delayed = [r for r in rows if r[0] != "admin"]
        check(len(delayed) == CONCURRENT + 2 and all(r[2] - r[1] >= LATENCY_S for r in delayed),
              "every non-admin answer waited --latency-ms: %r" % delayed)
        check(any(r[0] == "submit" and r[3] == 429 for r in delayed), "a faulted answer is delayed too")
        together = [r for r in delayed if r[0] == "fetch"][1:]
        check(max(r[1] for r in together) < min(r[2] for r in together),
              "%d concurrent fetches were all in flight at once (each arrived before any was answered): %r"
              % (CONCURRENT, together))
        admin = [r for r in rows if r[0] == "admin"]
        check(admin and admin[-1][2] - admin[-1][1] < LATENCY_S, "admin answers are not delayed: %r" % admin)
    finally:
        orch.proc.send_signal(signal.SIGTERM)
        orch.proc.wait(timeout=10)


def test_bad_flags(exe):
    result = subprocess.run([exe, "--db", "x.db", "--latency-ms", "-1"], capture_output=True, text=True, timeout=10)
    check(result.returncode == 2 and "--latency-ms" in result.stderr, "a negative latency is refused: %r" % result.stderr)
    result = subprocess.run([exe, "--db", "x.db", "--bogus"], capture_output=True, text=True, timeout=10)
    check(result.returncode == 2 and "--bogus" in result.stderr and result.stderr.count("\n") == 1,
          "a bad flag exits 2 with one line naming it: %r" % result.stderr)
    result = subprocess.run([exe], capture_output=True, text=True, timeout=10)
    check(result.returncode == 2 and "--db" in result.stderr, "--db is required")


def main():
    exe = os.path.abspath(sys.argv[1])
    test_bad_flags(exe)
    with tempfile.TemporaryDirectory(prefix="orch-latency-") as workdir:
        test_latency(exe, workdir)
    with tempfile.TemporaryDirectory(prefix="orch-http-") as workdir:
        orch = Orchestrator(exe, workdir)
        try:
            node_id, key, other_key = "node-7", os.urandom(32), os.urandom(32)
            tasks = test_fetch(orch, node_id, key)
            test_bad_fetches(orch, node_id)
            test_list(orch, node_id, tasks)
            test_submissions(orch, key, other_key, tasks)
            test_429_fault(orch, key, tasks[1][0])
            test_other_faults(orch, node_id, key)
            test_users_and_nodes(orch)
            test_admin_tasks_and_stats(orch, node_id, key)
        finally:
            orch.proc.send_signal(signal.SIGTERM)
            try:
                code = orch.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                orch.proc.kill()
                code = None
            check(code == 0, "SIGTERM stops the server with exit 0, got %r" % code)
            if FAILURES:
                with open(orch.log.name) as f:
                    print("--- server log (last lines) ---\n" + "".join(f.readlines()[-30:]))
    print("%d checks, %d failure(s)" % (CHECKS[0], len(FAILURES)))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
