"""The launch tab: six steps with Back/Next, inline errors, live row counts, review and launch.

Components are generated from `ui.steps.FIELDS` (labels, help and bounds from the engine's
field metadata); every handler gets the session id, the current step and all field values
as typed, validates with `ui.steps` (the engine's `GraphConfig.errors()`, every problem at
once) and returns only the components it changes. Every edit is checked live and saved for
the session as typed, so a reload or an app restart with `?session=<id>` in the URL comes
back to the same form, at the same step, with the same text. Next is refused while the step
has an error; each error shows under its field. The review step estimates time and disk
from the benchmark results, asks to confirm a large run, and shows a live preview: the first
five rows of every table, computed by the runner's warm worker (`Runner.preview`), or a
line saying the engine is busy with a run instead of waiting for it. Reaching the destination
step starts that preview in the background, so it is often ready when the review opens.
"""

from __future__ import annotations

import collections
import datetime as _dt
import html
import shutil
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr

from engine import TABLES, ConfigError, GraphConfig, ShuttingDownError, expected_rows, names, render_table
from engine import config as config_fields

from . import estimate as estimates, steps, views
from .context import AppContext
from .jobs import UserIdentity, check_destination, permission_text
from .runner import PreviewError, WorkerBusyError, WorkerDiedError
from .state import is_session_id, new_session_id

# Step 5 rows shown for one destination only (keyed by the row's first field).
DESTINATION_ROWS = {"folder": steps.LOCAL, "catalog": steps.UNITY_CATALOG}
STEP_INTRO = {
    1: "How big the graph is and which seed decides it. The expected rows update as you type.",
    2: "Household sizes and who lives in them. Weights are `category: weight` pairs that sum to 1.",
    3: "The identifiers each person is seen through: how many, of which types, how confident.",
    4: "What people watch, the campaigns they are exposed to and how they respond.",
    5: "Where the eight tables are written. A run is named `{purpose}_{scale}_{timestamp}`: its folder locally, its tables' prefix in Unity Catalog.",
    6: "Check everything, read the SQL that will run and the first rows it writes, then launch.",
}
# Rows of each table the review step previews.
PREVIEW_ROWS = 5
# Previews kept per app process, by config (a preview is a pure function of the config).
PREVIEW_CACHE_SIZE = 16
PREVIEW_PENDING = "Computing the first rows of every table… (the first preview of the app starts the engine's Spark session, which takes a while; later ones reuse it)."


def slug(name: str) -> str:
    return name.replace(".", "-").replace("_", "-")


def make_input(f: steps.Field, value: Any, databricks_configured: bool = False, in_app: bool = False) -> Any:
    """The Gradio component for a form field (labelled, with its help text).

    Numbers are text boxes: what the user types is kept as typed and parsed by the engine
    (`engine.config.parse_text`), so "1.5" for a whole number is an error, never rounded.
    Inside a Databricks App the destination offers Unity Catalog only: the App's disk is
    neither shared nor kept, and the App has no Spark to write a folder with.
    """
    common = {"label": f.label, "info": f.help or None, "value": value, "elem_id": f"field-{slug(f.name)}"}
    if f.name == "destination" and not databricks_configured:
        return gr.Radio(choices=[steps.LOCAL], **{**common, "info": f"{f.help}. {steps.UNITY_CATALOG_UNAVAILABLE}"})
    if f.kind in ("preset", "choice"):
        choices = [c for c in f.choices if not (in_app and f.name == "destination" and c == steps.LOCAL)]
        return gr.Radio(choices=choices, **common)
    if f.kind == "bool":
        return gr.Checkbox(**common)
    return gr.Textbox(max_lines=2 if f.kind == "weights" else 1, **common)


def destination_preview(values: dict[str, Any], errors: dict[str, str] | None = None) -> str:
    """Where step 5's choices put the run, with the current minute standing in for the launch time."""
    blocking = [name for name in ("destination", "purpose", "folder", "catalog", "schema") if name in (errors or {})]
    if blocking:
        labels = ", ".join(steps.FORM_ONLY[name].label for name in blocking)
        return f"The run's name and location appear here once these are valid: {labels}."
    try:
        prefix = names.table_prefix(values.get("purpose"), steps.config_from_values(values).households, _dt.datetime.now(_dt.timezone.utc))
    except ConfigError:
        return "The run's name appears here once every field of steps 1-4 is valid."
    if values.get("destination") == steps.UNITY_CATALOG:
        where = f"tables `{values.get('catalog')}.{values.get('schema')}.{prefix}_<table>` (8 tables)"
    else:
        where = f"the folder `{Path(str(values.get('folder'))).expanduser().absolute() / prefix}`"
    return f"This run will be written to {where}; the name carries the launch time (UTC, to the minute)."


