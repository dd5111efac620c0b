"""Identity-graph truth: cookie churn, household-shared CTV ids, mobile ad id opt-out and
the noisy wrong-person layer, checked by the SQL suite (zero violations, and violations
when the truth is broken), the profile, row() and the scoring example in the docs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine import ConfigError, CountDistribution, GraphConfig, build, content_hash, generate, load_tables, row, validate
from engine.profile import profile
from engine.validate import check_sql

DOCS = Path(__file__).resolve().parent.parent / "docs"

NOISY = GraphConfig(households=200, seed=13, content_items=300, campaigns=10, noise_rate=0.25)


@pytest.fixture(scope="module")
def noisy_graph(spark, tmp_path_factory):
    out = tmp_path_factory.mktemp("noisy") / "out"
    generate(NOISY, out=str(out), format="parquet", spark=spark)
    return out


@pytest.fixture()
def views(spark, noisy_graph):
    """The noisy graph's tables as views; restored after a test that replaces some."""
    frames = load_tables(spark, noisy_graph)
    yield frames
    load_tables(spark, noisy_graph)


def test_noisy_graph_passes_every_check(spark, noisy_graph):
    results = validate(noisy_graph, spark)
    assert {r.name: r.violations for r in results if not r.passed} == {}
    assert {"identifier_intervals", "wrong_links_are_flagged", "connected_tv_ids_are_shared_by_household",
            "mobile_ad_id_opt_out_respected"} <= {r.name for r in results}


def test_noisy_graph_profile_is_within_tolerance(spark, noisy_graph):
    report = profile(noisy_graph, spark)
    assert {m.name: (m.distance, m.tolerance) for m in report.metrics if not m.passed} == {}
    for name in ("cookie_ids_per_browser", "wrong_links", "wrong_link_household", "wrong_link_confidence"):
        assert report.metric(name).n > 0, name


def test_truth_has_churned_cookies_shared_ctv_ids_and_wrong_links(spark, views):
    facts = spark.sql(
        """
        SELECT
          (SELECT count(*) FROM (SELECT mapping_id div 16 FROM identity_mappings
             WHERE is_correct AND identifier_type = 'cookie_id' GROUP BY 1 HAVING count(*) > 1)) AS churned_browsers,
          (SELECT count(*) FROM (SELECT identifier_value FROM identity_mappings
             WHERE identifier_type = 'ctv_id' GROUP BY 1 HAVING count(DISTINCT individual_id) > 1)) AS shared_ctv_ids,
          (SELECT count(DISTINCT e.individual_id) FROM content_engagement e WHERE e.identifier_type = 'ctv_id') AS ctv_viewers,
          (SELECT count_if(NOT is_correct) FROM identity_mappings) AS wrong_links
        """
    ).first()
    assert facts["churned_browsers"] > 0 and facts["shared_ctv_ids"] > 0 and facts["wrong_links"] > 0
    assert facts["ctv_viewers"] > facts["shared_ctv_ids"]


@pytest.mark.parametrize(
    "table, column, broken, check",
    [
        # a wrong link passed off as correct: the flag and the one-owner rule both notice
        ("identity_mappings", "is_correct", "true", "wrong_links_are_flagged"),
        ("identity_mappings", "is_correct", "true", "identifier_values_unique"),
        # cookie events moved a year earlier fall outside their cookie id's interval
        ("content_engagement", "timestamp", "IF(identifier_type = 'cookie_id', timestamp - INTERVAL 365 DAYS, timestamp)", "time_mapping_event"),
        # a CTV id in a household without a connected TV
        ("households", "has_connected_tv", "false", "connected_tv_ids_are_shared_by_household"),
        # a mobile ad id on people who opted out
        ("individuals", "mobile_ad_id_opt_out", "true", "mobile_ad_id_opt_out_respected"),
        # a gap between a browser's successive cookie ids
        ("identity_mappings", "observed_at",
         "IF(identifier_type = 'cookie_id' AND (mapping_id & 15) = 1, observed_at + INTERVAL 1 HOUR, observed_at)", "identifier_intervals"),
    ],
    ids=["flag", "owner", "interval", "ctv", "opt-out", "churn-gap"],
)
def test_checks_find_broken_truth(spark, views, table, column, broken, check):
    from pyspark.sql import functions as F

    # the intact graph passes every check (test_noisy_graph_passes_every_check)
    views[table].withColumn(column, F.expr(broken)).createOrReplaceTempView(table)
    assert spark.sql(check_sql(check, NOISY)).first()["violations"] > 0


def test_wrong_link_row_is_computed_alone(spark, views):
    key = spark.sql("SELECT max(mapping_id) AS k FROM identity_mappings WHERE NOT is_correct").first()["k"]
    expected = spark.sql(f"SELECT * FROM identity_mappings WHERE mapping_id = {key}").first().asDict()
    assert row(spark, NOISY, "identity_mappings", key) == expected


def test_mappings_are_identical_for_any_partition_count(spark):
    config = NOISY.replace(households=60)
    hashes = {p: content_hash(build(spark, config.replace(partitions=p), ["identity_mappings"])["identity_mappings"]) for p in (1, 4)}
    assert hashes[1] == hashes[4]


def test_identity_resolution_doc_scores_precision_and_recall(spark, views):
    statements = re.findall(r"```sql\n(.*?)```", (DOCS / "identity-resolution.md").read_text(), re.S)
    assert len(statements) == 3
    for statement in statements[:-1]:
        spark.sql(statement.strip().rstrip(";"))
    score = spark.sql(statements[-1].strip().rstrip(";")).first()
    assert score["false_positives"] > 0 and score["false_negatives"] > 0
    assert 0.5 < score["precision"] < 1.0 and 0.5 < score["recall"] < 1.0


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"noise_rate": 1.5}, "noise_rate"),
        ({"noise_confidence_min": 0.9, "noise_confidence_max": 0.8}, "noise_confidence_min"),
        ({"cookie_ids": CountDistribution(1, 9, 2.0)}, "cookie_ids.maximum"),
        ({"mobile_ad_id_opt_out_rate": -0.1}, "mobile_ad_id_opt_out_rate"),
        ({"connected_tv_household_rate": "most"}, "connected_tv_household_rate"),
        ({"identifier_type_weights": {"email_hash": 0.5, "ctv_id": 0.5}}, "identifier_type_weights"),
    ],
)
def test_bad_identity_settings_name_the_field(changes, field):
    with pytest.raises(ConfigError) as error:
        GraphConfig().replace(**changes)
    assert error.value.field == field


def test_identity_settings_round_trip_through_json():
    config = NOISY.replace(cookie_ids=CountDistribution(1, 5, 1.5), mobile_ad_id_opt_out_rate=0.5)
    assert GraphConfig.from_json(config.to_json()) == config
