"""The benchmarks tab: one results file at a time (the latest by default, a picker for the
others), its one-line answer at the top ("how fast at 1M, how close to Spark's limit"), the
per-table ratio chart and rows/s against scale, seconds and rows/s per table with the plain
JVM beside the engine's own session, the run's environment, and a small `idgraph bench` run started
from the page.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Any

import gradio as gr

from . import benchmarks
from .context import AppContext

# What the "small benchmark" button runs unless the user edits it: two small scales, one pass.
DEFAULT_BENCH_ARGS = "--scales 1000,10000 --repeat 1"
TICK_SECONDS = 2.0
# What a refresh updates (on page load, Reload, and when a benchmark run ends).
VIEW = ("note", "picker", "headline", "plot", "summary", "environment", "run_status", "log", "timer")
# What choosing another results file updates.
SHOWN = ("headline", "plot", "summary", "environment")


@dataclass
class BenchTab:
    ctx: AppContext
    parts: dict[str, Any] = field(default_factory=dict)

    def on_refresh(self, chosen: str | None = None) -> dict[Any, Any]:
        p = self.parts
        folder = benchmarks.results_folder(self.ctx.bench_results)
        found = benchmarks.entries(folder)
        unreadable = sum(1 for e in found if e.results is None)
        note = (f"{len(found) - unreadable} result file(s) in `{folder}`" + (f", {unreadable} unreadable" if unreadable else "")
                + " (another folder: start the app with `--bench-results FOLDER`).")
        options = benchmarks.choices(found)
        value = chosen if chosen in {path for _, path in options} else benchmarks.default_choice(found)
        return {
            p["note"]: note,
            p["picker"]: gr.Dropdown(choices=options, value=value),
            **self.on_pick(value, found),
            p["run_status"]: self.ctx.bench.status(),
            p["log"]: self.ctx.bench.log(),
            p["timer"]: gr.Timer(active=self.ctx.bench.running),
        }

    def on_pick(self, path: str | None, found: list | None = None) -> dict[Any, Any]:
        """Show one results file: its answer line, picture, table and environment."""
        p = self.parts
        found = benchmarks.entries(benchmarks.results_folder(self.ctx.bench_results)) if found is None else found
        entry = benchmarks.pick(found, path)
        return {
            p["headline"]: "**" + benchmarks.headline(entry) + "**",
            p["plot"]: benchmarks.figure(entry),
            p["summary"]: benchmarks.summary_rows(entry.results if entry else None),
            p["environment"]: benchmarks.environment_rows(entry),
        }

    def on_start(self, args: str) -> dict[Any, Any]:
        try:
            argv = shlex.split(args or "")
        except ValueError as exc:
            return {self.parts["run_status"]: f"⚠ Could not read the arguments: {exc}"}
        if "--out" not in argv:  # results go where this tab reads them
            argv += ["--out", str(benchmarks.results_folder(self.ctx.bench_results))]
        started = self.ctx.bench.start(argv)
        status = self.ctx.bench.status() if started else "⚠ A benchmark is already running; wait for it or stop it."
        return {self.parts["run_status"]: status, self.parts["timer"]: gr.Timer(active=True)}

    def on_stop(self) -> str:
        self.ctx.bench.stop()
        return self.ctx.bench.status()

    def on_tick(self) -> dict[Any, Any]:
        """While a benchmark runs: its status and output; when it has ended, everything (its results too)."""
        p = self.parts
        if not self.ctx.bench.running:
            return self.on_refresh(None)
        return {p["run_status"]: self.ctx.bench.status(), p["log"]: self.ctx.bench.log()}


def build(ctx: AppContext) -> BenchTab:
    """Create the benchmarks tab's components (inside the current Tab) and wire its events."""
    tab = BenchTab(ctx)
    p = tab.parts
    p["headline"] = gr.Markdown(elem_id="bench-headline")
    gr.Markdown(
        "How fast the generator writes on this machine, against the raw Spark write limit measured in the same "
        "run (Spark writing data of the same shape and size with almost no computation): a ratio of 1.0 means "
        "the generator is as fast as Spark can write at all. \"Plain JVM\" is the generator in a session with no "
        "extra JVM options, as a managed cluster gives."
    )
    with gr.Row():
        p["picker"] = gr.Dropdown(label="Results file", choices=[], scale=4, elem_id="bench-picker")
        p["refresh"] = gr.Button("↻ Reload results", size="sm", scale=0)
    p["note"] = gr.Markdown(elem_id="bench-note")
    p["plot"] = gr.Plot(show_label=False, elem_id="bench-plot")
    p["summary"] = gr.Dataframe(headers=benchmarks.SUMMARY_HEADERS, interactive=False, label="Seconds and rows/s per table (medians of the timed passes)")
    p["environment"] = gr.Dataframe(headers=["setting", "value"], interactive=False, label="How this result was measured", max_height=300)
    with gr.Accordion("Run a small benchmark", open=False):
        gr.Markdown("Runs `idgraph bench` with these arguments as a separate process; its results appear above when it finishes. It competes with generation runs for this machine's cores.")
        with gr.Row():
            p["args"] = gr.Textbox(DEFAULT_BENCH_ARGS, label="Arguments to `idgraph bench`", scale=4)
            p["start"] = gr.Button("Start", variant="primary", scale=0)
            p["stop"] = gr.Button("Stop", variant="stop", scale=0)
        p["run_status"] = gr.Markdown(ctx.bench.status(), elem_id="bench-status")
        p["log"] = gr.Code(label="Output", lines=10, max_lines=20, interactive=False)
    p["timer"] = gr.Timer(TICK_SECONDS, active=ctx.bench.running)
    view = [p[k] for k in VIEW]
    p["refresh"].click(tab.on_refresh, p["picker"], view, api_name="bench_results")
    p["picker"].input(tab.on_pick, p["picker"], [p[k] for k in SHOWN], api_visibility="private")
    p["start"].click(tab.on_start, p["args"], [p["run_status"], p["timer"]], api_name="bench_start")
    p["stop"].click(tab.on_stop, None, p["run_status"], api_visibility="private")
    p["timer"].tick(tab.on_tick, None, view, show_progress="hidden", api_visibility="private")
    return tab
