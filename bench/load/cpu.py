"""CPU seconds of the server's and the index runs' process trees, from /proc."""

from __future__ import annotations

import os
import threading


def _proc_table() -> dict[int, tuple[int, float]]:
    """pid -> (ppid, user + system CPU seconds), from /proc (empty elsewhere)."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    table = {}
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        table[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    return table


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
    try:
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return 0.0, 0.0
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return float(sum(values) - idle), float(sum(values))


class CpuSampler:
    """CPU seconds of the server's and the index runs' process trees, sampled every 0.5 s.

    Approximate: a process that exits between two samples loses its last half second.
    """

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.first: dict[int, float] = {}
        self.last: dict[int, tuple[str, float]] = {}
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="cpu", daemon=True)

    def start(self) -> None:
        self._sample(baseline=True)
        self.busy0 = machine_busy()
        self.thread.start()

    def _sample(self, baseline: bool = False) -> None:
        table = _proc_table()
        me = os.getpid()
        for pid, (_, cpu) in table.items():
            chain, p = [], pid
            while p in table and p not in (me, 0, 1) and len(chain) < 50:
                chain.append(p)
                p = table[p][0]
            if p != me or pid == me:
                continue
            role = "server" if self.server_pid in chain else "index"
            if baseline:
                self.first[pid] = cpu
            else:
                self.first.setdefault(pid, 0.0)
            self.last[pid] = (role, cpu)

    def _loop(self) -> None:
        while not self.stopped.wait(0.5):
            self._sample()

    def stop(self) -> dict[str, float]:
        self.stopped.set()
        self.thread.join(5)
        self._sample()
        busy1 = machine_busy()
        out = {"server": 0.0, "index": 0.0}
        for pid, (role, cpu) in self.last.items():
            out[role] += max(0.0, cpu - self.first.get(pid, 0.0))
        tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        out["machine_busy"] = (busy1[0] - self.busy0[0]) / tick
        total = busy1[1] - self.busy0[1]
        out["machine_busy_pct"] = 100 * (busy1[0] - self.busy0[0]) / total if total else 0.0
        return out
