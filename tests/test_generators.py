"""The generators' principles, checked on real Spark: no joins or shuffles, partition
invariance, arithmetic keys, and any row computable alone."""

from __future__ import annotations

import pytest
from pyspark.sql import functions as F

from engine import PREVIEW_ROOTS, TABLES, GraphConfig, build, content_hashes, preview_rows, row
from engine.keys import TABLE_KEYS


@pytest.fixture(scope="module")
def frames(spark, small_config):
    return build(spark, small_config)


@pytest.mark.parametrize("table", TABLES)
def test_generator_plan_has_no_join_and_no_shuffle(frames, table):
    operators = _physical_operators(frames[table])
    assert not [op for op in operators if "Join" in op or "Exchange" in op], operators
    assert "Range" in operators


def _physical_operators(df) -> set[str]:
    """Operator names of the physical plan tree (not the literals inside expressions)."""
    import contextlib
    import io
    import re

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        df.explain()
    names = set()
    for line in buffer.getvalue().splitlines()[1:]:
        match = re.match(r"^[\s:+\-|]*(?:\*\(\d+\)\s+)?([A-Za-z]+)", line)
        if match:
            names.add(match.group(1))
    return names


def test_same_seed_gives_identical_tables_for_any_partition_count(spark, small_config):
    hashes = [content_hashes(build(spark, small_config.replace(partitions=p))) for p in (1, 3, 8)]
    assert hashes[0] == hashes[1] == hashes[2]
    other_seed = content_hashes(build(spark, small_config.replace(seed=small_config.seed + 1, partitions=3)))
    for table in TABLES:
        assert other_seed[table] != hashes[0][table], f"{table} does not depend on the seed"


def test_individual_household_key_is_arithmetic(frames):
    bad = frames["individuals"].where("household_id != individual_id div 8 OR individual_id % 8 < 0").count()
    assert bad == 0
    sizes = frames["households"].selectExpr("sum(household_size) AS n").first()["n"]
    assert frames["individuals"].count() == sizes


def test_child_keys_embed_their_parent_keys(frames):
    # mapping_id = (individual_id * 16 + k) * 16 + sub; sub >= 8 marks a wrong-person link
    assert frames["identity_mappings"].where("is_correct AND individual_id != mapping_id div 256").count() == 0
    assert frames["identity_mappings"].where("is_primary != (mapping_id % 256 = 0)").count() == 0
    assert frames["content_engagement"].where("individual_id != event_id div 256").count() == 0
    assert frames["campaign_exposures"].where("individual_id != exposure_id div 64").count() == 0
    assert frames["response_events"].where("response_id != exposure_id OR individual_id != exposure_id div 64").count() == 0


@pytest.mark.parametrize("table", TABLES)
def test_row_computed_alone_equals_the_full_output(spark, small_config, frames, table):
    key = TABLE_KEYS[table].key
    sample = frames[table].orderBy(F.expr(f"xxhash64({key})")).limit(3).collect()
    assert sample, f"{table} has no rows at this scale"
    for expected in sample:
        assert row(spark, small_config, table, expected[key]) == expected.asDict()


def test_preview_rows_are_the_first_keys_of_the_full_output(spark, small_config, frames):
    """The launch form's preview: per table, the smallest keys among the first PREVIEW_ROOTS
    roots, each row equal to the full output's (so to `row()` of its key)."""
    for table in TABLES:
        spec = TABLE_KEYS[table]
        expected = frames[table].where(f"{spec.key} div {spec.per_root} < {PREVIEW_ROOTS}").orderBy(spec.key).limit(5).collect()
        assert preview_rows(spark, small_config, table) == [r.asDict() for r in expected], table
        assert len(expected) == 5, f"{table}: fewer than five rows among the first {PREVIEW_ROOTS} roots at the test's scale"


def test_row_of_a_key_that_does_not_exist_is_none(spark, small_config):
    assert row(spark, small_config, "households", small_config.households) is None
    assert row(spark, small_config, "individuals", -1) is None
    # slot 7 of household 0 exists only if the household has 8 members
    size = row(spark, small_config, "households", 0)["household_size"]
    assert (row(spark, small_config, "individuals", 7) is None) == (size < 8)