def stepper_html(step: int) -> str:
    """The step list (current step marked with aria-current) and the step's heading, focused on Next/Back."""
    items = []
    for number, title in enumerate(steps.STEPS, start=1):
        state = "done" if number < step else "current" if number == step else "todo"
        current = ' aria-current="step"' if number == step else ""
        items.append(f'<li class="step {state}"{current}><span class="num">{number}.</span> {html.escape(title)}</li>')
    heading = f"Step {step} of {len(steps.STEPS)}: {html.escape(steps.STEPS[step - 1])}"
    return (
        f'<nav aria-label="Form steps"><ol class="stepper" data-step="{step}">{"".join(items)}</ol></nav>'
        f'<h2 id="step-heading" class="step-heading" tabindex="-1">{heading}</h2>'
    )


@dataclass
class Form:
    """The launch tab's components, kept by name for handlers and tests."""

    ctx: AppContext
    session: Any = None
    step: Any = None
    inputs: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, Any] = field(default_factory=dict)
    groups: list[Any] = field(default_factory=list)
    destination_rows: dict[str, Any] = field(default_factory=dict)
    parts: dict[str, Any] = field(default_factory=dict)
    previews: "collections.OrderedDict[str, dict[str, Any]]" = field(default_factory=collections.OrderedDict)
    # Previews being computed, by config: one at a time (the warm worker does one thing at a time).
    pending: dict[str, Future] = field(default_factory=dict)
    preview_pool: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="preview"))
    preview_lock: threading.Lock = field(default_factory=threading.Lock)

    # ---- helpers -------------------------------------------------------------------------
    @property
    def input_list(self) -> list[Any]:
        return [self.inputs[name] for name in steps.FIELD_NAMES]

    def values(self, raw: tuple[Any, ...]) -> dict[str, Any]:
        return dict(zip(steps.FIELD_NAMES, raw))

    def outputs(self) -> list[Any]:
        return [self.session, self.step, *self.parts.values(), *self.groups, *self.destination_rows.values(), *self.input_list, *self.errors.values()]

    def live_outputs(self) -> list[Any]:
        p = self.parts
        return [p["preview_table"], p["preview_total"], p["message"], p["destination_preview"], *self.errors.values()]

    def error_updates(self, step: int, errors: dict[str, str]) -> dict[Any, Any]:
        """Each error box of the form: the message of its field when that field is on `step`."""
        out = {}
        for name, box in self.errors.items():
            text = errors.get(name, "") if steps.FIELD_BY_NAME[name].step == step else ""
            out[box] = gr.update(value=f"⚠ {text}" if text else "", visible=bool(text))
        return out

    def live_errors(self, step: int, values: dict[str, Any]) -> dict[str, str]:
        """Errors of the fields on `step` as the user types (the folder is checked without creating it)."""
        if step >= steps.REVIEW_STEP:
            return {}
        errors = steps.step_errors(step, values, self.ctx.databricks, touch_disk=False)
        return {name: text for name, text in errors.items() if name in steps.FIELD_BY_NAME and steps.FIELD_BY_NAME[name].step == step}

    def render(self, step: int, values: dict[str, Any], errors: dict[str, str], message: str = "", set_values: bool = False, session: str | None = None, note: str = "") -> dict[Any, Any]:
        """Updates that show `step`: its group, the stepper, buttons, errors of that step, review.

        `message` is the banner that live checks rewrite on every edit; `note` (the session
        resumed or refused) has its own line, so the edits that restoring the values
        triggers cannot wipe it before the user has read it."""
        p = self.parts
        out: dict[Any, Any] = {
            self.step: step,
            p["stepper"]: stepper_html(step),
            p["intro"]: STEP_INTRO[step],
            p["back"]: gr.update(interactive=step > 1),
            p["next"]: gr.update(visible=step < steps.REVIEW_STEP),
            p["launch"]: gr.update(visible=step == steps.REVIEW_STEP),
            p["message"]: message,
            p["note"]: note,
        }
        for number, group in enumerate(self.groups, start=1):
            out[group] = gr.update(visible=number == step)
        out.update(self.error_updates(step, errors))
        for first, kind in DESTINATION_ROWS.items():
            out[self.destination_rows[first]] = gr.update(visible=values.get("destination") == kind)
        if set_values:
            for name, component in self.inputs.items():
                out[component] = values.get(name)
        out.update(self.preview(values))
        if step == steps.DESTINATION_STEP:
            out[p["destination_preview"]] = destination_preview(values, errors)
        if step == steps.REVIEW_STEP:
            out.update(self.review(values, session))
        return out

    def preview(self, values: dict[str, Any]) -> dict[Any, Any]:
        rows, total = steps.expected_table(values)
        p = self.parts
        if total is None:
            return {p["preview_total"]: "⚠ Expected row counts appear once every field is valid.", p["preview_table"]: gr.update(value=[], visible=False)}
        return {p["preview_table"]: gr.update(value=rows, visible=True), p["preview_total"]: f"**{total:,} rows expected in total** (means of the configured distributions)."}

    def estimate(self, config: GraphConfig) -> estimates.Estimate | None:
        return estimates.estimate(config.households, expected_rows(config), self.ctx.bench_results, estimates.machine_cores(self.ctx.cores))

    def review(self, values: dict[str, Any], session: str | None = None) -> dict[Any, Any]:
        """The review step: summary, estimate, config JSON and its download, the SQL, the permission check."""
        p = self.parts
        blocked = {p["launch"]: gr.update(visible=True, interactive=False), p["launchable"]: False, p["confirm"]: gr.update(visible=False, value=False), p["estimate"]: ""}
        config, problem = config_or_problem(values)
        if config is None:  # a restored or uploaded form that is no longer valid
            return {**blocked, p["summary"]: problem, p["rows_preview"]: html.escape(problem)}
        target, errors = steps.destination_errors(values, config, self.ctx.databricks)
        if target is None:
            return {**blocked, p["summary"]: "⚠ Fix step 5 first: " + " ".join(errors.values()), p["rows_preview"]: PREVIEW_PENDING}
        download = self._config_file(config)
        permission = "Not needed: a local folder is written by this machine's own worker process."
        permission = f"**Permission check:** {permission}"
        permission_ok = True
        if target.kind == steps.UNITY_CATALOG:
            try:
                user = self.ctx.identity(session)
                report = check_destination(self.ctx.settings, values["catalog"], values["schema"], target.overwrite, user)
                permission, permission_ok = f"**Permission check:** {permission_text(report, user)}", not report.blocked
            except Exception as exc:  # the workspace's own error, shown rather than crashing the page
                permission, permission_ok = f"**Permission check failed:** {type(exc).__name__}: {exc}", False
        total = sum(expected_rows(config).values())
        summary = (
            f"**{config.households:,} households**, seed {config.seed}, about **{total:,} rows** in 8 tables → "
            f"{target.kind}: `{target.location}`" + (f" ({target.format})" if target.kind == steps.LOCAL else "")
            + f". Names: `{target.prefix}`" + ("; existing tables are replaced." if target.overwrite else ".")
        )
        estimate_text, confirm = self._estimate_text(config, target)
        return {
            p["summary"]: summary,
            p["estimate"]: estimate_text,
            p["confirm"]: gr.update(visible=confirm, value=False, label=CONFIRM_LABEL),
            p["config_json"]: config.to_json(),
            p["download"]: gr.update(value=str(download)),
            p["sql"]: render_table("households", config),
            p["sql_table"]: gr.update(value="households"),
            p["permission"]: permission,
            p["rows_preview"]: PREVIEW_PENDING,
            p["launchable"]: permission_ok,
            p["launch"]: gr.update(visible=True, interactive=permission_ok and not confirm),
        }

    def _estimate_text(self, config: GraphConfig, target: steps.Target) -> tuple[str, bool]:
        """The review's time and disk estimate for this machine, and whether it asks for confirmation."""
        if target.kind != steps.LOCAL:
            return "", False
        found = self.estimate(config)
        if found is None:
            return f"No time or size estimate: no benchmark results in `{Path(self.ctx.bench_results).absolute()}` (the app's --bench-results).", False
        free = shutil.disk_usage(next(p for p in Path(target.location).parents if p.exists())).free
        text = (
            f"**Expected on this machine:** about **{estimates.human_seconds(found.seconds)}** and **{estimates.human_bytes(found.bytes)}** on disk "
            f"({estimates.human_bytes(free)} free there). Interpolated from the benchmark results {found.source}."
        )
        if found.bytes > free:
            text += f"\n\n⚠ Not enough free disk space for this run at `{target.location}`."
        return text, found.needs_confirmation

    def _config_file(self, config: GraphConfig) -> Path:
        folder = Path(self.ctx.store.root) / "downloads"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"idgraph-config-{config.config_hash()}.json"
        path.write_text(config.to_json() + "\n")
        return path

    # ---- handlers ------------------------------------------------------------------------
    def on_load(self, request: gr.Request) -> dict[Any, Any]:
        """Restore the session named in the URL (?session=...) as last edited, or start a new one."""
        asked = (request.query_params.get("session") if request is not None else None) or ""
        session = asked if is_session_id(asked) else new_session_id()
        saved = self.ctx.store.load_checkpoint(session) or {}
        user = UserIdentity.from_request(request)
        refused = self.ctx.owner_conflict(session, user, saved)
        if refused:
            session, saved = new_session_id(), {}
        self.ctx.identities[session] = user
        values = {**steps.default_values(self.ctx.databricks, self.ctx.out_root), **(saved.get("values") or {})}
        step = saved.get("step", 1) if isinstance(saved.get("step"), int) and 1 <= saved.get("step") <= steps.REVIEW_STEP else 1
        note = refused or (f"Resumed session `{session}` at step {step}, as last edited ({saved.get('saved_at', '')} UTC)." if saved else "")
        return {self.session: session, **self.render(step, values, self.live_errors(step, values), set_values=True, session=session, note=note)}

    def on_edit(self, session: str, step: int, *raw: Any) -> dict[Any, Any]:
        """Every edit: saved for the session as typed, then this step's errors and the previews, live."""
        values = self.values(raw)
        if is_session_id(session):
            self.ctx.checkpoint(session, step, values)
        errors = self.live_errors(step, values)
        out = {**self.preview(values), **self.error_updates(step, errors), self.parts["message"]: steps.error_summary(errors) if errors else ""}
        out[self.parts["destination_preview"]] = destination_preview(values, errors) if step == steps.DESTINATION_STEP else ""
        return out

    def on_next(self, session: str, step: int, *raw: Any) -> dict[Any, Any]:
        values = self.values(raw)
        errors = steps.step_errors(step, values, self.ctx.databricks)
        if errors:
            where = steps.first_invalid_step(errors) or step
            shown = {name: text for name, text in errors.items() if steps.first_invalid_step({name: text}) == where}
            message = steps.error_summary(shown) + (f" (on step {where})" if where != step else "")
            return self.render(where, values, errors, message)
        self.ctx.checkpoint(session, step + 1, values)
        if step + 1 == steps.DESTINATION_STEP and not self.ctx.settings.in_app and not self.ctx.runner.pool.busy_with() and (config := config_or_problem(values)[0]) is not None:
            self.fetch_preview(config)  # the review step's preview, started while the destination is chosen
        return self.render(step + 1, values, {}, f"Step {step} saved.", session=session)

    def on_back(self, session: str, step: int, *raw: Any) -> dict[Any, Any]:
        values = self.values(raw)
        back = max(1, step - 1)
        if is_session_id(session):
            self.ctx.checkpoint(session, back, values)
        return self.render(back, values, self.live_errors(back, values))

    def on_preset(self, session: str, step: int, *raw: Any) -> dict[Any, Any]:
        """A preset picked: households follow it, then the same live checks as any edit."""
        values = self.values(raw)
        if values["preset"] in steps.PRESETS:
            values["households"] = str(steps.PRESETS[values["preset"]])
        return {self.inputs["households"]: values["households"], **self.on_edit(session, step, *[values[n] for n in steps.FIELD_NAMES])}

    def on_households(self, households: Any) -> str:
        return steps.preset_for(households)

    def on_destination(self, destination: str) -> dict[Any, Any]:
        return {self.destination_rows[first]: gr.update(visible=destination == kind) for first, kind in DESTINATION_ROWS.items()}

    def on_upload(self, session: str, step: int, path: str, *raw: Any) -> dict[Any, Any]:
        """Start from a config file: every known field is filled in, errors show at their fields."""
        current = self.values(raw)
        text, problem = steps.read_config_file(path)
        if text is None:
            named = f"{Path(path).name}: " if isinstance(path, str) and path else ""
            return self.render(step, current, {}, f"⚠ {named}{problem}")
        values, problem = steps.values_from_config_json(text, current)
        if problem:
            return self.render(step, current, {}, f"⚠ {Path(path).name}: {problem}")
        note = ""
        if values.get("destination") == steps.UNITY_CATALOG and not self.ctx.databricks:
            values["destination"] = steps.LOCAL
            note = f" Its Unity Catalog destination was replaced by a local folder: {steps.UNITY_CATALOG_UNAVAILABLE}"
        errors = steps.graph_errors(values)[1]
        where = steps.first_invalid_step(errors) or 1
        if is_session_id(session):
            self.ctx.checkpoint(session, where, values)
        message = f"Loaded {Path(path).name}." + (f" {steps.error_summary(errors)} First on step {where}." if errors else " Check each step, then launch.") + note
        return self.render(where, values, errors, message, set_values=True)

    def on_confirm(self, confirmed: bool, launchable: bool) -> tuple[bool, Any]:
        return bool(confirmed), gr.update(interactive=bool(confirmed) and bool(launchable))

    def on_launch(self, session: str, step: int, confirmed: bool, *raw: Any) -> tuple[str | None, dict[Any, Any]]:
        """Validate everything once more, then queue the run; returns (run id or None, updates)."""
        values = self.values(raw)
        errors = steps.step_errors(steps.DESTINATION_STEP, values, self.ctx.databricks)
        if errors:
            where = steps.first_invalid_step(errors) or step
            return None, self.render(where, values, errors, f"⚠ Not launched. {steps.error_summary(errors)}")
        config = steps.config_from_values(values)
        target, _ = steps.destination_errors(values, config, self.ctx.databricks)
        assert target is not None
        found = self.estimate(config) if target.kind == steps.LOCAL else None
        if found is not None and found.needs_confirmation and not confirmed:
            return None, {self.parts["message"]: f"⚠ Not launched: this run takes about {estimates.human_seconds(found.seconds)} and {estimates.human_bytes(found.bytes)}; tick the confirmation first."}
        try:
            run_id = submit_run(self.ctx, session, config, target)
        except ConfigError as exc:
            return None, {self.parts["message"]: f"⚠ Not launched: {config_fields.describe(exc)}"}
        except ShuttingDownError as exc:
            return None, {self.parts["message"]: f"⚠ Not launched: {exc}"}
        self.ctx.checkpoint(session, step, values)
        return run_id, {self.parts["message"]: f"Launched run `{target.prefix}`: follow it on the Runs tab."}

    def on_preview(self, session: str, step: int, *raw: Any) -> str:
        """The review step's preview: five rows of every table from the warm worker, as HTML.

        Never waits for a generation run (says the engine is busy instead); settings that are
        not valid get the review's own message, not a traceback."""
        if step != steps.REVIEW_STEP:
            return ""
        if self.ctx.settings.in_app:
            return "No preview in a Databricks App: it has no Spark of its own (run `idgraph row TABLE KEY` where Spark runs)."
        config, problem = config_or_problem(self.values(raw))
        if config is None:
            return html.escape(problem)
        try:
            found = self.fetch_preview(config).result()
        except WorkerBusyError as exc:
            return f"⏳ No preview yet: {exc}. Click “Refresh preview” when it is done; launching does not need the preview."
        except (PreviewError, WorkerDiedError, ShuttingDownError) as exc:
            return f"⚠ No preview: {html.escape(str(exc))}"
        return views.preview_html(found, config.households)

    def fetch_preview(self, config: GraphConfig) -> "Future[dict[str, Any]]":
        """The preview of `config`: cached, being computed, or started now (in the background)."""
        key = config.to_json()
        with self.preview_lock:
            if key in self.previews:
                self.previews.move_to_end(key)
                done: Future = Future()
                done.set_result(self.previews[key])
                return done
            future = self.pending.get(key)
            if future is None or (future.done() and future.exception() is not None):  # a failed one is tried again
                future = self.preview_pool.submit(self._compute_preview, key, config)
                self.pending[key] = future
            return future

    def _compute_preview(self, key: str, config: GraphConfig) -> dict[str, Any]:
        try:
            found = self.ctx.runner.preview(config.to_dict(), rows=PREVIEW_ROWS, cores=self.ctx.cores)
        finally:
            with self.preview_lock:
                self.pending.pop(key, None)
        with self.preview_lock:
            self.previews[key] = found
            while len(self.previews) > PREVIEW_CACHE_SIZE:
                self.previews.popitem(last=False)
        return found

    def on_sql(self, table: str, *raw: Any) -> str:
        try:
            return render_table(table, steps.config_from_values(self.values(raw)))
        except ConfigError as exc:
            return f"-- fix the config first: {exc}"


