"""One benchmark cell: a (households, cores) pair in its own process and Spark session.

Run by the harness as `python -m bench.worker ...` so that `local[N]` takes effect and the
memory of one cell is never mixed with another's. It generates the graph once cold (the
wall time a user sees, Spark start-up included), measures the generator's column shapes,
then alternates limit and generator passes (limit first on odd passes, generator first
on even ones) so machine noise hits both alike. Progress goes to stdout as JSON lines; the
raw timings go to the --result file for the harness to summarise.

With `--limit-cold SPEC` it instead writes only the limit tables, once, in a fresh process
and session: the raw limit's own cold wall time, what the generator's cold wall is up against.
"""

from __future__ import annotations

import argparse
import functools
import json
import shutil
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from engine import GraphConfig, build, generate
from engine.generate import make_sink, write_rank, write_tables

from .limit import ColumnShape, limit_frame, measure_shapes
from .memory import PeakMemorySampler


def emit(event: dict[str, Any]) -> None:
    """One progress event, as a JSON line on stdout (the harness reads them live)."""
    print(json.dumps(event, default=str), flush=True)


def run_cell(households: int, cores: int, repeat: int, format: str, seed: int, work_dir: Path, launched_at: float) -> dict[str, Any]:
    """Measure one cell; returns its raw record (every pass's seconds, rows, bytes, peaks)."""
    config = GraphConfig(households=households, seed=seed)
    config.validate()
    with PeakMemorySampler() as memory:
        spark, session_seconds = _start_session(cores, f"idgraph-bench-{households}x{cores}")

        def progress(kind: str, number: int):
            def report(event: dict[str, Any]) -> None:
                if event["event"] == "started":
                    memory.enter(f"{kind}:{event['table']}")
                elif event["event"] == "finished":
                    memory.leave(f"{kind}:{event['table']}")
                if event["event"] in ("started", "finished"):
                    emit({**{k: event[k] for k in ("event", "table", "index", "total")}, "kind": kind, "pass": number,
                          **({"rows": event["rows"], "seconds": event["seconds"]} if event["event"] == "finished" else {})})

            return report

        emit({"event": "phase", "phase": "cold", "session_seconds": round(session_seconds, 3)})
        cold = generate(config, out=str(work_dir / "generator"), format=format, overwrite=True, spark=spark, on_progress=progress("generator", 0))
        cold_wall = time.time() - launched_at
        emit({"event": "pass", "kind": "cold", "pass": 0, "of": repeat, "rows": _rows(cold["tables"]), "wall_seconds": cold["wall_seconds"], "cold_wall_seconds": round(cold_wall, 3)})

        emit({"event": "phase", "phase": "shapes"})
        shapes = measure_shapes(build(spark, config))
        partitions = cold["partitions"]
        passes: dict[str, list[dict[str, Any]]] = {"generator": [], "limit": []}
        for number in range(1, repeat + 1):
            order = ("limit", "generator") if number % 2 else ("generator", "limit")
            for kind in order:
                emit({"event": "phase", "phase": kind, "pass": number, "of": repeat})
                if kind == "generator":
                    manifest = generate(config, out=str(work_dir / "generator"), format=format, overwrite=True, spark=spark, on_progress=progress(kind, number))
                    passes[kind].append({"wall_seconds": manifest["wall_seconds"], "tables": _strip(manifest["tables"])})
                else:
                    passes[kind].append(_limit_pass(spark, shapes, cold["tables"], format, work_dir / "limit", progress(kind, number)))
                done = passes[kind][-1]
                emit({"event": "pass", "kind": kind, "pass": number, "of": repeat, "rows": _rows(done["tables"]), "wall_seconds": done["wall_seconds"]})
    shutil.rmtree(work_dir, ignore_errors=True)
    return {
        "households": households,
        "cores": cores,
        "partitions": partitions,
        "session_start_seconds": round(session_seconds, 3),
        "cold_wall_seconds": round(cold_wall, 3),
        "cold_generate_seconds": cold["wall_seconds"],
        "cold": _strip(cold["tables"]),
        "passes": passes,
        "shapes": {table: [s.to_dict() for s in columns] for table, columns in shapes.items()},
        "memory": {
            "overall": memory.overall,
            "generator": memory.peak("generator:"),
            "limit": memory.peak("limit:"),
            "tables": {table: {"generator": memory.peak(f"generator:{table}"), "limit": memory.peak(f"limit:{table}")} for table in cold["tables"]},
        },
    }


