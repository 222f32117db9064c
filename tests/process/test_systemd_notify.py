"""Under systemd (Type=notify): READY=1 once a worker is up, WATCHDOG=1 pings from
the loop, STOPPING=1 on SIGTERM, then exit 0. The test is the notify socket."""
import os
import signal
import socket
import time

import harness
from harness import check


def test(workdir, started):
    path = os.path.join(workdir, "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(0.2)
    alloc = (1).to_bytes(4, "little") + (200).to_bytes(4, "little")
    supervisor = harness.Supervisor(workdir, "http://127.0.0.1:9", "--anonymous", "--anonymous-program", "test_alloc",
                                    "--anonymous-input", alloc.hex(), "--allow-test-programs", "--workers", "1",
                                    node_id="anonymous", env={"NOTIFY_SOCKET": path})
    started.append(supervisor)
    messages = []
    # Until READY and two pings (one a second); the bound is only against a hang.
    deadline = time.time() + 60
    while time.time() < deadline and not ("READY=1" in "".join(messages) and "".join(messages).count("WATCHDOG=1") >= 2):
        try:
            messages.append(sock.recv(4096).decode())
        except socket.timeout:
            pass
    supervisor.proc.send_signal(signal.SIGTERM)
    status = supervisor.wait(30)
    while True:
        try:
            messages.append(sock.recv(4096).decode())
        except socket.timeout:
            break
    text = "\n".join(messages)
    check(status == 0, "supervisor exited %d after SIGTERM" % status)
    check("READY=1" in text, "no READY=1 among %s" % messages[:5])
    pings = text.count("WATCHDOG=1")
    check(pings >= 2, "%d watchdog pings in 60 s" % pings)
    check(text.index("READY=1") < text.index("WATCHDOG=1") or pings > 2, "order: %s" % messages[:5])
    check("STOPPING=1" in text, "no STOPPING=1 after SIGTERM")
    harness.log("systemd notify: READY, %d watchdog pings, STOPPING" % pings)


harness.run(test)