CONFIRM_LABEL = "I have read the time and disk estimate above: launch this large run"


def config_or_problem(values: dict[str, Any]) -> tuple[GraphConfig | None, str]:
    """The form's config, or None and the review's message naming the first field to fix."""
    try:
        return steps.config_from_values(values), ""
    except ConfigError as exc:
        step = steps.first_invalid_step({exc.field: ""})
        where = f"on step {step}" if step < steps.REVIEW_STEP else "in the config file (it has no input on this form)"
        return None, f"⚠ Fix {config_label(exc.field)} {where} first: {exc.expected}"


def config_label(name: str) -> str:
    return steps.FIELD_BY_NAME[name].label if name in steps.FIELD_BY_NAME else config_fields.label(name)


def submit_run(ctx: AppContext, session: str, config: GraphConfig, target: steps.Target) -> str:
    """Queue a run of `config` into `target` for `session`; Unity Catalog is permission-checked again first."""
    fields = {"households": config.households, "expected": expected_rows(config), "table_names": target.table_names, "name": target.prefix}
    if target.kind == steps.UNITY_CATALOG:
        assert target.job is not None
        destination = target.job.destination
        user = ctx.identity(session)
        report = check_destination(ctx.settings, destination.catalog, destination.schema, target.overwrite, user)
        if report.blocked:  # only a privilege definitely missing; unknown ones the job re-checks
            raise ConfigError("destination", target.location, f"privileges to write there:\n{report.message}")
        spec = {"job": target.job.to_dict(), "prefix": target.prefix, "location": target.location}
        return ctx.runner.submit(session, spec, "databricks", launched_by=user.email if user else None, **fields)
    if ctx.settings.in_app:
        raise ConfigError("destination", target.kind, f"{steps.UNITY_CATALOG}: a Databricks App does not write local folders")
    spec = {"config": config.to_dict(), "out": target.location, "format": target.format, "overwrite": target.overwrite, "cores": ctx.cores}
    return ctx.runner.submit(session, spec, "local", **fields)


