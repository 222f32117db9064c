"""Memory-aware admission: with a 300 MiB budget and 100 MiB assumed per proof,
a task asking for 2 threads while another holds 200 MiB starts with the 1 that
fits (said once); the figure is then learned from the workers' peaks, saved in
the state directory, and later tasks get their threads back."""
import json
import os
import re

import harness
from harness import check

TASKS = 8


def mem_total():
    for line in open("/proc/meminfo"):
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    raise harness.Failure("no MemTotal")


def test(workdir, started):
    alloc = (4).to_bytes(4, "little") + (400).to_bytes(4, "little")  # 4 MiB held 0.4 s per input
    orchestrator = harness.Orchestrator(workdir, "--program", "test_alloc", "--test-input", "test_alloc=" + alloc.hex(),
                                        "--inputs", "2:2", "--max-tasks", str(TASKS))
    started.append(orchestrator)
    reserve = mem_total() - (300 << 20)  # leaves a budget of 300 MiB (no cgroup limit here)
    supervisor = harness.Supervisor(workdir, orchestrator.url, "--workers", "2", "--per-task-threads", "2",
                                    "--max-tasks", str(TASKS), "--allow-test-programs", "--max-difficulty", "small_medium",
                                    "--memory-per-proof", "100M", "--memory-reserve", str(reserve),
                                    "--force")  # the pool does not fit on purpose: admission must hold it back
    started.append(supervisor)
    status = supervisor.wait(120)
    check(status == 0, "supervisor exited %d" % status)
    harness.assert_each_accepted_once(orchestrator, TASKS)
    log_text = supervisor.log_text()
    check("memory: budget 300 MiB" in log_text, "the budget is not 300 MiB: %s" % re.findall(r"memory: budget.*", log_text))
    told = re.findall(r"memory: 2 threads for test_alloc .* using 1 \(said once\)", log_text)
    check(len(told) == 1, "the reduced threads were said %d times" % len(told))
    threads = [int(t) for t in re.findall(r"queued -> dispatched: worker#\d\[\d+\], attempt \d+, (\d) threads", log_text)]
    check(1 in threads[:3], "no early task started with 1 thread: %s" % threads)
    check(threads[-1] == 2, "the last task did not get its 2 threads back: %s" % threads)
    model = json.load(open(os.path.join(supervisor.state_dir, "memory.json")))
    figures = [f for f in model["figures"] if f["program"] == "test_alloc"]
    check(figures and figures[0]["samples"], "nothing learned for test_alloc: %s" % model)
    learned = max(figures[0]["samples"])
    check(learned < (100 << 20), "learned %d bytes per proof, not below the assumed 100 MiB" % learned)
    harness.assert_no_workers_left(supervisor)
    harness.log("admission: threads per dispatch %s; learned per-proof peak %.1f MiB" % (threads, learned / 2**20))


harness.run(test)
