"""Profile: every configured distribution next to the one in the data, with a distance.

Each metric is a SQL histogram in `sql/profile/<name>.sql` (rows of `value, n`, run on
the written tables) compared with the exact distribution the config promises
(`engine.distributions`): total variation for categories and counts, Kolmogorov–Smirnov
for ordered values (age, confidence, delays, popularity ranks). A metric passes when its
distance is within a tolerance that shrinks with the sample to 0.01 (see `tolerance`) and,
for categories and counts, when no single value's count is further from its expectation
than a binomial test allows (`category_g`): a 0.5% category that vanished fails even
though its total variation is below 0.01. A few metrics are compared given the data they
depend on (`MetricSpec.given`): exposures per person, for one, depend on which campaigns
run after each person joined the graph.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # PySpark is imported where a session is made, so `import engine` works without it
    from pyspark.sql import DataFrame, SparkSession

from . import distributions as dist
from .config import GraphConfig
from .render import SQL_DIR, Renderer

PROFILE_DIR = SQL_DIR / "profile"

# The distance every metric must reach once its sample is large (>= 100K households).
TOLERANCE_AT_SCALE = 0.01
# A perfect generator's TV is its sampling error; allow this many times its expectation.
SAMPLING_MARGIN = 3.0
# Kolmogorov's critical value at the 1% level: sqrt(n) * KS exceeds it with p = 0.01
# for a continuous law (conservative for the discrete ones here).
KS_CRITICAL_1PCT = 1.63
# Per-value binomial test: fail when a value's likelihood-ratio statistic G (chi-square, 1
# degree of freedom) exceeds 25, i.e. its count is about 5 standard deviations off (p ~ 6e-7).
CATEGORY_G_CRITICAL = 25.0
# Above this many support points a metric's stored/plotted distribution is condensed.
_MAX_STORED_POINTS = 300


@dataclass(frozen=True)
class MetricSpec:
    """One profiled distribution: what is counted, how it is compared, what was configured."""

    name: str  # also the SQL file sql/profile/<name>.sql
    title: str
    unit: str  # what each counted row is: households, individuals, ...
    kind: str  # "tv" (total variation) or "ks" (Kolmogorov–Smirnov over integer values)
    # config -> distribution; with `given`, (config, counts of the given query) -> distribution
    configured: Callable[..., Mapping[Any, float]]
    plot: str = "bar"  # "bar", "cdf" or "loglog"
    note: str = ""
    # a query in sql/profile/given/ (rows of value, n) the expected distribution depends on
    given: str = ""


def _counts(field_name: str) -> Callable[[GraphConfig], dict[str, float]]:
    return lambda c: {str(n): p for n, p in getattr(c, field_name).pmf().items()}


def _weights(field_name: str) -> Callable[[GraphConfig], dict[str, float]]:
    return lambda c: dict(getattr(c, field_name))


def _share(yes: str, no: str, rate: float) -> dict[str, float]:
    return {yes: rate, no: 1.0 - rate}


def _servable_exposures(config: GraphConfig, servable: Mapping[str, int]) -> dict[str, float]:
    """Exposures per person: the exposures draws thinned by servable campaigns / campaigns."""
    keep = {int(v) / config.campaigns: n for v, n in servable.items()}
    return {str(k): p for k, p in sorted(dist.thinned_count_pmf(config.exposures.pmf(), keep).items())}


def _shares_of_given(config: GraphConfig, weights: Mapping[str, int]) -> dict[str, float]:
    """Each value's share of the given counts."""
    total = sum(weights.values())
    return {str(v): n / total for v, n in weights.items()} if total else {}


_TYPES_NOTE = (
    "By design each person's first identifier is their email_hash (is_primary, exactly one); "
    "the others follow identifier_type_weights without email_hash, renormalised "
    "(config.probabilistic_type_weights()), thinned by the household CTV rate (the shared CTV id "
    "needs a connected TV) and the mobile ad id opt-out rate (those people show a device id). "
    "Counted per identifier slot: a browser's successive cookie ids count once."
)

