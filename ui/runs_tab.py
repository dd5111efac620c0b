"""The runs tab: live progress of the selected run, Cancel, its results, and the session's history.

A one-second timer asks the runner for this session's runs (never another session's) and
sends only what changed: the status line and per-table table while a run moves, the
results (checks, sample rows, manifest, location) once when they arrive.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import gradio as gr

from engine import TABLES

from . import views
from .context import AppContext

TICK_SECONDS = 1.0


@dataclass
class RunsTab:
    ctx: AppContext
    parts: dict[str, Any] = field(default_factory=dict)

    def _selected(self, session: str, run_id: str | None) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        runs = self.ctx.runner.runs_for(session) if session else []
        chosen = next((r for r in runs if r["run_id"] == run_id), runs[0] if runs else None)
        return runs, chosen

    def on_tick(self, session: str, run_id: str | None, shown: dict[str, Any] | None) -> dict[Any, Any]:
        """Refresh what changed since the last tick (`shown` remembers what the page has)."""
        p = self.parts
        shown = dict(shown or {})
        runs, record = self._selected(session, run_id)
        fresh: dict[Any, Any] = {}
        choices = [(views.run_label(r), r["run_id"]) for r in runs]
        wanted = {
            "choices": (choices, record["run_id"] if record else None),
            "history": views.history_rows(runs),
            "details": record is not None,
        }
        if record is None:
            wanted["status"] = "No runs in this session yet: fill in the form on the Launch tab and launch one."
        else:
            position = self.ctx.runner.queue_position(record["run_id"])
            wanted.update(
                status=views.status_text(record, position),
                progress=views.progress_rows(record),
                cancel=record["status"] in ("queued", "running"),
                results=f"{record['run_id']}:{record['status']}:{len(record.get('checks') or [])}:{bool(record.get('samples'))}:{bool(record.get('manifest'))}",
            )
        for key, value in wanted.items():
            if shown.get(key) == _jsonable(value):
                continue
            shown[key] = _jsonable(value)
            if key == "choices":
                fresh[p["run_select"]] = gr.update(choices=choices, value=value[1])
            elif key == "history":
                fresh[p["history"]] = value
            elif key == "status":
                fresh[p["status"]] = value
            elif key == "progress":
                fresh[p["progress"]] = value
            elif key == "details":
                fresh[p["details"]] = gr.update(visible=value)
            elif key == "cancel":
                fresh[p["cancel"]] = gr.update(visible=value)
            elif key == "results":
                fresh.update(self.results(record))
        fresh[p["shown"]] = shown
        return fresh

    def results(self, record: dict[str, Any]) -> dict[Any, Any]:
        p = self.parts
        manifest = record.get("manifest")
        first = next((t for t in TABLES if t in (record.get("samples") or {})), "households")
        return {
            p["location"]: views.location_text(record),
                p["checks_summary"]: views.checks_summary(record),
            p["checks"]: views.check_rows(record),
            p["sample_table"]: gr.update(value=first),
            p["samples"]: views.sample_table(record, first),
            p["manifest"]: json.dumps(manifest, indent=2) if manifest else "",
        }

    def on_select(self, session: str, run_id: str | None) -> dict[Any, Any]:
        """A run picked from the list: forget what was shown so the next tick redraws everything."""
        return {self.parts["shown"]: {}}

    def on_sample(self, session: str, run_id: str | None, table: str) -> dict[str, Any]:
        _, record = self._selected(session, run_id)
        return views.sample_table(record or {}, table)

    def on_cancel(self, session: str, run_id: str | None) -> str:
        _, record = self._selected(session, run_id)
        if record is None or not self.ctx.runner.cancel(record["run_id"], session):
            return "Nothing to cancel: the run has already ended."
        return f"Cancelling run `{views.run_name(record)}`: stopping the worker and removing its partial tables."


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def build(ctx: AppContext, session: Any) -> RunsTab:
    """Create the runs tab's components (inside the current Tab) and wire its events."""
    tab = RunsTab(ctx)
    p = tab.parts
    p["shown"] = gr.State({})
    with gr.Row():
        p["run_select"] = gr.Dropdown(choices=[], label="Run", info="this session's runs, newest first", scale=4, elem_id="run-select")
        p["cancel"] = gr.Button("Cancel run", variant="stop", visible=False, scale=1, elem_id="cancel")
    p["status"] = gr.Markdown(elem_id="run-status")
    p["cancel_message"] = gr.Markdown()
    # Tables only once the session has a run: no empty placeholder grids before.
    with gr.Column(visible=False, elem_id="run-details") as details:
        p["progress"] = gr.Dataframe(headers=views.PROGRESS_HEADERS, interactive=False, label="Tables: progress and row counts", elem_id="run-progress")
        p["location"] = gr.Markdown(elem_id="run-location")
        with gr.Accordion("Validation checks", open=True):
            p["checks_summary"] = gr.Markdown(elem_id="checks-summary")
            p["checks"] = gr.Dataframe(headers=views.CHECK_HEADERS, interactive=False, wrap=True, column_widths=["24%", "8%", "10%", "58%"], max_height=900, elem_id="run-checks")
        with gr.Accordion("Sample rows", open=True):
            p["sample_table"] = gr.Dropdown(list(TABLES), value="households", label="Table", elem_id="sample-table")
            p["samples"] = gr.Dataframe(value=views.sample_table({}, None), interactive=False, elem_id="run-samples")
        with gr.Accordion("Manifest", open=False):
            p["manifest"] = gr.Code(language="json", lines=12, max_lines=30, interactive=False, elem_id="run-manifest")
        p["history"] = gr.Dataframe(headers=views.HISTORY_HEADERS, interactive=False, wrap=True, label="Run history (this session)", elem_id="run-history")
    p["details"] = details
    timer = gr.Timer(TICK_SECONDS)
    outputs = [p[k] for k in ("run_select", "history", "status", "progress", "cancel", "location", "checks_summary", "checks", "sample_table", "samples", "manifest", "details", "shown")]
    timer.tick(tab.on_tick, [session, p["run_select"], p["shown"]], outputs, show_progress="hidden", api_name="runs_tick")
    p["run_select"].input(tab.on_select, [session, p["run_select"]], [p["shown"]], show_progress="hidden", api_visibility="private")
    p["sample_table"].input(tab.on_sample, [session, p["run_select"], p["sample_table"]], p["samples"], show_progress="hidden", api_visibility="private")
    p["cancel"].click(tab.on_cancel, [session, p["run_select"]], p["cancel_message"], api_name="cancel")
    return tab
