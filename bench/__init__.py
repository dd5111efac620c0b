"""idgraph's benchmark harness: the generator against this machine's raw Spark write limit.

`idgraph bench` runs the whole graph over a ladder of scales and core counts, each
(scale, cores) in its own process with its own `local[N]` Spark session, and pairs
generator passes with "limit" passes that write `spark.range` tables of the same shape and
bytes through the same sink (ABBA order, after a warm pass for each). Results are JSON
(schema in `bench/README.md`, read through `bench.results`), a PNG plot and a Markdown
summary; `idgraph bench compare` gates regressions; `pytest bench --benchmark-only` runs
the micro-benchmarks.
"""

from .harness import add_arguments, run, run_ladder
from .report import markdown_summary, one_line_answer, render, update_readme_block
from .results import DEFAULT_FOLDER, list_results, load_results, validate_results

__all__ = [
    "DEFAULT_FOLDER",
    "add_arguments",
    "list_results",
    "load_results",
    "markdown_summary",
    "one_line_answer",
    "render",
    "run",
    "run_ladder",
    "update_readme_block",
    "validate_results",
]
