"""The profile: configured vs actual distributions, distances, tolerances and reports."""

from __future__ import annotations

import json
import math

import pytest

from engine import GraphConfig, build, load_tables
from engine import distributions as dist
from cli.main import main
from engine.profile import (
    METRICS,
    category_g,
    PROFILE_DIR,
    compare,
    profile_frames,
    kolmogorov_smirnov,
    profile_views,
    tolerance,
    total_variation,
)


@pytest.fixture(scope="module")
def small_report(cli_run):
    """The profile of the small graph, as the CLI's JSON report."""
    return cli_run[2]


@pytest.fixture(scope="module")
def cli_run(spark, written_graph, tmp_path_factory):
    """`idgraph profile` of the small graph with --json and --html: (exit code, printed, json, html)."""
    out, _ = written_graph
    folder = tmp_path_factory.mktemp("profile")
    json_path, html_path = folder / "p.json", folder / "p.html"
    import contextlib
    import io

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(["profile", str(out), "--json", str(json_path), "--html", str(html_path)])
    return code, printed.getvalue(), json.loads(json_path.read_text()), html_path.read_text()


def test_every_metric_has_its_sql_histogram_and_no_stray_file():
    assert sorted(p.stem for p in PROFILE_DIR.glob("*.sql")) == sorted(s.name for s in METRICS)
    given = sorted({s.given for s in METRICS if s.given})
    assert sorted(p.stem for p in (PROFILE_DIR / "given").glob("*.sql")) == given


def test_generated_graph_matches_its_configuration_within_tolerance(small_report):
    metrics = {m["name"]: m for m in small_report["metrics"]}
    assert list(metrics) == [s.name for s in METRICS]
    # without the noisy layer (noise_rate 0) there are no wrong links to profile
    empty = {"wrong_link_household", "wrong_link_confidence"}
    assert {n: m["status"] for n, m in metrics.items() if n in empty} == dict.fromkeys(empty, "empty")
    assert {n: (m["distance"], m["tolerance"]) for n, m in metrics.items() if m["status"] != "pass" and n not in empty} == {}
    assert all(m["n"] > 0 for n, m in metrics.items() if n not in empty)
    assert metrics["primary_identifier_type"]["distance"] == 0.0


def test_profile_fails_a_distribution_the_data_does_not_follow(spark, written_graph, small_config):
    # Same data, a config that promises another income mix and another age mean: those fail.
    out, _ = written_graph
    load_tables(spark, out)
    promised = small_config.replace(income_weights={"<30K": 0.7, "30-60K": 0.1, "60-100K": 0.1, "100K+": 0.1}, age_mean=55.0)
    specs = tuple(s for s in METRICS if s.name in ("income_bracket", "age", "household_size"))
    results = {m.name: m for m in profile_views(spark, promised, specs)}
    assert results["income_bracket"].status == "fail"
    assert results["age"].status == "fail"
    assert results["household_size"].status == "pass"


def test_identifier_types_are_profiled_against_the_primary_plus_probabilistic_design():
    config = GraphConfig()
    mix = dist.overall_identifier_type_mix(config)
    assert math.isclose(sum(mix.values()), 1.0)
    # email_hash is one per person, so its share is 1 / E[identifiers], not its configured weight
    assert math.isclose(mix["email_hash"], 1.0 / config.identifiers.mean())
    # every household with a connected TV and nobody opted out: exactly the configured weights
    full = dist.identifier_type_mix(config.replace(connected_tv_household_rate=1.0, mobile_ad_id_opt_out_rate=0.0))
    assert full == pytest.approx(config.probabilistic_type_weights())
    # opt-outs turn mobile ad ids into device ids; households without a CTV give up CTV ids
    default = dist.identifier_type_mix(config)
    assert default["mobile_ad_id"] == pytest.approx(full["mobile_ad_id"] * (1 - config.mobile_ad_id_opt_out_rate), rel=0.05)
    assert default["ctv_id"] < full["ctv_id"] and default["device_id"] > full["device_id"]


@pytest.mark.parametrize(
    "pmf",
    [
        dist.truncated_normal_pmf(45, 15, 18, 85),
        dist.rounded_uniform_pmf(0.7, 0.95),
        dist.response_delay_minutes_pmf(GraphConfig()),
        dist.content_rank_pmf(GraphConfig(content_items=1000, content_zipf_exponent=0.6)),
        dist.thinned_count_pmf(GraphConfig().exposures.pmf(), {0.2: 3, 0.9: 5, 1.0: 1}),
    ],
    ids=["age", "confidence", "delay", "popularity", "thinned"],
)
def test_configured_distributions_are_probability_distributions(pmf):
    assert math.isclose(sum(pmf.values()), 1.0, rel_tol=1e-9)
    assert min(pmf.values()) >= 0


