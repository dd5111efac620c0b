"""Build the lazy DataFrames of every table from the rendered SQL.

`build()` registers the shared SQL functions on the session, renders each table's query
for the config and returns the DataFrames, nothing computed yet. `row()` computes one
row alone by rendering the same SQL over the single root id its key derives from.
"""

from __future__ import annotations

import functools
import math
from typing import Any, Callable

from pyspark.sql import DataFrame, SparkSession

from .config import ConfigError, GraphConfig
from .keys import TABLE_KEYS, TABLES, root_of
from .render import Renderer
from .session import configure, default_parallelism

# Households per partition above which a run gets more partitions than cores.
_HOUSEHOLDS_PER_PARTITION = 250_000


def register_functions(spark: SparkSession, config: GraphConfig | None = None) -> None:
    """Create the `idgraph_*` temporary SQL functions on this session."""
    for statement in Renderer(config or GraphConfig()).functions():
        spark.sql(statement)


def resolve_partitions(spark: SparkSession, config: GraphConfig) -> int:
    """config.partitions, or automatic: at least one per core, at most ~250K households each."""
    if config.partitions is not None:
        return config.partitions
    return max(default_parallelism(spark), math.ceil(config.households / _HOUSEHOLDS_PER_PARTITION))


def build(spark: SparkSession, config: GraphConfig, tables: tuple[str, ...] | list[str] = TABLES) -> dict[str, DataFrame]:
    """The lazy DataFrames of `tables` (all eight by default), keyed by table name."""
    return {table: make() for table, make in builders(spark, config, tables).items()}


def builders(
    spark: SparkSession, config: GraphConfig, tables: tuple[str, ...] | list[str] = TABLES, partitions: int | None = None
) -> dict[str, Callable[[], DataFrame]]:
    """Per table, a function that returns its DataFrame: the shared functions are registered
    now, each table's query is analysed only when its function is called (so a writer can
    plan one table while Spark computes another). `partitions`: resolve_partitions() if None."""
    config.validate()
    _check_tables(tables)
    configure(spark)
    register_functions(spark, config)
    renderer = Renderer(config, partitions=partitions or resolve_partitions(spark, config))
    return {table: functools.partial(_table_frame, spark, renderer, table) for table in tables}


def _table_frame(spark: SparkSession, renderer: Renderer, table: str) -> DataFrame:
    return spark.sql(renderer.table(table))


def row(spark: SparkSession, config: GraphConfig, table: str, key: int) -> dict[str, Any] | None:
    """Compute the row of `table` with this key alone; None when no such row exists."""
    config.validate()
    _check_tables([table])
    spec = TABLE_KEYS[table]
    root = root_of(table, key)
    roots = {"households": "household_range", "content": "content_range", "campaigns": "campaign_range"}
    limit = {"households": config.households, "content": config.content_items, "campaigns": config.campaigns}[spec.root]
    if key < 0 or root >= limit:
        return None
    configure(spark)
    register_functions(spark, config)
    renderer = Renderer(config, roots={roots[spec.root]: f"range({root}, {root + 1})"})
    found = spark.sql(renderer.table(table)).where(f"{spec.key} = {int(key)}").collect()
    return found[0].asDict() if found else None


def _check_tables(tables) -> None:
    for table in tables:
        if table not in TABLE_KEYS:
            raise ConfigError("table", table, f"one of {list(TABLES)}")
