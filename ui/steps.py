"""The launch form as data: six steps, their fields, and validation through the engine.

Each form field is a row of `FIELDS` (name, step, kind, label, help); the app builds its
components from that table and this module turns the raw form values into a
`GraphConfig` and a destination. Validation is the engine's own: `GraphConfig.from_dict`,
`engine.names`, `JobConfig.build` and the directory sink's own existence check. Only the
form's text syntax (weights typed as `category: weight, ...`) is parsed here. Every
`ConfigError` is mapped back to the form field it names, so errors show next to the field.
"""

from __future__ import annotations

import copy
import datetime as _dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from engine import TABLES, GraphConfig, app_settings, expected_rows, names
from engine.config import ConfigError
from engine.generate import make_sink
from engine.job_config import DEFAULT_PURPOSE, JobConfig

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
FORMATS = ("delta", "parquet")


@dataclass(frozen=True)
class Field:
    """One input of the form. `name` is the config path (`identifiers.minimum`) for config fields.

    kind: int | optional_int | number | date | weights | preset | choice | text | bool
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


def _count_fields(name: str, step: int, what: str, unit: str) -> list[Field]:
    return [
        Field(f"{name}.minimum", step, "int", f"{what}: minimum", f"fewest {unit} per person"),
        Field(f"{name}.maximum", step, "int", f"{what}: maximum", f"most {unit} per person"),
        Field(f"{name}.exponent", step, "number", f"{what}: tail exponent", "heavy tail P(n) ~ (n - min + 1)^-exponent; larger = fewer big counts"),
    ]


_WEIGHTS_HELP = "category: weight pairs, comma separated; weights sum to 1"

FIELDS: tuple[Field, ...] = (
    # 1 scale & seed
    Field("preset", 1, "preset", "Scale preset", "pick a size, or type any number of households below", tuple(PRESETS) + (CUSTOM,)),
    Field("households", 1, "int", "Households", "rows of the households table; everything else scales with it"),
    Field("seed", 1, "int", "Seed", "same seed + same settings = the same tables, on any machine"),
    Field("partitions", 1, "optional_int", "Spark partitions (optional)", "leave empty for automatic; never changes the data"),
    Field("start_date", 1, "date", "Window start (YYYY-MM-DD)", "first day any event can happen"),
    Field("end_date", 1, "date", "Window end (YYYY-MM-DD)", "last day any event can happen"),
    # 2 households & demographics
    Field("household_size_weights", 2, "weights", "Household size weights (people: weight)", "share of households with 1..8 adults (default: US Census CPS 2023)"),
    Field("income_weights", 2, "weights", "Income bracket weights", _WEIGHTS_HELP),
    Field("age_mean", 2, "number", "Age mean (years)", "adult age ~ Normal(mean, sd), clipped to [min, max]"),
    Field("age_sd", 2, "number", "Age standard deviation (years)", "spread of adult ages"),
    Field("age_min", 2, "int", "Youngest age (years)", "ages below are clipped up to this"),
    Field("age_max", 2, "int", "Oldest age (years)", "ages above are clipped down to this"),
    Field("gender_weights", 2, "weights", "Gender weights", _WEIGHTS_HELP),
    Field("education_weights", 2, "weights", "Education weights", "default: ACS 2022 attainment, adults 25+"),
    Field("shared_surname_rate", 2, "number", "Shared surname rate (0-1)", "share of a household's members who carry its surname"),
    # 3 identity graph
    *_count_fields("identifiers", 3, "Identifiers per person", "identifiers"),
    Field("identifier_type_weights", 3, "weights", "Identifier type weights", "email_hash (each person's primary, confidence 1.0) plus cookie_id, mobile_ad_id, device_id, ctv_id"),
    Field("confidence_min", 3, "number", "Confidence: lowest (0-1)", "probabilistic identifiers get a confidence in [lowest, highest]"),
    Field("confidence_max", 3, "number", "Confidence: highest (0-1)", "email_hash identifiers always have 1.0"),
    # 4 engagement & campaigns
    Field("content_items", 4, "int", "Content items", "rows of content_catalog"),
    Field("content_zipf_exponent", 4, "number", "Content popularity exponent (Zipf)", "0 = all items equally popular; 1 = classic Zipf"),
    Field("content_category_weights", 4, "weights", "Content category weights", _WEIGHTS_HELP),
    *_count_fields("events", 4, "Engagement events per person", "events"),
    Field("engagement_type_weights", 4, "weights", "Engagement type weights", _WEIGHTS_HELP),
    Field("campaigns", 4, "int", "Campaigns", "rows of the campaigns table"),
    Field("campaign_channel_weights", 4, "weights", "Campaign channel weights", _WEIGHTS_HELP),
    Field("campaign_min_days", 4, "int", "Shortest campaign (days)", "campaign length is drawn between shortest and longest"),
    Field("campaign_max_days", 4, "int", "Longest campaign (days)", "must fit inside the time window of step 1"),
    *_count_fields("exposures", 4, "Ad exposures per person", "exposures"),
    Field("response_rate", 4, "number", "Response rate (0-1)", "share of exposures that get a response"),
    Field("response_type_weights", 4, "weights", "Response type weights", _WEIGHTS_HELP),
    Field("attribution_window_days", 4, "int", "Attribution window (days)", "a response happens within this many days of its exposure"),
    # 5 destination
    Field("destination", 5, "choice", "Destination", "where the eight tables are written", (LOCAL, UNITY_CATALOG)),
    Field("purpose", 5, "text", "Purpose (name prefix)", "first part of the run's name (letters, digits, underscores); the name is shown below"),
    Field("folder", 5, "text", "Parent folder (local)", "each run gets its own folder inside it, named as shown below"),
    Field("format", 5, "choice", "Table format (local)", "Delta (readable by any Delta reader) or plain Parquet", FORMATS),
    Field("catalog", 5, "text", "Catalog (Unity Catalog)", "letters, digits and underscores"),
    Field("schema", 5, "text", "Schema (Unity Catalog)", "letters, digits and underscores"),
    Field("overwrite", 5, "bool", "Overwrite existing tables of the same name", "otherwise a launch onto existing tables is refused"),
)
FIELD_BY_NAME = {f.name: f for f in FIELDS}
FIELD_NAMES = tuple(f.name for f in FIELDS)
CONFIG_FIELDS = tuple(f for f in FIELDS if f.is_config)


def fields_of(step: int) -> list[Field]:
    return [f for f in FIELDS if f.step == step]


# ---- raw form values <-> config values -----------------------------------------------------
def format_weights(weights: Mapping[str, float]) -> str:
    """`{"a": 0.6, "b": 0.4}` -> "a: 0.6, b: 0.4" (the form's text for a weights field)."""
    return ", ".join(f"{key}: {value:g}" for key, value in weights.items())


def parse_weights(name: str, text: Any) -> dict[str, float]:
    """The form's "a: 0.6, b: 0.4" text as a mapping; ConfigError(name, ...) when it is not that shape."""
    expected = "category: weight pairs separated by commas, e.g. 'a: 0.6, b: 0.4'"
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(name, text, expected)
    weights: dict[str, float] = {}
    for pair in re.split(r"[,\n]", text):
        if not pair.strip():
            continue
        key, sep, value = pair.rpartition(":")
        try:
            weights[key.strip()] = float(value)
        except ValueError:
            raise ConfigError(name, pair.strip(), expected) from None
        if not sep:
            raise ConfigError(name, pair.strip(), expected)
    return weights


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
    )
    return values


