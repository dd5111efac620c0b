"""The generator's configuration: one typed, validated object that round-trips through JSON.

Every number the generators use comes from here, with defaults from the
public sources cited in `docs/realism.md`. `GraphConfig.validate()` runs before any Spark
work and raises `ConfigError` naming the field, the bad value and what would be valid.
"""

from __future__ import annotations

import dataclasses
import difflib
import datetime as _dt
import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from .errors import ConfigError, got_text

# Largest household size the key layout holds: individual_id = household_id * 8 + slot.
MAX_HOUSEHOLD_SIZE = 8
# Largest identifiers per person: mapping_id = individual_id * 16 + index.
MAX_IDENTIFIERS = 15
# Largest events / exposures per person: event_id = individual_id * 256 + index, and so on.
MAX_EVENTS = 255
MAX_EXPOSURES = 63
# Largest cookie ids one browser goes through: mapping_id keeps 3 bits for the generation.
MAX_COOKIE_IDS = 8
# Households above this would overflow the 63-bit event key (8 * 256 * households < 2**63).
MAX_HOUSEHOLDS = 2**40

# Email domains: "reserved" (default) puts every address on example.com, example.net or
# example.org, the second-level names RFC 2606 reserves for documentation, so no generated
# address (or its SHA-256) can match a real person's; "realistic" draws from mimesis's list of
# real mail providers, which looks like production data but can collide with real people.
EMAIL_DOMAIN_MODES = ("reserved", "realistic")
RESERVED_EMAIL_DOMAINS = ("example.com", "example.net", "example.org")

IDENTIFIER_TYPES = ("email_hash", "cookie_id", "mobile_ad_id", "device_id", "ctv_id")
# Identifiers that belong to a household and are seen for several of its members.
SHARED_IDENTIFIER_TYPES = ("ctv_id",)
# Types a noisy wrong-person link can copy: personal probabilistic identifiers only.
NOISE_IDENTIFIER_TYPES = ("cookie_id", "mobile_ad_id", "device_id")


@dataclass(frozen=True)
class CountDistribution:
    """A heavy-tailed count on [minimum, maximum]: P(n) ~ (n - minimum + 1) ** -exponent.

    Drawn in SQL by the finite-N inverse CDF of a truncated Pareto (see `sql/README.md`),
    so the exact probabilities are known and the profile can compare against them.
    """

    minimum: int
    maximum: int
    exponent: float

    def pmf(self) -> dict[int, float]:
        """Exact probability of each count, as the SQL draw produces it."""
        return {self.minimum + k - 1: p for k, p in enumerate(power_law_pmf(self.maximum - self.minimum + 1, self.exponent), start=1)}

    def mean(self) -> float:
        return sum(n * p for n, p in self.pmf().items())


def power_law_cdf_point(x: float, size: int, exponent: float) -> float:
    """CDF of the continuous power law x ** -exponent truncated to [1, size + 1), at x."""
    if exponent == 1.0:
        return math.log(x) / math.log(size + 1)
    return (1.0 - x ** (1.0 - exponent)) / (1.0 - (size + 1) ** (1.0 - exponent))


def power_law_pmf(size: int, exponent: float) -> list[float]:
    """P(rank = k) for k in 1..size when rank = floor(x) of the truncated continuous law."""
    return [power_law_cdf_point(k + 1, size, exponent) - power_law_cdf_point(k, size, exponent) for k in range(1, size + 1)]


# The default category weights and their sources: data, apart from code.
_WEIGHTS_FILE: dict[str, Any] = json.loads((Path(__file__).parent / "data" / "weights.json").read_text(encoding="utf-8"))


def _default_weights(name: str) -> dict[str, float]:
    """A default weights table from engine/data/weights.json, where each carries its source."""
    return dict(_WEIGHTS_FILE[name]["weights"])


# ---- field metadata: labels, help, units and bounds, read by validation and the launch form ----
@dataclass(frozen=True)
class FieldSpec:
    """What one config field is: its label and help for people, its kind and bounds for checks.

    kind: int | optional_int | number | date | choice (one of `allowed`) | weights | counts (a
    CountDistribution, whose minimum and maximum take [low, high] and whose exponent takes [0, 10]).
    A new config field needs one entry in `FIELDS`; validation and the form read it from there.
    """

    label: str
    kind: str
    help: str = ""
    low: float | None = None
    high: float | None = None
    unit: str = ""
    # A number must be above `low` rather than at least `low`.
    strict_low: bool = False
    # Choice: the values allowed; weights: the only keys allowed, and keys that need a positive weight.
    allowed: tuple[str, ...] | None = None
    required: tuple[str, ...] = ()
    # What is valid, when the bounds alone do not say it readably.
    valid: str = ""


