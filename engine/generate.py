"""Run a generation: build the DataFrames, write each table through a sink, record a manifest.

Bad input fails before any Spark work; progress is reported per table through a
callback; the manifest records seed, config, config hash, versions, the SHA-256 of the SQL
that ran (engine.sql_identity: per table, functions, whole script, git commit) and
per-table rows, bytes and seconds.
"""

from __future__ import annotations

import datetime as _dt
import platform
import threading
import time
from concurrent.futures import CancelledError, ThreadPoolExecutor
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Mapping

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # PySpark is imported where a session is made, so `import engine` works without it
    from pyspark.sql import DataFrame, SparkSession

from .build import builders, resolve_partitions
from .config import GraphConfig
from .errors import ConfigError, SessionError
from .events import ProgressCallback, RunDone, TableFailed, TableFinished, TableStarted
from .keys import TABLES
from .manifest import Manifest
from .sinks import FORMATS, DirectorySink, Sink, TableSink
from .sql_identity import sql_identity



def versions() -> dict[str, str]:
    """Versions of everything that decides the output or its speed."""
    found = {"python": platform.python_version()}
    for package in ("idgraph", "pyspark", "mimesis", "deltalake", "pyarrow"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def make_sink(
    out: str,
    format: str,
    overwrite: bool,
    spark: SparkSession | None = None,
    table_names: Mapping[str, str] | None = None,
    table_properties: Mapping[str, str] | None = None,
    sink: Sink | None = None,
) -> Sink:
    """The sink for a destination: a local folder for delta/parquet, catalog tables for `table`."""
    if format not in FORMATS:
        raise ConfigError("format", format, f"one of {list(FORMATS)}")
    if not out or not str(out).strip():
        raise ConfigError("out", out, "a folder path (or catalog.schema with --format table)")
    if format == "table":
        if spark is None:
            raise SessionError("spark", None, "a session with a catalog for --format table")
        return TableSink(spark, out, overwrite, table_names, table_properties)
    return DirectorySink(out, format, overwrite)


def preflight(
    config: GraphConfig,
    out: str,
    format: str = "delta",
    overwrite: bool = False,
    spark: SparkSession | None = None,
    table_names: Mapping[str, str] | None = None,
    table_properties: Mapping[str, str] | None = None,
    sink: Sink | None = None,
) -> Sink:
    """Every check `generate` makes before any Spark work: the config, the destination, and
    (for a folder) the output's lock and existence. Returns the prepared sink, which the
    caller commits or aborts; a refusal is a ConfigError naming the field."""
    config.validate()
    sink = sink or make_sink(out, format, overwrite, spark, table_names, table_properties)
    sink.prepare()
    return sink


def generate(
    config: GraphConfig,
    out: str,
    format: str = "delta",
    overwrite: bool = False,
    spark: SparkSession | None = None,
    on_progress: ProgressCallback | None = None,
    table_names: Mapping[str, str] | None = None,
    table_properties: Mapping[str, str] | None = None,
    tables: tuple[str, ...] = TABLES,
    sink: Sink | None = None,
) -> dict[str, Any]:
    """Generate `tables` for `config` into `out`; returns the run manifest (`Manifest.to_dict`).

    `sink`: a ready sink instead of make_sink's (the Databricks job builds its TableSink
    with clustering keys and comments).
    """
    report = on_progress or (lambda event: None)
    sink = preflight(config, out, format, overwrite, spark, table_names, table_properties, sink=sink)
    started = time.perf_counter()
    # what the run is, taken before any Spark work (as the manifest always has been)
    known = dict(seed=config.seed, config_hash=config.config_hash(), config=config.to_dict(), format=format,
                 out=sink.location, started_at=_now(), versions=versions(), sql=sql_identity(config))
    try:
        if spark is None:
            from .session import local_session

            spark = local_session()
        partitions = resolve_partitions(spark, config)
        frames = builders(spark, config, tables, partitions=partitions)
        written = write_tables({t: frames[t] for t in sorted(frames, key=write_rank)}, sink, report, spark=spark)
        manifest = Manifest(
            **known,
            tables={t: written[t] for t in tables},
            partitions=partitions,
            finished_at=_now(),
            wall_seconds=round(time.perf_counter() - started, 3),
            total_rows=sum(written[t]["rows"] for t in tables),
        )
        sink.commit(manifest)
    except BaseException as exc:
        sink.abort()
        report(TableFailed(f"{type(exc).__name__}: {exc}"))
        raise
    report(RunDone(manifest.to_dict()))
    return manifest.to_dict()


# The order tables are written in: the small ones first. Spark runs jobs first come, first
# served, so a small table started beside a big one waits for one of its long tasks and
# holds a writer slot all that while.
WRITE_ORDER = (
    "content_catalog",
    "campaigns",
    "households",
    "individuals",
    "identity_mappings",
    "content_engagement",
    "campaign_exposures",
    "response_events",
)


def write_rank(table: str) -> int:
    """Position in WRITE_ORDER (a table missing from it goes last)."""
    return WRITE_ORDER.index(table) if table in WRITE_ORDER else len(WRITE_ORDER)


# Tables written at once. Each write has driver-side stretches during which the cores
# idle — planning and code generation before its job, the last tasks of its stage, the
# Delta log and file statistics after it; a second table in flight fills them.
CONCURRENT_TABLES = 2


def write_tables(
    frames: Mapping[str, DataFrame | Callable[[], DataFrame]],
    sink: Sink,
    on_progress: ProgressCallback | None = None,
    concurrency: int = CONCURRENT_TABLES,
    spark: SparkSession | None = None,
) -> dict[str, dict[str, Any]]:
    """Write each DataFrame through `sink`, `concurrency` at a time (in order of `frames`);
    per-table rows, bytes, files and seconds, in the order of `frames`.

    A frame may be a function returning the DataFrame, called in the writer's thread, so
    one table's query is analysed while another is computed. The one write path of a run:
    `generate()` uses it for the generators, and the benchmark for its raw-limit tables, so
    both pay exactly the same sink costs. A table's seconds run from its start to its end,
    so with concurrency they overlap. The first failure (or an interrupt) cancels the other
    tables' Spark jobs on `spark` (or the first built frame's session) and is raised.
    """
    report = on_progress or (lambda event: None)
    items = list(frames.items())
    sessions: list[SparkSession] = [spark] if spark is not None else []
    failed = threading.Event()

    def write_one(index: int, table: str, frame: DataFrame | Callable[[], DataFrame]) -> dict[str, Any]:
        t0 = time.perf_counter()
        df = frame() if callable(frame) else frame
        sessions.append(df.sparkSession)
        if failed.is_set():  # another table failed while this one was being planned
            raise CancelledError(f"{table}: not written, another table failed")
        report(TableStarted(table, index, len(items)))
        stats = sink.write(table, df)
        stats["seconds"] = round(time.perf_counter() - t0, 3)
        if isinstance(sink, DirectorySink):
            stats["path"] = str(Path(sink.location) / table)
        report(TableFinished(table, index, len(items), stats["rows"], stats.get("bytes"), stats.get("files"), stats["seconds"], stats.get("path", "")))
        return stats

    if concurrency <= 1 or len(items) <= 1:
        return {table: write_one(index, table, df) for index, (table, df) in enumerate(items)}
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="idgraph-write") as pool:
        futures = {table: pool.submit(write_one, index, table, df) for index, (table, df) in enumerate(items)}
        try:
            return {table: future.result() for table, future in futures.items()}
        except BaseException:
            failed.set()
            for future in futures.values():
                future.cancel()
            if sessions:
                _cancel_spark_jobs(sessions[0])
            raise


def _cancel_spark_jobs(spark: SparkSession) -> None:
    """Best effort: stop the session's running jobs (classic session or Spark Connect)."""
    try:
        spark.interruptAll()
    except Exception:
        pass


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
