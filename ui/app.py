"""The Gradio app: launch form, runs and benchmarks tabs; `idgraph ui` or `python -m ui.app`.

Locally it listens on 127.0.0.1 (port from --port); with `DATABRICKS_APP_PORT` set it
listens on 0.0.0.0 on that port, as a Databricks App must. Generation never runs in this
process: the runner starts worker processes (or Databricks Jobs runs). On SIGTERM or
SIGINT the app stops accepting launches, stops its workers (removing any staging folder),
records queued runs as interrupted and exits, well within 15 seconds.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402  (the environment above must be set before import)

from . import bench_tab, form as form_tab, runs_tab  # noqa: E402
from .benchmarks import BenchmarkRun  # noqa: E402
from .context import AppContext  # noqa: E402
from .jobs import JobsExecution, WorkspaceSettings  # noqa: E402
from .runner import Runner  # noqa: E402
from .state import LocalStore, VolumeStore, default_state_dir  # noqa: E402
from . import views  # noqa: E402

DEFAULT_PORT = 7860
# Seconds the runner gets to stop workers on shutdown; the whole exit stays under 15 s.
SHUTDOWN_SECONDS = 10.0

CSS = """
.stepper { display: flex; flex-wrap: wrap; gap: 6px; list-style: none; padding: 0; margin: 4px 0 8px; }
.stepper .step { padding: 6px 12px; border-radius: 999px; border: 1px solid var(--border-color-primary); font-size: 0.92em; color: var(--body-text-color-subdued); }
.stepper .step .num { font-weight: 700; margin-right: 2px; }
.stepper .step.current { background: var(--color-accent); border-color: var(--color-accent); color: white; }
.stepper .step.done { border-color: var(--color-accent); color: var(--color-accent); }
.field-error, .field-error p { color: #c62828 !important; font-size: 0.9em; margin-top: -6px !important; }
#form-message p { margin: 6px 0; }
"""


def listen_address(host: str | None, port: int | None, environ: dict[str, str] | None = None) -> tuple[str, int]:
    """(host, port): 0.0.0.0:$DATABRICKS_APP_PORT in a Databricks App, else 127.0.0.1 (or --host) and --port."""
    env = os.environ if environ is None else environ
    app_port = env.get("DATABRICKS_APP_PORT")
    if app_port:
        return "0.0.0.0", int(app_port)
    return host or "127.0.0.1", port or DEFAULT_PORT


def make_context(state_dir: str | None = None, max_concurrent: int = 1, out_root: str = "out", bench_results: str = "bench/results", cores: str = "*") -> AppContext:
    """The store, runner and settings of one app process (Databricks when configured)."""
    settings = WorkspaceSettings.from_env()
    root = Path(state_dir) if state_dir else default_state_dir()
    executions = {}
    if settings.configured:
        store: Any = VolumeStore(settings.client(), settings.volume, root)
        executions["databricks"] = lambda runner, run_id: JobsExecution(runner, run_id, settings)
    else:
        store = LocalStore(root)
    runner = Runner(store, max_concurrent=max_concurrent, executions=executions)
    return AppContext(store, runner, settings, BenchmarkRun(), out_root=out_root, bench_results=Path(bench_results), cores=cores)


@dataclass
class Page:
    """The built page and its parts, so handlers can be called directly (tests do)."""

    ctx: AppContext
    demo: gr.Blocks
    tabs: Any
    form: form_tab.Form
    runs: runs_tab.RunsTab
    bench: bench_tab.BenchTab

    def launch(self, session: str, step: int, *raw: Any) -> dict[Any, Any]:
        """Launch from the review step; on success switch to the Runs tab showing the new run."""
        run_id, updates = self.form.on_launch(session, step, *raw)
        if run_id is None:
            return updates
        choices = [(views.run_label(r), r["run_id"]) for r in self.ctx.runner.runs_for(session)]
        run_select, shown = self.runs.parts["run_select"], self.runs.parts["shown"]
        return {**updates, self.tabs: gr.Tabs(selected="runs"), run_select: gr.update(choices=choices, value=run_id), shown: {}}


def session_text(session: str) -> str:
    return f"Session `{session}` · bookmark this page's address to come back to this form and its runs."


# Puts the session id into the address bar without reloading, so a bookmark resumes it.
SESSION_URL_JS = (
    "(session) => { const url = new URL(window.location); if (session && url.searchParams.get('session') !== session) "
    "{ url.searchParams.set('session', session); window.history.replaceState(null, '', url); } }"
)


def build_page(ctx: AppContext) -> Page:
    """The whole page: header, Launch / Runs / Benchmarks tabs, session restore on load."""
    with gr.Blocks(title="idgraph: synthetic identity graph", analytics_enabled=False) as demo:
        gr.Markdown(
            "# idgraph · synthetic identity graph\n"
            "Generate a consistent marketing identity graph (households, people, identifiers, engagement, campaigns, responses) "
            "from one seed. Fill in the six steps, launch, and watch it being written and validated."
        )
        session_note = gr.Markdown(elem_id="session-note")
        with gr.Tabs() as tabs:
            with gr.Tab("Launch", id="launch"):
                form = form_tab.build(ctx)
            with gr.Tab("Runs", id="runs"):
                runs = runs_tab.build(ctx, form.session)
            with gr.Tab("Benchmarks", id="bench"):
                bench = bench_tab.build(ctx)
        page = Page(ctx, demo, tabs, form, runs, bench)
        launch_outputs = [*form.outputs(), tabs, runs.parts["run_select"], runs.parts["shown"]]
        form.parts["launch"].click(page.launch, [form.session, form.step, *form.input_list], launch_outputs, api_name="launch")
        loaded = demo.load(form.on_load, None, form.outputs(), api_name="load_session")
        loaded.then(session_text, form.session, session_note, api_visibility="private").then(None, form.session, None, js=SESSION_URL_JS)
        demo.load(bench.on_refresh, None, [bench.parts[k] for k in ("note", "plot", "summary", "environment")], api_visibility="private")
    return page


def build_app(ctx: AppContext) -> gr.Blocks:
    """The Gradio Blocks of the app."""
    return build_page(ctx).demo


def serve(ctx: AppContext, host: str, port: int, ready: threading.Event | None = None, stop: threading.Event | None = None) -> int:
    """Serve until SIGTERM/SIGINT (or `stop`), then stop the runs and exit cleanly."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda signum, frame: stop.set())
    demo = build_app(ctx)
    started = time.perf_counter()
    demo.queue(default_concurrency_limit=16).launch(
        server_name=host, server_port=port, prevent_thread_lock=True, quiet=True, ssr_mode=False, theme=gr.themes.Soft(primary_hue="indigo"), css=CSS, footer_links=["api"]
    )
    print(f"idgraph ui: listening on http://{host}:{port} (state in {ctx.store.root}; started in {time.perf_counter() - started:.1f}s)", flush=True)
    if ready is not None:
        ready.set()
    while not stop.wait(0.5):
        pass
    print("idgraph ui: stopping: ending active runs and removing partial output", flush=True)
    ctx.runner.shutdown(timeout=SHUTDOWN_SECONDS)
    ctx.bench.stop()
    demo.close()
    print("idgraph ui: stopped", flush=True)
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `idgraph ui` (and `python -m ui.app`)."""
    parser.add_argument("--host", default=None, help="interface to listen on (default 127.0.0.1; 0.0.0.0 when DATABRICKS_APP_PORT is set)")
    parser.add_argument("--port", type=int, default=None, help=f"port (default {DEFAULT_PORT}; DATABRICKS_APP_PORT wins when set)")
    parser.add_argument("--state-dir", default=None, help="checkpoints and run history (default ./state or IDGRAPH_STATE_DIR)")
    parser.add_argument("--max-concurrent", type=int, default=1, help="generation runs at the same time; more are queued (default 1)")
    parser.add_argument("--out-dir", default="out", help="default parent folder of local runs (default ./out)")
    parser.add_argument("--bench-results", default="bench/results", help="folder of benchmark results JSON (default bench/results)")
    parser.add_argument("--cores", default="*", help="Spark cores of each local worker (default * = all)")


def run(args: argparse.Namespace) -> int:
    host, port = listen_address(args.host, args.port)
    ctx = make_context(args.state_dir, args.max_concurrent, args.out_dir, args.bench_results, args.cores)
    return serve(ctx, host, port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ui.app", description="The idgraph launch form (Gradio).")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