_WEIGHTS_HELP = "category: weight pairs, comma separated; weights sum to 1"
# Households: a round bound people can read, under the key layout's 2**40 (MAX_HOUSEHOLDS).
HOUSEHOLDS_LIMIT = 10**12

FIELDS: dict[str, FieldSpec] = {
    "seed": FieldSpec("Seed", "int", "same seed + same settings = the same tables, on any machine", -(2**63), 2**63 - 1, valid="a whole number between about -9.2 and 9.2 quintillion (64-bit)"),
    "households": FieldSpec("Households", "int", "rows of the households table; everything else scales with it", 1, HOUSEHOLDS_LIMIT, unit="households"),
    "partitions": FieldSpec("Spark partitions", "optional_int", "leave empty for automatic; never changes the data", 1, 100_000),
    "start_date": FieldSpec("Window start", "date", "first day any event can happen", unit="YYYY-MM-DD"),
    "end_date": FieldSpec("Window end", "date", "last day any event can happen", unit="YYYY-MM-DD"),
    "household_size_weights": FieldSpec(
        "Household size weights", "weights", "share of households with 1..8 adults (every member is an adult; default: an assumption fitted to Census figures, docs/realism.md)",
        unit="people: weight", allowed=tuple(str(n) for n in range(1, MAX_HOUSEHOLD_SIZE + 1)),
    ),
    "income_weights": FieldSpec("Income bracket weights", "weights", _WEIGHTS_HELP),
    "age_mean": FieldSpec("Age mean", "number", "adult age ~ Normal(mean, sd), truncated to [youngest, oldest]", 0, 120, unit="years"),
    "age_sd": FieldSpec("Age standard deviation", "number", "spread of adult ages", 0, 100, unit="years", strict_low=True),
    "age_min": FieldSpec("Youngest age", "int", "no age below this (the normal is truncated, not clipped)", 0, 120, unit="years"),
    "age_max": FieldSpec("Oldest age", "int", "no age above this (the normal is truncated, not clipped)", 0, 120, unit="years"),
    "gender_weights": FieldSpec("Gender weights", "weights", _WEIGHTS_HELP),
    "education_weights": FieldSpec("Education weights", "weights", "default: ACS 2022 attainment, adults 25+"),
    "shared_surname_rate": FieldSpec("Shared surname rate", "number", "share of a household's members who carry its surname", 0, 1, unit="0-1"),
    "email_domains": FieldSpec(
        "Email domains", "choice", "reserved: example.com/.net/.org (RFC 2606), safe to share; realistic: real providers' domains, "
        "whose addresses and hashes can match real people's", allowed=EMAIL_DOMAIN_MODES,
    ),
    "identifiers": FieldSpec("Identifiers per person", "counts", "identifiers a person is seen through (email, cookies, devices)", 1, MAX_IDENTIFIERS, unit="identifiers per person"),
    "identifier_type_weights": FieldSpec(
        "Identifier type weights", "weights", "email_hash (each person's primary, confidence 1.0) plus cookie_id, mobile_ad_id, device_id, ctv_id",
        allowed=IDENTIFIER_TYPES, required=("email_hash",),
    ),
    "confidence_min": FieldSpec("Confidence: lowest", "number", "probabilistic identifiers get a confidence in [lowest, highest]", 0, 1, unit="0-1"),
    "confidence_max": FieldSpec("Confidence: highest", "number", "email_hash identifiers always have 1.0", 0, 1, unit="0-1"),
    "cookie_ids": FieldSpec("Cookie ids per browser", "counts", "cookie ids one browser goes through in the window", 1, MAX_COOKIE_IDS, unit="cookie ids per browser"),
    "connected_tv_household_rate": FieldSpec("Connected-TV household rate", "number", "share of households with a connected TV", 0, 1, unit="0-1"),
    "mobile_ad_id_opt_out_rate": FieldSpec("Mobile ad id opt-out rate", "number", "share of people without a mobile ad id", 0, 1, unit="0-1"),
    "noise_rate": FieldSpec("Noise rate", "number", "share of probabilistic identifiers also linked to a wrong person", 0, 1, unit="0-1"),
    "noise_same_household_rate": FieldSpec("Noise within the household", "number", "share of wrong links that go to a member of the same household", 0, 1, unit="0-1"),
    "noise_confidence_min": FieldSpec("Noise confidence: lowest", "number", "confidence of wrong links, lowest", 0, 1, unit="0-1"),
    "noise_confidence_max": FieldSpec("Noise confidence: highest", "number", "confidence of wrong links, highest", 0, 1, unit="0-1"),
    "content_items": FieldSpec("Content items", "int", "rows of content_catalog", 1, 100_000_000),
    "content_zipf_exponent": FieldSpec("Content popularity exponent (Zipf)", "number", "0 = all items equally popular; higher = more concentrated (a floored power law, not exactly Zipf)", 0, 5),
    "content_category_weights": FieldSpec("Content category weights", "weights", _WEIGHTS_HELP),
    "events": FieldSpec("Engagement events per person", "counts", "content engagement events of a person", 0, MAX_EVENTS, unit="events per person"),
    "engagement_type_weights": FieldSpec("Engagement type weights", "weights", _WEIGHTS_HELP),
    "complete_watch_share": FieldSpec("Complete view: share watched", "number", "a 'complete' event watched at least this share of the item; the others less", 0, 1, unit="0-1", strict_low=True),
    "campaigns": FieldSpec("Campaigns", "int", "rows of the campaigns table", 1, 10_000_000),
    "campaign_channel_weights": FieldSpec("Campaign channel weights", "weights", _WEIGHTS_HELP),
    "campaign_min_days": FieldSpec("Shortest campaign", "int", "campaign length is drawn between shortest and longest", 1, 3650, unit="days"),
    "campaign_max_days": FieldSpec("Longest campaign", "int", "must fit inside the time window", 1, 3650, unit="days"),
    "exposures": FieldSpec("Ad exposures per person", "counts", "ad exposures of a person", 0, MAX_EXPOSURES, unit="exposures per person"),
    "response_rate": FieldSpec("Response rate", "number", "share of exposures that get a response", 0, 1, unit="0-1"),
    "response_type_weights": FieldSpec("Response type weights", "weights", _WEIGHTS_HELP),
    "attribution_window_days": FieldSpec("Attribution window", "int", "a response happens within this many days of its exposure", 1, 365, unit="days"),
}
# Pairs (lower, upper) where lower must be at most upper; count distributions add their own.
ORDERED_PAIRS = (
    ("age_min", "age_max"),
    ("confidence_min", "confidence_max"),
    ("noise_confidence_min", "noise_confidence_max"),
    ("campaign_min_days", "campaign_max_days"),
)
# Tail exponent bounds of every count distribution.
EXPONENT_RANGE = (0, 10)


