"""The benchmarks tab: plots of rows/s against scale per table with the Spark limit beside it,
each result's environment, and a small `idgraph bench` run started from the page.
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
VIEW = ("note", "plot", "summary", "environment", "run_status", "log", "timer")


@dataclass
class BenchTab:
    ctx: AppContext
    parts: dict[str, Any] = field(default_factory=dict)

    def on_refresh(self) -> dict[Any, Any]:
        p = self.parts
        results = benchmarks.load_results(self.ctx.bench_results)
        readable = [r for r in results if not r.error]
        folder = self.ctx.bench_results
        note = f"{len(readable)} result file(s) in `{folder}`" + (f", {len(results) - len(readable)} without measurements (see the environment table)" if len(readable) < len(results) else "") + "."
        return {
            p["note"]: note,
            p["plot"]: benchmarks.plot(readable),
            p["summary"]: benchmarks.summary_rows(readable),
            p["environment"]: benchmarks.environment_rows(results),
            p["run_status"]: self.ctx.bench.status(),
            p["log"]: self.ctx.bench.log(),
            p["timer"]: gr.Timer(active=self.ctx.bench.running),
        }

    def on_start(self, args: str) -> dict[Any, Any]:
        try:
            argv = shlex.split(args or "")
        except ValueError as exc:
            return {self.parts["run_status"]: f"⚠ Could not read the arguments: {exc}"}
        if "--out" not in argv:  # results go where this tab reads them
            argv += ["--out", str(self.ctx.bench_results)]
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
            return self.on_refresh()
        return {p["run_status"]: self.ctx.bench.status(), p["log"]: self.ctx.bench.log()}


def build(ctx: AppContext) -> BenchTab:
    """Create the benchmarks tab's components (inside the current Tab) and wire its events."""
    tab = BenchTab(ctx)
    p = tab.parts
    gr.Markdown(
        "Generator throughput per table against scale (households), from the JSON the benchmark harness "
        "writes to `bench/results/`. The dashed line of the same colour is the raw Spark write limit "
        "measured in the same run: how fast this machine writes rows at all."
    )
    with gr.Row():
        p["note"] = gr.Markdown(elem_id="bench-note")
        p["refresh"] = gr.Button("↻ Reload results", size="sm", scale=0)
    gr.Markdown("**Rows/s against scale, per table** (log-log; solid: generator, dashed: the raw Spark write limit)")
    p["plot"] = gr.Plot(show_label=False, elem_id="bench-plot")
    p["summary"] = gr.Dataframe(headers=benchmarks.SUMMARY_HEADERS, interactive=False, label="Measurements (generator rows/s against the raw write limit)")
    p["environment"] = gr.Dataframe(headers=["result", "setting", "value"], interactive=False, label="Environment of each result", max_height=300)
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
    p["refresh"].click(tab.on_refresh, None, view, api_name="bench_results")
    p["start"].click(tab.on_start, p["args"], [p["run_status"], p["timer"]], api_name="bench_start")
    p["stop"].click(tab.on_stop, None, p["run_status"], api_visibility="private")
    p["timer"].tick(tab.on_tick, None, view, show_progress="hidden", api_visibility="private")
    return tab