def run_limit_cold(cores: int, spec: dict[str, Any], format: str, work_dir: Path, launched_at: float) -> dict[str, Any]:
    """Write the limit tables once in a fresh session: the raw limit's cold wall time.

    `spec` is {"shapes": {table: [shape]}, "tables": {table: {"rows", "files"}}}, from the
    generator cell of the same scale and cores.
    """
    spark, session_seconds = _start_session(cores, f"idgraph-bench-limit-cold-x{cores}")
    emit({"event": "phase", "phase": "limit-cold"})
    shapes = {table: [ColumnShape(**shape) for shape in columns] for table, columns in spec["shapes"].items()}
    done = _limit_pass(spark, shapes, spec["tables"], format, work_dir / "limit", lambda event: None)
    cold_wall = time.time() - launched_at
    emit({"event": "pass", "kind": "limit-cold", "pass": 0, "of": 1, "rows": _rows(done["tables"]), "wall_seconds": done["wall_seconds"], "cold_wall_seconds": round(cold_wall, 3)})
    shutil.rmtree(work_dir, ignore_errors=True)
    return {"session_start_seconds": round(session_seconds, 3), "cold_wall_seconds": round(cold_wall, 3), "write_seconds": done["wall_seconds"]}


def _start_session(cores: int, app_name: str):
    """The cell's local[cores] session and the seconds it took to start."""
    from engine import local_session

    emit({"event": "phase", "phase": "session"})
    t0 = time.perf_counter()
    spark = local_session(cores=cores, app_name=app_name)
    return spark, time.perf_counter() - t0


def _limit_pass(spark, shapes, generated: dict[str, dict[str, Any]], format: str, out: Path, report) -> dict[str, Any]:
    """Write the limit tables (same rows and file counts as the generator's) through the same sink."""
    sink = make_sink(str(out), format, overwrite=True)
    sink.prepare()
    t0 = time.perf_counter()
    # in the generator's write order, so the same tables overlap on both sides
    # (built lazily in the writer threads, as the generator's are)
    frames = {
        t: functools.partial(limit_frame, spark, shapes[t], generated[t]["rows"], generated[t]["files"])
        for t in sorted(generated, key=write_rank)
    }
    tables = write_tables(frames, sink, report, spark=spark)
    wall = time.perf_counter() - t0
    sink.commit({"limit": True, "tables": tables})
    return {"wall_seconds": round(wall, 3), "tables": _strip(tables)}


def _rows(tables: dict[str, dict[str, Any]]) -> int:
    return sum(t["rows"] for t in tables.values())


def _strip(tables: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {t: {k: s[k] for k in ("rows", "bytes", "files", "seconds")} for t, s in tables.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.worker", description=__doc__)
    parser.add_argument("--households", type=int, required=True)
    parser.add_argument("--cores", type=int, required=True)
    parser.add_argument("--repeat", type=int, required=True)
    parser.add_argument("--format", required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--work-dir", type=Path, required=True)
    parser.add_argument("--result", type=Path, required=True, help="where to write the cell's raw record (JSON)")
    parser.add_argument("--launched-at", type=float, default=None, help="time.time() when the harness started this process")
    parser.add_argument("--limit-cold", type=Path, default=None, help="only write the limit tables of this spec (JSON) once, cold")
    args = parser.parse_args(argv)
    launched_at = args.launched_at or time.time()
    try:
        if args.limit_cold is not None:
            record = run_limit_cold(args.cores, json.loads(args.limit_cold.read_text()), args.format, args.work_dir, launched_at)
        else:
            record = run_cell(args.households, args.cores, args.repeat, args.format, args.seed, args.work_dir, launched_at)
    except BaseException as exc:  # report anything, even an interrupt, before dying
        emit({"event": "error", "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()})
        shutil.rmtree(args.work_dir, ignore_errors=True)
        return 1
    args.result.write_text(json.dumps(record, indent=1))
    emit({"event": "done"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