@dataclass(frozen=True)
class GraphConfig:
    """Everything that decides the generated graph; same config + seed = same tables."""

    seed: int = 42
    households: int = 10_000
    partitions: int | None = None
    # Fixed time window: nothing depends on the wall clock.
    start_date: str = "2023-01-01"
    end_date: str = "2025-12-31"
    household_size_weights: Mapping[str, float] = field(default_factory=lambda: _default_weights("household_size_weights"))
    income_weights: Mapping[str, float] = field(default_factory=lambda: _default_weights("income_weights"))
    age_mean: float = 45.0
    age_sd: float = 15.0
    age_min: int = 18
    age_max: int = 85
    gender_weights: Mapping[str, float] = field(default_factory=lambda: _default_weights("gender_weights"))
    education_weights: Mapping[str, float] = field(default_factory=lambda: _default_weights("education_weights"))
    # Share of a household's members who carry the household's surname.
    shared_surname_rate: float = 0.8
    # Where emails live: "reserved" (RFC 2606 example.* domains, safe to share) or
    # "realistic" (real providers' domains; see EMAIL_DOMAIN_MODES and docs/realism.md).
    email_domains: str = "reserved"
    identifiers: CountDistribution = field(default_factory=lambda: CountDistribution(2, 15, 2.3))
    identifier_type_weights: Mapping[str, float] = field(default_factory=lambda: _default_weights("identifier_type_weights"))
    confidence_min: float = 0.70
    confidence_max: float = 0.95
    # Cookie ids one browser (a cookie_id identifier) goes through in the window; P(>= 2) = 0.31,
    # comScore 2007: 31% of US users deleted their first-party cookies within a month.
    cookie_ids: CountDistribution = field(default_factory=lambda: CountDistribution(1, MAX_COOKIE_IDS, 2.6))
    # Households with a connected TV: Leichtman Research Group 2020, 80% of US TV households.
    connected_tv_household_rate: float = 0.80
    # People without a mobile ad id (iOS users not opting in to tracking), see docs/realism.md.
    mobile_ad_id_opt_out_rate: float = 0.35
    # Optional noise: share of personal probabilistic identifiers also linked to a wrong person.
    noise_rate: float = 0.0
    # Of the wrong links, the share that goes to another member of the owner's household.
    noise_same_household_rate: float = 0.8
    noise_confidence_min: float = 0.50
    noise_confidence_max: float = 0.80
    content_items: int = 10_000
    content_zipf_exponent: float = 1.0
    content_category_weights: Mapping[str, float] = field(default_factory=lambda: _default_weights("content_category_weights"))
    events: CountDistribution = field(default_factory=lambda: CountDistribution(0, 255, 2.0))
    engagement_type_weights: Mapping[str, float] = field(default_factory=lambda: _default_weights("engagement_type_weights"))
    # A 'complete' event watched at least this share of the item; the other types watched less.
    complete_watch_share: float = 0.95
    campaigns: int = 100
    campaign_channel_weights: Mapping[str, float] = field(default_factory=lambda: _default_weights("campaign_channel_weights"))
    campaign_min_days: int = 7
    campaign_max_days: int = 90
    exposures: CountDistribution = field(default_factory=lambda: CountDistribution(0, 63, 2.2))
    response_rate: float = 0.15
    response_type_weights: Mapping[str, float] = field(default_factory=lambda: _default_weights("response_type_weights"))
    attribution_window_days: int = 7

    # ---- JSON -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (count distributions as nested objects)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, CountDistribution):
                value = dataclasses.asdict(value)
            elif isinstance(value, Mapping):
                value = dict(value)
            out[f.name] = value
        return out

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "GraphConfig":
        """Build and validate a config; unknown keys are refused by name."""
        return cls.unchecked(data).validate()

    @classmethod
    def unchecked(cls, data: Mapping[str, Any]) -> "GraphConfig":
        """A config of these fields, not yet validated (`errors()` lists what is wrong with it)."""
        if not isinstance(data, Mapping):
            raise ConfigError("config", data, "a JSON object of config fields")
        unknown = sorted(set(data) - set(FIELDS))
        if unknown:
            near = difflib.get_close_matches(unknown[0], list(FIELDS), n=1)
            raise ConfigError(unknown[0], data[unknown[0]], "one of the config fields" + (f" (did you mean {near[0]!r}?)" if near else ""))
        kwargs = {name: _count_distribution(name, value) if FIELDS[name].kind == "counts" else value for name, value in data.items()}
        return cls(**kwargs)

    @classmethod
    def from_json(cls, text: str) -> "GraphConfig":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError("config", text[:80], f"valid JSON ({exc})") from None
        return cls.from_dict(data)

    def replace(self, **changes: Any) -> "GraphConfig":
        """A validated copy with some fields changed."""
        merged = self.to_dict()
        for name, value in changes.items():
            merged[name] = dataclasses.asdict(value) if isinstance(value, CountDistribution) else value
        return GraphConfig.from_dict(merged)

    def config_hash(self) -> str:
        """Stable hash of what decides the data (partitions excluded: they never change it)."""
        data = self.to_dict()
        data.pop("partitions")
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]

    # ---- validation -------------------------------------------------------------------
    def validate(self) -> "GraphConfig":
        """Raise ConfigError on the first invalid field; return self when all are valid."""
        problems = self.errors()
        if problems:
            raise problems[0]
        return self

    def errors(self) -> list[ConfigError]:
        """Every problem of this config at once, in field order (empty = valid).

        Each field is checked against its `FIELDS` spec (one error per field); then the
        rules between fields, skipped where one of their fields is already wrong.
        """
        found: dict[str, ConfigError] = {}
        for f in dataclasses.fields(self):
            try:
                _check(f.name, FIELDS[f.name], getattr(self, f.name))
            except ConfigError as exc:
                found[f.name] = exc
        for involved, rule in RULES:
            if any(name in found for name in involved):
                continue
            try:
                rule(self)
            except ConfigError as exc:
                found.setdefault(config_field(exc.field), exc)
        order = [f.name for f in dataclasses.fields(self)]
        return sorted(found.values(), key=lambda exc: order.index(config_field(exc.field)))

    # ---- derived values used by the SQL --------------------------------------------------
    @property
    def start_epoch(self) -> int:
        """Window start as Unix seconds (UTC midnight)."""
        return _epoch(self.start_date)

    @property
    def end_epoch(self) -> int:
        """Window end as Unix seconds: the last second of end_date (UTC)."""
        return _epoch(self.end_date) + 86_399

    def probabilistic_type_weights(self) -> dict[str, float]:
        """Type weights of the non-primary identifiers (email_hash is each person's primary)."""
        rest = {k: v for k, v in self.identifier_type_weights.items() if k != "email_hash"}
        total = sum(rest.values())
        return {k: v / total for k, v in rest.items()}

    @property
    def ctv_slot_rate(self) -> float:
        """Chance that a person's last identifier slot is the household CTV id (if it has a connected TV).

        A person has the shared CTV id at most once, in their last slot; this rate makes CTV
        ids their configured share of the non-primary identifiers, w * E[n - 1] / P(n >= 2)
        (capped at 1), before the connected-TV household rate thins them.
        """
        weight = self.probabilistic_type_weights().get("ctv_id", 0.0)
        pmf = self.identifiers.pmf()
        with_slots = 1.0 - pmf.get(1, 0.0)
        if weight == 0.0 or with_slots == 0.0:
            return 0.0
        return min(1.0, weight * (self.identifiers.mean() - 1.0) / with_slots)

    def personal_type_weights(self) -> dict[str, float]:
        """Type weights of the personal (not household-shared) identifiers: every non-primary
        slot that is not the household's CTV id draws its type from these."""
        rest = {k: v for k, v in self.probabilistic_type_weights().items() if k not in SHARED_IDENTIFIER_TYPES}
        total = sum(rest.values())
        return {k: v / total for k, v in rest.items()}


