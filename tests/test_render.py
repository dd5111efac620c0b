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


# ---- one random stream per decision ------------------------------------------------------
# Calls that draw from xxhash64(seed, salt, key), with the streams each one reads: Box-Muller
# normals read salt and salt + 1,000,000; a permutation's rounds hash (seed, salt, round, half),
# a stream family of its own.
_DRAWS = {"idgraph_uniform": ("u", (0,)), "idgraph_uniform_open": ("u", (0,)), "idgraph_hash": ("u", (0,)),
          "idgraph_normal": ("u", (0, 1_000_000)), "idgraph_permute": ("p", (0,)), "idgraph_permute64": ("p", (0,))}


def _consumer(node) -> str:
    """What a draw (or a column holding one) is used for: its parent expression's kind. Looking
    up a list is one decision whichever of its twins is read (the _slug list is the same names
    lower-cased, and the female or male first-name list is picked by gender); writing an
    identifier's bits as hex or a UUID is one decision whichever text form its type takes."""
    import sqlglot.expressions as e

    parent = node.parent
    while isinstance(parent, (e.Paren, e.Cast)):
        parent = parent.parent
    if isinstance(parent, e.Anonymous):
        name = parent.name.lower()
        if name in ("idgraph_hex64", "idgraph_uuid", "idgraph_uuid_upper", "idgraph_hex_digits"):
            return "format"
        if name.startswith("idgraph_") and name not in _DRAWS:
            return "list:" + re.sub(r"_(slug|female|male)", "", name)
        return "call:" + name
    if isinstance(parent, (e.LT, e.LTE, e.GT, e.GTE)):
        return "compare"
    return type(parent).__name__


def draw_consumers(sql: str) -> dict[tuple, set[str]]:
    """Each random stream (family, salt, key) of a rendered query -> what its value is used for.

    A draw used inline is consumed by its parent expression. A draw selected as a column
    (`idgraph_hash(42, 202, individual_id) AS h_first`) is traced through the query: every
    reference to that column (and to columns that merely rename it) is a consumer. A correct
    generator gives each stream one kind of consumer: one decision.
    """
    import sqlglot
    import sqlglot.expressions as e

    tree = sqlglot.parse_one(sql, dialect="spark")
    streams: dict[tuple, set[str]] = {}
    holders: dict[str, list[tuple]] = {}
    for call in tree.find_all(e.Anonymous):
        name = call.name.lower()
        if name not in _DRAWS:
            continue
        family, offsets = _DRAWS[name]
        # a salt picked per case (IF(type = 'ctv_id', 316, 303)) is one stream per branch
        salt_expr, key = call.expressions[1], call.expressions[2].sql(dialect="spark")
        salts = [int(salt_expr.sql())] if isinstance(salt_expr, e.Literal) else [
            int(literal.this) for literal in salt_expr.find_all(e.Literal) if literal.is_int]
        assert salts, f"no salt in {call.sql(dialect='spark')}"
        ids = [(family, salt + offset, key) for salt in salts for offset in offsets]
        parent = call.parent
        if isinstance(parent, e.Alias):
            holders.setdefault(parent.alias, []).extend(ids)
        else:
            for stream in ids:
                streams.setdefault(stream, set()).add(_consumer(call))
    # follow the holding columns (and plain renames of them) to where they are used
    pending = list(holders)
    seen = set(pending)
    while pending:
        column = pending.pop()
        for ref in tree.find_all(e.Column):
            if ref.name != column:
                continue
            parent = ref.parent
            if isinstance(parent, e.Alias) and parent.this is ref:
                if parent.alias not in seen:  # a rename: trace the new name too
                    holders[parent.alias] = holders[column]
                    seen.add(parent.alias)
                    pending.append(parent.alias)
                continue
            if isinstance(parent, e.Select):  # selected as is: passed through
                continue
            for stream in holders[column]:
                streams.setdefault(stream, set()).add(_consumer(ref))
    return streams


@pytest.mark.parametrize("table", TABLES)
def test_every_random_stream_feeds_one_decision(table):
    sql = render_table(table, GraphConfig(households=10, gender_weights={"female": 0.5, "male": 0.3, "other": 0.2}))
    shared = {stream: uses for stream, uses in draw_consumers(sql).items() if len(uses) > 1}
    assert shared == {}, f"{table}: one hash value feeds several decisions"


def test_stream_tracing_finds_one_hash_used_for_two_decisions():
    # the defect of issue 10: one hash picked the first name, the email separator and the list
    sql = """
    SELECT idgraph_first_names_female(h) AS first_name,
           element_at(array('.', '_', ''), CAST(pmod(h, 3) AS INT) + 1) AS separator,
           IF(h & 1 = 0, 'a', 'b') AS list
    FROM (SELECT idgraph_hash(42, 202, id) AS h FROM range(10))
    """
    assert draw_consumers(sql) == {("u", 202, "id"): {"list:idgraph_first_names", "call:pmod", "BitwiseAnd"}}
    same_draw_twice = "SELECT idgraph_uniform(1, 5, id) < 0.5 AS a, floor(idgraph_uniform(1, 5, id) * 3) AS b FROM range(3)"
    assert len(draw_consumers(same_draw_twice)[("u", 5, "id")]) == 2