METRICS: tuple[MetricSpec, ...] = (
    MetricSpec("household_size", "Household size", "households", "tv", lambda c: dict(c.household_size_weights)),
    MetricSpec("income_bracket", "Income bracket", "households", "tv", _weights("income_weights")),
    MetricSpec(
        "age", "Age (years)", "individuals", "ks",
        lambda c: dist.truncated_normal_pmf(c.age_mean, c.age_sd, c.age_min, c.age_max), plot="cdf",
        note="Normal(age_mean, age_sd) truncated to [age_min, age_max] and rounded to whole years (no pile-up at the bounds).",
    ),
    MetricSpec("gender", "Gender", "individuals", "tv", _weights("gender_weights")),
    MetricSpec("education", "Education", "individuals", "tv", _weights("education_weights")),
    MetricSpec("identifiers_per_person", "Identifiers per person", "individuals", "tv", _counts("identifiers")),
    MetricSpec(
        "primary_identifier_type", "Primary identifier type", "individuals", "tv", lambda c: {"email_hash": 1.0},
        note="Exactly one primary per person, always the email_hash (SHA-256 of the email, confidence 1.0).",
    ),
    MetricSpec(
        "identifier_type", "Identifier types (non-primary)", "identifiers", "tv", dist.identifier_type_mix, note=_TYPES_NOTE,
    ),
    MetricSpec(
        "identifier_type_overall", "Identifier types (all)", "identifiers", "tv", dist.overall_identifier_type_mix,
        note="Configured column = the mix the design implies: email_hash is 1 / E[identifiers per person] of all "
        "identifiers (one per person), not its configured weight. " + _TYPES_NOTE,
    ),
    MetricSpec(
        "confidence", "Confidence of probabilistic identifiers (thousandths)", "identifiers", "ks",
        lambda c: dist.rounded_uniform_pmf(c.confidence_min, c.confidence_max), plot="cdf",
        note="Uniform on [confidence_min, confidence_max], rounded to 3 decimals.",
    ),
    MetricSpec(
        "cookie_ids_per_browser", "Cookie ids per browser (churn)", "browsers", "tv", _counts("cookie_ids"),
        note="Each cookie_id slot goes through this many cookie ids, one after another, over the window.",
    ),
    MetricSpec("connected_tv_households", "Households with a connected TV", "households", "tv", lambda c: _share("connected_tv", "none", c.connected_tv_household_rate)),
    MetricSpec("mobile_ad_id_opt_out", "Mobile ad id opt-out", "individuals", "tv", lambda c: _share("opted_out", "not_opted_out", c.mobile_ad_id_opt_out_rate)),
    MetricSpec(
        "wrong_links", "Wrong-person links (noise)", "personal identifiers", "tv", lambda c: _share("wrong_link", "none", c.noise_rate),
        note="Share of correct cookie, mobile ad id and device mappings also linked to a wrong person (is_correct = false).",
    ),
    MetricSpec(
        "wrong_link_household", "Wrong links within the household", "wrong links", "tv",
        lambda c: _share("same_household", "other_household", dist.same_household_wrong_link_share(c)),
        note="noise_same_household_rate, applied where the owner's household has other members.",
    ),
    MetricSpec(
        "wrong_link_confidence", "Confidence of wrong links (thousandths)", "wrong links", "ks",
        lambda c: dist.rounded_uniform_pmf(c.noise_confidence_min, c.noise_confidence_max), plot="cdf",
    ),
    MetricSpec("events_per_person", "Engagement events per person", "individuals", "tv", _counts("events")),
    MetricSpec("engagement_type", "Engagement type", "events", "tv", _weights("engagement_type_weights")),
    MetricSpec(
        "content_popularity", "Content popularity (rank-frequency)", "events", "ks", dist.content_rank_pmf, plot="loglog",
        note="Floored continuous power law over the catalog, P(k) ~ k^(1-s) - (k+1)^(1-s): not a discrete Zipf law "
        "(rank 1 gets 7.5% of views with s = 1 and 10,000 items, where Zipf gives 10.2%).",
    ),
    MetricSpec("content_category", "Content category", "content items", "tv", _weights("content_category_weights")),
    MetricSpec(
        "exposures_per_person", "Ad exposures per person", "individuals", "tv", _servable_exposures,
        given="servable_campaigns_per_person",
        note="The exposures distribution counts draws; a draw picks a campaign uniformly and is served only if the "
        "campaign runs after the person joined (and, for CTV, reaches a connected TV): compared given each person's "
        "number of servable campaigns.",
    ),
    MetricSpec(
        "exposures_per_campaign", "Exposures per campaign", "exposures", "tv", _shares_of_given,
        given="servable_people_per_campaign",
        note="Each exposure draw picks a campaign uniformly; a campaign's share follows the people it can be served to.",
    ),
    MetricSpec("campaign_channel", "Campaign channel", "campaigns", "tv", _weights("campaign_channel_weights")),
    MetricSpec(
        "campaign_days", "Campaign length (days)", "campaigns", "ks",
        lambda c: dist.uniform_pmf(c.campaign_min_days, c.campaign_max_days), plot="cdf",
    ),
    MetricSpec(
        "response_rate", "Response rate", "exposures", "tv",
        lambda c: {"response": c.response_rate, "no_response": 1.0 - c.response_rate},
    ),
    MetricSpec("response_type", "Response type", "responses", "tv", _weights("response_type_weights")),
    MetricSpec(
        "response_delay", "Response delay (minutes)", "responses", "ks", dist.response_delay_minutes_pmf, plot="cdf",
        note="Exponential with scale attribution_window_days / 4, truncated to the window; stored and plotted by hour.",
    ),
)


