"""The exact distributions a config promises, as the SQL draws them.

Each function turns config fields into the probability of every value the generator
can produce (rounding, clipping and truncation included), so the profile compares the
data with what the SQL really does, not with an idealised textbook law. Values are
integers where the SQL makes them so: ages in years, confidence in thousandths,
response delays in minutes, content popularity ranks.
"""

from __future__ import annotations

import math

from .config import GraphConfig, power_law_pmf

# Response delays: Exp(scale = window / 4) truncated to the window (sql/response_events.sql).
_DELAY_RATE_PER_WINDOW = 4.0
# Confidence scores are rounded to 3 decimals: values are counted in thousandths.
CONFIDENCE_STEPS = 1000


def normal_cdf(x: float) -> float:
    """Standard normal CDF, Φ(x)."""
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def truncated_normal_pmf(mean: float, sd: float, low: int, high: int) -> dict[int, float]:
    """P(age = a) for a = floor(X + 0.5), X ~ Normal(mean, sd) truncated to [low - 0.5, high + 0.5).

    The SQL draws X by inverse CDF inside the bounds, so no mass piles up on `low` or `high`.
    """
    cdf = lambda edge: normal_cdf((edge - mean) / sd)  # noqa: E731 - a one-line helper
    total = cdf(high + 0.5) - cdf(low - 0.5)
    return {a: (cdf(a + 0.5) - cdf(a - 0.5)) / total for a in range(low, high + 1)}


def rounded_uniform_pmf(low: float, high: float, steps: int = CONFIDENCE_STEPS) -> dict[int, float]:
    """P(round(U, 1/steps) = j / steps) for U uniform on [low, high), rounding half up.

    Keys are j, the value in 1/steps units (thousandths for confidence scores).
    """
    first, last = round(low * steps), round(high * steps)
    if high <= low:
        return {first: 1.0}
    width = high - low
    pmf = {}
    for j in range(first, last + 1):
        mass = min(high, (j + 0.5) / steps) - max(low, (j - 0.5) / steps)
        if mass > 0:
            pmf[j] = mass / width
    return pmf


def truncated_exponential_delay_cdf(window_seconds: int, seconds: float) -> float:
    """P(delay < seconds) for the continuous delay Exp(rate 4 / window) truncated to [0, window)."""
    if seconds <= 0:
        return 0.0
    k = _DELAY_RATE_PER_WINDOW
    return min(1.0, (1.0 - math.exp(-k * seconds / window_seconds)) / (1.0 - math.exp(-k)))


