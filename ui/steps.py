"""The launch form as data: six steps, their fields, and validation through the engine.

`LAYOUT` places the fields on the steps; a config field's label, help, kind and bounds come
from the engine's field metadata (`engine.config.FIELDS`), so they live once. This module
turns the form's text into a `GraphConfig` (parsed by `engine.config.parse_text`, never
rounded) and a destination. Validation is the engine's own, one pass for all fields:
`GraphConfig.errors()`, `engine.names`, `JobConfig.build` and the directory sink's own
existence check. Every `ConfigError` is mapped back to the form field it names, so errors
show next to the field, in people's words (`engine.config.describe`).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from engine import DIRECTORY_FORMATS, TABLES, ConfigError, GraphConfig, app_settings, expected_rows, make_sink, names
from engine import config as config_fields
from engine.databricks.job_config import DEFAULT_PURPOSE, JobConfig

STEPS = (
    "Scale & seed",
    "Households & demographics",
    "Identity graph",
    "Engagement & campaigns",
    "Destination",
    "Review & launch",
)
DESTINATION_STEP = 5
REVIEW_STEP = 6

# Household presets offered on step 1 (label -> households); "Custom" is any other number.
PRESETS = {"1K": 1_000, "10K": 10_000, "100K": 100_000, "1M": 1_000_000, "10M": 10_000_000}
CUSTOM = "Custom"

LOCAL, UNITY_CATALOG = "Local folder", "Unity Catalog"
# The local folder formats are the engine's.
FORMATS = DIRECTORY_FORMATS


@dataclass(frozen=True)
class Field:
    """One input of the form. `name` is the config path (`identifiers.minimum`) for config fields.

    kind: int | optional_int | number | date | weights | preset | choice | text | bool | json (hidden)
    """

    name: str
    step: int
    kind: str
    label: str
    help: str = ""
    choices: tuple[str, ...] = ()

    @property
    def is_config(self) -> bool:
        return self.step < DESTINATION_STEP and self.kind != "preset"


# Rows of fields per step (steps 1-5), left to right. Config fields take their label, help,
# kind and bounds from `engine.config.FIELDS`; the form-only fields are defined below.
LAYOUT: dict[int, list[list[str]]] = {
    1: [["preset"], ["households", "seed", "partitions"], ["start_date", "end_date"]],
    2: [
        ["household_size_weights"],
        ["income_weights"],
        ["age_mean", "age_sd", "age_min", "age_max"],
        ["gender_weights", "shared_surname_rate"],
        ["education_weights"],
    ],
    3: [["identifiers.minimum", "identifiers.maximum", "identifiers.exponent"], ["identifier_type_weights"], ["confidence_min", "confidence_max"]],
    4: [
        ["content_items", "content_zipf_exponent"],
        ["content_category_weights"],
        ["events.minimum", "events.maximum", "events.exponent"],
        ["engagement_type_weights"],
        ["campaigns", "campaign_min_days", "campaign_max_days"],
        ["campaign_channel_weights"],
        ["exposures.minimum", "exposures.maximum", "exposures.exponent"],
        ["response_rate", "attribution_window_days"],
        ["response_type_weights"],
    ],
    5: [["destination"], ["purpose", "overwrite"], ["folder", "format"], ["catalog", "schema"]],
}
FORM_ONLY: dict[str, Field] = {
    f.name: f
    for f in (
        Field("preset", 1, "preset", "Scale preset", "pick a size, or type any number of households below", tuple(PRESETS) + (CUSTOM,)),
        Field("destination", 5, "choice", "Destination", "where the eight tables are written", (LOCAL, UNITY_CATALOG)),
        Field("purpose", 5, "text", "Purpose (name prefix)", "first part of the run's name (letters, digits, underscores); the name is shown below"),
        Field("folder", 5, "text", "Parent folder (local)", "each run gets its own folder inside it, named as shown below"),
        Field("format", 5, "choice", "Table format (local)", "Delta (readable by any Delta reader) or plain Parquet", FORMATS),
        Field("catalog", 5, "text", "Catalog (Unity Catalog)", "letters, digits and underscores"),
        Field("schema", 5, "text", "Schema (Unity Catalog)", "letters, digits and underscores"),
        Field("overwrite", 5, "bool", "Overwrite existing tables of the same name", "otherwise a launch onto existing tables is refused"),
    )
}


def _form_field(name: str, step: int) -> Field:
    if name in FORM_ONLY:
        return FORM_ONLY[name]
    spec = config_fields.field_spec(name)
    label = f"{spec.label} ({spec.unit})" if spec.unit and spec.unit.lower() not in spec.label.lower() else spec.label
    if spec.kind == "optional_int":
        label += " (optional)"
    return Field(name, step, spec.kind, label, spec.help)


# Config fields the form has no input for, as JSON: kept from an uploaded file (hidden).
MORE_CONFIG = Field("more_config", REVIEW_STEP, "json", "Other config fields (from the uploaded file)")
FIELDS: tuple[Field, ...] = (*(_form_field(name, step) for step, rows in LAYOUT.items() for row in rows for name in row), MORE_CONFIG)
FIELD_BY_NAME = {f.name: f for f in FIELDS}
FIELD_NAMES = tuple(f.name for f in FIELDS)
CONFIG_FIELDS = tuple(f for f in FIELDS if f.is_config)


def fields_of(step: int) -> list[Field]:
    return [f for f in FIELDS if f.step == step]


# ---- raw form values <-> config values -----------------------------------------------------
def _config_value(config: GraphConfig, name: str) -> Any:
    value: Any = config
    for part in name.split("."):
        value = getattr(value, part)
    return value


def default_values(databricks_configured: bool = False, out_root: str = "out") -> dict[str, Any]:
    """The form's raw values for the default config (what a new session starts from)."""
    values = config_to_values(GraphConfig())
    catalog, schema = app_settings.default_destination()  # IDGRAPH_CATALOG / IDGRAPH_SCHEMA from app.yaml
    values.update(
        destination=UNITY_CATALOG if databricks_configured else LOCAL,
        purpose=DEFAULT_PURPOSE,
        folder=out_root,
        format="delta",
        catalog=catalog,
        schema=schema,
        overwrite=False,
        more_config="",
    )
    return values