def build(ctx: AppContext) -> Form:
    """Create the launch tab's components (inside the current Blocks/Tab) and wire its events."""
    form = Form(ctx)
    defaults = steps.default_values(ctx.databricks, ctx.out_root)
    p = form.parts
    form.session = gr.Textbox(visible=False, elem_id="session-id")
    form.step = gr.State(1)
    p["stepper"] = gr.HTML(stepper_html(1), elem_id="stepper")
    p["intro"] = gr.Markdown(STEP_INTRO[1], elem_id="step-intro")
    with gr.Row():
        p["upload"] = gr.UploadButton("Start from a config file (.json)", file_types=[".json"], type="filepath", size="sm", scale=0, elem_id="upload-config")
        p["message"] = gr.Markdown(elem_id="form-message")
    p["note"] = gr.Markdown(elem_id="session-note")
    for step in range(1, steps.REVIEW_STEP):
        with gr.Column(visible=step == 1, elem_id=f"step-{step}") as group:
            for row in steps.LAYOUT[step]:
                with gr.Row(equal_height=False) as row_block:
                    for name in row:
                        with gr.Column(min_width=200):
                            form.inputs[name] = make_input(steps.FIELD_BY_NAME[name], defaults.get(name), ctx.databricks, ctx.settings.in_app)
                            form.errors[name] = gr.Markdown(visible=False, elem_classes=["field-error"], elem_id=f"error-{slug(name)}")
                if row[0] in DESTINATION_ROWS:
                    form.destination_rows[row[0]] = row_block
            if step == steps.DESTINATION_STEP:
                p["destination_preview"] = gr.Markdown(elem_id="destination-preview")
            if step == 1:
                with gr.Group():
                    p["preview_total"] = gr.Markdown(elem_id="expected-total")
                    p["preview_table"] = gr.Dataframe(headers=["table", "expected rows"], interactive=False, elem_id="expected-rows", max_height=340, visible=False)
        form.groups.append(group)
    with gr.Column(visible=False, elem_id="step-6") as review:
        p["summary"] = gr.Markdown(elem_id="review-summary")
        p["estimate"] = gr.Markdown(elem_id="review-estimate")
        p["confirm"] = gr.Checkbox(label=CONFIRM_LABEL, value=False, visible=False, elem_id="confirm-large")
        p["confirmed"] = gr.State(False)
        p["launchable"] = gr.State(False)
        with gr.Row():
            with gr.Column(scale=1, min_width=300):
                p["config_json"] = gr.Code(language="json", label="Config (JSON)", lines=14, max_lines=22, interactive=False)
                gr.Markdown("Use it with `idgraph generate --config FILE`.")
                p["download"] = gr.DownloadButton("Download config JSON", size="sm", elem_id="download-config")
            with gr.Column(scale=1, min_width=300):
                p["sql_table"] = gr.Dropdown(list(TABLES), value="households", label="Rendered SQL of table", info="exactly what Spark runs for this config")
                p["sql"] = gr.Code(language="sql", label="SQL", lines=14, max_lines=22, interactive=False, elem_id="review-sql")
        p["permission"] = gr.Markdown(label="Permission check", elem_id="permission")
        with gr.Row():
            gr.Markdown("**Preview:** the first rows of every table for these settings")
            p["refresh_preview"] = gr.Button("Refresh preview", size="sm", scale=0, elem_id="refresh-preview")
        p["rows_preview"] = gr.HTML(elem_id="review-preview")
    form.inputs[steps.MORE_CONFIG.name] = gr.Textbox(value="", visible=False, elem_id="more-config")
    form.groups.append(review)
    with gr.Row():
        p["back"] = gr.Button("← Back", interactive=False, elem_id="back")
        p["next"] = gr.Button("Next →", variant="primary", elem_id="next")
        p["launch"] = gr.Button("Launch run", variant="primary", visible=False, elem_id="launch")

    outputs = form.outputs()
    state_inputs = [form.session, form.step, *form.input_list]
    preview = {"fn": form.on_preview, "inputs": state_inputs, "outputs": p["rows_preview"], "show_progress": "hidden", "api_visibility": "private"}
    p["next"].click(form.on_next, state_inputs, outputs, api_name="next", show_progress="minimal").then(None, js=FOCUS_HEADING_JS).then(**preview)
    p["back"].click(form.on_back, state_inputs, outputs, api_name="back", show_progress="hidden").then(None, js=FOCUS_HEADING_JS)
    p["upload"].upload(form.on_upload, [form.session, form.step, p["upload"], *form.input_list], outputs, api_name="upload_config").then(None, js=FOCUS_HEADING_JS).then(**preview)
    p["refresh_preview"].click(**preview)
    p["sql_table"].change(form.on_sql, [p["sql_table"], *form.input_list], p["sql"], show_progress="hidden", api_visibility="private")
    p["confirm"].input(form.on_confirm, [p["confirm"], p["launchable"]], [p["confirmed"], p["launch"]], show_progress="hidden", api_visibility="private")
    form.inputs["preset"].input(form.on_preset, state_inputs, [form.inputs["households"], *form.live_outputs()], show_progress="hidden", trigger_mode="always_last", api_visibility="private")
    form.inputs["households"].change(form.on_households, form.inputs["households"], form.inputs["preset"], show_progress="hidden", api_visibility="private")
    form.inputs["destination"].change(form.on_destination, form.inputs["destination"], list(form.destination_rows.values()), show_progress="hidden", api_visibility="private")
    # Every edit, on every step: saved as typed, checked live. `change`, not `input`: Gradio's
    # text boxes send `input` only for key presses, so a pasted value would go unchecked.
    # `always_last` drops the checks queued behind a newer keystroke (checked once typing pauses).
    edited = [form.inputs[name].change for name in steps.FIELD_NAMES if name != "preset"]
    gr.on(edited, form.on_edit, state_inputs, form.live_outputs(), show_progress="hidden", trigger_mode="always_last", api_visibility="private")
    return form


# After Next/Back the step's heading takes the focus, so keyboard and screen-reader users start at the new step.
FOCUS_HEADING_JS = "() => { requestAnimationFrame(() => { const h = document.getElementById('step-heading'); if (h) h.focus(); }); }"
