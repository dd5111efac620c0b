"""idgraph: a synthetic identity-graph generator on Apache Spark.

Every column is a pure function of (seed, key), computed by the SQL files in `sql/`;
children derive parent keys arithmetically, so generation has no joins and no shuffles.

    config = GraphConfig(households=10_000, seed=7)
    frames = build(spark, config)            # lazy DataFrames by table name
    manifest = generate(config, out="out/graph", format="delta")
    results = validate("out/graph")           # the SQL checks in sql/checks/
"""

from .build import build, builders, register_functions, row
from .config import ConfigError, CountDistribution, GraphConfig
from .contenthash import content_hash, content_hashes
from .expected import expected_rows
from .generate import generate, read_manifest
from .keys import TABLES
from .render import render_functions, render_table
from .script import render_script
from .session import local_session
from .sinks import OutputExistsError
from .validate import CheckResult, load_tables, validate

__version__ = "0.2.2"

__all__ = [
    "CheckResult",
    "ConfigError",
    "CountDistribution",
    "GraphConfig",
    "OutputExistsError",
    "TABLES",
    "build",
    "builders",
    "content_hash",
    "content_hashes",
    "expected_rows",
    "generate",
    "load_tables",
    "local_session",
    "read_manifest",
    "register_functions",
    "render_functions",
    "render_script",
    "render_table",
    "row",
    "validate",
]
