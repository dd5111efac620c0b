"""Spark's own stage metrics for one timed write: tasks, executor time and CPU, GC, bytes out.

Wall time and the JVM's CPU (`bench.probes`) say what a pass cost the machine; Spark's stage
metrics say what its tasks did: how many ran, how long they ran and how much of that was CPU
or garbage collection, how many bytes and records they wrote, whether anything spilled. A
`StageMeter` marks the newest stage before a write and sums every stage submitted after it:
in single-table passes (one table in flight) that is exactly the table's work.

The figures come from the session's live status store (the data behind the Spark UI, kept
even with `spark.ui.enabled=false`), read over py4j after the listener bus has drained, so
every finished stage is counted. A remote session (Spark Connect) has no py4j: `since`
returns None there and the summary says "not recorded", it never guesses.
"""

from __future__ import annotations

from typing import Any

# Summed over a write's stages (name in the record: status-store accessor, unit divisor).
_SUMMED = {
    "executor_run_seconds": ("executorRunTime", 1e3),  # milliseconds
    "executor_cpu_seconds": ("executorCpuTime", 1e9),  # nanoseconds
    "jvm_gc_seconds": ("jvmGcTime", 1e3),
    "output_bytes": ("outputBytes", 1),
    "output_records": ("outputRecords", 1),
    "input_bytes": ("inputBytes", 1),
    "shuffle_write_bytes": ("shuffleWriteBytes", 1),
    "shuffle_read_bytes": ("shuffleReadBytes", 1),
    "memory_spilled_bytes": ("memoryBytesSpilled", 1),
    "disk_spilled_bytes": ("diskBytesSpilled", 1),
}
# How long to wait for the listener bus to deliver a write's last events, in milliseconds.
_DRAIN_MILLIS = 10_000


class StageMeter:
    """Marks and sums the stages of a classic (py4j) Spark session; inert on any other."""

    def __init__(self, spark: Any) -> None:
        self._context = None
        jsc = getattr(getattr(spark, "sparkContext", None), "_jsc", None) if spark is not None else None
        if jsc is not None:
            try:
                context = jsc.sc()
                context.statusStore()
                self._context = context
            except Exception:  # no status store reachable: stage metrics unknown
                self._context = None

    @property
    def available(self) -> bool:
        return self._context is not None

    def mark(self) -> int | None:
        """The id of the newest stage so far (-1 before the first): the start of a measured write."""
        stages = self._stages()
        if stages is None:
            return None
        return max((s.stageId() for s in stages), default=-1)

    def since(self, mark: int | None) -> dict[str, Any] | None:
        """Totals over the stages submitted after `mark`: counts, seconds, bytes, and the
        largest peak execution memory of any one stage; None when unknown."""
        if mark is None:
            return None
        stages = [s for s in self._stages() or () if s.stageId() > mark]
        found: dict[str, Any] = {"stages": len(stages), "tasks": sum(int(s.numCompleteTasks()) for s in stages)}
        for name, (accessor, unit) in _SUMMED.items():
            total = sum(int(getattr(s, accessor)()) for s in stages)
            found[name] = round(total / unit, 3) if unit != 1 else total
        found["failed_tasks"] = sum(int(s.numFailedTasks()) for s in stages)
        found["peak_execution_memory_bytes"] = max((int(s.peakExecutionMemory()) for s in stages), default=0)
        return found

    def _stages(self) -> list[Any] | None:
        """Every stage (last attempt) in the status store, after the listener bus has drained."""
        if self._context is None:
            return None
        self._context.listenerBus().waitUntilEmpty(_DRAIN_MILLIS)
        store = self._context.statusStore()
        # stageList(statuses=all, details=False, withSummaries=False, quantiles=default, taskStatus=all)
        seq = store.stageList(None, False, False, getattr(store, "stageList$default$4")(), None)
        return [seq.apply(i) for i in range(seq.length())]