@dataclass
class MetricResult:
    """One distribution, configured vs actual, with its distance and verdict."""

    name: str
    title: str
    unit: str
    kind: str
    n: int
    distance: float
    tolerance: float
    status: str  # "pass", "fail" or "empty" (no rows to profile)
    configured: dict[str, float]
    actual: dict[str, float]
    configured_mean: float | None = None
    actual_mean: float | None = None
    plot: str = "bar"
    note: str = ""
    # the value whose count is furthest from expectation (binomial G statistic), TV metrics only
    worst_value: str | None = None
    worst_g: float | None = None

    @property
    def passed(self) -> bool:
        return self.status != "fail"

    @property
    def distance_name(self) -> str:
        return "TV" if self.kind == "tv" else "KS"


@dataclass
class Report:
    """A run's profile: every metric, and whether all are within tolerance."""

    out: str
    households: int
    seed: int
    config_hash: str
    metrics: list[MetricResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return all(m.passed for m in self.metrics)

    def metric(self, name: str) -> MetricResult:
        return next(m for m in self.metrics if m.name == name)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["passed"] = self.passed
        data["tolerance_rule"] = tolerance_rule()
        for m, d in zip(self.metrics, data["metrics"]):
            d["passed"] = m.passed
            d["distance_name"] = m.distance_name
            for key in ("distance", "tolerance", "configured_mean", "actual_mean", "worst_g"):
                if isinstance(d[key], float) and not math.isfinite(d[key]):
                    d[key] = None  # JSON has no NaN or Infinity
        return data

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)


# ---- distances and tolerances ---------------------------------------------------------
def total_variation(p: Mapping[Any, float], q: Mapping[Any, float]) -> float:
    """½ Σ |p(x) − q(x)| over the union of values."""
    return 0.5 * sum(abs(p.get(k, 0.0) - q.get(k, 0.0)) for k in set(p) | set(q))


def kolmogorov_smirnov(p: Mapping[int, float], q: Mapping[int, float]) -> float:
    """sup |F_p − F_q| over the values of two integer-valued distributions."""
    fp = fq = worst = 0.0
    for k in sorted(set(p) | set(q)):
        fp += p.get(k, 0.0)
        fq += q.get(k, 0.0)
        worst = max(worst, abs(fp - fq))
    return worst


def expected_sampling_tv(pmf: Mapping[Any, float], n: int) -> float:
    """E[TV] between a sample of n from pmf and pmf itself (normal approximation per value)."""
    return 0.5 * sum(math.sqrt(2.0 * p * (1.0 - p) / (math.pi * n)) for p in pmf.values() if 0 < p < 1)


