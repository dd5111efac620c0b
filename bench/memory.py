"""Peak resident memory of a Spark run: the driver JVM and the Python workers, from /proc.

A background thread samples the process tree under this process every `interval`
seconds and keeps the peak per phase label (for example "generator:individuals").
The driver JVM is the `java` child PySpark starts (in local mode it is also the only
executor); Python workers are the python processes below it (pyspark.daemon and its
forks, only present when a Python/Arrow UDF runs). Their RSS is summed, which counts
pages shared between forked workers more than once: an upper bound. Linux only; on
other systems every peak is None.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

_PROC = Path("/proc")
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096

# What each process counts as: keys of every peak record.
KINDS = ("driver_jvm_bytes", "python_workers_bytes", "driver_python_bytes")


def process_tree_rss(root: int) -> dict[str, int]:
    """RSS now of the driver JVM, the Python workers and the driver Python under `root`."""
    parents: dict[int, int] = {}
    for entry in _PROC.iterdir():
        if entry.name.isdigit():
            try:
                # The comm field may hold spaces and parentheses: ppid follows the last ")".
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    found = dict.fromkeys(KINDS, 0)
    found["driver_python_bytes"] = _rss(root)
    stack = [(pid, False) for pid in children.get(root, [])]
    while stack:
        pid, under_jvm = stack.pop()
        name = _comm(pid)
        if name == "java":
            found["driver_jvm_bytes"] += _rss(pid)
            under_jvm = True
        elif under_jvm and name.startswith("python"):
            found["python_workers_bytes"] += _rss(pid)
        stack.extend((child, under_jvm) for child in children.get(pid, []))
    return found


class PeakMemorySampler:
    """Samples `process_tree_rss` in a thread; peaks overall and per phase label.

        with PeakMemorySampler() as sampler:
            sampler.enter("generator:households")
            ...
            sampler.leave("generator:households")
        sampler.peaks["generator:households"]["driver_jvm_bytes"]

    Labels may overlap (tables written concurrently): a sample counts for every active one.
    """

    def __init__(self, root: int | None = None, interval: float = 0.2) -> None:
        self.root = root or os.getpid()
        self.interval = interval
        self.enabled = _PROC.is_dir()
        self.overall: dict[str, int | None] = dict.fromkeys(KINDS, 0 if self.enabled else None)
        self.peaks: dict[str, dict[str, int | None]] = {}
        # (perf_counter, 1-minute load average) at every sample: contention during a pass
        self.loads: list[tuple[float, float]] = []
        self._active: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def enter(self, label: str) -> None:
        """Attribute the following samples to `label` too (several labels may be active at once)."""
        self.sample()
        with self._lock:
            self._active[label] = self._active.get(label, 0) + 1
        self.sample()

    def leave(self, label: str) -> None:
        """Stop attributing samples to `label`."""
        self.sample()
        with self._lock:
            if self._active.get(label, 0) <= 1:
                self._active.pop(label, None)
            else:
                self._active[label] -= 1

    def sample(self) -> None:
        """Take one sample now."""
        if not self.enabled:
            return
        now = process_tree_rss(self.root)
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
        with self._lock:
            if load is not None:
                self.loads.append((time.perf_counter(), load))
            targets = [self.overall] + [self.peaks.setdefault(label, dict.fromkeys(KINDS, 0)) for label in self._active]
            for target in targets:
                for kind, value in now.items():
                    target[kind] = max(target[kind] or 0, value)

    def peak(self, prefix: str) -> dict[str, int | None]:
        """Peak of each kind over every label that starts with `prefix`."""
        with self._lock:
            matching = [p for name, p in self.peaks.items() if name.startswith(prefix)]
        if not self.enabled:
            return dict.fromkeys(KINDS)
        return {kind: max((p[kind] or 0 for p in matching), default=0) for kind in KINDS}

    def load_between(self, start: float, end: float) -> dict[str, Any]:
        """Mean and highest 1-minute load average sampled between two perf_counter() times."""
        with self._lock:
            values = [load for at, load in self.loads if start <= at <= end]
        if not values:
            return {"load_mean": None, "load_max": None}
        return {"load_mean": round(sum(values) / len(values), 2), "load_max": round(max(values), 2)}

    def __enter__(self) -> "PeakMemorySampler":
        if self.enabled:
            self._thread = threading.Thread(target=self._run, name="peak-memory", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.sample()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()


def _rss(pid: int) -> int:
    try:
        return int((_PROC / str(pid) / "statm").read_text().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0


def _comm(pid: int) -> str:
    try:
        return (_PROC / str(pid) / "comm").read_text().strip()
    except OSError:
        return ""
