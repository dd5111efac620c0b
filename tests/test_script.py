"""The readable script: macro names and derived constants commented, each table's query once
(its children select from its view), and the word lists optionally in a second script."""

from __future__ import annotations

import json
import re

import pytest

from engine import ConfigError, GraphConfig, TABLES
from engine.render import Renderer
from engine.script import render_lists_script, render_script


def _statements(script: str) -> list[str]:
    """Statements with comments dropped and whitespace normalised."""
    text = re.sub(r"/\*.*?\*/", " ", re.sub(r"--[^\n]*", "", script), flags=re.S)
    return [" ".join(s.split()) for s in text.split(";\n") if s.strip()]


def test_separate_word_lists_give_the_same_statements_as_the_self_contained_script():
    config = GraphConfig(households=40, seed=5)
    inline = render_script(config)
    lists, main = render_lists_script(config), render_script(config, lists="separate")
    assert sorted(_statements(lists) + _statements(main)) == sorted(_statements(inline))
    list_functions = Renderer(config).functions("lists")
    assert len(list_functions) >= 11  # the mimesis lists and the email domains
    assert "split(" not in main and lists.count("CREATE OR REPLACE TEMPORARY FUNCTION") == len(list_functions)


def test_script_without_word_lists_stays_small():
    # Issue 14: under 40 KB without the word lists (39,634 bytes for the defaults when written).
    assert len(render_script(GraphConfig(), lists="separate").encode()) < 40_000


def test_script_header_holds_the_config_as_its_changes_from_the_defaults():
    config = GraphConfig(households=40, seed=5, noise_rate=0.02)
    line = next(l for l in render_script(config).splitlines() if l.startswith("-- Config: "))
    changed = json.loads(line[line.index("{"):line.rindex("}") + 1])
    assert changed == {"seed": 5, "households": 40, "noise_rate": 0.02}
    assert GraphConfig.from_dict(changed) == config
    assert "-- Config: the defaults (GraphConfig())." in render_script(GraphConfig())


def test_each_table_query_appears_once():
    script = render_script(GraphConfig(households=40))
    assert script.count("FROM range(0, 40)") == 1
    for table in TABLES:
        assert script.count(f"CREATE OR REPLACE TEMPORARY VIEW idgraph_{table}_rows AS") == 1


def test_rendered_sql_names_its_macros_and_derived_constants():
    config = GraphConfig()
    sql = Renderer(config).table("identity_mappings")
    assert "/* cookie_id_count(slot_id) */" in sql and "/* power_law(cookie_ids):" in sql
    rate = f"{config.ctv_slot_rate!r}D /* ctv_slot_rate = "
    assert rate in sql
    a = 1.0 - (config.cookie_ids.maximum - config.cookie_ids.minimum + 2) ** (1.0 - config.cookie_ids.exponent)
    assert f"{a!r}D" in sql and "a = 1 - (K + 1)^(1 - exponent)" in sql
    assert "/* noise_rate */" in sql


def test_unknown_list_mode_is_refused():
    with pytest.raises(ConfigError, match="lists"):
        render_script(GraphConfig(), lists="elsewhere")
