"""The generation worker: local runs in their own process, reporting JSON lines on stdout.

`python -m ui.worker SPEC.json` (one-shot) starts its own Spark session, runs
`engine.generate`, then the validation checks one by one and reads a few sample rows per
table, printing one JSON event per line as it goes. `python -m ui.worker --serve` (warm)
keeps one Spark session for many requests, read one JSON object per line on stdin:
`{"request": "run", "spec": SPEC}` does the same as the one-shot mode, and
`{"request": "preview", "config": ..., "rows": 5}` answers with one `preview` event (the
first rows of every table by `engine.preview_rows`); every request ends with an `end`
event carrying its status (0 done, 1 failed, 2 unknown request, 130 interrupted). The runner reads those lines; nothing else is
printed on stdout (stray output, Spark's included, goes to stderr). The worker runs in its
own process group with Spark's JVM, so the runner can stop both at once; on SIGTERM, or
when the app that started it disappears, the generation is interrupted, the engine
removes its staging folder, so no half-written table is left, and the worker exits.

Spec: {"config": GraphConfig dict, "out": folder, "format": "delta"|"parquet",
"overwrite": bool, "samples": rows per table, "cores": Spark cores ("*" = all; a warm
worker keeps the cores of its first request)}.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, TextIO

import engine
from engine import GraphConfig, check_names, load_tables, local_session

# How often the worker checks that the app that started it is still alive, in seconds.
_PARENT_CHECK_SECONDS = 1.0
SAMPLE_ROWS = 5

Emit = Callable[[dict[str, Any]], None]


def event_stream() -> TextIO:
    """Keep the real stdout for events and point file descriptor 1 at stderr for everything else."""
    events = os.fdopen(os.dup(1), "w", buffering=1)
    sys.stdout.flush()
    os.dup2(2, 1)
    return events


def emitter(stream: TextIO) -> Emit:
    lock = threading.Lock()

    def emit(event: dict[str, Any]) -> None:
        line = json.dumps({**event, "time": time.time()}, default=str)
        with lock:
            stream.write(line + "\n")
            stream.flush()

    return emit


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _watch_parent(parent: int) -> None:
    """Stop this process group when the app dies without stopping us (e.g. SIGKILL)."""
    while os.getppid() == parent:
        time.sleep(_PARENT_CHECK_SECONDS)
    os.kill(os.getpid(), signal.SIGTERM)


def samples(spark: Any, out: str, rows: int) -> dict[str, dict[str, Any]]:
    """The first `rows` rows of each written table: {table: {"columns": [...], "rows": [[...]]}}."""
    found = {}
    for table, df in load_tables(spark, out).items():
        found[table] = shown(df.columns, df.limit(rows).collect())
    return found


def shown(columns: list[str], rows: Any) -> dict[str, Any]:
    """Rows as the page shows them: {"columns", "rows"}, every value as text (None stays None)."""
    return {"columns": columns, "rows": [[None if v is None else str(v) for v in row] for row in rows]}


# The event that closes each request of a warm worker (`--serve`): {"event": END_EVENT, "request", "status"}.
END_EVENT = "end"
SERVE_FLAG = "--serve"
# Exit status of a worker stopped by SIGTERM (128 + SIGINT, as a shell reports Ctrl-C).
INTERRUPTED_STATUS = 130


def session(cores: str, emit: Emit) -> Any:
    """The worker's Spark session, started on first use and reused after (a warm worker's
    later runs report `spark_ready` in milliseconds, with `warm: true`)."""
    from pyspark.sql import SparkSession

    warm = SparkSession.getActiveSession() is not None
    emit({"event": "spark_starting", "warm": warm})
    t0 = time.perf_counter()
    spark = local_session(cores=cores, app_name="idgraph-ui-worker")
    emit({"event": "spark_ready", "seconds": round(time.perf_counter() - t0, 3), "warm": warm})
    return spark


def run(spec: dict[str, Any], emit: Emit) -> dict[str, Any]:
    """Generate, validate and sample as `spec` says; emit events; return the manifest."""
    config = GraphConfig.from_dict(spec["config"])
    spark = session(spec.get("cores", "*"), emit)
    manifest = engine.generate(config, spec["out"], format=spec.get("format", "delta"), overwrite=bool(spec.get("overwrite")), spark=spark, on_progress=lambda event: emit(engine.event_to_dict(event)))
    emit({"event": "validating", "total": len(check_names())})
    # One call, so the tables are loaded once for all checks.
    results = engine.validate(spec["out"], spark=spark, config=config)
    for index, result in enumerate(results):
        emit({"event": "check", "index": index, "total": len(results), **result.to_dict()})
    emit({"event": "sampling"})
    emit({"event": "samples", "samples": samples(spark, spec["out"], int(spec.get("samples", SAMPLE_ROWS)))})
    emit({"event": "complete"})
    return manifest


def preview(request: dict[str, Any], emit: Emit) -> None:
    """Emit one `preview` event: the first rows of every table for the request's config."""
    config = GraphConfig.from_dict(request["config"])
    spark = session(request.get("cores", "*"), emit)
    t0 = time.perf_counter()
    tables = {}
    for table in engine.TABLES:
        found = engine.preview_rows(spark, config, table, int(request.get("rows", SAMPLE_ROWS)))
        columns = list(found[0]) if found else []
        tables[table] = shown(columns, ([r[c] for c in columns] for r in found))
    emit({"event": "preview", "tables": tables, "seconds": round(time.perf_counter() - t0, 3)})


