"""Run the generator on a Spark cluster or over Spark Connect: the same SQL, another session.

    python -m cli.submit --master spark://host:7077 --out /shared/graph
    python -m cli.submit --remote sc://host:15002 --out /shared/graph
    spark-submit --master yarn "$(python -c 'import cli.submit as m; print(m.__file__)')" --out ...

With neither `--master` nor `--remote` the session is whatever the environment provides
(spark-submit's settings, a Databricks cluster's session). `--hashes FILE` reads back what
was written and records each table's content hash (`engine.content_hashes`), so runs on
different engines can be compared. A script run by spark-submit, hence absolute imports.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

from cli.main import add_config_arguments, config_from_args, exit_code, progress_printer
import engine
from engine import FORMATS, ConfigError, IdgraphError, configure, content_hashes, load_tables

# Master URL schemes spark-submit understands (local[N] too, for trying a command out).
MASTER_PREFIXES = ("spark://", "yarn", "k8s://", "local", "mesos://")
REMOTE_PREFIX = "sc://"


def parse_conf(pairs: Sequence[str]) -> dict[str, str]:
    """`KEY=VALUE` strings (repeated `--conf`) as a dict; a pair without `=` is refused."""
    conf: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError("--conf", pair, "KEY=VALUE, e.g. spark.executor.memory=2g")
        conf[key.strip()] = value
    return conf


def build_session(
    master: str | None = None,
    remote: str | None = None,
    conf: Mapping[str, str] | None = None,
    app_name: str = "idgraph",
) -> SparkSession:
    """A classic session on `master`, a Spark Connect session on `remote`, or the ambient one.

    idgraph's SQL settings (UTC, Parquet timestamps) are applied to it either way.
    """
    if master and remote:
        raise ConfigError("--remote", remote, "either --master or --remote, not both")
    if master and not master.startswith(MASTER_PREFIXES):
        raise ConfigError("--master", master, f"a Spark master URL starting with one of {list(MASTER_PREFIXES)}")
    if remote and not remote.startswith(REMOTE_PREFIX):
        raise ConfigError("--remote", remote, "a Spark Connect URL such as sc://host:15002")
    from pyspark.sql import SparkSession

    builder = SparkSession.builder
    if remote:
        builder = builder.remote(remote)
    else:
        builder = builder.appName(app_name)
        if master:
            builder = builder.master(master)
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    return configure(builder.getOrCreate())


def written_hashes(spark: SparkSession, manifest: Mapping[str, Any]) -> dict[str, str]:
    """Content hash of every table a run wrote, read back from its folder or catalog."""
    if manifest["format"] == "table":
        frames = load_tables(spark, manifest["out"], {t: s["path"] for t, s in manifest["tables"].items()})
    else:
        frames = load_tables(spark, manifest["out"])
    return content_hashes(frames)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m cli.submit", description="Generate the identity graph on a Spark cluster or over Spark Connect.")
    add_config_arguments(parser)
    parser.add_argument("--out", required=True, help="output folder on a filesystem the driver and executors share, or catalog.schema with --format table")
    parser.add_argument("--format", default="delta", choices=list(FORMATS), help="delta or parquet folder, or catalog tables (default delta)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output")
    session = parser.add_mutually_exclusive_group()
    session.add_argument("--master", help="Spark master URL: spark://host:7077, yarn, k8s://https://host:443")
    session.add_argument("--remote", help="Spark Connect URL: sc://host:15002")
    parser.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE", help="Spark setting for the session (repeatable)")
    parser.add_argument("--hashes", metavar="FILE", help="write the content hash of every written table to this JSON file")
    return parser.parse_args(argv)


def run(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Generate as the arguments say; return the run manifest (plus `content_hashes` with --hashes)."""
    args = parse_args(argv)
    config = config_from_args(args)
    conf = parse_conf(args.conf)
    spark = build_session(args.master, args.remote, conf)
    try:
        manifest = engine.generate(config, out=args.out, format=args.format, overwrite=args.overwrite, spark=spark, on_progress=progress_printer())
        if args.hashes:
            manifest["content_hashes"] = written_hashes(spark, manifest)
            record = {"master": args.master, "remote": args.remote, "out": manifest["out"], "hashes": manifest["content_hashes"]}
            Path(args.hashes).write_text(json.dumps(record, indent=2, sort_keys=True))
    finally:
        if args.master or args.remote:  # a session this script started; leave an ambient one alone
            spark.stop()
    return manifest


def main(argv: Sequence[str] | None = None) -> int:
    """Exit 0 on success, 2 with a message naming the field on bad input."""
    try:
        manifest = run(argv)
    except IdgraphError as exc:
        print(f"cli.submit: {exc}", file=sys.stderr)
        return exit_code(exc)
    print(f"wrote {manifest['total_rows']:,} rows in {manifest['wall_seconds']:.1f}s to {manifest['out']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
