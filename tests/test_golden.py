"""Golden rendered SQL: sql/golden/ holds every table's rendered SQL at a fixed config, so a
change to what runs shows in review as a diff, and this test fails until the files are
rewritten with it. `idgraph sql --diff REV` renders another revision's sql/ the same way."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import engine
from engine import TABLES, ConfigError, ReleasePolicyError
from engine.golden import (
    GOLDEN_CONFIG,
    GOLDEN_DIR,
    UPDATE_COMMAND,
    VERSION_FILE,
    diff_files,
    golden_digest,
    golden_differences,
    rendered_at_revision,
    recorded_release,
    rendered_files,
    revision_diff,
    write_golden,
)
from engine.render import SQL_DIR, Renderer

REPO = SQL_DIR.parent


def test_golden_sql_matches_the_rendered_sql():
    differences = golden_differences()
    assert not differences, (
        f"the rendered SQL changed but sql/golden/ was not updated: run `{UPDATE_COMMAND}` and commit "
        f"sql/golden/ with the change (so review shows it). Differences:\n" + "".join(differences.values())[:6000]
    )


def test_golden_holds_every_table_and_the_functions():
    assert sorted(p.name for p in GOLDEN_DIR.glob("*.sql")) == sorted([f"{t}.sql" for t in TABLES] + ["functions.sql"])


def test_golden_table_files_are_the_engine_sql_at_the_golden_config():
    # the table files carry no word list, so they are exactly what the engine runs
    renderer = Renderer(GOLDEN_CONFIG)
    for table in TABLES:
        assert (GOLDEN_DIR / f"{table}.sql").read_text() == renderer.table(table).rstrip() + "\n"


def test_a_one_character_change_to_a_generator_fails_the_golden_check(tmp_path):
    sql_dir = tmp_path / "sql"
    shutil.copytree(SQL_DIR, sql_dir)
    households = sql_dir / "households.sql"
    households.write_text(households.read_text().replace("0.5D", "0.6D", 1))
    changed = rendered_files(GOLDEN_CONFIG, sql_dir)
    golden = {p.name: p.read_text() for p in GOLDEN_DIR.glob("*.sql")}
    differing = sorted(name for name in golden if golden[name] != changed[name])
    # households.sql and every table that recomputes households (all person-level tables)
    assert "households.sql" in differing and "functions.sql" not in differing
    assert "content_catalog.sql" not in differing


def test_the_golden_sql_is_recorded_with_the_version_it_was_released_under():
    version, digest = recorded_release()
    assert digest == golden_digest({p.name: p.read_text() for p in GOLDEN_DIR.glob("*.sql")}), f"run {UPDATE_COMMAND}"
    assert tuple(map(int, version.split("."))) <= tuple(map(int, engine.__version__.split(".")))
    pyproject = (REPO / "pyproject.toml").read_text()
    assert f'version = "{engine.__version__}"' in pyproject


def test_changed_golden_sql_under_an_unchanged_version_is_refused(tmp_path):
    golden = tmp_path / "golden"
    shutil.copytree(GOLDEN_DIR, golden)
    version, _ = recorded_release(golden)
    # as if the SQL had changed since the golden files were recorded under `version`
    (golden / VERSION_FILE).write_text(f"{version} {'0' * 64}\n")
    before = {p.name: p.read_text() for p in golden.iterdir()}
    with pytest.raises(ReleasePolicyError, match="bump it in pyproject.toml"):
        write_golden(golden, version=version)
    assert {p.name: p.read_text() for p in golden.iterdir()} == before  # nothing written
    bumped = version + ".1"
    assert VERSION_FILE in write_golden(golden, version=bumped)
    assert recorded_release(golden) == (bumped, golden_digest(rendered_files()))


def _git_repo_with_sql(folder: Path) -> str:
    """A git repository holding a copy of sql/; returns its one commit."""
    run = lambda *a: subprocess.run(["git", "-C", str(folder), *a], check=True, capture_output=True, text=True)
    folder.mkdir()
    run("init", "-q")
    shutil.copytree(SQL_DIR, folder / "sql", ignore=shutil.ignore_patterns("golden", "__pycache__"))
    run("add", "sql")
    run("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "sql")
    return run("rev-parse", "HEAD").stdout.strip()


def test_revision_rendering_equals_the_working_tree_when_sql_is_unchanged(tmp_path):
    repo = tmp_path / "repo"
    rev = _git_repo_with_sql(repo)
    assert rendered_at_revision(rev, GOLDEN_CONFIG, repo=repo) == rendered_files(GOLDEN_CONFIG)


def test_revision_diff_shows_the_rendered_change(tmp_path):
    # the CLI diffs this repository's HEAD; here a throwaway repository stands in for it
    repo = tmp_path / "repo"
    rev = _git_repo_with_sql(repo)
    households = repo / "sql" / "households.sql"
    households.write_text(households.read_text().replace("0.5D", "0.6D", 1))
    old = rendered_at_revision(rev, GOLDEN_CONFIG, repo=repo)
    diffs = diff_files(old, rendered_files(GOLDEN_CONFIG, repo / "sql"), rev, "working-tree")
    assert "households.sql" in diffs
    assert "-  timestamp_seconds(" in diffs["households.sql"] and "* 0.6D) AS BIGINT)) AS created_at" in diffs["households.sql"]


def test_unknown_revision_is_refused_with_the_field():
    with pytest.raises(ConfigError, match="REV"):
        revision_diff("no-such-revision-xyz", GOLDEN_CONFIG)


def test_cli_diff_against_head_runs():
    result = subprocess.run(
        [sys.executable, "-m", "cli", "sql", "--diff", "HEAD", "--households", "100"],
        capture_output=True, text=True, timeout=300, cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
