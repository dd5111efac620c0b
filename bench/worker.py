"""One benchmark cell: a (households, cores) pair in its own process and Spark session.

Run by the harness as `python -m bench.worker ...` so that `local[N]` takes effect and the
memory of one cell is never mixed with another's. In order:

1. **cold**: start the session and generate once; the cold wall is split into Python start,
   session start and the first run;
2. **shapes**: read the generator's output back for whole-table column statistics;
3. **calibration** (untimed, the limit's warm-up): write the limit tables three times, adjusting
   each column until its compressed bytes match the generator's (`bench.limit.calibrate`);
   then one untimed generator pass, so both sides start the timed passes warm;
4. **concurrent passes** (the whole graph, tables written as `idgraph generate` writes them):
   `repeat` pairs in ABBA order (limit first on odd passes, generator first on even ones);
5. **single-table passes** (per-table figures, one table in flight at a time): for each pass
   and table, the two sides back to back, in the same ABBA order;
6. **replay** (cross-check): each table's generated values cached, then written `replay`
   times: what writing exactly these values costs, beside the limit's shaped stand-in.

Every timed write records wall seconds, the JVM's and Python's CPU seconds, GC time and
the CPU the rest of the machine used meanwhile (`bench.probes`), the load average
sampled during it, and Spark's stage metrics of its tasks (`bench.stages`). Progress goes
to stdout as JSON lines; the raw record to --result.

`--limit-cold SPEC` instead writes only the limit tables, once, in a fresh process: the raw
limit's own cold wall. `--jvm plain` runs the generator (cold, one warm pass, `repeat` timed
passes) in a session started with no extra JVM options, as a managed cluster gives;
`--jvm flagged` runs exactly the same in a session started with `-XX:-DontCompileHugeMethods`
only: issue 11's reference. The two are compared with each other (the same procedure, the
same conf, only the JIT flag differs), never with this cell's engine session, which has
neither the same JVM options (-Duser.timezone) nor the same warm-up.
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
from typing import Any, Callable

import engine
from engine import TABLES, Event, GraphConfig, TableFinished, TableStarted, builders, make_sink, write_rank, write_tables

from .environment import spark_environment
from .limit import ColumnShape, calibrate, column_bytes, limit_frame, measure_shapes
from .memory import PeakMemorySampler
from .probes import Counters, generated_code_sizes
from .stages import StageMeter

# Untimed limit writes that calibrate the column bytes (the limit's warm-up as well).
CALIBRATION_WRITES = 3
# The JIT cells' JVMs: "plain" has no extra JVM options at all (as a managed cluster or
# serverless gives); "flagged" has the JIT flag issue 11 measures against, and nothing else.
HUGE_METHODS_FLAG = "-XX:-DontCompileHugeMethods"
JIT_JVM_OPTIONS = {"plain": "", "flagged": HUGE_METHODS_FLAG}

Report = Callable[[Event], None]


def emit(event: dict[str, Any]) -> None:
    """One progress event, as a JSON line on stdout (the harness reads them live)."""
    print(json.dumps(event, default=str), flush=True)


class Cell:
    """The session, counters and memory sampler of one worker process, and its timed writes."""

    def __init__(self, cores: int, app_name: str, memory: PeakMemorySampler, launched_at: float, jvm: str | None = None) -> None:
        self.python_start_seconds = round(time.time() - launched_at, 3)
        self.memory = memory
        self.spark, self.session_seconds = _start_session(cores, app_name, jvm)
        self.counters = Counters(self.spark)
        self.stages = StageMeter(self.spark)

    def cold_record(self, first_run_seconds: float, cold_wall_seconds: float) -> dict[str, Any]:
        """The cold wall of this process, split: Python start, session start, first run."""
        return {
            "python_start_seconds": self.python_start_seconds,
            "session_start_seconds": round(self.session_seconds, 3),
            "first_run_seconds": first_run_seconds,
            "cold_wall_seconds": cold_wall_seconds,
        }

    def timed(self, label: str, write: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """Run `write` (returns {"wall_seconds"?, "tables"}); add its CPU, GC, load and Spark stage figures."""
        mark = self.stages.mark()
        before = self.counters.snapshot()
        started = time.perf_counter()
        self.memory.enter(label)
        try:
            done = write()
        finally:
            self.memory.leave(label)
        usage = self.counters.snapshot().minus(before)
        done.setdefault("wall_seconds", usage["wall_seconds"])
        load = self.memory.load_between(started, time.perf_counter())
        return {**done, "cpu": {k: v for k, v in usage.items() if k != "wall_seconds"}, "load": load, "stages": self.stages.since(mark)}


def progress(memory: PeakMemorySampler, kind: str, number: int) -> Report:
    """A write_tables/generate progress callback: memory labels per table, events to the harness."""

    def report(event: Event) -> None:
        if isinstance(event, TableStarted):
            memory.enter(f"{kind}:{event.table}")
            emit({"event": event.kind, "table": event.table, "index": event.index, "total": event.total, "kind": kind, "pass": number})
        elif isinstance(event, TableFinished):
            memory.leave(f"{kind}:{event.table}")
            emit({"event": event.kind, "table": event.table, "index": event.index, "total": event.total, "kind": kind, "pass": number,
                  "rows": event.rows, "seconds": event.seconds})

    return report


def run_cell(
    households: int, cores: int, repeat: int, format: str, seed: int, work_dir: Path, launched_at: float,
    replay: int = 0, single: bool = True,
) -> dict[str, Any]:
    """Measure one cell; returns its raw record (every timed write, its CPU, bytes, peaks)."""
    config = GraphConfig(households=households, seed=seed)
    config.validate()
    gen_out, limit_out = work_dir / "generator", work_dir / "limit"
    with PeakMemorySampler() as memory:
        cell = Cell(cores, f"idgraph-bench-{households}x{cores}", memory, launched_at)
        spark = cell.spark

        def generator(tables: tuple[str, ...], number: int) -> dict[str, Any]:
            manifest = engine.generate(config, out=str(gen_out), format=format, overwrite=True, spark=spark,
                                on_progress=progress(memory, "generator", number), tables=tables)
            return {"wall_seconds": manifest["wall_seconds"], "tables": _strip(manifest["tables"])}

        emit({"event": "phase", "phase": "cold", "session_seconds": round(cell.session_seconds, 3)})
        cold = cell.timed("generator:cold", lambda: generator(TABLES, 0))
        cold_wall = round(time.time() - launched_at, 3)
        emit({"event": "pass", "kind": "cold", "pass": 0, "of": repeat, "rows": _rows(cold["tables"]), "wall_seconds": cold["wall_seconds"], "cold_wall_seconds": cold_wall})
        generated = cold["tables"]
        partitions = max(t["files"] for t in generated.values())
        emit({"event": "phase", "phase": "shapes"})
        written = {t: spark.read.parquet(str(gen_out / t)) for t in generated}
        environment = spark_environment(spark, cell.counters, work_dir, {t: gen_out / t for t in generated})
        shapes = measure_shapes(written, {t: gen_out / t for t in generated})
        target = {t: column_bytes(gen_out / t) for t in generated}

        def limit(tables: dict[str, list[ColumnShape]], number: int, concurrent: bool = True) -> dict[str, Any]:
            return _limit_pass(spark, tables, generated, format, limit_out, progress(memory, "limit", number), concurrent)

        emit({"event": "phase", "phase": "calibration"})
        history: dict[str, dict[str, list[tuple[ColumnShape, int]]]] = {t: {} for t in generated}
        calibration = []
        for _ in range(CALIBRATION_WRITES):
            done = limit(shapes, 0)
            measured = {t: column_bytes(limit_out / t) for t in generated}
            calibration.append({t: {"bytes": done["tables"][t]["bytes"], "generator_bytes": generated[t]["bytes"]} for t in generated})
            for table, columns in shapes.items():
                for shape in columns:
                    history[table].setdefault(shape.name, []).append((shape, measured[table].get(shape.name, 0)))
            shapes = {t: [calibrate(s, target[t].get(s.name, 0), history[t][s.name]) for s in columns] for t, columns in shapes.items()}
        generator(tuple(generated), 0)  # the generator's warm pass, untimed like the limit's

        concurrent: dict[str, list[dict[str, Any]]] = {"generator": [], "limit": []}
        for number in range(1, repeat + 1):
            for kind in _abba(number):
                emit({"event": "phase", "phase": kind, "pass": number, "of": repeat})
                write = (lambda: generator(tuple(generated), number)) if kind == "generator" else (lambda: limit(shapes, number))
                concurrent[kind].append(cell.timed(f"{kind}:graph", write))
                done = concurrent[kind][-1]
                emit({"event": "pass", "kind": kind, "pass": number, "of": repeat, "rows": _rows(done["tables"]), "wall_seconds": done["wall_seconds"]})
        # the last concurrent limit write holds every table (single-table writes replace it)
        limit_columns = {t: column_bytes(limit_out / t) for t in generated}

        alone: dict[str, dict[str, list[dict[str, Any]]]] = {"generator": {t: [] for t in generated}, "limit": {t: [] for t in generated}}
        # each table's query, analysed afresh at every write like the limit's (the shared SQL
        # functions registered once: registering them is no part of writing a table)
        makers = builders(spark, config, list(generated))
        if single:
            for number in range(1, repeat + 1):
                emit({"event": "phase", "phase": "single", "pass": number, "of": repeat})
                for table in sorted(generated, key=write_rank):
                    for kind in _abba(number):
                        if kind == "generator":
                            done = cell.timed(f"generator:{table}", lambda: _write_pass({table: makers[table]}, format, gen_out, progress(memory, kind, number), spark, False))
                        else:
                            done = cell.timed(f"limit:{table}", lambda: limit({table: shapes[table]}, number, concurrent=False))
                        alone[kind][table].append({**done["tables"][table], **_usage(done)})
                for kind in ("limit", "generator"):
                    emit({"event": "pass", "kind": f"{kind}, one table at a time,", "pass": number, "of": repeat,
                          "rows": sum(alone[kind][t][-1]["rows"] for t in generated), "wall_seconds": round(sum(alone[kind][t][-1]["seconds"] for t in generated), 3)})

        replayed: dict[str, list[dict[str, Any]]] = {}
        if replay:
            emit({"event": "phase", "phase": "replay"})
            for table in sorted(generated, key=write_rank):
                replayed[table] = _replay(cell, makers[table](), table, format, work_dir / "replay", replay)
    shutil.rmtree(work_dir, ignore_errors=True)
    return {
        "households": households,
        "cores": cores,
        "partitions": partitions,
        "cold": {
            **cell.cold_record(cold["wall_seconds"], cold_wall),
            "cpu": cold["cpu"],
            "tables": generated,
        },
        "concurrent": concurrent,
        "single": alone if single else None,
        "replay": replayed or None,
        "calibration": calibration,
        "shapes": {table: [s.to_dict() for s in columns] for table, columns in shapes.items()},
        "column_bytes": {"generator": target, "limit": limit_columns},
        "environment": environment,
        "memory": {
            "overall": memory.overall,
            "generator": memory.peak("generator:"),
            "limit": memory.peak("limit:"),
            "tables": {table: {"generator": memory.peak(f"generator:{table}"), "limit": memory.peak(f"limit:{table}")} for table in generated},
        },
    }


def run_jvm(
    households: int, cores: int, repeat: int, format: str, seed: int, work_dir: Path, launched_at: float, jvm: str = "plain",
) -> dict[str, Any]:
    """The generator in a session whose JVM has only the options of `jvm` (JIT_JVM_OPTIONS):
    cold, one warm pass, `repeat` timed passes; the same procedure for "plain" and "flagged"."""
    config = GraphConfig(households=households, seed=seed)
    out = work_dir / jvm
    with PeakMemorySampler() as memory:
        cell = Cell(cores, f"idgraph-bench-{jvm}-{households}x{cores}", memory, launched_at, jvm=jvm)

        def generator(number: int) -> dict[str, Any]:
            manifest = engine.generate(config, out=str(out), format=format, overwrite=True, spark=cell.spark, on_progress=progress(memory, jvm, number))
            return {"wall_seconds": manifest["wall_seconds"], "tables": _strip(manifest["tables"])}

        emit({"event": "phase", "phase": jvm})
        cold = cell.timed(f"{jvm}:cold", lambda: generator(0))
        cold_wall = round(time.time() - launched_at, 3)
        emit({"event": "pass", "kind": f"{jvm}-cold", "pass": 0, "of": repeat, "rows": _rows(cold["tables"]), "wall_seconds": cold["wall_seconds"], "cold_wall_seconds": cold_wall})
        generator(0)
        passes = []
        for number in range(1, repeat + 1):
            passes.append(cell.timed(f"{jvm}:graph", lambda: generator(number)))
            emit({"event": "pass", "kind": jvm, "pass": number, "of": repeat, "rows": _rows(passes[-1]["tables"]), "wall_seconds": passes[-1]["wall_seconds"]})
        environment = spark_environment(cell.spark, cell.counters, work_dir)
        # every method Spark generated and compiled in this JVM (whole-stage or not), largest
        generated = generated_code_sizes(cell.spark)
    shutil.rmtree(work_dir, ignore_errors=True)
    return {
        **cell.cold_record(cold["wall_seconds"], cold_wall),
        "passes": passes,
        "jvm_options": environment["jvm"]["input_arguments"],
        "generated_code": generated.to_dict() if generated else None,
        "memory": memory.overall,
    }


def run_limit_cold(cores: int, spec: dict[str, Any], format: str, work_dir: Path, launched_at: float) -> dict[str, Any]:
    """Write the limit tables once in a fresh session: the raw limit's cold wall time.

    `spec` is {"shapes": {table: [shape]}, "tables": {table: {"rows", "files"}}}, from the
    generator cell of the same scale and cores (calibrated shapes).
    """
    with PeakMemorySampler() as memory:
        cell = Cell(cores, f"idgraph-bench-limit-cold-x{cores}", memory, launched_at)
        emit({"event": "phase", "phase": "limit-cold"})
        shapes = {table: [ColumnShape(**shape) for shape in columns] for table, columns in spec["shapes"].items()}
        done = _limit_pass(cell.spark, shapes, spec["tables"], format, work_dir / "limit", lambda event: None)
    cold_wall = round(time.time() - launched_at, 3)
    emit({"event": "pass", "kind": "limit-cold", "pass": 0, "of": 1, "rows": _rows(done["tables"]), "wall_seconds": done["wall_seconds"], "cold_wall_seconds": cold_wall})
    shutil.rmtree(work_dir, ignore_errors=True)
    return cell.cold_record(done["wall_seconds"], cold_wall)


def _abba(number: int) -> tuple[str, str]:
    """Which side goes first in pass `number`: limit on odd passes, generator on even ones."""
    return ("limit", "generator") if number % 2 else ("generator", "limit")


def _start_session(cores: int, app_name: str, jvm: str | None = None):
    """The cell's local[cores] session (with `jvm`: JIT_JVM_OPTIONS[jvm] as its only JVM
    options) and the seconds it took to start."""
    from engine import local_session

    emit({"event": "phase", "phase": "session"})
    t0 = time.perf_counter()
    options = {} if jvm is None else {"java_options": JIT_JVM_OPTIONS[jvm]}  # None: the engine's own
    spark = local_session(cores=cores, app_name=app_name, **options)
    return spark, time.perf_counter() - t0


def _limit_pass(spark, shapes, generated: dict[str, dict[str, Any]], format: str, out: Path, report: Report, concurrent: bool = True) -> dict[str, Any]:
    """Write the limit tables (same rows and file counts as the generator's) through the same sink,
    in the generator's write order (so the same tables overlap on both sides), each built
    lazily in its writer thread as the generator's are."""
    frames = {t: functools.partial(limit_frame, spark, shapes[t], generated[t]["rows"], generated[t]["files"]) for t in shapes}
    return _write_pass(frames, format, out, report, spark, concurrent)


def _write_pass(frames: dict[str, Any], format: str, out: Path, report: Report, spark, concurrent: bool = True) -> dict[str, Any]:
    """Write `frames` (DataFrames or functions returning one) into a fresh sink at `out`, in write order."""
    sink = make_sink(str(out), format, overwrite=True)
    sink.prepare()
    t0 = time.perf_counter()
    ordered = {t: frames[t] for t in sorted(frames, key=write_rank)}
    tables = write_tables(ordered, sink, report, spark=spark, **({} if concurrent else {"concurrency": 1}))
    wall = time.perf_counter() - t0
    sink.commit({"bench": True, "tables": tables})
    return {"wall_seconds": round(wall, 3), "tables": _strip(tables)}


def _replay(cell: Cell, df, table: str, format: str, out: Path, passes: int) -> list[dict[str, Any]]:
    """The generator's own values of `table`, cached in memory (and disk), written `passes` times."""
    from pyspark import StorageLevel

    cached = df.persist(StorageLevel.MEMORY_AND_DISK)
    cached.count()
    try:
        found = []
        for number in range(1, passes + 1):
            done = cell.timed(f"replay:{table}", lambda: _write_pass({table: cached}, format, out, progress(cell.memory, "replay", number), cell.spark, False))
            found.append({**done["tables"][table], **_usage(done)})
    finally:
        cached.unpersist()
    return found


def _usage(done: dict[str, Any]) -> dict[str, Any]:
    """What a timed write cost besides its tables: CPU, load and Spark stage figures."""
    return {key: done[key] for key in ("cpu", "load", "stages")}


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
    parser.add_argument("--replay", type=int, default=0, help="timed writes of each table's cached values (0: none)")
    parser.add_argument("--no-single", action="store_true", help="skip the single-table passes")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--limit-cold", type=Path, default=None, help="only write the limit tables of this spec (JSON) once, cold")
    mode.add_argument("--jvm", choices=sorted(JIT_JVM_OPTIONS), default=None,
                      help="only run the generator, in a session with no extra JVM options (plain) or only the JIT flag (flagged)")
    args = parser.parse_args(argv)
    launched_at = args.launched_at or time.time()
    try:
        if args.limit_cold is not None:
            record = run_limit_cold(args.cores, json.loads(args.limit_cold.read_text()), args.format, args.work_dir, launched_at)
        elif args.jvm:
            record = run_jvm(args.households, args.cores, args.repeat, args.format, args.seed, args.work_dir, launched_at, args.jvm)
        else:
            record = run_cell(args.households, args.cores, args.repeat, args.format, args.seed, args.work_dir, launched_at,
                              replay=args.replay, single=not args.no_single)
    except BaseException as exc:  # report anything, even an interrupt, before dying
        emit({"event": "error", "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()})
        shutil.rmtree(args.work_dir, ignore_errors=True)
        return 1
    args.result.write_text(json.dumps(record, indent=1))
    emit({"event": "done"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
