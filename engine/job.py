"""The Databricks job entry point: read a JobConfig, re-check privileges, generate into Unity Catalog.

`python -m engine.job --config <path> [--zorder]` (the wheel's `idgraph-job` script runs the
same `main`). The config is a `engine.job_config.JobConfig` JSON file, read from disk when
the path is readable (volumes are mounted on Databricks compute) and otherwise, for
`/Volumes/...`, through the Files API. Privileges are checked again right before writing,
because grants may have changed since the app checked them. Tables are written with the
cluster's Spark session by `engine.generate`, named `{purpose}_{scale}_{timestamp}_{table}`
and tagged with the seed, generator version and config hash; `--zorder` (or the config's
`destination.zorder`) then runs `OPTIMIZE ... ZORDER BY` as the research note describes.
When the config came from a volume, per-table progress (`progress.json`) and the manifest
(`manifest.json`) are written beside it.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import posixpath
import sys
from importlib import metadata
from typing import Any, Callable, Sequence

from databricks.sdk.errors import DatabricksError

from engine import databricks, names
from engine.config import ConfigError
from engine.job_config import ZORDER_COLUMNS, JobConfig


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m engine.job", description="Generate an identity graph into Unity Catalog tables.")
    parser.add_argument("--config", required=True, help="JobConfig JSON: a local path or /Volumes/<catalog>/<schema>/<volume>/...")
    parser.add_argument("--zorder", action="store_true", help="run OPTIMIZE ... ZORDER BY on the large tables after writing")
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


def table_properties(job: JobConfig) -> dict[str, str]:
    """What each written table records about how it was made."""
    return {
        "idgraph.seed": str(job.graph.seed),
        "idgraph.version": generator_version(),
        "idgraph.config_hash": job.graph.config_hash(),
    }


def zorder_statements(job: JobConfig) -> list[str]:
    """`OPTIMIZE <table> ZORDER BY (<columns>)` for each table with Z-order columns, all quoted."""
    qualified = job.qualified_names()
    return [
        f"OPTIMIZE {qualified[table]} ZORDER BY ({', '.join(names.quote_identifier(c) for c in columns)})"
        for table, columns in ZORDER_COLUMNS.items()
    ]


class ProgressFile:
    """The generator's progress callback: rewrites a small JSON file the app polls.

    Best effort: a failed upload is reported on stderr and never fails the run.
    """

    def __init__(self, w: Any, path: str) -> None:
        self.w, self.path = w, path
        # Tables are written two at a time and small ones first: progress names them.
        self.state: dict[str, Any] = {"tables_total": None, "tables_finished": [], "current_tables": [], "rows_written": 0}

    def __call__(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        table = event.get("table")
        if kind == "started":
            self.state["current_tables"].append(table)
            self.state["tables_total"] = event.get("total")
        elif kind == "finished":
            self.state["tables_finished"].append(table)
            if table in self.state["current_tables"]:
                self.state["current_tables"].remove(table)
            self.state["rows_written"] += event.get("rows") or 0
        elif kind == "failed":
            self.state["error"] = event.get("error")
        else:  # "done": the manifest says it all
            return
        running = self.state["current_tables"]
        snapshot = {
            **self.state,
            # summary fields for readers of the older single-table layout
            "tables_done": len(self.state["tables_finished"]),
            "current_table": running[-1] if running else None,
            "updated_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        }
        try:
            databricks.upload_text(self.w, self.path, json.dumps(snapshot))
        except (DatabricksError, OSError) as exc:  # progress must never fail the generation
            print(f"idgraph: could not write progress to {self.path}: {exc}", file=sys.stderr, flush=True)


def run(
    argv: Sequence[str] | None = None,
    *,
    workspace: Any = None,
    spark: Any = None,
    generate: Callable[..., dict] | None = None,
) -> dict[str, Any]:
    """Do the job and return what was written to `manifest.json`.

    `workspace`, `spark` and `generate` default to `engine.databricks.client()`, the active
    Spark session and `engine.generate.generate`; tests pass their own.
    """
    args = parse_args(argv)
    w = workspace if workspace is not None else databricks.client()
    job = read_config(args.config, w)
    dest = job.destination
    report = databricks.check_permissions(w, dest.catalog, dest.schema, dest.overwrite)
    if not report.ok:
        raise PermissionError(report.message)
    if spark is None:
        from pyspark.sql import SparkSession

        spark = SparkSession.builder.getOrCreate()
    if generate is None:
        from engine.generate import generate  # written alongside; imported late so this module loads without it
    properties = table_properties(job)
    in_volume = args.config.startswith("/Volumes/")
    on_progress = ProgressFile(w, databricks.progress_path(args.config)) if in_volume else None
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
    )
    statements = zorder_statements(job) if (args.zorder or dest.zorder) else []
    for statement in statements:
        print(f"idgraph: {statement}", flush=True)
        spark.sql(statement)
    result = {
        "generator_manifest": manifest,
        "tables": job.qualified_names(),
        "table_properties": properties,
        "zorder": statements,
        "principal": report.principal,
        "finished_at": _dt.datetime.now(_dt.timezone.utc).isoformat(),
    }
    if in_volume:
        databricks.upload_text(w, posixpath.join(posixpath.dirname(args.config), "manifest.json"), json.dumps(result, indent=2, sort_keys=True, default=str))
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point: exit 0 on success; errors propagate so the run output shows them."""
    run(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