def response_delay_minutes_pmf(config: GraphConfig) -> dict[int, float]:
    """P(floor(delay / 60) = m) for the whole-second delay floor(continuous delay)."""
    window = config.attribution_window_days * 86_400
    pmf = {}
    for m in range(window // 60 + 1):
        # whole-second delay d <= 60m + 59  <=>  continuous delay < 60m + 60
        mass = truncated_exponential_delay_cdf(window, 60 * m + 60) - truncated_exponential_delay_cdf(window, 60 * m)
        if mass > 0:
            pmf[m] = mass
    return pmf


def content_rank_pmf(config: GraphConfig) -> dict[int, float]:
    """P(popularity rank = k), k in 1..content_items: the floored power law of popularity_rank() (not a discrete Zipf law)."""
    return dict(enumerate(power_law_pmf(config.content_items, config.content_zipf_exponent), start=1))


def thinned_count_pmf(draws: dict[int, float], keep: dict[float, float]) -> dict[int, float]:
    """P(kept = k) when n ~ `draws` items are each kept independently with probability p,
    p itself distributed as `keep` (probability -> weight): a mixture of binomial thinnings.

    Exposures per person: a person's draws each pick a campaign uniformly and are served when
    it can reach them, p = servable campaigns / campaigns.
    """
    total = sum(keep.values())
    pmf: dict[int, float] = {}
    for p, weight in keep.items():
        for n, pn in draws.items():
            for k in range(n + 1):
                mass = weight / total * pn * math.comb(n, k) * p**k * (1.0 - p) ** (n - k)
                if mass:
                    pmf[k] = pmf.get(k, 0.0) + mass
    return pmf


def uniform_pmf(low: int, high: int) -> dict[int, float]:
    """Discrete uniform on [low, high]."""
    return {v: 1.0 / (high - low + 1) for v in range(low, high + 1)}


def identifier_slot_counts(config: GraphConfig) -> dict[str, float]:
    """Expected number of non-primary identifier slots of each type per person.

    Of a person's n slots, the first is their email_hash (the primary). The last is the
    household's shared CTV id with probability `ctv_slot_rate` if the household has a
    connected TV; every other slot draws a personal type from `personal_type_weights()`,
    and a person who opted out of mobile ad ids has a device id in its place.
    """
    pmf = config.identifiers.pmf()
    extra = config.identifiers.mean() - 1.0
    with_extra = 1.0 - pmf.get(1, 0.0)
    ctv = config.connected_tv_household_rate * config.ctv_slot_rate * with_extra
    counts = {t: w * (extra - ctv) for t, w in config.personal_type_weights().items()}
    mobile = counts.pop("mobile_ad_id", 0.0)
    if mobile:
        counts["mobile_ad_id"] = mobile * (1.0 - config.mobile_ad_id_opt_out_rate)
        counts["device_id"] = counts.get("device_id", 0.0) + mobile * config.mobile_ad_id_opt_out_rate
    if "ctv_id" in config.identifier_type_weights:
        counts["ctv_id"] = ctv
    return counts


def identifier_type_mix(config: GraphConfig) -> dict[str, float]:
    """Expected share of each type among the non-primary identifier slots.

    With every connected-TV household and no opt-outs this is exactly
    `config.probabilistic_type_weights()`; households without a connected TV and people
    without a mobile ad id shift CTV and mobile ad id shares to the personal types and
    device ids. A browser counts once however many cookie ids it goes through.
    """
    counts = identifier_slot_counts(config)
    total = sum(counts.values())
    return {t: c / total for t, c in counts.items()} if total else {}


def overall_identifier_type_mix(config: GraphConfig) -> dict[str, float]:
    """Expected share of each type among all identifier slots, primaries included.

    With n slots per person (mean E[n]), one is the email_hash, so email_hash is 1 / E[n]
    of all identifiers, not its configured weight: the configured weight of email_hash
    only sets the others' proportions.
    """
    mean = config.identifiers.mean()
    return {"email_hash": 1.0 / mean, **{t: c / mean for t, c in identifier_slot_counts(config).items()}}


def mappings_per_person(config: GraphConfig) -> float:
    """Expected identity_mappings rows per person: slots, cookie generations and wrong links."""
    counts = identifier_slot_counts(config)
    generations = config.cookie_ids.mean()
    cookies = counts.get("cookie_id", 0.0) * generations
    own = 1.0 + sum(counts.values()) - counts.get("cookie_id", 0.0) + cookies
    noisy = cookies + counts.get("mobile_ad_id", 0.0) + counts.get("device_id", 0.0)
    return own + config.noise_rate * noisy


def same_household_wrong_link_share(config: GraphConfig) -> float:
    """Expected share of wrong links that stay in the owner's household.

    A link stays home with probability noise_same_household_rate, but only owners in
    households of two or more can: a person is in a household of size s with probability
    proportional to s * weight(s).
    """
    sizes = {int(s): w for s, w in config.household_size_weights.items()}
    people = sum(s * w for s, w in sizes.items())
    shared = sum(s * w for s, w in sizes.items() if s > 1) / people
    if config.households == 1:
        return 1.0
    return config.noise_same_household_rate * shared


def mean_of(pmf: dict[int, float]) -> float:
    """Mean of a numeric probability mass function."""
    total = sum(pmf.values())
    return sum(v * p for v, p in pmf.items()) / total if total else float("nan")