def config_to_values(config: GraphConfig) -> dict[str, Any]:
    """A config as the form's text (weights as "a: 0.6, ...", count distributions split, None as "")."""
    values: dict[str, Any] = {f.name: config_fields.format_text(f.name, _config_value(config, f.name)) for f in CONFIG_FIELDS}
    values["preset"] = preset_for(values["households"])
    return values


def preset_for(households: Any) -> str:
    """The preset label of a household count (as typed), or "Custom"."""
    typed = config_fields.parse_text("households", households) if isinstance(households, str) else households
    return next((label for label, n in PRESETS.items() if n == typed and not isinstance(typed, bool)), CUSTOM)


def _set(data: dict[str, Any], name: str, value: Any) -> None:
    head, _, rest = name.partition(".")
    if rest:
        data[head][rest] = value
    else:
        data[head] = value


def error_message(exc: ConfigError, field_name: str) -> str:
    """The inline text for an error under its field: the label is above it, sub-keys are kept."""
    sub = exc.field[len(field_name):].strip("[]'") if exc.field != field_name else ""
    text = config_fields.describe(exc, with_label=False)
    return f"{sub}: {text[0].lower()}{text[1:]}" if sub else text


def form_field(config_field: str) -> str:
    """The form field a ConfigError's field names: "income_weights['<30K']" -> "income_weights"."""
    return config_field.split("[", 1)[0]


def graph_errors(values: Mapping[str, Any], base: GraphConfig | None = None) -> tuple[GraphConfig | None, dict[str, str]]:
    """Parse the form's text with the engine and validate once: (config or None, {field: message}).

    `GraphConfig.errors()` reports every problem at once. A problem of a config field that is
    not on the form (e.g. from an uploaded file) is keyed by its config field name.
    """
    data = (base or GraphConfig()).to_dict()
    data.update(more_config(values))
    for f in CONFIG_FIELDS:
        _set(data, f.name, config_fields.parse_text(f.name, values.get(f.name)))
    problems = GraphConfig.unchecked(data).errors()
    errors = {}
    for exc in problems:
        name = form_field(exc.field)
        errors.setdefault(name, error_message(exc, name))
    return (None if errors else GraphConfig.unchecked(data)), errors


def more_config(values: Mapping[str, Any]) -> dict[str, Any]:
    """The config fields without a form input that an uploaded file set (the hidden `more_config`)."""
    try:
        extra = json.loads(values.get("more_config") or "{}")
    except (TypeError, ValueError):
        return {}
    form_heads = {f.name.split(".")[0] for f in CONFIG_FIELDS}
    return {k: v for k, v in extra.items() if k in config_fields.FIELDS and k not in form_heads} if isinstance(extra, dict) else {}