def config_to_values(config: GraphConfig) -> dict[str, Any]:
    """A config as the form's raw values (weights as text, count distributions split)."""
    values: dict[str, Any] = {}
    for f in CONFIG_FIELDS:
        value = _config_value(config, f.name)
        values[f.name] = format_weights(value) if f.kind == "weights" else value
    values["preset"] = preset_for(config.households)
    return values


def preset_for(households: Any) -> str:
    """The preset label of a household count, or "Custom"."""
    return next((label for label, n in PRESETS.items() if n == households), CUSTOM)


def _parse(f: Field, raw: Any) -> Any:
    if f.kind == "weights":
        return parse_weights(f.name, raw)
    if f.kind in ("int", "optional_int"):
        if raw is None or raw == "":
            return None
        # Gradio numbers arrive as floats; a whole float is the integer the user typed.
        return int(raw) if isinstance(raw, float) and raw.is_integer() else raw
    if f.kind == "date" and isinstance(raw, str):
        return raw.strip()
    return raw


def _set(data: dict[str, Any], name: str, value: Any) -> None:
    head, _, rest = name.partition(".")
    if rest:
        data[head][rest] = value
    else:
        data[head] = value


def _default_data() -> dict[str, Any]:
    return GraphConfig().to_dict()


def form_field(config_field: str) -> str:
    """The form field a ConfigError's field names: "income_weights['<30K']" -> "income_weights"."""
    return config_field.split("[", 1)[0]