# ---- field checks ------------------------------------------------------------------------
@dataclass(frozen=True)
class Unparsed:
    """Text typed for a field that is not a value of its kind; validation reports it as typed."""

    text: str
    expected: str


_NUMBER_WORDS = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"))
# Whole numbers as people type them: 1234567 or 1,234,567.
_WHOLE = re.compile(r"[+-]?(\d+|\d{1,3}(,\d{3})+)")
_WEIGHTS_EXPECTED = "category: weight pairs separated by commas, e.g. 'a: 0.6, b: 0.4'"


def config_field(name: str) -> str:
    """The top-level field an error names: "income_weights['<30K']" or "identifiers.minimum" -> its field."""
    return name.split("[", 1)[0].split(".", 1)[0]


def readable(number: float) -> str:
    """A bound people can read: 1000000000000 -> "1 trillion", 100000 -> "100,000", 0.5 -> "0.5"."""
    if isinstance(number, int) or float(number).is_integer():
        whole = int(number)
        for size, word in _NUMBER_WORDS:
            if abs(whole) >= size and whole % size == 0:
                return f"{whole // size:,} {word}"
        return f"{whole:,}"
    return f"{number:g}"


def field_spec(name: str) -> FieldSpec:
    """The spec of a field, or of one part of a count distribution ("identifiers.minimum")."""
    head, _, part = name.partition(".")
    spec = FIELDS[head]
    if not part:
        return spec
    if part == "exponent":
        return FieldSpec(f"{spec.label}: tail exponent", "number", "heavy tail P(n) ~ (n - min + 1)^-exponent; larger = fewer big counts", *EXPONENT_RANGE)
    if part not in ("minimum", "maximum"):
        raise KeyError(name)
    return FieldSpec(f"{spec.label}: {part}", "int", f"{'fewest' if part == 'minimum' else 'most'} {spec.unit}", spec.low, spec.high)