def config_from_values(values: Mapping[str, Any]) -> GraphConfig:
    """The valid config the form describes; ConfigError naming the first bad form field otherwise."""
    config, errors = graph_errors(values)
    if config is None:
        name, message = next(iter(errors.items()))
        raise ConfigError(name, values.get(name), message)
    return config


# ---- destination ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    """Where a launch writes: a local run folder, or Unity Catalog tables through a job."""

    kind: str  # LOCAL or UNITY_CATALOG
    location: str  # the run folder, or catalog.schema
    format: str  # delta | parquet | table
    overwrite: bool
    prefix: str  # {purpose}_{scale}_{timestamp}
    table_names: dict[str, str]
    job: JobConfig | None = None


def destination_errors(
    values: Mapping[str, Any],
    graph: GraphConfig | None,
    databricks_configured: bool,
    now: _dt.datetime | None = None,
    touch_disk: bool = True,
) -> tuple[Target | None, dict[str, str]]:
    """Validate step 5 with the engine's checks; return (target or None, {form field: message}).

    Without a valid `graph` the fields are still checked (the name with the default scale),
    but no target is returned. `touch_disk=False` (while typing) checks the folder without
    creating anything; Next and Launch run the sink's own `prepare` and `abort`.
    """
    now = now or _dt.datetime.now(_dt.timezone.utc)
    errors: dict[str, str] = {}
    overwrite = bool(values.get("overwrite"))
    purpose = values.get("purpose")
    try:
        prefix = names.table_prefix(purpose, (graph or GraphConfig()).households, now)
    except ConfigError as exc:
        errors["purpose"] = error_message(exc, "purpose")
        prefix = ""
    kind = values.get("destination")
    if kind == UNITY_CATALOG:
        if not databricks_configured:
            errors["destination"] = UNITY_CATALOG_UNAVAILABLE
            return None, errors
        for name in ("catalog", "schema"):
            try:
                names.validate_identifier(name, values.get(name))
            except ConfigError as exc:
                errors[name] = error_message(exc, name)
        if errors or graph is None:
            return None, errors
        job = JobConfig.build(graph, values["catalog"], values["schema"], purpose=purpose, overwrite=overwrite, now=now)
        return Target(UNITY_CATALOG, job.destination.schema_name, "table", overwrite, job.prefix, job.table_names(), job), errors
    if kind != LOCAL:
        errors["destination"] = f"Got {kind!r}; expected one of {[LOCAL, UNITY_CATALOG]}."
        return None, errors
    folder = values.get("folder")
    if not isinstance(folder, str) or not folder.strip():
        errors["folder"] = "Empty; expected a folder path (it is created if missing)."
    if values.get("format") not in FORMATS:
        errors["format"] = f"Got {values.get('format')!r}; expected one of {', '.join(FORMATS)}."
    if errors:
        return None, errors
    out = Path(folder.strip()).expanduser().absolute() / prefix
    problem = _folder_problem(out, values["format"], overwrite, touch_disk)
    if problem:
        errors["folder"] = problem
        return None, errors
    if graph is None:
        return None, errors
    return Target(LOCAL, str(out), values["format"], overwrite, prefix, {t: str(out / t) for t in TABLES}), errors


UNITY_CATALOG_UNAVAILABLE = "Unity Catalog is available when this app runs as a Databricks App (see docs/deploy.md); here, choose a local folder."


def _folder_problem(out: Path, format: str, overwrite: bool, touch_disk: bool) -> str | None:
    """Why the run folder `out` cannot be written, or None."""
    if touch_disk:
        try:
            # The sink's own checks: existing output without overwrite, writable parent.
            sink = make_sink(str(out), format, overwrite)
            sink.prepare()
            sink.abort()
        except ConfigError as exc:
            return error_message(exc, exc.field)
        return None
    if out.exists() and not overwrite:
        return f"Got {str(out)!r}; expected a run folder that does not exist yet, or tick Overwrite."
    parent = next((p for p in out.parents if p.exists()), None)
    if parent is None or not parent.is_dir() or not os.access(parent, os.W_OK):
        return f"Got {str(out.parent)!r}; expected a folder this app can write to ({parent} is not writable)."
    return None


# ---- whole steps ---------------------------------------------------------------------------
def step_errors(step: int, values: Mapping[str, Any], databricks_configured: bool = False, touch_disk: bool = True) -> dict[str, str]:
    """Errors of every field on steps 1..`step`, keyed by form field (empty = the steps are valid)."""
    graph, errors = graph_errors(values)
    errors = {name: message for name, message in errors.items() if _step_of(name) <= step}
    if step >= DESTINATION_STEP:
        errors.update(destination_errors(values, graph, databricks_configured, touch_disk=touch_disk)[1])
    return errors


