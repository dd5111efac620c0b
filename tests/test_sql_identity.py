"""The SQL's identity recorded in every manifest: SHA-256 of each table's rendered SQL, of the
functions and of the whole script, with the package version and the git commit."""

from __future__ import annotations

import subprocess
import tomllib

import engine
from engine import TABLES, GraphConfig, render_table
from engine.render import SQL_DIR
from engine.script import render_script
from engine.sql_identity import git_state, sha256, sql_identity


def test_identity_hashes_what_idgraph_sql_prints():
    config = GraphConfig(households=50, seed=3)
    found = sql_identity(config)
    assert set(found["tables"]) == set(TABLES)
    assert found["tables"]["individuals"] == sha256(render_table("individuals", config))
    assert found["script"] == sha256(render_script(config))
    assert found["version"] == engine.__version__ == tomllib.loads((SQL_DIR.parent / "pyproject.toml").read_text())["project"]["version"]


def test_identity_changes_with_the_sql_not_with_nothing():
    a, b = sql_identity(GraphConfig(seed=1)), sql_identity(GraphConfig(seed=2))
    assert a == sql_identity(GraphConfig(seed=1))
    assert a["tables"]["households"] != b["tables"]["households"] and a["functions"] == b["functions"]


def test_git_state_is_the_checkout_head():
    head = subprocess.run(["git", "-C", str(SQL_DIR.parent), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    state = git_state()
    assert state is not None and state["commit"] == head and isinstance(state["dirty"], bool)


def test_git_state_outside_a_checkout_is_none(tmp_path):
    assert git_state(tmp_path) is None
