"""The Databricks job entry point: read a JobConfig, re-check privileges, generate into Unity Catalog.

`python -m engine.job --config <path> [--run-id {{job.run_id}}]` (the wheel's `idgraph-job`
script runs the same `main`). The config is a `engine.databricks.JobConfig` JSON file, read
from disk when the path is readable (volumes are mounted on Databricks compute) and
otherwise, for `/Volumes/...`, through the Files API. Privileges are checked again right
before writing, because grants may have changed since the app checked them. Tables are
written with the compute's Spark session (Spark Connect on serverless: only Spark Connect
APIs, only properties on the serverless list, `engine.serverless`) by `engine.generate`,
named `{purpose}_{scale}_{timestamp}_{table}`, each in one CREATE with its liquid
clustering keys, properties (seed, version, config hash, `idgraph.synthetic`, the job run
id), table comment and column comments (`engine.sinks.TableSink`); then each gets the
Unity Catalog tag `synthetic` (metadata only, no rewrite). When the config came from a
volume and the run id is given, per-table progress and the manifest are written
in the run's folder, `<volume>/runs/<run_id>/` (`engine.databricks.volume`).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import sys
from importlib import metadata
from typing import Any, Sequence

from databricks.sdk.errors import DatabricksError

from engine import databricks
from engine.config import ConfigError
from engine.databricks.job_config import JobConfig
from engine.events import Event, RunDone, RunProgress
from engine.sinks import DIRECTORY_FORMATS
from engine.manifest import JobManifest, Manifest

# The Unity Catalog tags every generated table gets (SET TAG: metadata only).
TAGS = {"synthetic": "true", "generator": "idgraph"}
# Table format of the written tables (the folder sink's formats); `--table-format parquet`
# serves a Spark without Delta.
TABLE_FORMATS = DIRECTORY_FORMATS


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m engine.job", description="Generate an identity graph into Unity Catalog tables.")
    parser.add_argument("--config", required=True, help="JobConfig JSON: a local path or /Volumes/<catalog>/<schema>/<volume>/...")
    parser.add_argument("--run-id", default="", help="the Jobs run id, recorded on every table (the task passes {{job.run_id}})")
    parser.add_argument("--table-format", default="delta", choices=TABLE_FORMATS, help="delta (Unity Catalog); parquet only for a Spark without Delta")
    return parser.parse_args(argv)


def read_config(path: str, w: Any) -> JobConfig:
    """The JobConfig at `path`: from disk if readable, else from the volume via the Files API."""
    if os.path.isfile(path):
        with open(path, encoding="utf-8") as f:
            return JobConfig.from_json(f.read())
    if path.startswith("/Volumes/"):
        text = databricks.download_text(w, path)
        if text is not None:
            return JobConfig.from_json(text)
    raise ConfigError("--config", path, "an existing JobConfig file: a local path or /Volumes/<catalog>/<schema>/<volume>/...")


def generator_version() -> str:
    try:
        return metadata.version("idgraph")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def table_properties(job: JobConfig, run_id: str = "") -> dict[str, str]:
    """What each written table records about how it was made (set in its CREATE)."""
    properties = {
        "idgraph.seed": str(job.graph.seed),
        "idgraph.version": generator_version(),
        "idgraph.config_hash": job.graph.config_hash(),
        "idgraph.synthetic": "true",
    }
    if run_id:
        properties["idgraph.job_run_id"] = run_id
    return properties


def tag_statements(job: JobConfig) -> list[str]:
    """`SET TAG ON TABLE <table> <key> = <value>` for every table and tag (names quoted)."""
    return [f"SET TAG ON TABLE {name} `{key}` = `{value}`" for name in job.qualified_names().values() for key, value in TAGS.items()]


def apply_tags(spark: Any, statements: list[str]) -> dict[str, str]:
    """Run each tag statement; statement -> "ok" or why it failed (a tag never fails the run)."""
    results = {}
    for statement in statements:
        try:
            spark.sql(statement)
            results[statement] = "ok"
        except Exception as exc:  # no APPLY TAG privilege, or a Spark without Unity Catalog tags
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            results[statement] = f"not applied: {first_line}"
            print(f"idgraph: {statement}: {results[statement]}", file=sys.stderr, flush=True)
    return results


class ProgressFile:
    """The generator's progress callback: rewrites a small JSON file the app polls.

    Best effort: a failed upload is reported on stderr and never fails the run.
    """

    def __init__(self, w: Any, path: str) -> None:
        self.w, self.path = w, path
        # Tables are written two at a time and small ones first: progress names them.
        self.progress = RunProgress()

    def __call__(self, event: Event) -> None:
        self.progress.apply(event)
        if isinstance(event, RunDone):  # the manifest says it all
            return
        try:
            databricks.write_progress(self.w, self.path, self.progress)
        except (DatabricksError, OSError) as exc:  # progress must never fail the generation
            print(f"idgraph: could not write progress to {self.path}: {exc}", file=sys.stderr, flush=True)


def run(
    argv: Sequence[str] | None = None,
    *,
    workspace: Any = None,
    spark: Any = None,
) -> JobManifest:
    """Do the job and return what was written to `manifest.json`.

    `workspace` and `spark` default to `engine.databricks.client()` and the active Spark
    session (inside a serverless job: its Spark Connect session).
    """
    args = parse_args(argv)
    w = workspace if workspace is not None else databricks.client()
    job = read_config(args.config, w)
    dest = job.destination
    report = databricks.check_permissions(w, dest.catalog, dest.schema, dest.overwrite)
    if report.blocked:
        raise PermissionError(report.message)
    if spark is None:
        from pyspark.sql import SparkSession

        spark = SparkSession.builder.getOrCreate()
    # imported late: the app imports this module without PySpark
    from engine.generate import generate
    from engine.sinks import TableSink

    properties = table_properties(job, args.run_id)
    sink = TableSink(spark, dest.schema_name, dest.overwrite, job.table_names(), properties, format=args.table_format, cluster_by=job.cluster_by())
    run_volume = databricks.volume_of_launch_config(args.config) if args.config.startswith("/Volumes/") and args.run_id.isdigit() else None
    on_progress = ProgressFile(w, databricks.run_file(run_volume, args.run_id, databricks.PROGRESS_FILE)) if run_volume else None
    print(f"idgraph: writing {len(job.table_names())} tables into {dest.schema_name} as {report.principal}", flush=True)
    manifest = generate(
        job.graph,
        out=dest.schema_name,
        format="table",
        overwrite=dest.overwrite,
        table_names=job.table_names(),
        table_properties=properties,
        spark=spark,
        on_progress=on_progress,
        sink=sink,
    )
    result = JobManifest(
        generator_manifest=Manifest.from_dict(manifest),
        tables=job.qualified_names(),
        table_properties=properties,
        cluster_by={t: list(c) for t, c in job.cluster_by().items()},
        tags=apply_tags(spark, tag_statements(job)),
        run_id=args.run_id or None,
        principal=report.principal,
        finished_at=_dt.datetime.now(_dt.timezone.utc).isoformat(),
    )
    if run_volume:
        databricks.write_job_manifest(w, databricks.run_file(run_volume, args.run_id, databricks.MANIFEST_FILE), result)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point: exit 0 on success; errors propagate so the run output shows them."""
    run(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
