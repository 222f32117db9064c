"""Under systemd (JOURNAL_STREAM names our stderr) the supervisor and its workers
log to journald's native socket with a priority per line, so that
`journalctl -p warning` finds the warnings. journald is played by this test: in a
private mount namespace (unshare, as root) its socket path leads to a socket the
test reads; nothing on the host changes. Skipped where namespaces are not allowed."""
import os
import socket
import struct
import subprocess
import threading

import harness
from harness import check

ALLOC = (1).to_bytes(4, "little") + (20).to_bytes(4, "little")
# Inside the namespace: a tmpfs over /run, and the test's directory as /run/systemd/journal.
NAMESPACE = ('mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/journal && '
             'mount --bind "$0" /run/systemd/journal && exec "$@"')


def fields_of(datagram):
    """journald's native protocol: KEY=VALUE lines, or KEY, a 64-bit length and the bytes."""
    fields, rest = {}, datagram
    while rest:
        line_end = rest.find(b"\n")
        equals = rest.find(b"=")
        if equals != -1 and (line_end == -1 or equals < line_end):
            key, value, rest = rest[:equals], rest[equals + 1:line_end], rest[line_end + 1:]
        else:
            key = rest[:line_end]
            (size,) = struct.unpack("<Q", rest[line_end + 1:line_end + 9])
            value, rest = rest[line_end + 9:line_end + 9 + size], rest[line_end + 10 + size:]
        fields[key.decode()] = value.decode(errors="replace")
    return fields


def test(workdir, started):
    if subprocess.run(["unshare", "-m", "--propagation", "private", "true"], capture_output=True).returncode != 0:
        harness.log("SKIP: no mount namespace here (unshare -m needs root or CAP_SYS_ADMIN)")
        raise SystemExit(harness.SKIP)
    journal_dir = os.path.join(workdir, "journal")
    os.mkdir(journal_dir)
    journal = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    journal.bind(os.path.join(journal_dir, "socket"))
    # Read as journald does, all the while: a full queue (10 datagrams) would block the sender.
    entries = []
    journal.settimeout(0.2)
    done = threading.Event()

    def read_journal():
        # Until the node is gone and its queued datagrams are read.
        while True:
            try:
                entries.append(fields_of(journal.recv(1 << 16)))
            except socket.timeout:
                if done.is_set():
                    return

    reader = threading.Thread(target=read_journal)
    reader.start()

    stderr_path = os.path.join(workdir, "supervisor.log")
    with open(stderr_path, "w") as stderr:
        st = os.fstat(stderr.fileno())
        env = {**os.environ, "JOURNAL_STREAM": "%d:%d" % (st.st_dev, st.st_ino)}
        env.pop("XDG_RUNTIME_DIR", None)  # /run is the namespace's empty tmpfs
        command = ["unshare", "-m", "--propagation", "private", "sh", "-c", NAMESPACE, journal_dir,
                   harness.SUPERVISOR, "start", "--anonymous", "--anonymous-program", "test_alloc",
                   "--allow-test-programs", "--anonymous-input", ALLOC.hex(), "--workers", "1", "--max-tasks", "2",
                   "--max-threads", "4", "--state-dir", os.path.join(workdir, "state"), "--worker-path", harness.WORKER]
        try:
            result = subprocess.run(command, stdout=subprocess.PIPE, stderr=stderr, env=env, text=True, timeout=60)
        finally:
            done.set()
    reader.join()
    check(result.returncode == 0, "the node exited %d; see %s" % (result.returncode, stderr_path))
    harness.log("%d journal entries, e.g. %s" % (len(entries), entries[:2]))
    check(entries, "nothing reached the journal socket")
    check(all(e.get("SYSLOG_IDENTIFIER") == "provenode" for e in entries), "identifiers: %s" % entries[:3])
    warnings = [e for e in entries if "--max-threads is deprecated" in e.get("MESSAGE", "")]
    check(len(warnings) == 1 and warnings[0].get("PRIORITY") == "4", "the warning's entry: %s" % warnings)
    check(any(e.get("PRIORITY") == "6" and e["MESSAGE"].startswith("supervisor ") for e in entries),
          "no info entry of the supervisor")
    check(any(e["MESSAGE"].startswith("worker#0 ") for e in entries), "the worker did not log to the journal")
    check(not any(e["MESSAGE"][:1].isdigit() for e in entries), "an entry carries a time of its own")
    check(open(stderr_path).read() == "", "log lines went to stderr too: %r" % open(stderr_path).read()[:300])
    journal.close()


harness.run(test)