def guarded(work: Callable[[], Any], emit: Emit) -> int:
    """Run one piece of work; a failure is emitted as a `failed` event (traceback to the log).
    Returns the exit status: 0 done, 1 failed, INTERRUPTED_STATUS on SIGTERM."""
    try:
        work()
    except KeyboardInterrupt:
        emit(engine.event_to_dict(engine.TableFailed("cancelled")))
        return INTERRUPTED_STATUS
    except Exception as exc:  # reported to the app, which shows it; the traceback goes to the log
        import traceback

        traceback.print_exc()
        emit(engine.event_to_dict(engine.TableFailed(f"{type(exc).__name__}: {exc}")))
        return 1
    return 0


REQUESTS: dict[str, Callable[[dict[str, Any], Emit], Any]] = {"run": lambda request, emit: run(request["spec"], emit), "preview": preview}


def serve(requests: TextIO, emit: Emit) -> int:
    """Answer requests, one JSON object per line, until stdin closes (or SIGTERM)."""
    while True:
        try:
            line = requests.readline()
        except KeyboardInterrupt:
            return INTERRUPTED_STATUS
        if not line:
            return 0
        try:
            request = json.loads(line)
        except json.JSONDecodeError:
            request = {}
        kind = request.get("request") if isinstance(request, dict) else None
        if kind not in REQUESTS:
            print(f"ui.worker: unknown request {kind!r}", file=sys.stderr)
            emit({"event": END_EVENT, "request": kind, "status": 2})
            continue
        status = guarded(lambda: REQUESTS[kind](request, emit), emit)
        if kind == "run":
            _forget_run_state()
        emit({"event": END_EVENT, "request": kind, "status": status})
        if status == INTERRUPTED_STATUS:
            return status


def _forget_run_state() -> None:
    """Drop what a finished run left in the session (cached tables), so the next starts clean."""
    from pyspark.sql import SparkSession

    spark = SparkSession.getActiveSession()
    if spark is not None:
        spark.catalog.clearCache()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print(f"usage: python -m ui.worker SPEC.json | python -m ui.worker {SERVE_FLAG}", file=sys.stderr)
        return 2
    emit = emitter(event_stream())
    _adopt_orphans()
    signal.signal(signal.SIGTERM, _interrupt)
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    try:
        if argv[0] == SERVE_FLAG:
            return serve(sys.stdin, emit)
        return guarded(lambda: run(json.loads(Path(argv[0]).read_text()), emit), emit)
    finally:
        _stop_jvm()


def _stop_jvm(timeout: float = 3.0) -> None:
    """Let Spark's JVM exit (it does when its stdin closes) and reap it, so the worker
    leaves no process behind, not even an exited one waiting for its parent."""
    from pyspark import SparkContext

    context = SparkContext._active_spark_context
    process = getattr(getattr(context, "_gateway", None), "proc", None)
    if process is None:
        return
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second stop request must not cut this short
    try:
        process.stdin.close()
        process.wait(timeout)
    except Exception:  # the runner's SIGKILL of the group is the fallback
        pass
    _reap_orphans()


def _adopt_orphans() -> None:
    """Become the reaper of this worker's orphaned descendants (Linux).

    Spark's launcher script (`spark-class`) reads the JVM's command line through a bash
    subshell and then execs the JVM, which never waits for that subshell; when the JVM
    exits, the exited subshell would pass to PID 1, which in a container may never reap
    it. Adopted by the worker instead, it is reaped by `_reap_orphans`.
    """
    try:
        import ctypes

        PR_SET_CHILD_SUBREAPER = 36
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: nothing is adopted, nothing to reap
        pass


def _reap_orphans() -> None:
    """Collect every exited child (the JVM's launcher subshell included) without waiting."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


if __name__ == "__main__":
    sys.exit(main())
