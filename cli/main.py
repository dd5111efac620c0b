"""The `idgraph` command line: generate, validate, profile, sql, lineage, row, bench, ui.

Bad input exits with status 2 and a message naming the field, before any Spark work
and without creating the output; a failed check or write exits 1 (a write failure as
one line naming the table and the cause); an output another run is writing exits 3;
no Java 17+ exits 4 (EXIT_CODES). The profile, bench and ui commands live in
`cli.profile`, `bench.harness` and `ui.app` (`idgraph bench` and `idgraph ui` need the
[app] extra's packages when they run).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, Sequence, TextIO

import engine
from bench import harness as bench_harness
from engine import (
    DIRECTORY_FORMATS,
    TABLES,
    ConfigError,
    Event,
    GraphConfig,
    IdgraphError,
    InputError,
    JavaMissingError,
    OutputLockedError,
    ProgressCallback,
    TableFailed,
    TableFinished,
    TableStarted,
    TableWriteError,
)
from ui import app as ui_app

from . import profile as profile_command

# Subcommands implemented in other packages: name -> (module, help). Each module has
# add_arguments(parser) and run(args) -> int, and imports its heavy packages (Spark,
# Gradio, matplotlib) only when it runs.
EXTERNAL_COMMANDS = {
    "profile": (profile_command, "compare configured and actual distributions of a run"),
    "bench": (bench_harness, "benchmark the generator against this machine's raw Spark write limit"),
    "ui": (ui_app, "start the Gradio launch form"),
}


def _positive_int(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    return value


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags that build a GraphConfig: --config FILE, then --households/--seed/--partitions on top."""
    parser.add_argument("--config", metavar="FILE", help="a JSON config (see `GraphConfig.to_json`)")
    parser.add_argument("--households", type=_positive_int, help="number of households (default 10000)")
    parser.add_argument("--seed", type=_positive_int, help="seed (default 42)")
    parser.add_argument("--partitions", type=_positive_int, help="Spark partitions (default: automatic)")


def config_from_args(args: argparse.Namespace) -> GraphConfig:
    """The config the flags describe, validated."""
    data: dict[str, Any] = {}
    if args.config:
        path = Path(args.config)
        if not path.is_file():
            raise ConfigError("--config", args.config, "a path to an existing JSON file")
        data = GraphConfig.from_json(path.read_text()).to_dict()
    for name in ("households", "seed", "partitions"):
        value = getattr(args, name, None)
        if value is not None:
            data[name] = value
    return GraphConfig.from_dict(data)


def progress_printer(stream: TextIO = sys.stderr) -> ProgressCallback:
    """A generate() progress callback printing one line per table event (also used by cli.submit)."""
    started = time.perf_counter()

    def report(event: Event) -> None:
        elapsed = time.perf_counter() - started
        if isinstance(event, TableStarted):
            print(f"[{elapsed:6.1f}s] {event.index + 1}/{event.total} {event.table} ...", file=stream, flush=True)
        elif isinstance(event, TableFinished):
            rate = event.rows / event.seconds if event.seconds else 0.0
            print(
                f"[{elapsed:6.1f}s] {event.index + 1}/{event.total} {event.table}: "
                f"{event.rows:,} rows in {event.seconds:.1f}s ({rate:,.0f} rows/s)",
                file=stream,
                flush=True,
            )
        elif isinstance(event, TableFailed):
            print(f"[{elapsed:6.1f}s] failed: {event.error}", file=stream, flush=True)

    return report