def test_truncated_normal_age_does_not_pile_up_on_the_bounds():
    pmf = dist.truncated_normal_pmf(45, 15, 18, 85)
    assert pmf[18] < pmf[19] < pmf[20]  # the lower tail is cut off, not stacked on age_min
    total = dist.normal_cdf((85.5 - 45) / 15) - dist.normal_cdf((17.5 - 45) / 15)
    assert math.isclose(pmf[18], (dist.normal_cdf((18.5 - 45) / 15) - dist.normal_cdf((17.5 - 45) / 15)) / total)
    assert 45.5 < dist.mean_of(pmf) < 47


def test_thinning_keeps_the_mean_times_the_keep_probability():
    draws = GraphConfig().exposures.pmf()
    mean = dist.mean_of(draws)
    assert math.isclose(dist.mean_of(dist.thinned_count_pmf(draws, {0.25: 1})), 0.25 * mean)
    assert math.isclose(dist.mean_of(dist.thinned_count_pmf(draws, {0.0: 1, 1.0: 3})), 0.75 * mean)


def test_a_vanished_half_percent_category_fails_the_per_category_test():
    # gender with a 0.5% category that the data lost: its TV distance is only 0.005 < 0.01
    config = GraphConfig(gender_weights={"female": 0.5, "male": 0.495, "nonbinary": 0.005})
    spec = next(s for s in METRICS if s.name == "gender")
    n = 200_000
    lost = compare(spec, config, {"female": n // 2 + 500, "male": n // 2 - 500})
    assert lost.distance <= lost.tolerance and lost.status == "fail"
    assert lost.worst_value == "nonbinary" and lost.worst_g > 25
    kept = compare(spec, config, {"female": 100_020, "male": 98_990, "nonbinary": 990})
    assert kept.status == "pass" and kept.worst_g < 25
    # a value the config rules out fails however rare
    stray = compare(spec, config, {"female": 100_000, "male": 99_000, "nonbinary": 999, "robot": 1})
    assert stray.status == "fail" and stray.worst_value == "robot"


def test_category_g_is_the_binomial_likelihood_ratio():
    assert category_g(0.5, 50, 100) == 0.0
    assert math.isclose(category_g(0.01, 0, 1000), -2 * 1000 * math.log(0.99))
    assert category_g(0.0, 1, 10) == math.inf


def test_rounded_confidence_gives_half_mass_to_the_end_points():
    pmf = dist.rounded_uniform_pmf(0.7, 0.95)
    assert set(pmf) == set(range(700, 951))
    assert math.isclose(pmf[700], pmf[800] / 2) and math.isclose(pmf[950], pmf[800] / 2)


def test_distances():
    assert total_variation({"a": 0.5, "b": 0.5}, {"a": 1.0}) == 0.5
    assert kolmogorov_smirnov({1: 0.5, 2: 0.5}, {2: 1.0}) == 0.5
    assert kolmogorov_smirnov({1: 1.0}, {1: 1.0}) == 0.0


def test_tolerance_is_0_01_at_100k_households_and_looser_for_small_samples():
    sizes = dict(GraphConfig().household_size_weights)
    assert tolerance("tv", sizes, 100_000) == 0.01
    assert tolerance("ks", {}, 250_000) == 0.01
    assert tolerance("tv", sizes, 300) > 0.1
    assert math.isclose(tolerance("ks", {}, 900), 1.63 / 30)


def test_a_metric_with_no_rows_is_empty_not_failed():
    spec = next(s for s in METRICS if s.name == "response_type")
    result = compare(spec, GraphConfig(), {})
    assert result.status == "empty" and result.passed


def test_cli_writes_terminal_json_and_html_reports(cli_run):
    code, printed, report, page = cli_run
    assert code == 0
    assert "Household size" in printed and "within tolerance" in printed
    assert report["passed"] is True and len(report["metrics"]) == len(METRICS)
    assert {"configured", "actual", "distance", "tolerance", "n"} <= set(report["metrics"][0])
    assert page.count("data:image/png;base64,") == len(METRICS)
    assert "empty" in page  # metrics without rows are shown as such, not as failures


@pytest.mark.slow
def test_at_100k_households_every_distribution_is_within_0_01(spark):
    """The tolerance claim at scale, on the built (unwritten) frames of the per-person tables."""
    config = GraphConfig(households=100_000, seed=11)
    person_tables = ("households", "individuals", "identity_mappings")
    frames = {t: df.cache() for t, df in build(spark, config, person_tables).items()}
    try:
        specs = tuple(s for s in METRICS if s.name in _PERSON_METRICS)
        results = profile_frames(spark, config, frames, metrics=specs).metrics
    finally:
        for df in frames.values():
            df.unpersist()
    assert {m.name: m.tolerance for m in results} == {m.name: 0.01 for m in results}
    assert {m.name: round(m.distance, 4) for m in results if m.distance > 0.01} == {}


_PERSON_METRICS = {
    "household_size", "income_bracket", "age", "gender", "education", "identifiers_per_person",
    "primary_identifier_type", "identifier_type", "identifier_type_overall", "confidence",
    "cookie_ids_per_browser", "connected_tv_households", "mobile_ad_id_opt_out", "wrong_links",
}
