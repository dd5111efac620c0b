"""Rendering: templates expand fully, deterministically, and keep the performance rules."""

from __future__ import annotations

import re

import pytest

from engine import TABLES, GraphConfig, render_functions, render_table
from engine.render import Renderer, SQL_DIR, shared_macros


@pytest.mark.parametrize("table", TABLES)
def test_every_table_renders_without_leftover_templates(table):
    sql = render_table(table, GraphConfig(households=10))
    assert "{{" not in sql and "}}" not in sql
    assert re.search(r"\{\w+\}", sql) is None, "a macro parameter was not substituted"


def test_rendering_is_deterministic_and_seed_dependent():
    a = render_table("individuals", GraphConfig(seed=1))
    assert a == render_table("individuals", GraphConfig(seed=1))
    assert a != render_table("individuals", GraphConfig(seed=2))


def test_functions_render_to_create_statements():
    statements = render_functions()
    bodies = ["\n".join(l for l in s.splitlines() if not l.startswith("--")).strip() for s in statements]
    assert bodies and all(b.startswith("CREATE OR REPLACE TEMPORARY FUNCTION idgraph_") for b in bodies)
    assert all("{{" not in s for s in statements)


def test_choice_refuses_an_expression_as_its_uniform():
    with pytest.raises(ValueError, match="column name"):
        Renderer(GraphConfig()).render("{{ choice(income_weights, idgraph_uniform(1, 2, x)) }}")


def test_column_salts_are_not_reused_within_a_table_file():
    # A salt names a column's random stream; two columns sharing one would be correlated.
    for path in SQL_DIR.glob("*.sql"):
        text = path.read_text()
        salts = re.findall(r"idgraph_(?:uniform|uniform_open|normal|hash)\(\{\{ seed \}\}, (\d+), ([^)]*)\)", text)
        seen: dict[str, str] = {}
        for salt, key in salts:
            assert seen.setdefault(salt, key) == key, f"{path.name}: salt {salt} used for {seen[salt]} and {key}"


def test_macros_file_parses():
    macros = shared_macros()
    assert {"identifier_count", "identifier_value", "observed_at", "campaign_days"} <= set(macros)


def test_a_table_needs_only_the_functions_it_calls_dependencies_first():
    renderer = Renderer(GraphConfig())
    order = list(renderer.function_statements())
    households = renderer.functions_called([renderer.table("households")])
    assert set(households) == {"idgraph_uniform", "idgraph_hash", "idgraph_cities", "idgraph_states"}
    engagement = renderer.functions_called([renderer.table("content_engagement")])
    # called only through idgraph_identifier_text and idgraph_permute64
    assert {"idgraph_uuid_upper", "idgraph_hex_digits", "idgraph_feistel_round"} <= set(engagement)
    assert engagement == sorted(engagement, key=order.index)
    assert order.index("idgraph_feistel_round") < order.index("idgraph_permute64")
    assert order.index("idgraph_uuid") < order.index("idgraph_identifier_text")
