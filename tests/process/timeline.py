"""How busy a node kept its workers, read from the supervisor's log (with the workers' lines in it).

The supervisor logs each task's arrival ("queued (...)"), dispatch ("queued ->
dispatched: worker#N[pid]") and result ("dispatched -> proved"); each worker logs
the time it spent on a task ("worker#N[pid] task T: K proofs in X ms"). From
these: how much of the steady part of a run (the first dispatch to the last
result) the workers spent proving, and for how long a worker stood idle while
the queue was empty (starved), apart from idleness that only a task on its way
could have ended (the run's start and end).
"""
import re
from datetime import datetime

_LINE = re.compile(r"^(\S+) \w+ (supervisor|worker#\d+)\[(\d+)\] (.*)$")
_QUEUED = re.compile(r"^task (\S+) queued \(")
_DISPATCHED = re.compile(r"^task (\S+) queued -> dispatched: (worker#\d+\[\d+\])")
_PROVED = re.compile(r"^task (\S+) dispatched -> proved: (\d+) proofs")
_WORKER_TIME = re.compile(r"^task (\S+): \d+ proofs in ([0-9.]+) ms")


class Timeline:
    """Events of one run, in log order: ("queued"|"dispatched"|"proved", t, task, worker)."""

    def __init__(self, log_path):
        self.events = []
        self.proof_s = {}  # task -> seconds the worker spent on it
        self.proofs = {}  # task -> proofs it brought
        owner = {}
        for line in open(log_path, errors="replace"):
            m = _LINE.match(line.rstrip("\n"))
            if not m:
                continue
            t = datetime.fromisoformat(m.group(1)).timestamp()
            text = m.group(4)
            if m.group(2) != "supervisor":
                w = _WORKER_TIME.match(text)
                if w:
                    self.proof_s[w.group(1)] = float(w.group(2)) / 1000
                continue
            if (q := _QUEUED.match(text)):
                self.events.append(("queued", t, q.group(1), None))
            elif (d := _DISPATCHED.match(text)):
                owner[d.group(1)] = d.group(2)
                self.events.append(("dispatched", t, d.group(1), d.group(2)))
            elif (p := _PROVED.match(text)):
                self.proofs[p.group(1)] = int(p.group(2))
                self.events.append(("proved", t, p.group(1), owner.get(p.group(1))))

    def times(self, kind):
        return [t for k, t, _, _ in self.events if k == kind]

    def steady_span(self):
        """(first dispatch, last result) in unix seconds."""
        dispatched, proved = self.times("dispatched"), self.times("proved")
        if not dispatched or not proved:
            raise ValueError("no dispatch or no result in the log")
        return dispatched[0], proved[-1]

    def busy(self, workers):
        """Time spent proving over workers x the steady span."""
        start, end = self.steady_span()
        proving = sum(self.proof_s.get(task, 0) for k, _, task, _ in self.events if k == "proved")
        return proving / (workers * (end - start))

    def tasks_per_second(self):
        """Results per second over the steady span."""
        start, end = self.steady_span()
        return (len(self.times("proved")) - 1) / (end - start) if end > start else 0.0

    def steady_proof_rate(self):
        """Proofs per second while every worker had work: from the moment each had finished
        its first task (which also paid for setting the worker up, an arena mapped say) to
        the first worker's last result (after which it had nothing left to do)."""
        first, last = {}, {}
        for kind, t, _, worker in self.events:
            if kind == "proved" and worker:
                first.setdefault(worker, t)
                last[worker] = t
        start, end = max(first.values()), min(last.values())
        proofs = sum(self.proofs[task] for kind, t, task, _ in self.events if kind == "proved" and start < t <= end)
        return proofs / (end - start) if end > start else 0.0

    def starvation(self, workers):
        """Worker-seconds spent idle while nothing was queued, in the steady part:
        from when every worker has had its first task to the last task's arrival
        (before, and after, no fetch ahead could have filled the gap). Also the
        longest such spell of the pool, in seconds. An idle worker while tasks are
        queued is the dispatch's latency, not starvation, and is not counted."""
        queued, idle, seen = 0, set(), set()
        last_arrival = max(self.times("queued"), default=0)
        total, spell, longest, since = 0.0, 0.0, 0.0, None
        for kind, t, _, worker in self.events:
            if since is not None and t <= last_arrival:
                starved = len(idle) if queued == 0 else 0
                total += starved * (t - since)
                spell = spell + (t - since) if starved else 0.0
                longest = max(longest, spell)
            if kind == "queued":
                queued += 1
            elif kind == "dispatched":
                queued -= 1
                seen.add(worker)
                idle.discard(worker)
            elif kind == "proved" and worker:
                idle.add(worker)
            if len(seen) >= workers:
                since = t
        return total, longest
