"""The live view in a real terminal: tmux runs the supervisor in a detached 80x24
pane, and `tmux capture-pane` reads what an operator would see.

- The view comes up with both workers (their real pids), their tasks and the
  tasks by state, and no raw log line is ever printed over it; the workers'
  stderr reaches its event pane.
- Resized to 40x10 it draws again within the small size (title on the first
  row, keys on the last), and again at 80x24.
- `q` drains: exit 0, the alternate screen left, the cursor shown, echo and
  canonical mode back, the summary line on the shell's normal screen.
- `q q` stops at once (exit 130, as two SIGINTs); with --log-file the file keeps
  getting the lines, the supervisor's and the workers', while the view is up.
- SIGSEGV and SIGABRT sent to the supervisor: the terminal is given back all the
  same, and the supervisor died of that signal.
- `--headless` at a terminal, and a supervisor whose stdout is not a terminal:
  one log line per event, no escape sequence.

Every wait polls for its condition (30 s or more); nothing depends on the speed
of the machine."""
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys

import harness
from harness import check

TIMEOUT = 30
HOLD_MS = 1500  # each task holds its worker this long: busy rows to see, a drain to wait for
TASK_INPUT = (1).to_bytes(4, "little") + HOLD_MS.to_bytes(4, "little")  # test_alloc: 1 MiB
RAW_LOG_LINE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")  # the view shortens times to HH:MM:SS
WORKER_HEADING = "#   PID     STATE"
BLOCKING = "import fcntl, os; print('nonblocking' if fcntl.fcntl(0, fcntl.F_GETFL) & os.O_NONBLOCK else 'blocking')"


class Terminal:
    """A tmux server of its own, with one pane that runs `script` under sh. The
    pane stays after the script ends (remain-on-exit), and the script ends in a
    long sleep, so that the pane's terminal state can be read after the node exits."""

    def __init__(self, workdir, name, script, width=80, height=24):
        self.socket = os.path.join(workdir, name + ".tmux")  # a server of its own, its socket in the work dir
        conf = os.path.join(workdir, "tmux.conf")
        with open(conf, "w") as f:
            f.write("set -g status off\nset -g remain-on-exit on\n")
        env = {k: v for k, v in os.environ.items() if k != "TMUX"}
        self.env = env
        started = self.tmux("-f", conf, "new-session", "-d", "-x", str(width), "-y", str(height), "-s", "view",
                            "sh " + shlex.quote(script))
        check(started.returncode == 0, "tmux new-session failed: %s" % started.stderr)

    def tmux(self, *args):
        return subprocess.run(["tmux", "-S", self.socket, *args], capture_output=True, text=True, timeout=20,
                              env=getattr(self, "env", None))

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", "view").stdout

    def rows(self):
        return self.screen().split("\n")

    def flag(self, name):
        return self.tmux("display-message", "-p", "-t", "view", "#{%s}" % name).stdout.strip()

    def keys(self, *keys):
        self.tmux("send-keys", "-t", "view", *keys)

    def resize(self, width, height):
        done = self.tmux("resize-window", "-t", "view", "-x", str(width), "-y", str(height))
        check(done.returncode == 0, "tmux resize-window failed: %s" % done.stderr)

    def stop(self):
        self.tmux("kill-server")
        if os.path.exists(self.socket):
            os.unlink(self.socket)


def write_script(workdir, name, command):
    """The pane's script: the command, then its exit status and the terminal's
    settings as the command left them, then a sleep that keeps the pane alive."""
    path = os.path.join(workdir, name + ".sh")
    stty = os.path.join(workdir, name + ".stty")
    with open(path, "w") as f:
        # stty first, then whether stdin was left non-blocking (libuv makes it so while it polls).
        f.write("ulimit -c 0\n%s\necho \"exit=$?\"\nstty -a > %s.tmp\n%s -c %s >> %s.tmp\nmv %s.tmp %s\n"
                "exec sleep 600\n" % (" ".join(shlex.quote(a) for a in command), shlex.quote(stty),
                                       shlex.quote(sys.executable), shlex.quote(BLOCKING), shlex.quote(stty),
                                       shlex.quote(stty), shlex.quote(stty)))
    return path, stty


