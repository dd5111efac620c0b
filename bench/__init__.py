"""idgraph's benchmark harness: the generator against this machine's raw Spark write limit.

`idgraph bench` runs the whole graph over a ladder of scales and core counts, each
(scale, cores) in its own process with its own `local[N]` Spark session, and alternates
generator runs with "limit" runs that write `spark.range` tables of the same shape
through the same sink. Results are JSON (schema in `bench/README.md`), a PNG plot and a
Markdown summary; `pytest bench --benchmark-only` runs the micro-benchmarks.
"""

from .harness import add_arguments, run, run_ladder
from .report import markdown_summary, plot_results, update_readme_block, validate_results

__all__ = [
    "add_arguments",
    "markdown_summary",
    "plot_results",
    "run",
    "run_ladder",
    "update_readme_block",
    "validate_results",
]
