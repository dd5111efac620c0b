"""Audit of the SQL itself: every rendered file parses as Spark SQL and calls only
deterministic functions, and the self-contained script rebuilds the engine's tables
in a plain `spark-sql` process with no Python."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from engine import TABLES, GraphConfig, build, content_hash
from cli.main import main
from engine.profile import PROFILE_DIR, given_sql, profile_sql
from engine.render import SQL_DIR, Renderer
from engine.script import render_script
from engine.validate import check_names, check_sql

# Functions whose result is not a function of their arguments (random, clock, session,
# partition or file dependent), as sqlglot names them (its canonical name, or the name as
# written for functions it does not know).
NONDETERMINISTIC = frozenset(
    {
        "RAND", "RANDOM", "RANDN", "RANDSTR", "UNIFORM", "UUID", "SHUFFLE",
        "NOW", "CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME", "LOCALTIMESTAMP", "CURRENT_TIMEZONE",
        "MONOTONICALLY_INCREASING_ID", "SPARK_PARTITION_ID",
        "INPUT_FILE_NAME", "INPUT_FILE_BLOCK_START", "INPUT_FILE_BLOCK_LENGTH",
        "REFLECT", "JAVA_METHOD", "TRY_REFLECT",
        "CURRENT_USER", "SESSION_USER", "USER", "CURRENT_DATABASE", "CURRENT_SCHEMA", "CURRENT_CATALOG",
        "UNIX_TIMESTAMP()",  # without arguments: the current time
    }
)


def called_functions(sql: str) -> set[str]:
    """Upper-case names of every function the statements call (sqlglot, Spark dialect)."""
    names = set()
    for tree in sqlglot.parse(sql, dialect="spark", error_level=sqlglot.ErrorLevel.RAISE):
        for node in tree.find_all(exp.Func):
            name = node.name if isinstance(node, exp.Anonymous) else node.sql_name()
            if isinstance(node, exp.StrToUnix) and node.this is None:
                name = "UNIX_TIMESTAMP()"
            names.add(name.upper())
    return names


def _rendered_sql() -> dict[str, str]:
    """Every SQL file the engine runs, rendered for the default config, by path."""
    config = GraphConfig(households=1000)
    renderer = Renderer(config)
    rendered = {f"sql/{t}.sql": renderer.table(t) for t in TABLES}
    rendered["sql/functions.sql"] = "\n".join(renderer.functions())
    rendered.update({f"sql/checks/{n}.sql": check_sql(n, config) for n in check_names()})
    rendered.update({f"sql/profile/{p.stem}.sql": profile_sql(p.stem, config) for p in sorted(PROFILE_DIR.glob("*.sql"))})
    rendered.update({f"sql/profile/given/{p.stem}.sql": given_sql(p.stem, config) for p in sorted((PROFILE_DIR / "given").glob("*.sql"))})
    return rendered


RENDERED = _rendered_sql()


def test_every_sql_file_is_audited():
    # macros.sql is expanded inside the table files; everything else is parsed as it runs
    # (sql/golden/ holds rendered copies for review, not templates: tests/test_golden.py).
    files = {str(p.relative_to(SQL_DIR.parent)) for p in SQL_DIR.rglob("*.sql") if p.parent.name != "golden"} - {"sql/macros.sql"}
    assert files == set(RENDERED)


@pytest.mark.parametrize("path", sorted(RENDERED))
def test_rendered_sql_parses_and_calls_only_deterministic_functions(path):
    called = called_functions(RENDERED[path])
    assert called, f"{path}: no function calls found, so the parse is suspect"
    assert called & NONDETERMINISTIC == set()


@pytest.mark.parametrize(
    "call",
    ["rand()", "rand(7)", "random()", "randn(1)", "uuid()", "shuffle(array(1, 2))", "now()", "current_timestamp()",
     "current_timestamp", "current_date()", "current_date", "monotonically_increasing_id()", "spark_partition_id()",
     "input_file_name()", "unix_timestamp()", "reflect('java.util.UUID', 'randomUUID')", "uniform(0, 1, 5)"],
)
def test_audit_catches_each_nondeterministic_function(call):
    assert called_functions(f"SELECT id, {call} AS x FROM range(3)") & NONDETERMINISTIC


def test_unix_timestamp_of_a_column_is_allowed():
    assert called_functions("SELECT unix_timestamp(ts) FROM t") & NONDETERMINISTIC == set()


def test_script_has_functions_then_one_create_table_per_table():
    script = render_script(GraphConfig(households=40, seed=5))
    assert "{{" not in script and "}}" not in script
    assert script.count("CREATE OR REPLACE TEMPORARY FUNCTION") == len(Renderer(GraphConfig()).functions())
    positions = [script.index(f"CREATE TABLE {t} USING parquet AS") for t in TABLES]
    assert positions == sorted(positions) and script.rindex("TEMPORARY FUNCTION") < positions[0]
    assert called_functions(script) & NONDETERMINISTIC == set()


def test_script_refuses_an_unknown_format():
    from engine import ConfigError

    with pytest.raises(ConfigError, match="format"):
        render_script(GraphConfig(), format="csv")


def _spark_sql() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent / "bin" / "spark-sql"


@pytest.mark.slow
def test_script_run_by_spark_sql_without_python_gives_the_engines_tables(spark, tmp_path):
    config = GraphConfig(households=40, seed=5, content_items=300, campaigns=12)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["sql", "--all", "--households", "40", "--seed", "5", "--config", _config_file(config, tmp_path)]) == 0
    script = tmp_path / "graph.sql"
    script.write_text(printed.getvalue())
    warehouse = tmp_path / "warehouse"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYSPARK")}
    run = subprocess.run(
        [str(_spark_sql()), "--master", "local[2]", "--driver-memory", "1g",
         "--conf", "spark.ui.enabled=false", "--conf", f"spark.sql.warehouse.dir={warehouse}",
         "--conf", f"spark.driver.extraJavaOptions=-Dderby.system.home={tmp_path}", "-f", str(script)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    frames = build(spark, config)
    for table in TABLES:
        written = spark.read.parquet(str(warehouse / table))
        assert content_hash(written) == content_hash(frames[table]), table


def _config_file(config: GraphConfig, folder: Path) -> str:
    path = folder / "config.json"
    path.write_text(config.to_json())
    return str(path)