def start_command(orchestrator, config, state_dir, *extra):
    return [harness.SUPERVISOR, "start", "--orchestrator-url", orchestrator.url, "--config", config,
            "--state-dir", state_dir, "--startup-jitter", "0", "--worker-path", harness.WORKER,
            "--allow-test-programs", "--workers", "2", "--memory-per-proof", "64M", *extra]


def supervisor_pid(state_dir):
    """The running supervisor started with this state directory, or None."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            argv = open("/proc/%s/cmdline" % entry, "rb").read().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"/supervisor") and b"--state-dir" in argv and \
                argv[argv.index(b"--state-dir") + 1] == state_dir.encode() and harness.alive(int(entry)):
            return int(entry)
    return None


def exit_status(terminal):
    """The exit status the pane's shell saw, as a string ("0" is true for wait_until), or None."""
    for row in terminal.rows():
        if row.startswith("exit="):
            return row[len("exit="):].strip()
    return None


def check_view_frame(rows, width, height, what):
    """A screen drawn by the view: the title on the first row, the keys on the
    last, no raw log line anywhere."""
    text = "\n".join(rows)
    check(len(rows) >= height and rows[0].startswith("provenode "), "%s: no title on the first row:\n%s" % (what, text))
    check(rows[height - 1].startswith("q: "), "%s: no keys on row %d:\n%s" % (what, height, text))
    check(all(len(row) <= width for row in rows), "%s: a row wider than %d:\n%s" % (what, width, text))
    check(not RAW_LOG_LINE.search(text), "%s: a raw log line on the view:\n%s" % (what, text))


def wait_for_view(terminal, state_dir, busy=True):
    """Waits until the view shows both workers by pid (one busy); returns the pid."""
    pid = harness.wait_until(lambda: supervisor_pid(state_dir), TIMEOUT, "the supervisor to start")

    def shown():
        rows = terminal.rows()
        workers = harness.worker_pids(pid)
        if len(workers) != 2 or not rows or not rows[0].startswith("provenode "):
            return None
        worker_rows = [row for row in rows if re.match(r"\d+ +\d+ +\w+", row)]
        pids = sorted(int(row.split()[1]) for row in worker_rows)
        if pids != sorted(workers) or (busy and not any(row.split()[2] == "busy" for row in worker_rows)):
            return None
        return rows

    rows = harness.wait_until(shown, TIMEOUT, "the view with both workers")
    check(terminal.flag("alternate_on") == "1", "the view is not on the alternate screen")
    return pid, rows


def check_given_back(terminal, stty_path, what):
    """After the supervisor exited: the normal screen, the cursor, echo and canonical mode."""
    harness.wait_until(lambda: os.path.exists(stty_path) and os.path.getsize(stty_path) > 0, TIMEOUT,
                       "the terminal's settings after the exit (%s)" % what)
    check(terminal.flag("alternate_on") == "0", "%s: still on the alternate screen" % what)
    check(terminal.flag("cursor_flag") == "1", "%s: the cursor is still hidden" % what)
    stty = open(stty_path).read().split()
    check("echo" in stty and "-echo" not in stty, "%s: echo not back: %s" % (what, " ".join(stty)))
    check("icanon" in stty and "-icanon" not in stty, "%s: canonical mode not back: %s" % (what, " ".join(stty)))
    check(stty[-1] == "blocking", "%s: stdin left %s" % (what, stty[-1]))
    check(WORKER_HEADING not in terminal.screen(), "%s: the view is still on the screen:\n%s" % (
        what, terminal.screen()))


