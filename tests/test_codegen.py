"""Every table's generated code is JIT-compilable in a default JVM (no -XX flags)."""

from __future__ import annotations

import pytest

from engine import TABLES, GraphConfig
from engine.codegen import JIT_HUGE_METHOD_LIMIT, HugeMethodError, check_jit_limit, largest_methods


def test_no_generated_method_exceeds_the_jit_limit(spark):
    sizes = largest_methods(spark, GraphConfig(households=1000))
    print("largest generated method per table (bytes):", sizes)
    assert set(sizes) == set(TABLES)
    assert all(size > 0 for size in sizes.values())
    check_jit_limit(sizes)


def test_check_names_every_table_over_the_limit():
    with pytest.raises(HugeMethodError, match=r"content_engagement: 8044 bytes.*households: 9000 bytes"):
        check_jit_limit({"households": 9000, "individuals": 100, "content_engagement": 8044})
    check_jit_limit({"households": JIT_HUGE_METHOD_LIMIT})


def test_a_session_gets_only_the_functions_its_tables_call(spark):
    from engine import build

    session = spark.newSession()  # its own temporary functions, the same JVM
    build(session, GraphConfig(households=10), ["households"])
    found = {r[0].split(".")[-1] for r in session.sql("SHOW USER FUNCTIONS LIKE 'idgraph*'").collect()}
    assert found == {"idgraph_uniform", "idgraph_hash", "idgraph_cities", "idgraph_states"}
