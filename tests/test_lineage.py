"""Column lineage is read from the generator SQL: every output column of every table has it,
it names the salts, config fields and parent columns the SQL uses, and sql/LINEAGE.md is
the current rendering of it."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess
import sys

import pytest
import sqlglot

from engine import TABLES, GraphConfig
from engine.golden import UPDATE_COMMAND
from engine.lineage import LineageError, lineage, lineage_path, render_markdown, table_lineage, table_rows
from engine.render import SQL_DIR, render_table

LINEAGE = lineage()


def _output_columns(table: str) -> list[str]:
    """The table's columns as an independent parser (sqlglot) reads its rendered SQL."""
    tree = sqlglot.parse_one(render_table(table, GraphConfig(households=10)), dialect="spark")
    return [e.alias_or_name for e in tree.expressions]


@pytest.mark.parametrize("table", TABLES)
def test_every_column_has_lineage(table):
    columns = {c.column: c for c in LINEAGE[table]}
    assert list(columns) == _output_columns(table)
    for c in columns.values():
        # every value comes from somewhere: a salted hash, a parent column or a row key
        assert c.salts or c.parents or c.keys, f"{table}.{c.column} has no lineage"


def test_lineage_names_salts_keys_config_and_formula():
    by = {(c.table, c.column): c for cols in LINEAGE.values() for c in cols}
    size = by["households", "household_size"]
    assert size.salts == ["idgraph_uniform 101 <- id"] and size.config == ["household_size_weights"]
    assert "choice" in size.formula
    age = by["individuals", "age"]
    assert any(s.startswith("idgraph_uniform_open 206 <- ") for s in age.salts)  # truncated normal by inverse CDF
    assert {"age_mean", "age_sd", "age_min", "age_max"} <= set(age.config) and "0.5D" in age.constants
    created = by["individuals", "created_at"]
    assert "households.created_at" in created.parents and "window_seconds" in created.formula
    cookie = by["identity_mappings", "observed_at"]
    assert "cookie_ids" in cookie.config and "generation_start" in cookie.formula
    assert "identifier_type_uniform" in by["identity_mappings", "identifier_type"].formula
    response = by["response_events", "exposure_id"]
    assert response.parents == ["campaign_exposures.exposure_id"] and response.salts == []


def test_every_salt_of_a_table_file_appears_in_its_lineage():
    # a salt either shapes a column's value or decides which rows exist (LATERAL VIEW, WHERE)
    for table in TABLES:
        written = set(re.findall(r"idgraph_\w+\(\{\{ seed \}\}, (\d+),", (SQL_DIR / f"{table}.sql").read_text()))
        found = {s.split()[1] for c in LINEAGE[table] for s in c.salts}
        found |= {s.split()[1] for r in table_rows(table) for s in r.salts}
        assert written <= found, f"{table}: salts {sorted(written - found)} missing from its lineage"


def test_lineage_config_entries_are_config_fields():
    # a derived template value (window_seconds, ctv_slot_rate, ...) is listed by the fields it
    # comes from: a new one needs its entry in engine.render.DERIVED_VALUES
    fields = {f.name for f in dataclasses.fields(GraphConfig)}
    for table, columns in LINEAGE.items():
        used = {f for c in columns for f in c.config} | {f for r in table_rows(table) for f in r.config}
        assert used <= fields, f"{table}: {sorted(used - fields)} are not GraphConfig fields"


def test_lineage_md_is_current():
    assert lineage_path().read_text() == render_markdown(LINEAGE), f"sql/LINEAGE.md is stale: run `{UPDATE_COMMAND}`"


def test_a_column_the_reader_cannot_trace_fails(tmp_path):
    sql_dir = tmp_path / "sql"
    shutil.copytree(SQL_DIR, sql_dir)
    path = sql_dir / "households.sql"
    path.write_text(path.read_text().replace("  household_id,\n", "  household_id,\n  mystery_column,\n", 1))
    with pytest.raises(LineageError, match="mystery_column"):
        table_lineage("households", sql_dir)


def test_named_steps_are_followed_and_a_missing_step_fails(tmp_path):
    # identity_mappings is written as the named steps of a WITH: a column is traced through
    # them down to the parent table, and a step read before it is named is an error
    mapping = {c.column: c for c in LINEAGE["identity_mappings"]}
    assert "individuals.email" in mapping["identifier_value"].parents
    assert "idgraph_uniform 310 <- slot_id * 16 + x.g" in table_rows("identity_mappings")[0].salts
    sql_dir = tmp_path / "sql"
    shutil.copytree(SQL_DIR, sql_dir)
    path = sql_dir / "identity_mappings.sql"
    text = path.read_text()
    assert "  FROM slot_draws\n" in text
    path.write_text(text.replace("  FROM slot_draws\n", "  FROM slot_drawz\n", 1))
    with pytest.raises(LineageError, match="slot_drawz"):
        table_lineage("identity_mappings", sql_dir)


def test_cli_lineage_json_and_markdown():
    run = lambda *a: subprocess.run([sys.executable, "-m", "cli", "lineage", *a], capture_output=True, text=True, timeout=120)
    data = json.loads(run("households", "--json").stdout)
    assert [c["column"] for c in data["households"]["columns"]] == _output_columns("households")
    assert run("households", "--markdown").stdout.startswith("# Column lineage")
    bad = run("people")
    assert bad.returncode == 2 and "TABLE: got 'people'" in bad.stderr
