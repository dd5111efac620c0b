"""Build the lazy DataFrames of every table from the rendered SQL.

`build()` registers the shared SQL functions the tables call on the session (each once per
session), renders each table's query for the config and returns the DataFrames, nothing
computed yet. `row()` computes one row alone by rendering the same SQL over the single root
id its key derives from.
"""

from __future__ import annotations

import functools
import math
import threading
import weakref
from typing import Any, Callable, Iterable

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # PySpark is imported where a session is made, so `import engine` works without it
    from pyspark.sql import DataFrame, SparkSession

from .config import ConfigError, GraphConfig
from .keys import TABLE_KEYS, TABLES, root_of
from .render import Renderer
from .session import configure, default_parallelism

# Households per partition above which a run gets more partitions than cores.
_HOUSEHOLDS_PER_PARTITION = 250_000


# Per live session, the CREATE FUNCTION statements already run on it: a temporary function
# lives as long as its session, so a warm session (the UI worker, row() previews) registers
# each function once, not once per run.
_REGISTERED: "weakref.WeakKeyDictionary[SparkSession, set[str]]" = weakref.WeakKeyDictionary()
# Writer threads register their tables' functions at once; one statement runs once.
_REGISTERING = threading.Lock()


def register_functions(spark: SparkSession, config: GraphConfig | None = None, queries: Iterable[str] | None = None) -> None:
    """Create the `idgraph_*` temporary SQL functions on this session: all of them, or only
    those `queries` call (directly or through another function). Each statement runs once
    per session."""
    renderer = Renderer(config or GraphConfig())
    statements = renderer.function_statements()
    names = list(statements) if queries is None else renderer.functions_called(queries)
    with _REGISTERING:
        done = _registered(spark)
        for name in names:
            if statements[name] not in done:
                spark.sql(statements[name])
                done.add(statements[name])


def _registered(spark: SparkSession) -> set[str]:
    try:
        return _REGISTERED.setdefault(spark, set())
    except TypeError:  # a session object that cannot be weakly referenced: register every time
        return set()


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
    """Per table, a function that returns its DataFrame: it registers the functions the table
    calls (those not yet on the session) and analyses its query only when called, so a writer
    starts the first table while the others are still set up. `partitions`:
    resolve_partitions() if None."""
    renderer = prepare(spark, config, tables, partitions)
    return {table: functools.partial(_table_frame, spark, renderer, table) for table in tables}


def prepare(spark: SparkSession, config: GraphConfig, tables: tuple[str, ...] | list[str] = TABLES, partitions: int | None = None) -> Renderer:
    """Check the config and tables, apply the session settings and return the renderer of
    the tables' queries. `partitions`: resolve_partitions() if None."""
    config.validate()
    _check_tables(tables)
    configure(spark)
    return Renderer(config, partitions=partitions or resolve_partitions(spark, config))


def table_query(spark: SparkSession, renderer: Renderer, table: str) -> str:
    """The table's rendered query, with the functions it calls registered on the session."""
    query = renderer.table(table)
    register_functions(spark, renderer.config, [query])
    return query


def _table_frame(spark: SparkSession, renderer: Renderer, table: str) -> DataFrame:
    return spark.sql(table_query(spark, renderer, table))


def row(spark: SparkSession, config: GraphConfig, table: str, key: int) -> dict[str, Any] | None:
    """Compute the row of `table` with this key alone; None when no such row exists."""
    config.validate()
    _check_tables([table])
    spec = TABLE_KEYS[table]
    root = root_of(table, key)
    if key < 0 or root >= _root_limit(config, spec.root):
        return None
    found = _rows_of_roots(spark, config, table, root, root + 1, where=f"{spec.key} = {int(key)}", limit=1)
    return found[0] if found else None


# Roots (households, content items, campaigns) a preview reads: enough for five rows of every
# table, responses included, even with few campaigns (16 households gave one response row
# for the tests' 20 campaigns); the data is tiny, the query's analysis is the cost.
PREVIEW_ROOTS = 256


def preview_rows(spark: SparkSession, config: GraphConfig, table: str, count: int = 5) -> list[dict[str, Any]]:
    """The first `count` rows of `table` by key, computed as `row()` computes one: the table's
    own query over its first `PREVIEW_ROOTS` roots only, so any row shown equals `row()` of
    its key. Fewer rows when those roots have fewer (e.g. a response rate of 0)."""
    config.validate()
    _check_tables([table])
    limit = _root_limit(config, TABLE_KEYS[table].root)
    return _rows_of_roots(spark, config, table, 0, min(limit, PREVIEW_ROOTS), where=None, limit=count)


def _root_limit(config: GraphConfig, root: str) -> int:
    return {"households": config.households, "content": config.content_items, "campaigns": config.campaigns}[root]


def _rows_of_roots(spark: SparkSession, config: GraphConfig, table: str, start: int, stop: int, where: str | None, limit: int) -> list[dict[str, Any]]:
    """Rows of `table` whose keys derive from roots [start, stop), smallest key first."""
    spec = TABLE_KEYS[table]
    roots = {"households": "household_range", "content": "content_range", "campaigns": "campaign_range"}
    configure(spark)
    renderer = Renderer(config, roots={roots[spec.root]: f"range({start}, {stop})"})
    frame = spark.sql(table_query(spark, renderer, table))
    if where is not None:
        frame = frame.where(where)
    return [found.asDict() for found in frame.orderBy(spec.key).limit(limit).collect()]


def _check_tables(tables) -> None:
    for table in tables:
        if table not in TABLE_KEYS:
            raise ConfigError("table", table, f"one of {list(TABLES)}")
