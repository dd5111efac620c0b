"""idgraph: a synthetic identity-graph generator on Apache Spark.

Every column is a pure function of (seed, key), computed by the SQL files in `sql/`;
children derive parent keys arithmetically, so generation has no joins and no shuffles.

    config = GraphConfig(households=10_000, seed=7)
    frames = build(spark, config)            # lazy DataFrames by table name
    manifest = generate(config, out="out/graph", format="delta")
    results = validate("out/graph")           # the SQL checks in sql/checks/
"""

from .build import PREVIEW_ROOTS, build, builders, preview_rows, register_functions, row
from .codegen import JIT_HUGE_METHOD_LIMIT, GeneratedCode, HugeMethodError, check_generated_code, check_jit_limit, largest_methods
from .config import CountDistribution, GraphConfig
from .contenthash import content_hash, content_hashes
from .errors import (
    ConfigError,
    CorruptOutputError,
    IdgraphError,
    InputError,
    JavaMissingError,
    ReleasePolicyError,
    OutputExistsError,
    OutputLockedError,
    SessionError,
    ShuttingDownError,
    TableWriteError,
    WorkspaceError,
)
from .events import (
    Event,
    ProgressCallback,
    RunDone,
    RunProgress,
    TableFailed,
    TableFinished,
    TableStarted,
    event_from_dict,
    event_to_dict,
    fold,
)
from .expected import expected_rows
from .generate import WRITE_ORDER, generate, make_sink, versions, write_rank, write_tables
from .keys import TABLES
from .manifest import MANIFEST, JobManifest, Manifest, read_manifest, write_manifest
from .render import Renderer, render_functions, render_table
from .script import render_lists_script, render_script
from .session import configure, local_session
from .sinks import DIRECTORY_FORMATS, FORMATS, DirectorySink, Sink, TableSink, clean_partial_output, staging_folders
from .validate import CheckResult, check_names, load_tables, validate

__version__ = "0.2.2"

# The public API: ui/, bench/ and cli/ use only these names and the documented subpackages
# (engine.databricks, engine.job_config, engine.app_settings, engine.names, engine.profile,
# and the reviewer's tools engine.golden and engine.lineage);
# tests/test_architecture.py enforces it with the import-linter contracts in pyproject.toml.
__all__ = [
    "CheckResult",
    "ConfigError",
    "CorruptOutputError",
    "CountDistribution",
    "DIRECTORY_FORMATS",
    "DirectorySink",
    "Event",
    "FORMATS",
    "GeneratedCode",
    "GraphConfig",
    "HugeMethodError",
    "IdgraphError",
    "InputError",
    "JIT_HUGE_METHOD_LIMIT",
    "JavaMissingError",
    "JobManifest",
    "MANIFEST",
    "Manifest",
    "OutputExistsError",
    "OutputLockedError",
    "PREVIEW_ROOTS",
    "ProgressCallback",
    "ReleasePolicyError",
    "Renderer",
    "RunDone",
    "RunProgress",
    "SessionError",
    "ShuttingDownError",
    "Sink",
    "TABLES",
    "TableFailed",
    "TableFinished",
    "TableSink",
    "TableStarted",
    "TableWriteError",
    "WRITE_ORDER",
    "WorkspaceError",
    "build",
    "builders",
    "check_generated_code",
    "check_jit_limit",
    "check_names",
    "clean_partial_output",
    "configure",
    "content_hash",
    "content_hashes",
    "event_from_dict",
    "event_to_dict",
    "expected_rows",
    "fold",
    "generate",
    "largest_methods",
    "load_tables",
    "local_session",
    "make_sink",
    "preview_rows",
    "read_manifest",
    "register_functions",
    "render_functions",
    "render_lists_script",
    "render_script",
    "render_table",
    "row",
    "staging_folders",
    "validate",
    "versions",
    "write_manifest",
    "write_rank",
    "write_tables",
]