def _step_of(name: str) -> int:
    """The step that shows a field; config fields not on the form are shown on the review step."""
    return FIELD_BY_NAME[name].step if name in FIELD_BY_NAME else REVIEW_STEP


def first_invalid_step(errors: Mapping[str, str]) -> int | None:
    """The earliest step with an error (where the user has to go back to)."""
    return min((_step_of(name) for name in errors), default=None)


def error_summary(errors: Mapping[str, str]) -> str:
    """The banner over a step with errors: how many, and which fields by label."""
    labels = [config_fields.label(name) if name not in FORM_ONLY else FORM_ONLY[name].label for name in errors]
    count = len(labels)
    return f"⚠ {count} field{'s' if count > 1 else ''} to fix: {', '.join(labels)}."


def expected_table(values: Mapping[str, Any]) -> tuple[list[list[Any]], int | None]:
    """Rows [table, expected rows] for the live preview and the total; empty while any config field is invalid."""
    config, _ = graph_errors(values)
    if config is None:
        return [], None
    counts = expected_rows(config)
    return [[table, f"{rows:,}"] for table, rows in counts.items()], sum(counts.values())


# An uploaded config file over this size is refused unread: an idgraph config is a few KB.
CONFIG_FILE_LIMIT_BYTES = 1024 * 1024


def read_config_file(path: Any) -> tuple[str | None, str | None]:
    """(text, None) of an uploaded config file, or (None, why it cannot be read as one)."""
    try:
        file = Path(path)
        size = file.stat().st_size
        if size > CONFIG_FILE_LIMIT_BYTES:
            return None, f"This file is {size:,} bytes, over the {CONFIG_FILE_LIMIT_BYTES:,}-byte (1 MiB) limit of a config file (an idgraph config is a few KB), so it was not read."
        with file.open("rb") as handle:
            data = handle.read(CONFIG_FILE_LIMIT_BYTES + 1)
    except (OSError, TypeError, ValueError) as exc:
        return None, f"Could not read the file: {exc}"
    if len(data) > CONFIG_FILE_LIMIT_BYTES:  # grew after the size was read
        return None, f"This file is over the {CONFIG_FILE_LIMIT_BYTES:,}-byte (1 MiB) limit of a config file, so it was not read."
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        return None, "This file is not text (UTF-8), so not an idgraph config."


def values_from_config_json(text: str, current: Mapping[str, Any]) -> tuple[dict[str, Any], str | None]:
    """Form values from an uploaded config: a GraphConfig JSON or a JobConfig JSON {graph, destination}.

    Known fields are copied even when some are invalid, so the form can show each error
    at its field; returns (values, None) or (unchanged values, message) when the file is
    not an idgraph config at all.
    """
    not_ours = "This file is not an idgraph config: start from one downloaded on the review step of this form."
    try:
        data = json.loads(text)
    except (TypeError, ValueError):
        return dict(current), "This file is not JSON, so not an idgraph config."
    if not isinstance(data, dict):
        return dict(current), not_ours
    values = dict(current)
    if set(data) == {"graph", "destination"} and isinstance(data["graph"], dict):
        dest = data["destination"] if isinstance(data["destination"], dict) else {}
        for key in ("catalog", "schema", "purpose", "overwrite"):
            if key in dest:
                values[key] = dest[key]
        values["destination"] = UNITY_CATALOG
        data = data["graph"]
    unknown = sorted(set(data) - set(config_fields.FIELDS))
    if unknown and len(unknown) * 2 >= len(data):
        return dict(current), not_ours
    if unknown:
        shown = ", ".join(repr(u) for u in unknown[:3]) + (" …" if len(unknown) > 3 else "")
        return dict(current), f"This idgraph config has field(s) this version does not know: {shown}. Remove them or use a newer idgraph."
    form_heads = {f.name.split(".")[0] for f in CONFIG_FIELDS}
    extra = {k: v for k, v in data.items() if k not in form_heads}
    values["more_config"] = json.dumps(extra) if extra else ""
    for f in CONFIG_FIELDS:
        head, _, rest = f.name.partition(".")
        if head not in data:
            continue
        value = data[head].get(rest) if rest and isinstance(data[head], dict) else data[head]
        values[f.name] = config_fields.format_text(f.name, value)
    values["preset"] = preset_for(values.get("households"))
    return values, None