def view_resize_and_drain(workdir, started, orchestrator, config):
    state = os.path.join(workdir, "state")
    script, stty = write_script(workdir, "drain", start_command(orchestrator, config, state))
    terminal = Terminal(workdir, "drain", script)
    started.append(terminal)
    pid, rows = wait_for_view(terminal, state)
    check_view_frame(rows, 80, 24, "80x24")
    running = rows
    text = "\n".join(rows)
    check(re.search(r"^tasks: queued \d+", text, re.M), "no tasks by state:\n" + text)
    check(re.search(r"^memory \S+ of \S+ \(\d+%\)", text, re.M), "no memory against the budget:\n" + text)
    check(re.search(r"^proofs \d+ \([\d.]+/min\)", text, re.M), "no proofs per minute:\n" + text)
    check("rate-limit wait: fetch" in text, "no rate-limit waits:\n" + text)

    # While tasks are proved and logged, every capture is a clean frame of the view,
    # and the workers' own lines (their stderr) come up in its event pane.
    seen_worker_line = []

    def proved_some():
        rows = terminal.rows()
        check_view_frame(rows, 80, 24, "while proving")
        if any(re.search(r"worker#\d\[\d+\] task \S+: test_alloc", row) for row in rows):
            seen_worker_line.append(True)
        accepted = orchestrator.scalar("SELECT COUNT(*) FROM tasks WHERE state = 'accepted'")
        return accepted >= 3 and seen_worker_line and re.search(r"accepted [1-9]", "\n".join(rows))

    harness.wait_until(proved_some, TIMEOUT * 2, "3 accepted tasks shown, and a worker's line in the event pane")

    terminal.resize(40, 10)

    def small():
        rows = terminal.rows()
        text = "\n".join(rows[:10])
        return (rows[0].startswith("provenode ") and rows[9].startswith("q: ") and "tasks:" in text and
                "memory " in text and all(len(row) <= 40 for row in rows) and
                any(re.match(r"\d+ +\d+ +\w+", row) for row in rows[:10]) and rows)

    rows = harness.wait_until(small, TIMEOUT, "the view drawn again at 40x10")
    check_view_frame(rows, 40, 10, "40x10")
    terminal.resize(80, 24)
    rows = harness.wait_until(lambda: (lambda r: r if r[23:24] and r[23].startswith("q: ") and
                                       "rate-limit wait" in "\n".join(r) else None)(terminal.rows()),
                              TIMEOUT, "the view drawn again at 80x24")
    check_view_frame(rows, 80, 24, "80x24 again")

    terminal.keys("q")
    status = harness.wait_until(lambda: exit_status(terminal), TIMEOUT * 2, "the node to drain and exit after q")
    check(status == "0", "after q the supervisor exited %s:\n%s" % (status, terminal.screen()))
    check_given_back(terminal, stty, "after q")
    rows = terminal.rows()
    summary = [i for i, row in enumerate(rows) if row.startswith("summary: accepted=")]
    done = [i for i, row in enumerate(rows) if row.startswith("exit=")]
    check(summary and summary[0] < done[0], "no summary line before exit= on the normal screen:\n" + "\n".join(rows))
    check(any("node draining -> stopping: drained" in row for row in rows), "no drain among the last events:\n" +
          "\n".join(rows))
    check(not harness.worker_pids(pid), "workers outlived the supervisor")
    harness.log("q: drained, exit 0, terminal given back; summary: %s" % rows[summary[0]][:60])
    return running


def second_q_with_log_file(workdir, started, orchestrator, config):
    state = os.path.join(workdir, "state")
    log_file = os.path.join(workdir, "qq.log")
    script, stty = write_script(workdir, "qq", start_command(orchestrator, config, state, "--log-file", log_file))
    terminal = Terminal(workdir, "qq", script)
    started.append(terminal)
    pid, rows = wait_for_view(terminal, state)
    check_view_frame(rows, 80, 24, "with --log-file")
    harness.wait_until(lambda: re.search(r"worker#\d\[\d+\] task \S+: test_alloc", open(log_file).read()),
                       TIMEOUT, "the workers' lines in the log file while the view is up")
    log_text = open(log_file).read()
    check(RAW_LOG_LINE.search(log_text) and "queued -> dispatched" in log_text,
          "the supervisor's lines are not in the log file: %s" % log_text[-500:])
    check_view_frame(terminal.rows(), 80, 24, "with --log-file, after lines were logged")
    terminal.keys("q", "q")
    status = harness.wait_until(lambda: exit_status(terminal), TIMEOUT, "the node to stop after q q")
    check(status == str(128 + signal.SIGINT), "after q q the supervisor exited %s:\n%s" % (status, terminal.screen()))
    check_given_back(terminal, stty, "after q q")
    check(any(row.startswith("summary: accepted=") for row in terminal.rows()), "no summary after q q")
    check("second request to stop (q pressed)" in open(log_file).read(), "the log file missed the stop")
    check(not harness.worker_pids(pid), "workers outlived the supervisor")
    harness.log("q q: stopped at once, exit %s, terminal given back, the log file kept its lines" % status)


