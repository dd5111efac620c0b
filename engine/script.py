"""One self-contained Spark SQL script that generates the whole graph without Python.

`render_script(config)` writes what `engine.build` runs as plain statements: the session
time zone, the `idgraph_*` temporary functions (mimesis lists inlined as array
literals), then for each table `DROP TABLE IF EXISTS` and `CREATE TABLE <name> USING
<format> AS SELECT ...`. Run it with `spark-sql -f graph.sql` (or statement by statement
in any Spark SQL session): the tables have the same content hash as the engine's.
Tables rather than temporary views, so the result outlives the session and each table
is computed once, like `idgraph generate`. Each table's query is first named as a
temporary view (`idgraph_<table>_rows`) that its children select from where the engine
inlines the parent's query: Spark expands a view in place, so the plan (and every value)
is the engine's, and the script shows each query once.

With `lists="separate"` the word-list lookup functions (three quarters of the
self-contained script) go to a second script, `render_lists_script(config)`, run first in
the same session (`spark-sql -i idgraph_lists.sql -f graph.sql`); the main script then
reads as the generators do. Together they are the same statements as the self-contained form.
"""

from __future__ import annotations

import json

from .config import ConfigError, GraphConfig
from .keys import TABLES
from .render import Renderer

# Formats a plain Spark session can create without extra jars; Databricks also has delta.
SCRIPT_FORMATS = ("parquet", "delta", "orc")
# Where the word lists go: inlined in the script, or in a second script run before it.
LIST_MODES = ("inline", "separate")
# The file name the separate word-list script is given by `idgraph sql --all --lists-file`.
LISTS_FILE = "idgraph_lists.sql"


def render_script(config: GraphConfig, format: str = "parquet", prefix: str = "", lists: str = "inline") -> str:
    """The complete script for `config`: functions, then one CREATE TABLE ... AS SELECT per table.

    `prefix` is prepended to every table name (e.g. "mydb." or "run1_"); it must be a
    plain identifier prefix (letters, digits, underscores, at most one dot). `lists`:
    "inline" (self-contained) or "separate" (the word-list functions left to
    `render_lists_script`, run first).
    """
    config.validate()
    if lists not in LIST_MODES:
        raise ConfigError("lists", lists, f"one of {list(LIST_MODES)}")
    if format not in SCRIPT_FORMATS:
        raise ConfigError("format", format, f"one of {list(SCRIPT_FORMATS)}")
    if prefix and not prefix.replace("_", "").replace(".", "").isalnum() or prefix.count(".") > 1:
        raise ConfigError("prefix", prefix, "letters, digits and underscores, with at most one dot (database.)")
    renderer = _ScriptRenderer(config, partitions=config.partitions)
    parts = [
        "-- idgraph: the whole synthetic identity graph as one Spark SQL script, no Python needed.",
        f"-- households={config.households} seed={config.seed} config_hash={config.config_hash()}",
        "-- Every column is a pure function of (seed, key): run it anywhere, get the same tables.",
        _config_line(config),
        "",
        "-- Timestamps are built from Unix seconds and compared as UTC dates.",
        "SET spark.sql.session.timeZone = UTC;",
        "",
    ]
    if lists == "inline":
        parts += ["-- Shared functions (sql/functions.sql), word lists from mimesis inlined.", "\n\n".join(renderer.functions())]
    else:
        parts += [
            f"-- The word-list lookup functions (idgraph_cities, ...) are in {LISTS_FILE}: run it first, in the",
            f"-- same session (spark-sql -i {LISTS_FILE} -f graph.sql). The other shared functions (sql/functions.sql):",
            "\n\n".join(renderer.functions("formulas")),
        ]
    for table in TABLES:
        parts += [
            "",
            f"-- {table} (sql/{table}.sql)",
            f"CREATE OR REPLACE TEMPORARY VIEW {_view(table)} AS\n{renderer.table(table).rstrip().rstrip(';')};",
            f"DROP TABLE IF EXISTS {prefix}{table};",
            f"CREATE TABLE {prefix}{table} USING {format} AS SELECT * FROM {_view(table)};",
        ]
    return "\n".join(parts) + "\n"


def _config_line(config: GraphConfig) -> str:
    """The config as the fields that differ from the defaults (GraphConfig.from_dict fills the
    rest back in), so the header says what is particular to this run in one short line."""
    defaults = GraphConfig().to_dict()
    changed = {k: v for k, v in config.to_dict().items() if v != defaults[k]}
    if not changed:
        return "-- Config: the defaults (GraphConfig())."
    return "-- Config: the defaults except " + json.dumps(changed) + " (GraphConfig.from_dict fills in the rest)."


def _view(table: str) -> str:
    return f"idgraph_{table}_rows"


class _ScriptRenderer(Renderer):
    """A parent table's query is its temporary view, defined earlier in the script."""

    def macro_table(self, name: str) -> str:
        return f"/* table({name}): the query of sql/{name}.sql, recomputed (no join) */ SELECT * FROM {_view(name)}"


def render_lists_script(config: GraphConfig) -> str:
    """The word-list lookup functions alone, for a script rendered with lists="separate"."""
    return "\n".join(
        [
            "-- idgraph word lists: the idgraph_* lookup functions, each holding one mimesis list once.",
            f"-- Run before the main script, in the same session (spark-sql -i {LISTS_FILE} -f graph.sql).",
            "",
            "\n\n".join(Renderer(config).functions("lists")),
        ]
    ) + "\n"
