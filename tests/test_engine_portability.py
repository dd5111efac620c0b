"""The engine only speaks the DataFrame/SQL API, so it runs unchanged over Spark Connect.

Spark Connect sessions have no SparkContext, RDDs or JVM handles; code under `engine/` that
touched them would work locally and break remotely. The scan reads Python tokens, so a
docstring or comment that mentions a forbidden name (to explain its absence) is not a hit.
"""

from __future__ import annotations

import io
import tokenize
from pathlib import Path

import pytest

ENGINE = Path(__file__).resolve().parent.parent / "engine"

# Names that exist only on classic (JVM-backed) sessions, with what to use instead.
CLASSIC_ONLY = {
    "sparkContext": "spark.sql / spark.conf (default_parallelism: engine.session.default_parallelism)",
    "SparkContext": "the SparkSession passed in",
    "rdd": "DataFrame operations",
    "RDD": "DataFrame operations",
    "parallelize": "spark.range or spark.createDataFrame",
    "_jdf": "the DataFrame API",
    "_jsc": "the SparkSession API",
    "_jvm": "Spark SQL functions",
    "_jsparkSession": "the SparkSession API",
    "_jconf": "spark.conf",
}


def classic_only_uses(source: str) -> list[tuple[int, str]]:
    """(line, name) of every classic-only name used as code (not in strings or comments)."""
    hits = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.NAME and token.string in CLASSIC_ONLY:
            hits.append((token.start[0], token.string))
    return hits


def test_scan_flags_rdd_and_spark_context_code_but_not_prose():
    source = '''
"""Reads parallelism without the SparkContext."""
# never df.rdd here
n = spark.sparkContext.defaultParallelism
rows = df.rdd.map(len)
jdf = df._jdf
'''
    assert classic_only_uses(source) == [(4, "sparkContext"), (5, "rdd"), (6, "_jdf")]


@pytest.mark.parametrize("path", sorted(ENGINE.rglob("*.py")), ids=lambda p: str(p.relative_to(ENGINE)))
def test_engine_module_uses_no_classic_only_spark_api(path):
    hits = classic_only_uses(path.read_text(encoding="utf-8"))
    assert not hits, "; ".join(f"engine/{path.relative_to(ENGINE)}:{line} uses {name}: use {CLASSIC_ONLY[name]}" for line, name in hits)
