"""The generation worker: one local run in its own process, reporting JSON lines on stdout.

`python -m ui.worker SPEC.json` starts its own Spark session, runs `engine.generate`, then
the validation checks one by one and reads a few sample rows per table, printing one JSON
event per line as it goes. The app's runner reads those lines; nothing else is printed on
stdout (stray output, Spark's included, goes to stderr). The worker runs in its own process
group with Spark's JVM, so the runner can stop both at once; on SIGTERM, or when the app
that started it disappears, the generation is interrupted and the engine removes its staging
folder, so no half-written table is left.

Spec: {"config": GraphConfig dict, "out": folder, "format": "delta"|"parquet",
"overwrite": bool, "samples": rows per table, "cores": Spark cores ("*" = all)}.
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
        collected = df.limit(rows).collect()
        found[table] = {"columns": df.columns, "rows": [[str(v) if v is not None else None for v in r] for r in collected]}
    return found


def run(spec: dict[str, Any], emit: Emit) -> dict[str, Any]:
    """Generate, validate and sample as `spec` says; emit events; return the manifest."""
    config = GraphConfig.from_dict(spec["config"])
    emit({"event": "spark_starting"})
    t0 = time.perf_counter()
    spark = local_session(cores=spec.get("cores", "*"), app_name="idgraph-ui-worker")
    emit({"event": "spark_ready", "seconds": round(time.perf_counter() - t0, 3)})
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


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m ui.worker SPEC.json", file=sys.stderr)
        return 2
    emit = emitter(event_stream())
    _adopt_orphans()
    signal.signal(signal.SIGTERM, _interrupt)
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    try:
        run(json.loads(Path(argv[0]).read_text()), emit)
    except KeyboardInterrupt:
        emit(engine.event_to_dict(engine.TableFailed("cancelled")))
        return 130
    except Exception as exc:  # reported to the app, which shows it; the traceback goes to the log
        import traceback

        traceback.print_exc()
        emit(engine.event_to_dict(engine.TableFailed(f"{type(exc).__name__}: {exc}")))
        return 1
    finally:
        _stop_jvm()
    return 0


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
