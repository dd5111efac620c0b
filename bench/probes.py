"""What a pass cost besides wall time: CPU of the JVM and of Python, GC, and the rest of the machine.

A `Counters` snapshot reads cumulative counters; the difference of two snapshots is what one
pass used. On a shared machine wall time alone cannot tell a slower generator from a busier
neighbour: the JVM's CPU seconds (from /proc/<jvm pid>/stat) and the CPU the *other*
processes used meanwhile (machine busy time from /proc/stat minus this process tree's) can.
GC time and count come from the JVM's GarbageCollectorMXBeans over py4j (the local session
only; on a remote session they are None, as is everything /proc-based off Linux).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_PROC = Path("/proc")
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class Snapshot:
    """Cumulative counters at one moment (None where this platform or session cannot say)."""

    wall: float
    python_cpu: float
    jvm_cpu: float | None
    gc_seconds: float | None
    gc_count: int | None
    machine_busy: float | None  # CPU seconds of every process on the machine

    def minus(self, earlier: "Snapshot") -> dict[str, Any]:
        """What happened between `earlier` and this snapshot."""

        def delta(now: float | None, then: float | None, digits: int = 3) -> float | None:
            return None if now is None or then is None else round(now - then, digits)

        ours = delta(self.python_cpu, earlier.python_cpu)
        jvm = delta(self.jvm_cpu, earlier.jvm_cpu)
        busy = delta(self.machine_busy, earlier.machine_busy)
        return {
            "wall_seconds": delta(self.wall, earlier.wall),
            "python_cpu_seconds": ours,
            "jvm_cpu_seconds": jvm,
            "gc_seconds": delta(self.gc_seconds, earlier.gc_seconds),
            "gc_count": None if self.gc_count is None or earlier.gc_count is None else self.gc_count - earlier.gc_count,
            # CPU the rest of the machine used meanwhile: contention, in core-seconds
            "other_cpu_seconds": None if busy is None or jvm is None else round(max(busy - jvm - (ours or 0.0), 0.0), 3),
        }


class Counters:
    """Reads the counters of this process, its Spark session's JVM and the machine."""

    def __init__(self, spark: Any = None) -> None:
        self._beans = None
        self.jvm_pid: int | None = None
        jvm = getattr(getattr(spark, "sparkContext", None), "_jvm", None) if spark is not None else None
        if jvm is not None:
            try:
                factory = jvm.java.lang.management.ManagementFactory
                self._beans = list(factory.getGarbageCollectorMXBeans())
                self.jvm_pid = int(factory.getRuntimeMXBean().getPid())
            except Exception:  # a session without py4j access: GC and JVM CPU unknown
                self._beans, self.jvm_pid = None, None

    def snapshot(self) -> Snapshot:
        times = os.times()
        gc_seconds = gc_count = None
        if self._beans is not None:
            gc_seconds = sum(max(int(b.getCollectionTime()), 0) for b in self._beans) / 1000
            gc_count = sum(max(int(b.getCollectionCount()), 0) for b in self._beans)
        return Snapshot(
            wall=time.perf_counter(),
            python_cpu=times.user + times.system,
            jvm_cpu=process_cpu_seconds(self.jvm_pid) if self.jvm_pid else None,
            gc_seconds=gc_seconds,
            gc_count=gc_count,
            machine_busy=machine_busy_seconds(),
        )

    def gc_names(self) -> list[str]:
        return [str(b.getName()) for b in self._beans] if self._beans else []


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of one process (all its threads), from /proc/<pid>/stat."""
    try:
        fields = (_PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS
    except (OSError, ValueError, IndexError):
        return None


def machine_busy_seconds() -> float | None:
    """CPU seconds every core spent not idle since boot, from the first line of /proc/stat."""
    try:
        values = [int(v) for v in (_PROC / "stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return None
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    busy = sum(values[:8]) - idle  # guest time is already inside user
    return busy / _TICKS


def load_average() -> float | None:
    """The 1-minute load average now."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def generated_code_sizes(spark: Any) -> "GeneratedCode | None":
    """Every method Spark has compiled in this session's JVM so far (whole-stage code, and the
    code outside it: writer projections, non-codegen operators, orderings), from Spark's
    CodegenMetrics histograms over py4j; None for a session without a JVM handle (Spark Connect).
    The metrics are the JVM's, so they cover every query the JVM has run, not one table alone."""
    from engine import GeneratedCode

    jvm = getattr(getattr(spark, "sparkContext", None), "_jvm", None) if spark is not None else None
    if jvm is None:
        return None
    metrics = jvm.org.apache.spark.metrics.source.CodegenMetrics
    methods = metrics.METRIC_GENERATED_METHOD_BYTECODE_SIZE()
    classes = metrics.METRIC_GENERATED_CLASS_BYTECODE_SIZE()
    snapshot = methods.getSnapshot()
    return GeneratedCode(
        methods=int(methods.getCount()),
        sampled=int(snapshot.size()),
        largest_method=int(snapshot.getMax()),
        largest_class=int(classes.getSnapshot().getMax()),
    )