def error_message(exc: ConfigError, field_name: str) -> str:
    """The inline text for an error; the label already names the field, sub-keys are kept."""
    sub = exc.field[len(field_name):].strip("[]'") if exc.field != field_name else ""
    got = "" if isinstance(exc.value, (dict, list)) else f"got {exc.value!r}; "
    text = f"{got}expected {exc.expected}"
    text = f"{sub}: {text}" if sub else text[0].upper() + text[1:]
    return text if text.endswith(".") else text + "."


def graph_errors(values: Mapping[str, Any], steps: range | tuple[int, ...]) -> tuple[GraphConfig | None, dict[str, str]]:
    """Validate the config fields; return (config or None, {form field: message}).

    The engine reports one error at a time, so a failing field is reported and put back to
    its default, and validation repeats until the config is valid: every bad field of
    `steps` gets its own message. Fields of later steps are put back silently (they are
    reported when their step is reached) unless their default does not fit the others
    either (e.g. campaign days longer than a shortened window): then they are reported too
    and no config is returned.
    """
    data = _default_data()
    defaults = _default_data()
    errors: dict[str, str] = {}
    for f in CONFIG_FIELDS:
        try:
            _set(data, f.name, _parse(f, values.get(f.name)))
        except ConfigError as exc:
            if f.step in steps:
                errors[f.name] = error_message(exc, f.name)
    reset: set[str] = set()
    for _ in range(len(CONFIG_FIELDS) + 1):
        try:
            return GraphConfig.from_dict(data), errors
        except ConfigError as exc:
            name = form_field(exc.field)
            if name not in FIELD_BY_NAME:
                raise
            if FIELD_BY_NAME[name].step in steps or name in reset:
                errors.setdefault(name, error_message(exc, name))
            if name in reset:
                return None, errors
            reset.add(name)
            head, _, rest = name.partition(".")
            _set(data, name, copy.deepcopy(defaults[head][rest] if rest else defaults[head]))
    return None, errors