def cmd_generate(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    manifest = engine.generate(config, out=args.out, format=args.format, overwrite=args.overwrite, on_progress=progress_printer())
    print(f"wrote {manifest['total_rows']:,} rows in {manifest['wall_seconds']:.1f}s to {manifest['out']}")
    for table, stats in manifest["tables"].items():
        print(f"  {table:<20} {stats['rows']:>14,}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    results = engine.validate(args.out)
    if args.json:
        print(json.dumps([r.to_dict() for r in results], indent=2))
    else:
        for r in results:
            print(f"{'PASS' if r.passed else 'FAIL'}  {r.name:<40} {r.violations:>10,} violations")
    failed = [r.name for r in results if not r.passed]
    if failed and not args.json:
        print(f"{len(failed)} of {len(results)} checks failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def cmd_sql(args: argparse.Namespace) -> int:
    from engine import Renderer

    if args.golden_update:
        return _golden_update()
    config = config_from_args(args)
    if args.diff:
        from engine.golden import revision_diff

        diffs = revision_diff(args.diff, config)
        print("".join(diffs.values()) if diffs else f"no difference in the rendered SQL between {args.diff} and the working tree", end="" if diffs else "\n")
        return 0
    if args.all:
        from engine import render_lists_script, render_script

        if args.table:
            raise ConfigError("TABLE", args.table, "no table with --all (the script has every table)")
        if args.lists_file:
            Path(args.lists_file).write_text(render_lists_script(config), encoding="utf-8")
        print(render_script(config, lists="separate" if args.lists_file else "inline"), end="")
        return 0
    if args.lists_file:
        raise ConfigError("--lists-file", args.lists_file, "only with --all")
    if args.table not in TABLES:
        raise ConfigError("TABLE", args.table, f"one of {list(TABLES)}, or --all")
    renderer = Renderer(config, partitions=config.partitions)
    if args.functions:
        print("\n\n".join(renderer.functions()))
        print()
    print(renderer.table(args.table))
    return 0


def _golden_update() -> int:
    """Rewrite every generated review artifact: sql/golden/*.sql and sql/LINEAGE.md."""
    from engine.golden import GOLDEN_DIR, write_golden
    from engine.lineage import lineage_path, write_lineage

    changed = [f"{GOLDEN_DIR.relative_to(GOLDEN_DIR.parent.parent)}/{name}" for name in write_golden()]
    if write_lineage():
        changed.append("sql/LINEAGE.md")
    print("rewrote " + ", ".join(changed) if changed else f"sql/golden/ and {lineage_path().name} are current")
    return 0


def cmd_lineage(args: argparse.Namespace) -> int:
    from engine.lineage import lineage, render_json, render_markdown

    if args.table and args.table not in TABLES:
        raise ConfigError("TABLE", args.table, f"one of {list(TABLES)}, or none for every table")
    found = lineage((args.table,) if args.table else TABLES)
    print(render_json(found) if args.json else render_markdown(found), end="")
    return 0


def cmd_row(args: argparse.Namespace) -> int:
    from engine import row
    from engine import local_session

    config = config_from_args(args)
    if args.table not in TABLES:
        raise ConfigError("TABLE", args.table, f"one of {list(TABLES)}")
    found = row(local_session(), config, args.table, args.key)
    if found is None:
        print(f"no {args.table} row has key {args.key} for this config", file=sys.stderr)
        return 1
    print(json.dumps(found, default=str, indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="idgraph", description="Synthetic identity-graph generator on Apache Spark.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("generate", help="generate the eight tables into a folder")
    add_config_arguments(p)
    p.add_argument("--out", required=True, help="output folder (created; refused if it exists unless --overwrite)")
    p.add_argument("--format", default="delta", choices=list(DIRECTORY_FORMATS), help="table format (default delta)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output once the new one is complete")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("validate", help="run the SQL checks on a generated folder")
    p.add_argument("out", help="a folder written by `idgraph generate`")
    p.add_argument("--json", action="store_true", help="print results as JSON")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("sql", help="print the rendered SQL of a table, or --all: one self-contained script")
    p.add_argument("table", metavar="TABLE", nargs="?", help=f"one of {', '.join(TABLES)}")
    p.add_argument("--all", action="store_true", help="print one Spark SQL script creating every table (engine/script.py)")
    add_config_arguments(p)
    p.add_argument("--functions", action="store_true", help="also print the shared SQL functions it calls")
    p.add_argument("--lists-file", metavar="FILE", help="with --all: write the word-list functions to FILE, run it first (spark-sql -i FILE -f graph.sql)")
    p.add_argument("--diff", metavar="REV", help="the rendered SQL's difference between git revision REV and the working tree")
    p.add_argument("--golden-update", action="store_true", help="rewrite sql/golden/ and sql/LINEAGE.md from the current SQL")
    p.set_defaults(func=cmd_sql)

    p = sub.add_parser("lineage", help="where every column comes from: salts, keys, formula, config, parent columns")
    p.add_argument("table", metavar="TABLE", nargs="?", help=f"one of {', '.join(TABLES)} (default: all)")
    form = p.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="print JSON")
    form.add_argument("--markdown", action="store_true", help="print Markdown, as sql/LINEAGE.md (the default)")
    p.set_defaults(func=cmd_lineage)

    p = sub.add_parser("row", help="compute one row alone, as JSON")
    p.add_argument("table", metavar="TABLE", help=f"one of {', '.join(TABLES)}")
    p.add_argument("key", type=_positive_int, metavar="KEY", help="the row's primary key")
    add_config_arguments(p)
    p.set_defaults(func=cmd_row)

    for name, (mod, help_text) in EXTERNAL_COMMANDS.items():
        p = sub.add_parser(name, help=help_text)
        mod.add_arguments(p)
        p.set_defaults(func=mod.run)
    return parser


# Exit status by failure kind, first match wins: an output another run is writing 3, bad
# input 2, no usable Java 4, any other failure idgraph reports 1 (a damaged output, a
# failed write, as a failed check does).
EXIT_CODES: tuple[tuple[type[IdgraphError], int], ...] = ((OutputLockedError, 3), (InputError, 2), (JavaMissingError, 4), (IdgraphError, 1))
# What a failed write adds to its one line.
WRITE_FAILED_NOTE = "; the earlier output, if any, is untouched"


def exit_code(exc: IdgraphError) -> int:
    """The exit status for a failure of this kind."""
    return next(code for kind, code in EXIT_CODES if isinstance(exc, kind))


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except IdgraphError as exc:
        note = WRITE_FAILED_NOTE if isinstance(exc, TableWriteError) else ""
        print(f"idgraph {args.command}: {exc}{note}", file=sys.stderr)
        return exit_code(exc)
    except KeyboardInterrupt:
        print(f"idgraph {args.command}: interrupted; nothing was left half-written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
