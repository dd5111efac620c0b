"""Results as documents: the JSON schema check, the Markdown summary, the plot, the README block.

Every figure shown anywhere (the `.md` beside a results file, the README's performance
section) is rendered here from a results file, so none is ever typed by hand.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

from .targets import check_targets

README_START = "<!-- bench:start -->"
README_END = "<!-- bench:end -->"


class ResultsSchemaError(ValueError):
    """A results file does not follow the schema in bench/README.md."""

    def __init__(self, field: str, value: Any, expected: str) -> None:
        self.field, self.value, self.expected = field, value, expected
        super().__init__(f"{field}: got {_short(value)}; expected {expected}")


# The schema, as data: path -> expected type(s). "[]" walks every element of a list,
# "{}" every value of a mapping. Checked by validate_results.
_NUMBER = (int, float)
_OPTIONAL_NUMBER = (int, float, type(None))
_TIMING = {
    "seconds": list,
    "median_seconds": _NUMBER,
    "min_seconds": _NUMBER,
    "max_seconds": _NUMBER,
    "spread": _NUMBER,
    "rows_per_second": _OPTIONAL_NUMBER,
}
SCHEMA: dict[str, Any] = {
    "schema_version": int,
    "complete": bool,
    "error": (dict, type(None)),
    "started_at": str,
    "finished_at": (str, type(None)),
    "command": (str, type(None)),
    "settings": {"scales": list, "cores": list, "repeat": int, "format": str, "seed": int, "timeout": _OPTIONAL_NUMBER},
    "environment": {"cores": _OPTIONAL_NUMBER, "memory_bytes": _OPTIONAL_NUMBER, "python": str, "java": (str, type(None)), "packages": dict, "git": dict},
    "cells": {
        "[]": {
            "households": int,
            "cores": int,
            "partitions": int,
            "session_start_seconds": _NUMBER,
            "cold_wall_seconds": _NUMBER,
            "cold_generate_seconds": _NUMBER,
            "limit_cold_wall_seconds?": _OPTIONAL_NUMBER,
            "tables": {
                "{}": {
                    "rows": int,
                    "bytes": _OPTIONAL_NUMBER,
                    "files": _OPTIONAL_NUMBER,
                    "generator": _TIMING,
                    "limit": {**_TIMING, "bytes": _OPTIONAL_NUMBER},
                    "ratio": _OPTIONAL_NUMBER,
                    "peak_memory": (dict, type(None)),
                }
            },
            "graph": {
                "rows": int,
                "bytes": _OPTIONAL_NUMBER,
                "generator": _TIMING,
                "limit": {**_TIMING, "bytes": _OPTIONAL_NUMBER},
                "ratio": _OPTIONAL_NUMBER,
                "peak_memory": {"generator": dict, "limit": dict, "overall": dict},
            },
            "shapes": dict,
        }
    },
    "scaling": {"linear": list, "cores": list},
    "files": {"plot": str, "markdown": str},
}


def validate_results(results: Any, schema: Any = SCHEMA, path: str = "results") -> None:
    """Raise ResultsSchemaError naming the first field that does not match the schema."""
    if isinstance(schema, dict):
        if "[]" in schema:
            if not isinstance(results, list):
                raise ResultsSchemaError(path, results, "a list")
            for index, item in enumerate(results):
                validate_results(item, schema["[]"], f"{path}[{index}]")
            return
        if not isinstance(results, dict):
            raise ResultsSchemaError(path, results, "an object")
        if "{}" in schema:
            for key, item in results.items():
                validate_results(item, schema["{}"], f"{path}.{key}")
            return
        for key, expected in schema.items():
            # "name?": a field newer files have and older ones may lack
            optional, key = key.endswith("?"), key.rstrip("?")
            if key not in results:
                if optional:
                    continue
                raise ResultsSchemaError(f"{path}.{key}", None, "a value (the field is missing)")
            validate_results(results[key], expected, f"{path}.{key}")
        return
    types = schema if isinstance(schema, tuple) else (schema,)
    if isinstance(results, bool) and bool not in types:
        raise ResultsSchemaError(path, results, _type_names(types))
    if not isinstance(results, types):
        raise ResultsSchemaError(path, results, _type_names(types))


def markdown_summary(results: dict[str, Any]) -> str:
    """The Markdown summary of a results file: every cell, the largest cell's tables, scaling."""
    env = results["environment"]
    packages = env.get("packages", {})
    git = env.get("git") or {}
    settings = results["settings"]
    lines = []
    error = results.get("error")
    if error:
        lines += [f"**Incomplete run**: {error['households']:,} households on {error['cores']} core(s) failed: {error['message']}", ""]
    elif not results["complete"]:
        lines += [f"**Incomplete run**: {len(results['cells'])} cell(s) finished so far.", ""]
    lines += [
        f"Machine: {env.get('cores')} cores, {_gib(env.get('memory_bytes'))} RAM, {env.get('cpu') or 'unknown CPU'}; "
        f"Python {env.get('python')}, Spark {packages.get('pyspark')}, {env.get('java') or 'Java ?'}; "
        f"commit {str(git.get('commit') or '?')[:10]}{' (dirty)' if git.get('dirty') else ''}. "
        f"Format {settings['format']}; times are the median of {settings['repeat']} alternating passes per cell, with the spread (max - min) / median in parentheses.",
        "",
        "| households | cores | rows | cold wall, Spark start-up included | raw limit cold wall | generator | rows/s | limit | ratio (limit / generator) | driver JVM peak |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for cell in results["cells"]:
        graph = cell["graph"]
        lines.append(
            f"| {cell['households']:,} | {cell['cores']} | {graph['rows']:,} | {cell['cold_wall_seconds']:.1f} s | {_seconds(cell.get('limit_cold_wall_seconds'))} "
            f"| {_timing(graph['generator'])} | {_rate(graph['generator'])} | {_timing(graph['limit'])} "
            f"| {_num(graph['ratio'])} | {_gib(graph['peak_memory']['generator'].get('driver_jvm_bytes'))} |"
        )
    if results["cells"]:
        largest = max(results["cells"], key=lambda c: (c["households"], c["cores"]))
        lines += [
            "",
            f"Per table at {largest['households']:,} households, {largest['cores']} core(s):",
            "",
            "| table | rows | bytes | generator | rows/s | limit | limit rows/s | ratio |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for table, stats in largest["tables"].items():
            lines.append(
                f"| {table} | {stats['rows']:,} | {_mib(stats['bytes'])} | {_timing(stats['generator'])} | {_rate(stats['generator'])} "
                f"| {_timing(stats['limit'])} | {_rate(stats['limit'])} | {_num(stats['ratio'])} |"
            )
    lines += _table(
        ["cores", "scale", "rows/s ratio (generator)", "rows/s ratio (limit)", "driver JVM peak ratio"], "r l r r r",
        [[row["cores"], f"{row['from_households']:,} → {row['to_households']:,}", _num(row["rows_per_second_ratio"]),
          _num(row["limit_rows_per_second_ratio"]), _num(row["driver_jvm_peak_ratio"])] for row in results["scaling"]["linear"]],
    )
    lines += _table(
        ["households", "cores", "generator speed-up", "limit speed-up", "generator / limit speed-up"], "r l r r r",
        [[f"{row['households']:,}", f"{row['from_cores']} → {row['to_cores']}", _num(row["generator_speedup"]),
          _num(row["limit_speedup"]), _num(row["speedup_vs_limit"])] for row in results["scaling"]["cores"]],
    )
    met = {True: "yes", False: "**no**", None: "n/a"}
    lines += _table(
        ["target", "bar", "measured", "met"], "l r r c",
        [[c["target"], c["bar"], _num(c["measured"]), met[c["met"]]] for c in check_targets(results)],
    )
    return "\n".join(lines) + "\n"


def _table(header: list[str], align: str, rows: list[list[Any]]) -> list[str]:
    """A Markdown table after a blank line (no lines at all when there are no rows);
    `align` holds one of l, r, c per column."""
    if not rows:
        return []
    rule = {"l": "---", "r": "---:", "c": ":---:"}
    return ["", _row(header), "|" + "|".join(rule[a] for a in align.split()) + "|", *(_row(r) for r in rows)]


def _row(cells: Any) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def plot_results(results: dict[str, Any], path: Path) -> Path:
    """PNG: rows/s against households per table and for the whole graph, generator solid, limit dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cells = results["cells"]
    panels = ["whole graph", *cells[0]["tables"]]
    columns = 3
    rows = -(-len(panels) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 3.3 * rows), squeeze=False)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, panel in zip(axes.flat, panels):
        for index, cores in enumerate(sorted({c["cores"] for c in cells})):
            ladder = sorted((c for c in cells if c["cores"] == cores), key=lambda c: c["households"])
            x = [c["households"] for c in ladder]
            stats = [c["graph"] if panel == "whole graph" else c["tables"][panel] for c in ladder]
            colour = colours[index % len(colours)]
            ax.plot(x, [s["generator"]["rows_per_second"] or 0 for s in stats], "o-", color=colour, label=f"generator, {cores} core(s)")
            ax.plot(x, [s["limit"]["rows_per_second"] or 0 for s in stats], "s--", color=colour, alpha=0.6, label=f"limit, {cores} core(s)")
        ax.set_title(panel, fontsize=10)
        ax.set_xscale("log")
        ax.set_xlabel("households", fontsize=8)
        ax.set_ylabel("rows/s", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=max(1, len(labels)), fontsize=8)
    status = "" if results["complete"] else " (INCOMPLETE)"
    fig.suptitle(f"idgraph bench: rows/s vs scale, generator against the raw {results['settings']['format']} write limit{status}", fontsize=11)
    fig.tight_layout(rect=(0, 0.05, 1, 0.96))
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def readme_block(results: dict[str, Any], results_name: str, more: Sequence[tuple[dict[str, Any], str]] = ()) -> str:
    """The README's performance block (without the markers), rendered from results files:
    `results` first, then each of `more` (results, name) in order."""
    blocks = []
    for run, name in [(results, results_name), *more]:
        command = run.get("command") or "idgraph bench"
        blocks.append(f"From `{name}` (run with `{command}`):\n\n" + markdown_summary(run))
    return "Generated by `idgraph bench --readme`; do not edit by hand.\n\n" + "\n".join(blocks)


def update_readme_block(
    readme: Path, results: dict[str, Any], results_name: str, more: Sequence[tuple[dict[str, Any], str]] = ()
) -> bool:
    """Replace the text between the bench markers of `readme`; True when the file changed."""
    text = readme.read_text(encoding="utf-8") if readme.exists() else ""
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        raise ResultsSchemaError("README", str(readme), f"a file holding the markers {README_START} ... {README_END}")
    updated = text[: start + len(README_START)] + "\n" + readme_block(results, results_name, more) + text[end:]
    if updated == text:
        return False
    readme.write_text(updated, encoding="utf-8")
    return True


def latest_results(folder: Path) -> tuple[Path, dict[str, Any]] | None:
    """The newest complete results file in `folder` (names are UTC timestamps), or None."""
    for path in sorted(folder.glob("*.json"), reverse=True):
        try:
            data = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        if isinstance(data, dict) and data.get("complete"):
            return path, data
    return None


def _timing(stats: dict[str, Any]) -> str:
    return f"{stats['median_seconds']:.2f} s ({stats['spread'] * 100:.0f}%)"


def _rate(stats: dict[str, Any]) -> str:
    rate = stats.get("rows_per_second")
    return f"{rate:,.0f}" if rate else "–"


def _seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} s"


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _gib(value: float | None) -> str:
    return "–" if not value else f"{value / 2**30:.2f} GiB"


def _mib(value: float | None) -> str:
    return "–" if value is None else f"{value / 2**20:.1f} MiB"


def _type_names(types: tuple[type, ...]) -> str:
    return " or ".join("null" if t is type(None) else t.__name__ for t in types)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
