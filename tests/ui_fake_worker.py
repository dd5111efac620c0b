"""A stand-in for `python -m ui.worker` in the runner and handler tests: same protocol, no Spark.

It reads the same spec, writes a staging folder beside the output like the engine does,
prints the same JSON events (one table every `spec["fake"]["seconds"]` seconds), and
moves the staging folder into place at the end. `fake.fail` makes it fail after the
first table; `fake.crash` makes the process die there (exit status 3, after a line on
stderr), as a worker killed by the kernel would. Killed by a signal, it dies at once and
leaves its staging folder behind, which is exactly what the runner must clean up. With
`--serve` it is a warm worker: one request per stdin line (`run` or `preview`), each
closed by an `end` event, its pid the same for every request; a preview whose config holds
`slow_preview_seconds` takes that long and, on SIGTERM, ends its request with status 130 and
lingers a moment before exiting, as the real worker does while it stops Spark. The real worker is
exercised by the browser e2e and SIGTERM tests.

Runs launched through the form (tests/ui_fake_app.py) carry no `fake` block: there
IDGRAPH_FAKE_SECONDS sets the seconds per table, and a run whose folder name starts with
`slow` takes IDGRAPH_FAKE_SLOW_SECONDS per table (long enough to be cancelled mid-write).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

TABLES = ("households", "individuals", "identity_mappings", "content_catalog", "content_engagement", "campaigns", "campaign_exposures", "response_events")


def emit(event: dict) -> None:
    print(json.dumps({**event, "time": time.time()}), flush=True)


def run(spec: dict, warm: bool = False) -> int:
    out = Path(spec["out"])
    paced = os.environ.get("IDGRAPH_FAKE_SLOW_SECONDS" if out.name.startswith("slow") else "IDGRAPH_FAKE_SECONDS")
    fake = spec.get("fake", {"seconds": float(paced)} if paced else {})
    # named as the engine names its staging folders (12 hex digits), so its cleanup knows them
    staging = out.parent / f".{out.name}.staging-{os.getpid():012x}"
    staging.mkdir(parents=True)
    (staging / "pid").write_text(str(os.getpid()))
    emit({"event": "spark_starting", "warm": warm})
    emit({"event": "spark_ready", "seconds": 0.0 if warm else 0.1, "warm": warm})
    manifest = {"out": str(out), "tables": {}, "total_rows": 0, "wall_seconds": 0.0}
    for index, table in enumerate(TABLES):
        emit({"event": "started", "table": table, "index": index, "total": len(TABLES)})
        time.sleep(float(fake.get("seconds", 0.05)))
        if fake.get("crash") and index == 1:
            print(f"fake worker {os.getpid()}: java.lang.OutOfMemoryError: fake crash", file=sys.stderr, flush=True)
            os._exit(3)
        if fake.get("fail") and index == 1:
            emit({"event": "failed", "error": "ConfigError: out: fake failure"})
            return 1
        (staging / table).mkdir()
        rows = 10 * (index + 1)
        manifest["tables"][table] = {"rows": rows, "seconds": 0.05}
        manifest["total_rows"] += rows
        emit({"event": "finished", "table": table, "index": index, "total": len(TABLES), "rows": rows, "bytes": 100, "files": 1, "seconds": 0.05, "path": str(out / table)})
    (staging / "_manifest.json").write_text(json.dumps(manifest))
    if out.exists() and spec.get("overwrite"):
        import shutil

        shutil.rmtree(out)
    os.rename(staging, out)
    emit({"event": "done", "manifest": manifest})
    emit({"event": "validating", "total": 2})
    emit({"event": "check", "index": 0, "total": 2, "name": "primary_keys_unique", "description": "keys are unique", "violations": 0, "seconds": 0.01, "passed": True})
    emit({"event": "check", "index": 1, "total": 2, "name": "household_size_matches", "description": "sizes match", "violations": 3, "seconds": 0.01, "passed": False})
    emit({"event": "sampling"})
    emit({"event": "samples", "samples": {t: {"columns": ["id", "value"], "rows": [["1", f"{t}-a"], ["2", f"{t}-b"]]} for t in TABLES}})
    emit({"event": "complete"})
    return 0


def preview(request: dict, warm: bool) -> int:
    emit({"event": "spark_starting", "warm": warm})
    emit({"event": "spark_ready", "seconds": 0.0 if warm else 0.1, "warm": warm})
    seed = request["config"].get("seed", 42)
    rows = int(request.get("rows", 5))
    if request["config"].get("households") == 0:
        emit({"event": "failed", "error": "ConfigError: households: got 0; expected a whole number from 1"})
        return 1
    slow = float(request["config"].get("slow_preview_seconds", 0))
    if slow:  # like the real worker on SIGTERM: the request ends (status 130), the process lingers, then exits
        def stopped(signum, frame):
            emit({"event": "end", "request": "preview", "status": 130})
            time.sleep(1.5)
            os._exit(130)

        signal.signal(signal.SIGTERM, stopped)
        time.sleep(slow)
    emit({"event": "preview", "seconds": 0.01, "tables": {t: {"columns": ["key", "seed"], "rows": [[str(k), str(seed)] for k in range(rows)]} for t in TABLES}})
    return 0


def serve() -> int:
    served = 0
    for line in sys.stdin:
        request = json.loads(line)
        if request["request"] == "run":
            status = run(request["spec"], warm=served > 0)
        else:
            status = preview(request, warm=served > 0)
        served += 1
        emit({"event": "end", "request": request["request"], "status": status})
    return 0


if __name__ == "__main__":
    sys.exit(serve() if sys.argv[1] == "--serve" else run(json.loads(Path(sys.argv[1]).read_text())))
