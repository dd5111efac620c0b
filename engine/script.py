"""One self-contained Spark SQL script that generates the whole graph without Python.

`render_script(config)` writes what `engine.build` runs as plain statements: the session
time zone, the `idgraph_*` temporary functions (mimesis lists inlined as array
literals), then for each table `DROP TABLE IF EXISTS` and `CREATE TABLE <name> USING
<format> AS SELECT ...`. Run it with `spark-sql -f graph.sql` (or statement by statement
in any Spark SQL session): the tables have the same content hash as the engine's.
Tables rather than temporary views, so the result outlives the session and each table
is computed once, like `idgraph generate`.
"""

from __future__ import annotations

from .config import ConfigError, GraphConfig
from .keys import TABLES
from .render import Renderer

# Formats a plain Spark session can create without extra jars; Databricks also has delta.
SCRIPT_FORMATS = ("parquet", "delta", "orc")


def render_script(config: GraphConfig, format: str = "parquet", prefix: str = "") -> str:
    """The complete script for `config`: functions, then one CREATE TABLE ... AS SELECT per table.

    `prefix` is prepended to every table name (e.g. "mydb." or "run1_"); it must be a
    plain identifier prefix (letters, digits, underscores, at most one dot).
    """
    config.validate()
    if format not in SCRIPT_FORMATS:
        raise ConfigError("format", format, f"one of {list(SCRIPT_FORMATS)}")
    if prefix and not prefix.replace("_", "").replace(".", "").isalnum() or prefix.count(".") > 1:
        raise ConfigError("prefix", prefix, "letters, digits and underscores, with at most one dot (database.)")
    renderer = Renderer(config, partitions=config.partitions)
    parts = [
        "-- idgraph: the whole synthetic identity graph as one Spark SQL script, no Python needed.",
        f"-- households={config.households} seed={config.seed} config_hash={config.config_hash()}",
        "-- Every column is a pure function of (seed, key): run it anywhere, get the same tables.",
        "-- Config: " + config.to_json(indent=None),
        "",
        "-- Timestamps are built from Unix seconds and compared as UTC dates.",
        "SET spark.sql.session.timeZone = UTC;",
        "",
        "-- Shared functions (sql/functions.sql), word lists from mimesis inlined.",
        "\n\n".join(renderer.functions()),
    ]
    for table in TABLES:
        parts += [
            "",
            f"-- {table} (sql/{table}.sql)",
            f"DROP TABLE IF EXISTS {prefix}{table};",
            f"CREATE TABLE {prefix}{table} USING {format} AS\n{renderer.table(table).rstrip().rstrip(';')};",
        ]
    return "\n".join(parts) + "\n"
