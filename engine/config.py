"""The generator's configuration: one typed, validated object that round-trips through JSON.

Every number the generators use comes from here, with defaults from SPEC.md and the
public sources cited in `docs/realism.md`. `GraphConfig.validate()` runs before any Spark
work and raises `ConfigError` naming the field, the bad value and what would be valid.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any, Mapping

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

IDENTIFIER_TYPES = ("email_hash", "cookie_id", "mobile_ad_id", "device_id", "ctv_id")
# Identifiers that belong to a household and are seen for several of its members.
SHARED_IDENTIFIER_TYPES = ("ctv_id",)
# Types a noisy wrong-person link can copy: personal probabilistic identifiers only.
NOISE_IDENTIFIER_TYPES = ("cookie_id", "mobile_ad_id", "device_id")


class ConfigError(ValueError):
    """A configuration value is invalid; names the field, the bad value and what is valid."""

    def __init__(self, field: str, value: Any, expected: str) -> None:
        self.field = field
        self.value = value
        self.expected = expected
        super().__init__(f"{field}: got {value!r}; expected {expected}")


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


def _census_household_sizes() -> dict[str, float]:
    # US Census CPS 2023, table HH-4 (households by size), 7+ split over 7 and 8.
    return {"1": 0.289, "2": 0.349, "3": 0.151, "4": 0.124, "5": 0.057, "6": 0.020, "7": 0.007, "8": 0.003}


@dataclass(frozen=True)
class GraphConfig:
    """Everything that decides the generated graph; same config + seed = same tables."""

    seed: int = 42
    households: int = 10_000
    partitions: int | None = None
    # Fixed time window: nothing depends on the wall clock.
    start_date: str = "2023-01-01"
    end_date: str = "2025-12-31"
    household_size_weights: Mapping[str, float] = field(default_factory=_census_household_sizes)
    income_weights: Mapping[str, float] = field(default_factory=lambda: {"<30K": 0.25, "30-60K": 0.35, "60-100K": 0.25, "100K+": 0.15})
    age_mean: float = 45.0
    age_sd: float = 15.0
    age_min: int = 18
    age_max: int = 85
    gender_weights: Mapping[str, float] = field(default_factory=lambda: {"female": 0.51, "male": 0.48, "nonbinary": 0.01})
    # ACS 2022 educational attainment, adults 25+.
    education_weights: Mapping[str, float] = field(
        default_factory=lambda: {"less_than_high_school": 0.09, "high_school": 0.28, "some_college": 0.25, "bachelors": 0.23, "graduate": 0.15}
    )
    # Share of a household's members who carry the household's surname.
    shared_surname_rate: float = 0.8
    identifiers: CountDistribution = field(default_factory=lambda: CountDistribution(2, 15, 2.3))
    identifier_type_weights: Mapping[str, float] = field(
        default_factory=lambda: {"email_hash": 0.30, "cookie_id": 0.25, "mobile_ad_id": 0.25, "device_id": 0.15, "ctv_id": 0.05}
    )
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
    content_category_weights: Mapping[str, float] = field(
        default_factory=lambda: {"news": 0.20, "sports": 0.15, "entertainment": 0.25, "lifestyle": 0.15, "education": 0.10, "kids": 0.15}
    )
    events: CountDistribution = field(default_factory=lambda: CountDistribution(0, 255, 2.0))
    engagement_type_weights: Mapping[str, float] = field(default_factory=lambda: {"view": 0.60, "like": 0.15, "share": 0.05, "complete": 0.20})
    campaigns: int = 100
    campaign_channel_weights: Mapping[str, float] = field(
        default_factory=lambda: {"display": 0.35, "video": 0.25, "ctv": 0.15, "social": 0.15, "search": 0.10}
    )
    campaign_min_days: int = 7
    campaign_max_days: int = 90
    exposures: CountDistribution = field(default_factory=lambda: CountDistribution(0, 63, 2.2))
    response_rate: float = 0.15
    response_type_weights: Mapping[str, float] = field(default_factory=lambda: {"conversion": 0.05, "click": 0.20, "view": 0.75})
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
        if not isinstance(data, Mapping):
            raise ConfigError("config", data, "a JSON object of config fields")
        known = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ConfigError(unknown[0], data[unknown[0]], f"one of the config fields {sorted(known)}")
        kwargs: dict[str, Any] = {}
        for name, value in data.items():
            if isinstance(getattr(cls(), name), CountDistribution):
                value = _count_distribution(name, value)
            kwargs[name] = value
        config = cls(**kwargs)
        config.validate()
        return config

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
        _integer("seed", self.seed, -(2**63), 2**63 - 1)
        _integer("households", self.households, 1, MAX_HOUSEHOLDS)
        if self.partitions is not None:
            _integer("partitions", self.partitions, 1, 100_000)
        start = _date("start_date", self.start_date)
        end = _date("end_date", self.end_date)
        if end <= start:
            raise ConfigError("end_date", self.end_date, f"a date after start_date ({self.start_date})")
        _weights("household_size_weights", self.household_size_weights, allowed=[str(n) for n in range(1, MAX_HOUSEHOLD_SIZE + 1)])
        _weights("income_weights", self.income_weights)
        _number("age_mean", self.age_mean, 0, 120)
        _number("age_sd", self.age_sd, 0, 100, strict_low=True)
        _integer("age_min", self.age_min, 0, 120)
        _integer("age_max", self.age_max, 0, 120)
        if self.age_min > self.age_max:
            raise ConfigError("age_min", self.age_min, f"at most age_max ({self.age_max})")
        _weights("gender_weights", self.gender_weights)
        _weights("education_weights", self.education_weights)
        _number("shared_surname_rate", self.shared_surname_rate, 0, 1)
        _counts("identifiers", self.identifiers, 1, MAX_IDENTIFIERS)
        _weights("identifier_type_weights", self.identifier_type_weights, allowed=list(IDENTIFIER_TYPES), required=["email_hash"])
        if len(self.identifier_type_weights) < 2:
            raise ConfigError("identifier_type_weights", dict(self.identifier_type_weights), "email_hash and at least one probabilistic type")
        _number("confidence_min", self.confidence_min, 0, 1)
        _number("confidence_max", self.confidence_max, 0, 1)
        if self.confidence_min > self.confidence_max:
            raise ConfigError("confidence_min", self.confidence_min, f"at most confidence_max ({self.confidence_max})")
        if not any(w > 0 for t, w in self.identifier_type_weights.items() if t != "email_hash" and t not in SHARED_IDENTIFIER_TYPES):
            raise ConfigError("identifier_type_weights", dict(self.identifier_type_weights), "a positive weight for a personal type (cookie_id, mobile_ad_id or device_id)")
        _counts("cookie_ids", self.cookie_ids, 1, MAX_COOKIE_IDS)
        _number("connected_tv_household_rate", self.connected_tv_household_rate, 0, 1)
        _number("mobile_ad_id_opt_out_rate", self.mobile_ad_id_opt_out_rate, 0, 1)
        _number("noise_rate", self.noise_rate, 0, 1)
        _number("noise_same_household_rate", self.noise_same_household_rate, 0, 1)
        _number("noise_confidence_min", self.noise_confidence_min, 0, 1)
        _number("noise_confidence_max", self.noise_confidence_max, 0, 1)
        if self.noise_confidence_min > self.noise_confidence_max:
            raise ConfigError("noise_confidence_min", self.noise_confidence_min, f"at most noise_confidence_max ({self.noise_confidence_max})")
        _integer("content_items", self.content_items, 1, 100_000_000)
        _number("content_zipf_exponent", self.content_zipf_exponent, 0, 5)
        _weights("content_category_weights", self.content_category_weights)
        _counts("events", self.events, 0, MAX_EVENTS)
        _weights("engagement_type_weights", self.engagement_type_weights)
        _integer("campaigns", self.campaigns, 1, 10_000_000)
        _weights("campaign_channel_weights", self.campaign_channel_weights)
        _integer("campaign_min_days", self.campaign_min_days, 1, 3650)
        _integer("campaign_max_days", self.campaign_max_days, 1, 3650)
        if self.campaign_min_days > self.campaign_max_days:
            raise ConfigError("campaign_min_days", self.campaign_min_days, f"at most campaign_max_days ({self.campaign_max_days})")
        if self.campaign_max_days >= (end - start).days:
            raise ConfigError("campaign_max_days", self.campaign_max_days, f"fewer days than the window {self.start_date}..{self.end_date} ({(end - start).days})")
        _counts("exposures", self.exposures, 0, MAX_EXPOSURES)
        _number("response_rate", self.response_rate, 0, 1)
        _weights("response_type_weights", self.response_type_weights)
        _integer("attribution_window_days", self.attribution_window_days, 1, 365)
        return self

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
def _integer(name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(name, value, f"a whole number from {low:,} to {high:,}")
    if not low <= value <= high:
        raise ConfigError(name, value, f"a whole number from {low:,} to {high:,}")


def _number(name: str, value: Any, low: float, high: float, strict_low: bool = False) -> None:
    ok = not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
    if not ok or value > high or value < low or (strict_low and value == low):
        bound = f"above {low}" if strict_low else f"from {low}"
        raise ConfigError(name, value, f"a number {bound} to {high}")


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


def _counts(name: str, value: Any, low: int, high: int) -> None:
    if not isinstance(value, CountDistribution):
        raise ConfigError(name, value, "an object {minimum, maximum, exponent}")
    _integer(f"{name}.minimum", value.minimum, low, high)
    _integer(f"{name}.maximum", value.maximum, low, high)
    if value.minimum > value.maximum:
        raise ConfigError(f"{name}.minimum", value.minimum, f"at most {name}.maximum ({value.maximum})")
    _number(f"{name}.exponent", value.exponent, 0, 10)


def _count_distribution(name: str, value: Any) -> CountDistribution:
    if isinstance(value, CountDistribution):
        return value
    if not isinstance(value, Mapping) or set(value) != {"minimum", "maximum", "exponent"}:
        raise ConfigError(name, value, "an object with exactly minimum, maximum and exponent")
    return CountDistribution(**value)