def expected_text(spec: FieldSpec) -> str:
    """What a value of this field must be, in words (with readable bounds)."""
    if spec.valid:
        return spec.valid
    unit = f" {spec.unit}" if spec.unit and spec.unit != "0-1" else ""
    if spec.kind in ("int", "optional_int"):
        text = f"a whole number from {readable(spec.low)} to {readable(spec.high)}{unit}"
        return f"empty (automatic) or {text}" if spec.kind == "optional_int" else text
    if spec.kind == "number":
        return f"a number {'above' if spec.strict_low else 'from'} {readable(spec.low)} to {readable(spec.high)}{unit}"
    if spec.kind == "date":
        return "a date as YYYY-MM-DD"
    if spec.kind == "weights":
        return _WEIGHTS_EXPECTED
    if spec.kind == "choice":
        return f"one of {list(spec.allowed or ())}"
    return "an object {minimum, maximum, exponent}"


def parse_text(name: str, text: Any) -> Any:
    """A form's text for field `name` as its value: None when empty, `Unparsed` when not of its kind.

    Nothing is rounded or stripped into shape: "1.5" or "abc12" for a whole number stay as
    typed (an `Unparsed`), so `GraphConfig.errors()` reports them next to the field.
    """
    spec = field_spec(name)
    if not isinstance(text, str):
        return text
    typed = text.strip()
    if not typed:
        return None
    if spec.kind in ("int", "optional_int"):
        return int(typed.replace(",", "")) if _WHOLE.fullmatch(typed) else Unparsed(text, expected_text(spec))
    if spec.kind == "number":
        try:
            return float(typed)
        except ValueError:
            return Unparsed(text, expected_text(spec))
    if spec.kind == "weights":
        return _parse_weights(text)
    return typed


