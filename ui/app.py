"""`idgraph ui` / `python -m ui.app`: start the launch form.

Locally it listens on 127.0.0.1 (port from --port); with `DATABRICKS_APP_PORT` set it
listens on 0.0.0.0 on that port, as a Databricks App must. Generation never runs in this
process: the runner keeps warm worker processes, each with its Spark session, for local
runs and the review's preview (or starts Databricks Jobs runs). On SIGTERM or
SIGINT the app stops accepting launches, stops its workers (removing any staging folder),
records queued runs as interrupted and exits, well within 15 seconds. Gradio is imported
only when the app starts (`ui.page`), so other `idgraph` commands stay fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from engine import ConfigError

from .benchmarks import BenchmarkRun, results_folder
from .context import AppContext
from .jobs import JobsExecution, WorkspaceSettings
from .runner import Runner
from .state import LocalStore, VolumeStore, default_state_dir

DEFAULT_PORT = 7860


def listen_address(host: str | None, port: int | None, environ: dict[str, str] | None = None) -> tuple[str, int]:
    """(host, port): 0.0.0.0:$DATABRICKS_APP_PORT in a Databricks App, else 127.0.0.1 (or --host) and --port."""
    env = os.environ if environ is None else environ
    app_port = env.get("DATABRICKS_APP_PORT")
    if app_port:
        return "0.0.0.0", int(app_port)
    return host or "127.0.0.1", port or DEFAULT_PORT


def make_context(state_dir: str | None = None, max_concurrent: int = 1, out_root: str = "out", bench_results: str | None = None, cores: str = "*") -> AppContext:
    """The store, runner and settings of one app process (Databricks when configured)."""
    settings = WorkspaceSettings.from_env()
    root = Path(state_dir) if state_dir else default_state_dir()
    executions = {}
    kind_limits = {}
    if settings.configured:
        store: Any = VolumeStore(settings.client(), settings.volume, root)
        executions["databricks"] = lambda runner, run_id: JobsExecution(runner, run_id, settings)
        kind_limits["databricks"] = settings.max_concurrent_runs
    else:
        store = LocalStore(root)
    runner = Runner(store, max_concurrent=max_concurrent, executions=executions, kind_limits=kind_limits)
    return AppContext(store, runner, settings, BenchmarkRun(), out_root=out_root, bench_results=results_folder(bench_results), cores=cores)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `idgraph ui` (and `python -m ui.app`)."""
    parser.add_argument("--host", default=None, help="interface to listen on (default 127.0.0.1; 0.0.0.0 when DATABRICKS_APP_PORT is set)")
    parser.add_argument("--port", type=int, default=None, help=f"port (default {DEFAULT_PORT}; DATABRICKS_APP_PORT wins when set)")
    parser.add_argument("--state-dir", default=None, help="checkpoints and run history (default ./state or IDGRAPH_STATE_DIR)")
    parser.add_argument("--max-concurrent", type=int, default=1, help="generation runs at the same time; more are queued (default 1)")
    parser.add_argument("--out-dir", default="out", help="default parent folder of local runs (default ./out)")
    parser.add_argument("--bench-results", default=None, help="folder of benchmark results JSON (default: bench/results beside the installed project)")
    parser.add_argument("--cores", default="*", help="Spark cores of each local worker (default * = all)")


def run(args: argparse.Namespace) -> int:
    from .page import serve

    host, port = listen_address(args.host, args.port)
    ctx = make_context(args.state_dir, args.max_concurrent, args.out_dir, args.bench_results, args.cores)
    return serve(ctx, host, port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ui.app", description="The idgraph launch form (Gradio).")
    add_arguments(parser)
    try:
        return run(parser.parse_args(argv))
    except ConfigError as exc:
        print(f"idgraph ui: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