def crash(workdir, started, orchestrator, config, signum):
    name = "crash%d" % signum
    state = os.path.join(workdir, "state")
    script, stty = write_script(workdir, name, start_command(orchestrator, config, state))
    terminal = Terminal(workdir, name, script)
    started.append(terminal)
    pid, _ = wait_for_view(terminal, state, busy=False)
    os.kill(pid, signum)
    status = harness.wait_until(lambda: exit_status(terminal), TIMEOUT, "the shell to see the supervisor die")
    check(status == str(128 + signum), "killed with signal %d the supervisor exited %s" % (signum, status))
    check_given_back(terminal, stty, "after signal %d" % signum)
    harness.wait_until(lambda: not harness.worker_pids(pid), TIMEOUT, "the workers to die with the supervisor")
    harness.log("signal %d: the terminal was given back, exit %s" % (signum, status))


def headless(workdir, started, orchestrator, config):
    state = os.path.join(workdir, "state")
    script, _ = write_script(workdir, "headless", start_command(orchestrator, config, state, "--headless",
                                                                "--max-tasks", "1"))
    terminal = Terminal(workdir, "headless", script, width=200, height=50)
    started.append(terminal)
    status = harness.wait_until(lambda: exit_status(terminal), TIMEOUT * 2, "the headless node to finish")
    text = terminal.screen()
    check(status == "0", "headless at a terminal: exit %s:\n%s" % (status, text))
    check(RAW_LOG_LINE.search(text) and "queued -> dispatched" in text, "no log lines at the terminal:\n" + text)
    check("last events of the live view" not in text and WORKER_HEADING not in text, "a view with --headless:\n" + text)

    # Not a terminal, no --headless: one line per event too, and nothing but text.
    out, err = os.path.join(workdir, "pipe.out"), os.path.join(workdir, "pipe.log")
    with open(out, "w") as stdout, open(err, "w") as stderr:
        done = subprocess.run(start_command(orchestrator, config, state, "--max-tasks", "1"), stdout=stdout,
                              stderr=stderr, stdin=subprocess.DEVNULL, timeout=TIMEOUT * 4)
    check(done.returncode == 0, "stdout not a terminal: exit %d" % done.returncode)
    output, log_text = open(out).read(), open(err).read()
    check(output.startswith("summary: accepted="), "stdout: %r" % output[:200])
    check("\x1b" not in output + log_text, "an escape sequence without a terminal")
    check("queued -> dispatched" in log_text and "no live view" not in log_text, "stderr: %s" % log_text[-500:])
    harness.log("--headless at a terminal and stdout to a file: one log line per event")


def test(workdir, started):
    if not shutil.which("tmux"):
        harness.log("SKIP: tmux is not installed (scripts/setup installs it)")
        sys.exit(harness.SKIP)
    orchestrator = harness.Orchestrator(workdir, "--program", "test_alloc", "--test-input",
                                        "test_alloc=" + TASK_INPUT.hex(), "--inputs", "1:1")
    started.append(orchestrator)
    config, _ = harness.register_node(workdir, orchestrator.url)
    running = view_resize_and_drain(workdir, started, orchestrator, config)
    second_q_with_log_file(workdir, started, orchestrator, config)
    for signum in (signal.SIGSEGV, signal.SIGABRT):
        crash(workdir, started, orchestrator, config, signum)
    headless(workdir, started, orchestrator, config)
    harness.log("the view at 80x24:\n" + "\n".join(running))


harness.run(test)