def tolerance(kind: str, pmf: Mapping[Any, float], n: int) -> float:
    """The distance a correct generator stays within for a sample of n: never below 0.01.

    TV: 3 × the expected TV of a perfect sample of n; KS: the 1% critical value 1.63 / √n.
    Both fall below 0.01 for large n, so from ~100K households every metric is held to 0.01.
    """
    if n <= 0:
        return float("inf")
    noise = SAMPLING_MARGIN * expected_sampling_tv(pmf, n) if kind == "tv" else KS_CRITICAL_1PCT / math.sqrt(n)
    return max(TOLERANCE_AT_SCALE, noise)


def tolerance_rule() -> str:
    return (
        f"pass when distance <= max({TOLERANCE_AT_SCALE}, sampling noise): TV noise = {SAMPLING_MARGIN:g} x the expected TV "
        f"of a perfect sample of that size; KS noise = {KS_CRITICAL_1PCT} / sqrt(n) (1% critical value); and, for TV "
        f"metrics, every value's count passes a binomial likelihood-ratio test, G <= {CATEGORY_G_CRITICAL:g} (about 5 sd)"
    )


# ---- computing a profile ----------------------------------------------------------------
def profile_sql(name: str, config: GraphConfig) -> str:
    """A metric's rendered histogram query."""
    return Renderer(config).render((PROFILE_DIR / f"{name}.sql").read_text(encoding="utf-8"))


def category_g(p: float, count: int, n: int) -> float:
    """Likelihood-ratio statistic G of `count` hits in `n` trials against probability p.

    Chi-square with 1 degree of freedom for a correct generator; infinite when a value the
    config rules out (p = 0) appears, or a value it requires (p = 1) is missing.
    """
    expected = n * p

    def term(observed: float, mean: float) -> float:
        if observed == 0:
            return 0.0
        return math.inf if mean == 0 else observed * math.log(observed / mean)

    return 2.0 * (term(count, expected) + term(n - count, n - expected))


def worst_category(configured: Mapping[Any, float], counts: Mapping[Any, int], n: int) -> tuple[str | None, float | None]:
    """The value whose count is least likely under the configured distribution, and its G."""
    worst: tuple[str | None, float | None] = (None, None)
    for value in set(configured) | set(counts):
        g = category_g(configured.get(value, 0.0), counts.get(value, 0), n)
        if worst[1] is None or g > worst[1]:
            worst = (str(value), g)
    return worst


def compare(spec: MetricSpec, config: GraphConfig, counts: Mapping[Any, int], given: Mapping[Any, int] | None = None) -> MetricResult:
    """Compare observed counts by value with the configured distribution of a metric
    (`given`: the counts of the metric's given query, for metrics that depend on data)."""
    expected = spec.configured(config, given or {}) if spec.given else spec.configured(config)
    configured = {(_key(spec.kind, k)): p for k, p in expected.items()}
    n = int(sum(counts.values()))
    observed = {_key(spec.kind, k): c for k, c in counts.items()}
    actual = {k: c / n for k, c in observed.items()} if n else {}
    worst_value, worst_g = None, None
    if spec.kind == "tv":
        distance = total_variation(configured, actual) if n else float("nan")
        if n:
            worst_value, worst_g = worst_category(configured, observed, n)
    else:
        distance = kolmogorov_smirnov(configured, actual) if n else float("nan")
    limit = tolerance(spec.kind, configured, n)
    within = distance <= limit and (worst_g is None or worst_g <= CATEGORY_G_CRITICAL)
    status = "empty" if n == 0 else ("pass" if within else "fail")
    numeric = spec.kind == "ks" or all(_is_int(k) for k in configured)
    return MetricResult(
        name=spec.name,
        title=spec.title,
        unit=spec.unit,
        kind=spec.kind,
        n=n,
        distance=distance,
        tolerance=limit,
        status=status,
        configured=_condense(spec, configured),
        actual=_condense(spec, actual),
        configured_mean=_mean(configured) if numeric else None,
        actual_mean=_mean(actual) if numeric and n else None,
        plot=spec.plot,
        note=_note(spec, configured, actual),
        worst_value=worst_value,
        worst_g=worst_g,
    )


