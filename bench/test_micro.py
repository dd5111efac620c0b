"""Micro-benchmarks of the generator's parts, with pytest-benchmark.

Run with `pytest bench --benchmark-only` (not part of `pytest`, whose testpaths is tests/).
Spark benchmarks write into the `noop` sink, so they time computing the expressions and
nothing of the file format; each runs SPARK_ROUNDS rounds after two warm-up rounds (with 3
rounds the standard deviation was over a third of the mean on a shared machine).

A baseline of the pure-Python benchmarks is committed in bench/baseline (see bench/README.md):

    pytest bench --benchmark-only --benchmark-storage=file://bench/baseline \
        --benchmark-compare=0001 --benchmark-compare-fail=median:25%
"""

from __future__ import annotations

import pytest

import engine
from engine import TABLES, GraphConfig, expected_rows, render_functions, render_table

# Households of the per-table benchmarks (about 2.6M rows in all).
TABLE_HOUSEHOLDS = 100_000
# Rows of the name/email lookup benchmark.
LOOKUP_ROWS = 1_000_000
SPARK_ROUNDS = 10
SPARK_WARMUP_ROUNDS = 2


def _noop(df) -> None:
    df.write.format("noop").mode("overwrite").save()


def _households_for_individuals(rows: int) -> int:
    """Households whose expected individuals come closest to `rows`."""
    per_household = expected_rows(GraphConfig(households=100_000))["individuals"] / 100_000
    return max(1, round(rows / per_household))


def test_name_and_email_lookup_per_million_rows(benchmark, spark):
    """first_name, last_name and email of ~1M individuals: the mimesis list lookups."""
    config = GraphConfig(households=_households_for_individuals(LOOKUP_ROWS), seed=42)
    df = engine.build(spark, config, ["individuals"])["individuals"].select("first_name", "last_name", "email")
    benchmark.extra_info["rows"] = expected_rows(config)["individuals"]
    benchmark.pedantic(_noop, args=(df,), rounds=SPARK_ROUNDS, iterations=1, warmup_rounds=SPARK_WARMUP_ROUNDS)


@pytest.mark.parametrize("table", TABLES)
def test_table_expressions_into_noop(benchmark, spark, table):
    """Every column of one table at 100K households, computed and discarded."""
    config = GraphConfig(households=TABLE_HOUSEHOLDS, seed=42)
    df = engine.build(spark, config, [table])[table]
    benchmark.extra_info["rows"] = expected_rows(config)[table]
    benchmark.pedantic(_noop, args=(df,), rounds=SPARK_ROUNDS, iterations=1, warmup_rounds=SPARK_WARMUP_ROUNDS)


def test_config_validation(benchmark):
    """Validating a full default config (what every launch does first)."""
    config = GraphConfig(households=1_000_000, seed=42)
    benchmark(config.validate)


def test_config_json_round_trip(benchmark):
    """Config to JSON and back, validated (the UI's checkpoints and the job hand-off)."""
    config = GraphConfig(households=1_000_000, seed=42)
    benchmark(lambda: GraphConfig.from_json(config.to_json()))


@pytest.mark.parametrize("table", TABLES)
def test_sql_rendering(benchmark, table):
    """Rendering one table's SQL from its template, parents included."""
    config = GraphConfig(households=1_000_000, seed=42)
    benchmark(render_table, table, config)


def test_sql_functions_rendering(benchmark):
    """Rendering the shared SQL functions (the mimesis lists become literals here)."""
    benchmark(render_functions, GraphConfig())
