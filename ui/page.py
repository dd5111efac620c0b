"""The page: header, Launch / Runs / Benchmarks tabs, session restore, and serving it until SIGTERM.

Kept apart from `ui.app` so that `idgraph` subcommands other than `ui` never import Gradio.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import dataclass
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402  (the environment above must be set before import)

from . import bench_tab, form as form_tab, runs_tab, views  # noqa: E402
from .context import AppContext  # noqa: E402

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
        demo.load(bench.on_refresh, None, [bench.parts[k] for k in bench_tab.VIEW], api_visibility="private")
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


