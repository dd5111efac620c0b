"""How large Spark's generated code is per table: the JIT limit check.

Spark compiles each whole-stage pipeline into one Java class. HotSpot does not JIT-compile
a method whose bytecode exceeds 8,000 bytes (`-XX:+DontCompileHugeMethods`, the default,
which no managed platform lets a user change): such a method runs interpreted, several
times slower. `EXPLAIN CODEGEN` compiles every whole-stage subtree of a query and reports
its largest method (`maxMethodCodeSize`), so this module asks Spark, per table, through
plain SQL (works on any session, Spark Connect included).

`EXPLAIN CODEGEN` sees only whole-stage subtrees. Spark also compiles code outside them (the
projections a writer or a non-codegen operator builds, orderings, predicates); Spark records
the bytecode size of every method it compiles, whole-stage or not, in its `CodeGenerator`
metrics (`CodegenMetrics.generatedMethodSize`). Reading them needs the JVM, which a Spark
Connect session has no handle to, so the reader lives with the bench's other JVM probes
(`bench.probes.generated_code_sizes`); `check_generated_code` here checks what it read.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # PySpark is imported where a session is made, so `import engine` works without it
    from pyspark.sql import SparkSession

from .build import prepare, table_query
from .config import GraphConfig
from .keys import TABLES

# HotSpot's HugeMethodLimit: methods with more bytecode than this are never JIT-compiled.
JIT_HUGE_METHOD_LIMIT = 8000

_SUBTREE = re.compile(r"maxMethodCodeSize:(\d+)")


class HugeMethodError(AssertionError):
    """A table's generated code has a method the JIT will not compile."""


def largest_method(spark: SparkSession, sql: str) -> int:
    """The largest generated method, in bytes of bytecode, over a query's whole-stage subtrees."""
    text = spark.sql(f"EXPLAIN CODEGEN {sql}").first()[0]
    sizes = [int(size) for size in _SUBTREE.findall(text)]
    if not sizes:
        raise ValueError(f"EXPLAIN CODEGEN reported no whole-stage subtree: {text[:200]!r}")
    return max(sizes)


def largest_methods(spark: SparkSession, config: GraphConfig, tables: tuple[str, ...] | list[str] = TABLES) -> dict[str, int]:
    """Per table, the bytecode size of its largest generated method."""
    renderer = prepare(spark, config, tables)
    return {table: largest_method(spark, table_query(spark, renderer, table)) for table in tables}


def check_jit_limit(sizes: dict[str, int], limit: int = JIT_HUGE_METHOD_LIMIT) -> None:
    """Raise HugeMethodError naming every table whose largest method exceeds `limit`."""
    huge = {table: size for table, size in sizes.items() if size > limit}
    if huge:
        listed = ", ".join(f"{table}: {size} bytes" for table, size in sorted(huge.items()))
        raise HugeMethodError(
            f"generated methods over the JIT's {limit}-byte limit (run interpreted without "
            f"-XX:-DontCompileHugeMethods): {listed}; valid: every table at most {limit}"
        )


@dataclass(frozen=True)
class GeneratedCode:
    """What a JVM's codegen metrics hold: every method Spark compiled, whole-stage or not.

    `methods`: how many method sizes were recorded; `sampled`: how many of them the metrics'
    reservoir still holds (all of them up to 1,028; beyond that `largest_method` is the
    largest of a sample); `largest_method`, `largest_class`: bytes of bytecode.
    """

    methods: int
    sampled: int
    largest_method: int
    largest_class: int

    @property
    def exact(self) -> bool:
        return self.sampled >= self.methods

    def to_dict(self) -> dict[str, int | bool]:
        return {**asdict(self), "exact": self.exact}


def check_generated_code(found: GeneratedCode, limit: int = JIT_HUGE_METHOD_LIMIT) -> None:
    """Raise HugeMethodError when any method Spark compiled (whole-stage or not) exceeds `limit`."""
    if found.largest_method > limit:
        of = "" if found.exact else f" (a sample of {found.sampled} of the {found.methods} methods)"
        raise HugeMethodError(
            f"Spark compiled a {found.largest_method}-byte method{of}, over the JIT's {limit}-byte limit "
            f"(runs interpreted without -XX:-DontCompileHugeMethods); valid: every method at most {limit}"
        )