def config_from_values(values: Mapping[str, Any]) -> GraphConfig:
    """The valid config the form describes; ConfigError naming the first bad form field otherwise."""
    config, errors = graph_errors(values, range(1, DESTINATION_STEP))
    if errors or config is None:
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
    graph: GraphConfig,
    databricks_configured: bool,
    now: _dt.datetime | None = None,
) -> tuple[Target | None, dict[str, str]]:
    """Validate step 5 with the engine's checks; return (target or None, {form field: message})."""
    now = now or _dt.datetime.now(_dt.timezone.utc)
    errors: dict[str, str] = {}
    overwrite = bool(values.get("overwrite"))
    purpose = values.get("purpose")
    try:
        prefix = names.table_prefix(purpose, graph.households, now)
    except ConfigError as exc:
        errors["purpose"] = error_message(exc, "purpose")
        prefix = ""
    kind = values.get("destination")
    if kind == UNITY_CATALOG:
        if not databricks_configured:
            errors["destination"] = "Unity Catalog needs a Databricks workspace: set DATABRICKS_HOST (a Databricks App has it) and IDGRAPH_VOLUME."
            return None, errors
        for name in ("catalog", "schema"):
            try:
                names.validate_identifier(name, values.get(name))
            except ConfigError as exc:
                errors[name] = error_message(exc, name)
        if errors:
            return None, errors
        job = JobConfig.build(graph, values["catalog"], values["schema"], purpose=purpose, overwrite=overwrite, now=now)
        return Target(UNITY_CATALOG, job.destination.schema_name, "table", overwrite, job.prefix, job.table_names(), job), errors
    if kind != LOCAL:
        errors["destination"] = f"Got {kind!r}; expected one of {[LOCAL, UNITY_CATALOG]}."
        return None, errors
    folder = values.get("folder")
    if not isinstance(folder, str) or not folder.strip():
        errors["folder"] = "Expected a folder path (it is created if missing)."
    if errors:
        return None, errors
    out = str(Path(folder.strip()).expanduser().absolute() / prefix)
    try:
        # The sink's own checks: format, existing output without overwrite, writable parent.
        sink = make_sink(out, values.get("format"), overwrite)
        sink.prepare()
        sink.abort()
    except ConfigError as exc:
        name = {"out": "folder", "format": "format"}.get(exc.field, "folder")
        errors[name] = error_message(exc, exc.field)
        return None, errors
    return Target(LOCAL, out, values["format"], overwrite, prefix, {t: str(Path(out) / t) for t in TABLES}), errors


# ---- whole steps ---------------------------------------------------------------------------
def step_errors(step: int, values: Mapping[str, Any], databricks_configured: bool = False) -> dict[str, str]:
    """Errors of every field on steps 1..`step`, keyed by form field (empty = the step is valid)."""
    graph, errors = graph_errors(values, range(1, min(step, DESTINATION_STEP - 1) + 1))
    errors = {name: message for name, message in errors.items() if FIELD_BY_NAME[name].step <= step}
    if step >= DESTINATION_STEP and graph is not None and not errors:
        errors.update(destination_errors(values, graph, databricks_configured)[1])
    return errors


def first_invalid_step(errors: Mapping[str, str]) -> int | None:
    """The earliest step with an error (where the user has to go back to)."""
    return min((FIELD_BY_NAME[name].step for name in errors), default=None)


def expected_table(values: Mapping[str, Any]) -> tuple[list[list[Any]], int | None]:
    """Rows [table, expected rows] for the live preview and the total; empty while any config field is invalid."""
    config, errors = graph_errors(values, range(1, DESTINATION_STEP))
    if config is None or errors:
        return [], None
    counts = expected_rows(config)
    return [[table, f"{rows:,}"] for table, rows in counts.items()], sum(counts.values())


def values_from_config_json(text: str, current: Mapping[str, Any]) -> tuple[dict[str, Any], str | None]:
    """Form values from an uploaded config: a GraphConfig JSON or a JobConfig JSON {graph, destination}.

    Known fields are copied even when some are invalid, so the form can show each error
    at its field; returns (values, None) or (unchanged values, message) when the file is
    not a config at all.
    """
    import json

    try:
        data = json.loads(text)
    except (TypeError, ValueError) as exc:
        return dict(current), f"Not a JSON file ({exc})."
    if not isinstance(data, dict):
        return dict(current), "Expected a JSON object of config fields."
    values = dict(current)
    if set(data) == {"graph", "destination"} and isinstance(data["graph"], dict):
        dest = data["destination"] if isinstance(data["destination"], dict) else {}
        for key in ("catalog", "schema", "purpose", "overwrite"):
            if key in dest:
                values[key] = dest[key]
        values["destination"] = UNITY_CATALOG
        data = data["graph"]
    known = _default_data()
    unknown = sorted(set(data) - set(known))
    if unknown:
        return dict(current), f"{unknown[0]}: not a config field; expected fields from {sorted(known)}."
    for f in CONFIG_FIELDS:
        head, _, rest = f.name.partition(".")
        if head not in data:
            continue
        value = data[head].get(rest) if rest and isinstance(data[head], dict) else data[head]
        values[f.name] = format_weights(value) if f.kind == "weights" and isinstance(value, dict) else value
    values["preset"] = preset_for(values.get("households"))
    return values, None
