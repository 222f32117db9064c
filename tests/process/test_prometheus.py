"""Metrics as a real Prometheus sees them (DESIGN.md "Operating it"). Debian's prometheus
scrapes the node every second while it proves tasks from the local orchestrator; its query
API agrees with the orchestrator's database on proofs and accepted tasks, answers a
histogram quantile, and sees build info, counters at zero and the process metrics;
`promtool check metrics` accepts a scrape. /healthz is 200 while the loop runs; /readyz is
503 while the orchestrator cannot confirm the node (every node, fetch and list request
answers an injected 503, so this holds however fast the machine is), and 200 once it can."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import harness
from harness import check

TASKS = 12
WORKERS = 2



class Prometheus:
    """Debian's prometheus on a loopback port chosen by the kernel, scraping one target every second."""

    def __init__(self, workdir, target):
        home = os.path.join(workdir, "prometheus")
        os.makedirs(home)
        config = os.path.join(home, "prometheus.yml")
        with open(config, "w") as out:
            out.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                      "scrape_configs:\n  - job_name: provenode\n    static_configs:\n"
                      "      - targets: ['%s']\n" % target)
        self.log_path = os.path.join(workdir, "prometheus.log")
        self.proc = subprocess.Popen(
            [shutil.which("prometheus"), "--config.file=" + config, "--storage.tsdb.path=" + os.path.join(home, "data"),
             "--web.listen-address=127.0.0.1:0", "--log.level=info"],
            stdout=subprocess.DEVNULL, stderr=open(self.log_path, "w"))
        found = harness.wait_until(self.listening, 60, "prometheus to listen (see %s)" % self.log_path)
        self.url = "http://127.0.0.1:%s" % found.group(1)
        harness.wait_until(lambda: harness.http_get(self.url + "/-/ready")[0] == 200, 60,
                           "prometheus to be ready")

    def listening(self):
        check(self.proc.poll() is None, "prometheus exited at start; see " + self.log_path)
        return re.search(r'msg="Listening on" address=127\.0\.0\.1:(\d+)', open(self.log_path).read())

    def query(self, promql):
        status, body = harness.http_get(self.url + "/api/v1/query?" + urllib.parse.urlencode({"query": promql}))
        check(status == 200, "query %r: HTTP %d %s" % (promql, status, body[:300]))
        answer = json.loads(body)
        check(answer["status"] == "success", "query %r: %s" % (promql, answer))
        return answer["data"]["result"]

    def value(self, promql):
        """The one sample of an instant vector as a float; None for an empty answer."""
        result = self.query(promql)
        check(len(result) <= 1, "query %r gave %d series: %s" % (promql, len(result), result))
        return float(result[0]["value"][1]) if result else None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def not_ready_yet(orchestrator, supervisor, base):
    """The worker is up but the orchestrator cannot confirm the node: healthz 200, readyz 503."""
    harness.wait_until(lambda: harness.http_get(base + "/healthz")[0] == 200, 20,
                       "/healthz 200 once the loop ticks")
    status, body = harness.http_get(base + "/healthz")
    check(status == 200 and body.startswith("ok: the loop ticked"), "/healthz said %d %r" % (status, body))
    harness.wait_until(lambda: re.search(r"worker#\d+\[\d+\] ready in", supervisor.log_text()), 30,
                       "a worker's hello in the log")
    harness.wait_until(lambda: orchestrator.scalar(
        "SELECT COUNT(*) FROM requests WHERE endpoint='nodes' AND status=503") >= 1, 20,
        "the node check to meet the injected 503")
    status, body = harness.http_get(base + "/readyz")
    check(status == 503, "/readyz answered %d (%r) while the orchestrator answers 503" % (status, body))
    check(body.strip() == "not ready: waiting for the orchestrator to confirm the node", "/readyz said %r" % body)
    harness.log("before confirmation: /healthz 200, /readyz 503 %r" % body.strip())


def agree_with_db(prometheus, orchestrator):
    harness.wait_until(lambda: orchestrator.scalar("SELECT COUNT(*) FROM tasks WHERE state='accepted'") == TASKS,
                       180, "%d tasks accepted in the DB" % TASKS)
    inputs = sum(len(row[0].split(",")) for row in
                 orchestrator.query("SELECT inputs_hex FROM tasks WHERE state='accepted'"))
    submissions = orchestrator.scalar("SELECT COUNT(*) FROM submissions")
    accepted = 'provenode_tasks_total{job="provenode",state="accepted"}'
    harness.wait_until(lambda: prometheus.value(accepted) == TASKS and
                       prometheus.value('provenode_proofs_total{job="provenode"}') == inputs and
                       prometheus.value('provenode_request_duration_seconds_count{endpoint="submit"}') == submissions,
                       60, "Prometheus to see %d accepted, %d proofs, %d submissions" % (TASKS, inputs, submissions))
    check(orchestrator.scalar("SELECT COUNT(*) FROM tasks WHERE state='accepted'") == TASKS, "the DB moved on")
    harness.log("Prometheus agrees with the DB: %s = %d, provenode_proofs_total = %d, submit requests timed = %d"
                % (accepted, TASKS, inputs, submissions))

    # Proofs began after the first scrapes (fetching failed until then), so the buckets rose within the window.
    quantile = 'histogram_quantile(0.5, sum by (le) (rate(provenode_proof_duration_seconds_bucket[10m])))'
    median = prometheus.value(quantile)
    check(median is not None and 0 < median < 3600, "%s = %s" % (quantile, median))
    task_median = prometheus.value(
        'histogram_quantile(0.5, sum by (le) (rate(provenode_task_duration_seconds_bucket[10m])))')
    check(task_median is not None and task_median > 0, "task duration median = %s" % task_median)
    harness.log("PromQL: %s -> %r (seconds; task median %.4f s)" % (quantile, median, task_median))