def format_text(name: str, value: Any) -> str:
    """A field's value as the form shows it: "" for None, weights as "a: 0.6, b: 0.4"."""
    if value is None:
        return ""
    if isinstance(value, Unparsed):
        return value.text
    if field_spec(name).kind == "weights" and isinstance(value, Mapping):
        return ", ".join(f"{key}: {weight:g}" for key, weight in value.items())
    return str(value)


def _parse_weights(text: str) -> dict[str, float] | Unparsed:
    weights: dict[str, float] = {}
    for pair in re.split(r"[,\n]", text):
        if not pair.strip():
            continue
        key, sep, value = pair.rpartition(":")
        try:
            weights[key.strip()] = float(value)
        except ValueError:
            return Unparsed(text, _WEIGHTS_EXPECTED)
        if not sep:
            return Unparsed(text, _WEIGHTS_EXPECTED)
    return weights


def label(name: str) -> str:
    """A field's label for people; sub-keys are kept ("Income bracket weights ['<30K']")."""
    head, bracket, rest = name.partition("[")
    try:
        return field_spec(head).label + (f" [{rest}" if bracket else "")
    except KeyError:
        return name


def _field_names_pattern() -> re.Pattern[str]:
    # Only snake_case or dotted names: one-word names ("households") read as plain words.
    every = {*FIELDS, *(f"{n}.{p}" for n, s in FIELDS.items() if s.kind == "counts" for p in ("minimum", "maximum", "exponent"))}
    names = sorted((n for n in every if "_" in n or "." in n), key=len, reverse=True)
    return re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")\b")


def describe(error: ConfigError, with_label: bool = True) -> str:
    """An error in people's words: the field's label, "empty" for nothing typed, other fields by label."""
    expected = _field_names_pattern().sub(lambda m: label(m.group(1)), error.expected)
    got = "" if isinstance(error.value, (Mapping, list)) else got_text(error.value) + "; "
    text = f"{got}expected {expected}"
    text = text if text.endswith(".") else text + "."
    return f"{label(error.field)}: {text}" if with_label else text[0].upper() + text[1:]


def _check(name: str, spec: FieldSpec, value: Any) -> None:
    """Raise ConfigError when `value` is not valid for `spec`."""
    if isinstance(value, Unparsed):
        raise ConfigError(name, value.text, value.expected)
    if spec.kind == "optional_int" and value is None:
        return
    if spec.kind in ("int", "optional_int"):
        if isinstance(value, bool) or not isinstance(value, int) or not spec.low <= value <= spec.high:
            raise ConfigError(name, value, expected_text(spec))
    elif spec.kind == "number":
        ok = not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
        if not ok or value > spec.high or value < spec.low or (spec.strict_low and value == spec.low):
            raise ConfigError(name, value, expected_text(spec))
    elif spec.kind == "date":
        _date(name, value)
    elif spec.kind == "choice":
        if value not in (spec.allowed or ()):
            raise ConfigError(name, value, expected_text(spec))
    elif spec.kind == "weights":
        _weights(name, value, list(spec.allowed) if spec.allowed is not None else None, list(spec.required))
    elif spec.kind == "counts":
        _counts(name, value)
    else:
        raise ValueError(f"unknown field kind {spec.kind!r} of {name}")


