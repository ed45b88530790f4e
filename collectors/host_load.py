"""How busy the host was while a run measured: load average, CPU steal, other GapWatch runs,
and the CPU that processes other than the run (and its local model servers) used.

Why: a speed measured while something else eats the CPU is a measurement of that something.
On the 2-core machine GapWatch was built on, tokens per second fell from ~40 to 0.4-4.7 under
a load average of 6-7, and nothing said so. Every run now stores `host_load` in its context
(`run_ledger.context`), and a run measured under contention is flagged (`runs.contended`,
`latency_samples.contended`): the Speed page and `runs list` say so, and the speed trends leave
it out unless asked.

Foreign CPU is what the whole machine's CPU time (`/proc/stat`) grew by, minus what this
process and the local model servers it talks to (found by their listening ports) used
(`/proc/<pid>/stat`), in cores, averaged over the run and sampled every `interval_s` for the
peak. The load average alone cannot tell the run's own model server from a stranger. Where
`/proc` is missing (not Linux), the numbers are None and the run is not flagged.

A run is flagged when, on average, foreign work used at least a quarter of the cores (and at
least half a core), or the hypervisor stole at least 10% of the CPU time, or another GapWatch
run on this host was in flight.
"""

import os
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

FOREIGN_SHARE = 0.25
MIN_FOREIGN_CORES = 0.5
MAX_STEAL_SHARE = 0.10
PROC = Path("/proc")
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "0.0.0.0"}


def cpu_times() -> tuple[int, int, int] | None:
    """(busy, total, steal) jiffies of the whole machine since boot, or None without /proc."""
    try:
        fields = [int(v) for v in (PROC / "stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    steal = fields[7] if len(fields) > 7 else 0  # time other virtual machines took
    total = sum(fields[:8])  # guest time is already inside user time
    return total - idle - steal, total, steal


def process_jiffies(pid: int) -> int | None:
    """User + system jiffies of a process (all its threads), None once it is gone."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()  # the name in brackets may hold spaces
    return int(fields[11]) + int(fields[12])


def listening_pid(port: int) -> int | None:
    """The process listening on a local TCP port, from /proc/net and the processes' sockets."""
    inodes = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = (PROC / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if len(parts) > 9 and parts[3] == "0A" and int(parts[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{parts[9]}]")
    for fd_dir in PROC.glob("[0-9]*/fd") if inodes else ():
        try:
            if any(os.readlink(fd) in inodes for fd in fd_dir.iterdir()):
                return int(fd_dir.parent.name)
        except OSError:
            continue
    return None


def local_ports(context: dict) -> set[int]:
    """Ports of the run's models served on this machine (`context.models.*.base_url`)."""
    ports = set()
    for info in (context.get("models") or {}).values():
        url = urlparse(str((info or {}).get("base_url") or ""))
        if url.hostname in LOCAL_HOSTS and url.port:
            ports.add(url.port)
    return ports


class HostLoad:
    """Samples the machine in a thread from `start()` to `stop()`, which returns the summary."""

    def __init__(self, ports=lambda: set(), interval_s: float = 2.0):
        self.ports, self.interval_s = ports, interval_s
        self.pids: dict[int, int | None] = {}  # port -> server pid
        self.hz = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        self.peak, self.stopped = 0.0, threading.Event()
        self.thread = threading.Thread(target=self._loop, name="host load", daemon=True)

    def start(self) -> "HostLoad":
        self.load_start = _load_average()
        self.first = self.last = self._sample()
        self.thread.start()
        return self

    def _own_pids(self) -> set[int]:
        for port in self.ports() - self.pids.keys():
            self.pids[port] = listening_pid(port)
        return {os.getpid(), *(pid for pid in self.pids.values() if pid)}

    def _sample(self) -> dict | None:
        machine = cpu_times()
        if machine is None:
            return None
        own = {pid: process_jiffies(pid) for pid in self._own_pids()}
        return {"t": time.monotonic(), "machine": machine,
                "own": {pid: j for pid, j in own.items() if j is not None}}

    def _foreign_cores(self, before: dict, after: dict) -> float:
        seconds = max(after["t"] - before["t"], 1e-6)
        busy = after["machine"][0] - before["machine"][0]
        own = sum(j - before["own"][pid] for pid, j in after["own"].items() if pid in before["own"])
        return max(0.0, (busy - own) / self.hz / seconds)

    def _loop(self) -> None:
        while not self.stopped.wait(self.interval_s):
            now = self._sample()
            if now and self.last:
                self.peak = max(self.peak, self._foreign_cores(self.last, now))
            self.last = now

    def stop(self, runs_in_flight: list[str] = ()) -> dict:
        """The run's `host_load`: load averages, foreign cores (mean and peak), steal, other
        GapWatch runs, and whether all that makes the run contended."""
        self.stopped.set()
        if self.thread.is_alive():
            self.thread.join()
        end = self._sample()
        cores = os.cpu_count() or 1
        summary = {"cpu_count": cores, "load_average_start": self.load_start,
                   "load_average_end": _load_average(), "foreign_cores_mean": None,
                   "foreign_cores_peak": None, "steal_share": None,
                   "gapwatch_runs_in_flight": sorted(set(runs_in_flight))}
        if end and self.first:
            mean = self._foreign_cores(self.first, end)
            total = end["machine"][1] - self.first["machine"][1]
            steal = end["machine"][2] - self.first["machine"][2]
            summary.update(foreign_cores_mean=round(mean, 2),
                           foreign_cores_peak=round(max(self.peak, mean), 2),
                           steal_share=round(steal / total, 3) if total > 0 else 0.0)
        return {**summary, **verdict(summary)}


def verdict(summary: dict) -> dict:
    """`contended` and, when it is, `contention` in words (the rule is in the module doc)."""
    reasons = []
    cores, foreign = summary["cpu_count"], summary.get("foreign_cores_mean")
    if foreign is not None and foreign >= max(MIN_FOREIGN_CORES, FOREIGN_SHARE * cores):
        reasons.append(f"other processes used {foreign:.1f} of {cores} cores")
    if (summary.get("steal_share") or 0) >= MAX_STEAL_SHARE:
        reasons.append(f"the hypervisor stole {summary['steal_share']:.0%} of the CPU time")
    if summary.get("gapwatch_runs_in_flight"):
        reasons.append(f"{len(summary['gapwatch_runs_in_flight'])} other GapWatch run(s) "
                       "in flight")
    return {"contended": bool(reasons), "contention": "; ".join(reasons) or None}


def _load_average() -> list[float] | None:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except (OSError, AttributeError):
        return None