def given_sql(name: str, config: GraphConfig) -> str:
    """A given query's rendered SQL (sql/profile/given/<name>.sql)."""
    return Renderer(config).render((PROFILE_DIR / "given" / f"{name}.sql").read_text(encoding="utf-8"))


def _histogram(spark: SparkSession, sql: str) -> dict[Any, int]:
    return {r["value"]: int(r["n"]) for r in spark.sql(sql).collect() if r["value"] is not None}


def profile_views(spark: SparkSession, config: GraphConfig, metrics: tuple[MetricSpec, ...] = METRICS) -> list[MetricResult]:
    """Profile the tables registered as temporary views under their table names."""
    results = []
    for spec in metrics:
        given = _histogram(spark, given_sql(spec.given, config)) if spec.given else None
        results.append(compare(spec, config, _histogram(spark, profile_sql(spec.name, config)), given))
    return results


def profile_frames(
    spark: SparkSession,
    config: GraphConfig,
    frames: Mapping[str, DataFrame],
    out: str = "",
    metrics: tuple[MetricSpec, ...] = METRICS,
) -> Report:
    """Profile DataFrames (e.g. `engine.build`'s, not written anywhere) by registering them as views."""
    started = time.perf_counter()
    for table, df in frames.items():
        df.createOrReplaceTempView(table)
    report = Report(out, config.households, config.seed, config.config_hash(), profile_views(spark, config, metrics))
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def profile(out: str | Path, spark: SparkSession | None = None) -> Report:
    """Profile a run folder written by `idgraph generate` against the config in its manifest."""
    from .integrity import check_folder
    from .validate import load_tables

    config = GraphConfig.from_dict(check_folder(out).config)  # a damaged folder is named before Spark starts
    if spark is None:
        from .session import local_session

        spark = local_session()
    frames = load_tables(spark, out)
    return profile_frames(spark, config, frames, out=str(out))


# ---- helpers ----------------------------------------------------------------------------
def _key(kind: str, value: Any) -> Any:
    return int(value) if kind == "ks" else str(value)


def _is_int(text: Any) -> bool:
    return isinstance(text, int) or (isinstance(text, str) and text.lstrip("-").isdigit())


def _mean(pmf: Mapping[Any, float]) -> float:
    return dist.mean_of({int(k): p for k, p in pmf.items()})


def _condense(spec: MetricSpec, pmf: Mapping[Any, float]) -> dict[str, float]:
    """The distribution as stored in the report: all values, or condensed when there are many.

    Response delays are summed by hour; popularity ranks are kept at log-spaced ranks.
    """
    if len(pmf) <= _MAX_STORED_POINTS and spec.kind == "tv":
        return {str(k): p for k, p in pmf.items()}
    if spec.name == "response_delay":
        hours: dict[int, float] = {}
        for minute, p in pmf.items():
            hours[minute // 60] = hours.get(minute // 60, 0.0) + p
        return {str(h): p for h, p in sorted(hours.items())}
    if spec.plot == "loglog":
        top = max((int(k) for k in pmf), default=1)
        ranks = sorted({int(round(10 ** (i / 40))) for i in range(int(40 * math.log10(max(top, 1))) + 1)})
        return {str(r): pmf.get(r, 0.0) for r in ranks}
    return {str(k): pmf[k] for k in sorted(pmf)}


def _note(spec: MetricSpec, configured: Mapping[Any, float], actual: Mapping[Any, float]) -> str:
    if spec.name != "content_popularity" or not actual:
        return spec.note
    slope_c, slope_a = _loglog_slope(configured), _loglog_slope(actual)
    return f"{spec.note} Log-log slope over ranks 1-100: configured {slope_c:.3f}, actual {slope_a:.3f}."


def _loglog_slope(pmf: Mapping[int, float], top: int = 100) -> float:
    """Least-squares slope of log(frequency) on log(rank) over the top ranks with data."""
    points = [(math.log(k), math.log(p)) for k, p in pmf.items() if k <= top and p > 0]
    if len(points) < 2:
        return float("nan")
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    sxx = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else float("nan")