def _date(name: str, value: Any) -> _dt.date:
    try:
        return _dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ConfigError(name, value, "a date as YYYY-MM-DD") from None


def _epoch(value: str) -> int:
    return int(_dt.datetime.combine(_dt.date.fromisoformat(value), _dt.time(), _dt.timezone.utc).timestamp())


def _weights(name: str, value: Any, allowed: list[str] | None = None, required: list[str] = ()) -> None:
    if not isinstance(value, Mapping) or not value:
        raise ConfigError(name, value, "a non-empty mapping of category to weight")
    for key, weight in value.items():
        if allowed is not None and key not in allowed:
            raise ConfigError(f"{name}[{key!r}]", weight, f"a key from {allowed}")
        if not isinstance(key, str) or not key or "'" in key or "\\" in key:
            raise ConfigError(name, key, "category names as non-empty text without quotes or backslashes")
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not math.isfinite(weight) or weight < 0:
            raise ConfigError(f"{name}[{key!r}]", weight, "a weight of 0 or more")
    for key in required:
        if key not in value or value[key] <= 0:
            raise ConfigError(name, dict(value), f"a positive weight for {key!r}")
    total = sum(value.values())
    if abs(total - 1.0) > 1e-6:
        raise ConfigError(name, dict(value), f"weights that sum to 1 (these sum to {total:.6g})")


def _counts(name: str, value: Any) -> None:
    if not isinstance(value, CountDistribution):
        raise ConfigError(name, value, "an object {minimum, maximum, exponent}")
    for part in ("minimum", "maximum", "exponent"):
        _check(f"{name}.{part}", field_spec(f"{name}.{part}"), getattr(value, part))
    if value.minimum > value.maximum:
        raise ConfigError(f"{name}.minimum", value.minimum, f"at most {name}.maximum ({value.maximum})")


# ---- rules between fields: (the fields a rule reads, the check) ---------------------------
def _window_order(c: GraphConfig) -> None:
    if _dt.date.fromisoformat(c.end_date) <= _dt.date.fromisoformat(c.start_date):
        raise ConfigError("end_date", c.end_date, f"a date after start_date ({c.start_date})")


def _ordered(low: str, high: str) -> Callable[[GraphConfig], None]:
    def check(c: GraphConfig) -> None:
        if getattr(c, low) > getattr(c, high):
            raise ConfigError(low, getattr(c, low), f"at most {high} ({getattr(c, high)})")

    return check


def _identifier_types(c: GraphConfig) -> None:
    weights = c.identifier_type_weights
    if len(weights) < 2:
        raise ConfigError("identifier_type_weights", dict(weights), "email_hash and at least one probabilistic type")
    if not any(w > 0 for t, w in weights.items() if t != "email_hash" and t not in SHARED_IDENTIFIER_TYPES):
        raise ConfigError("identifier_type_weights", dict(weights), "a positive weight for a personal type (cookie_id, mobile_ad_id or device_id)")


def _campaigns_fit_window(c: GraphConfig) -> None:
    days = (_dt.date.fromisoformat(c.end_date) - _dt.date.fromisoformat(c.start_date)).days
    if days > 0 and c.campaign_max_days >= days:
        raise ConfigError("campaign_max_days", c.campaign_max_days, f"fewer days than the window {c.start_date}..{c.end_date} ({days})")


RULES: tuple[tuple[tuple[str, ...], Callable[[GraphConfig], None]], ...] = (
    (("start_date", "end_date"), _window_order),
    *(((low, high), _ordered(low, high)) for low, high in ORDERED_PAIRS),
    (("identifier_type_weights",), _identifier_types),
    (("start_date", "end_date", "campaign_max_days"), _campaigns_fit_window),
)


def _count_distribution(name: str, value: Any) -> CountDistribution:
    if isinstance(value, CountDistribution):
        return value
    if not isinstance(value, Mapping) or set(value) != {"minimum", "maximum", "exponent"}:
        raise ConfigError(name, value, "an object with exactly minimum, maximum and exponent")
    return CountDistribution(**value)