def test_identifier_values_are_unique_and_counts_in_range(frames, small_config):
    # personal identifiers are unique; a household's one CTV id is shared by its viewers
    mappings = frames["identity_mappings"].where("is_correct AND identifier_type != 'ctv_id'")
    assert mappings.count() == mappings.select("identifier_value").distinct().count()
    # identifiers are counted as slots: a browser's successive cookie ids are one identifier
    counts = frames["identity_mappings"].where("is_correct").selectExpr("individual_id", "mapping_id div 16 AS slot").distinct().groupBy("individual_id").count()
    low, high = small_config.identifiers.minimum, small_config.identifiers.maximum
    assert counts.where(f"`count` < {low} OR `count` > {high}").count() == 0


def test_values_do_not_depend_on_the_session_time_zone(spark, small_config):
    before = content_hashes(build(spark, small_config, ["households", "campaigns"]))
    spark.conf.set("spark.sql.session.timeZone", "America/Los_Angeles")
    try:
        frames = build(spark, small_config, ["households", "campaigns"])
        assert content_hashes(frames) == before
    finally:
        spark.conf.set("spark.sql.session.timeZone", "UTC")


def _register_functions(spark, config):
    from engine.render import Renderer

    for statement in Renderer(config).functions():
        spark.sql(statement)


def test_permuted_ids_of_strided_keys_share_no_visible_prefix(spark, small_config):
    """Keys m and m + 2^k (every k) give ids whose leading hex digits look independent:
    among 64 strides x 512 keys, a shared 4-digit prefix is as rare as chance (1 in 65,536)."""
    _register_functions(spark, small_config)
    shared = spark.sql(
        """
        SELECT k, count_if(substring(a, 1, 4) = substring(b, 1, 4)) AS same4, count_if(substring(a, 1, 2) = substring(b, 1, 2)) AS same2
        FROM (
          SELECT s.k,
                 idgraph_hex64(idgraph_permute64(42, 303, m.id * 1000003)) AS a,
                 idgraph_hex64(idgraph_permute64(42, 303, m.id * 1000003 + shiftleft(1L, s.k))) AS b
          FROM range(0, 512) m CROSS JOIN (SELECT id AS k FROM range(0, 63)) s
        )
        GROUP BY k
        """
    ).collect()
    # chance: 63 * 512 / 65,536 = 0.5 shared 4-digit prefixes in all, 2 in 256 per stride for 2 digits
    assert sum(r["same4"] for r in shared) <= 5
    assert max(r["same2"] for r in shared) <= 12, sorted((r["same2"], r["k"]) for r in shared)[-3:]


def test_permutation_is_a_bijection_of_its_domain(spark, small_config):
    _register_functions(spark, small_config)
    counts = spark.sql(
        "SELECT count(DISTINCT idgraph_permute(7, 213, id, 4)) AS n, max(idgraph_permute(7, 213, id, 4)) AS top FROM range(0, 256)"
    ).first()
    assert counts["n"] == 256 and counts["top"] < 256


def test_campaigns_start_anywhere_their_own_length_allows(spark):
    """Start days are uniform on [0, window_days - days]: as many campaigns start in the last
    campaign_max_days of the window as that allows, and every one ends inside it."""
    config = GraphConfig(households=1, campaigns=4000)
    campaigns = build(spark, config, ["campaigns"])["campaigns"]
    window_days = 1096
    stats = campaigns.selectExpr(
        f"datediff(start_date, DATE '{config.start_date}') AS start_day",
        "datediff(end_date, start_date) + 1 AS days",
    ).selectExpr(
        f"start_day / ({window_days} - days + 1) AS position",
        f"start_day > {window_days} - {config.campaign_max_days} AS late",
        f"start_day + days <= {window_days} AS inside",
    ).agg(F.count_if("late").alias("late"), F.count_if(~F.col("inside")).alias("outside"),
          F.expr("percentile(position, array(0.1, 0.5, 0.9, 0.99))").alias("q")).first()
    # expected late share: mean over days of (90 - days) / (1096 - days + 1), about 3.9%
    expected = sum((config.campaign_max_days - d) / (window_days - d + 1) for d in range(7, 91)) / 84 * 4000
    assert stats["outside"] == 0
    assert abs(stats["late"] - expected) < 5 * expected**0.5, (stats["late"], expected)
    assert [round(q, 1) for q in stats["q"]] == [0.1, 0.5, 0.9, 1.0]