def other_series(prometheus, supervisor, started_at):
    version = re.search(r"ready in .*version ([^)\s]+)\)", supervisor.log_text())
    check(version, "no worker version in the log")
    info = prometheus.query("provenode_build_info")
    check(len(info) == 1 and info[0]["metric"].get("version") == version.group(1) and info[0]["value"][1] == "1",
          "build_info %s, the worker says version %s" % (info, version.group(1)))
    check(prometheus.value('provenode_worker_restarts_total{cause="killed"}') == 0, "restarts{killed} is not 0")
    check(prometheus.value('provenode_tasks_total{state="rejected"}') == 0, "tasks{rejected} is not 0")
    check(prometheus.query("provenode_proofs_per_second") == [], "the per-second gauge is still there")
    rss = prometheus.value("process_resident_memory_bytes")
    check(rss is not None and rss > 1 << 20, "process_resident_memory_bytes = %s" % rss)
    start = prometheus.value("process_start_time_seconds")
    check(start is not None and started_at - 60 < start < time.time() + 1,
          "process_start_time_seconds %s, the supervisor started at %.0f" % (start, started_at))
    fds = prometheus.value("process_open_fds")
    check(fds is not None and 3 <= fds <= prometheus.value("process_max_fds"), "process_open_fds = %s" % fds)
    check(prometheus.value("process_cpu_seconds_total") is not None, "no process_cpu_seconds_total")
    check(prometheus.value("process_virtual_memory_bytes") >= rss, "virtual memory below resident")
    harness.log("build_info version %s; process RSS %.1f MiB, %d fds" % (version.group(1), rss / 2**20, fds))


def promtool_check(workdir, metrics_url):
    status, text = harness.http_get(metrics_url)
    check(status == 200, "/metrics answered %d" % status)
    path = os.path.join(workdir, "scrape.txt")
    open(path, "w").write(text)
    done = subprocess.run([shutil.which("promtool"), "check", "metrics"], stdin=open(path), capture_output=True,
                          text=True, timeout=60)
    check(done.returncode == 0, "promtool check metrics failed (%d): %s %s" % (done.returncode, done.stdout,
                                                                            done.stderr))
    check("provenode_proof_duration_seconds_bucket" in text, "no proof histogram in the scrape")
    harness.log("promtool check metrics: OK on %d lines" % len(text.splitlines()))


def test(workdir, started):
    orchestrator = harness.Orchestrator(workdir, "--program", "argon2id_pow", "--inputs", "1:3",
                                        "--max-tasks", str(TASKS))
    started.append(orchestrator)
    config, node_id = harness.register_node(workdir, orchestrator.url)
    for endpoint in ("nodes", "fetch", "list"):
        orchestrator.admin("POST", "/admin/faults", {"endpoint": endpoint, "kind": "503", "probability": 1.0})
    started_at = time.time()
    supervisor = harness.Supervisor(workdir, orchestrator.url, "--workers", str(WORKERS), "--per-task-threads", "2",
                                    "--fetch-backoff", "0.2:1", "--metrics-addr", "127.0.0.1:0", node_id=node_id)
    started.append(supervisor)
    found = harness.wait_until(lambda: re.search(r"metrics on http://127\.0\.0\.1:(\d+)/metrics, health on",
                                                 supervisor.log_text()), 20, "the metrics address in the log")
    port = int(found.group(1))
    base = "http://127.0.0.1:%d" % port
    not_ready_yet(orchestrator, supervisor, base)

    prometheus = Prometheus(workdir, "127.0.0.1:%d" % port)
    started.append(prometheus)
    harness.wait_until(lambda: (prometheus.value('sum_over_time(up{job="provenode"}[10m])') or 0) >= 2, 60,
                       "two successful scrapes")
    check(prometheus.value('provenode_proofs_total{job="provenode"}') == 0, "proofs before any task")

    orchestrator.admin("DELETE", "/admin/faults")
    harness.wait_until(lambda: harness.http_get(base + "/readyz")[0] == 200, 120,
                       "/readyz 200 once the orchestrator answers")
    harness.log("after confirmation: /readyz 200 %r" % harness.http_get(base + "/readyz")[1].strip())

    agree_with_db(prometheus, orchestrator)
    other_series(prometheus, supervisor, started_at)
    promtool_check(workdir, base + "/metrics")

    supervisor.proc.send_signal(signal.SIGTERM)
    check(supervisor.wait(60) == 0, "after SIGTERM the supervisor did not exit 0")
    harness.assert_no_workers_left(supervisor)


if not shutil.which("prometheus") or not shutil.which("promtool"):
    print("SKIP: Debian's prometheus package (prometheus, promtool) is not installed; scripts/setup installs it")
    sys.exit(harness.SKIP)
harness.run(test)
