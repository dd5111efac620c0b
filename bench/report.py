"""Results as documents: the Markdown summary, the PNG, the README block, the one-line answer.

Every figure shown anywhere (the `.md` and `.png` beside a results file, the README's
performance section, the Benchmarks tab's headline) is rendered here from a results file
(read through `bench.results`), so none is ever typed by hand; `render` re-creates the
.md and .png of any results file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from .plot import results_figure
from .results import ResultsSchemaError, largest_cell, load_results
from .summary import plain_reference
from .targets import check_targets

README_START = "<!-- bench:start -->"
README_END = "<!-- bench:end -->"
ONE_MILLION = 1_000_000


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
    version = results.get("schema_version", 1)
    method = (
        f"times are the median of {settings['repeat']} timed passes per side in ABBA order after one untimed warm pass per side; "
        "ratio = limit seconds / generator seconds, the geometric mean of the paired per-pass ratios [95% bootstrap interval]; "
        "per-table figures from single-table passes, whole-graph figures from concurrent ones"
        if version >= 2 else
        f"times are the median of {settings['repeat']} alternating passes per cell (schema 1: no warm pass for the limit, ratio of medians)"
    )
    indicative = " **Indicative only: one timed pass per side.**" if settings["repeat"] < 2 else ""
    lines += [
        f"Machine: {env.get('cores')} cores, {_gib(env.get('memory_bytes'))} RAM, {env.get('cpu') or 'unknown CPU'}; "
        f"Python {env.get('python')}, Spark {packages.get('pyspark')}, {env.get('java') or 'Java ?'}; "
        f"commit {str(git.get('commit') or '?')[:10]}{' (dirty)' if git.get('dirty') else ''}. "
        f"Format {settings['format']}; {method}; spread (max - min) / median in parentheses.{indicative}",
    ]
    if settings.get("note"):
        lines += ["", f"Note: {settings['note']}"]
    lines += _table(
        ["households", "cores", "rows", "cold wall (Python + session + first run)", "first-run penalty", "raw limit cold wall",
         "generator", "rows/s", "limit", "ratio [95% CI]", plain_label(results), "JVM CPU s (gen / limit)", "other procs' CPU s", "GC s", "bytes/row (gen / limit)", "driver JVM peak"],
        "r r r r r r r r r r r r r r r r",
        [_cell_row(cell) for cell in results["cells"]],
    )
    largest = largest_cell(results)
    if largest is not None:
        lines += ["", f"Per table at {largest['households']:,} households, {largest['cores']} core(s)"
                  f" ({'single-table passes' if largest.get('table_figures') == 'single' else 'tables written two at a time'}):"]
        lines += _table(
            ["table", "rows", "bytes (limit vs generator)", "bytes/row", "generator", "rows/s", "limit", "limit rows/s",
             "ratio [95% CI]", "ratio, concurrent", "limit / replay", plain_label(results)],
            "l r r r r r r r r r r r",
            [_table_row(table, stats) for table, stats in largest["tables"].items()],
        )
        lines += _stage_table(largest)
    lines += _cold_breakdown(results)
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
    lines += _table(
        ["cores", "table", "generator fixed s", "generator µs/row", "limit fixed s", "limit µs/row", "per-row ratio (limit / generator)"], "r l r r r r r",
        [[f["cores"], f["table"], _num(f["generator"]["fixed_seconds"]), _num(f["generator"]["microseconds_per_row"], 3),
          _num(f["limit"]["fixed_seconds"]), _num(f["limit"]["microseconds_per_row"], 3), _num(f["per_row_ratio"])]
         for f in results["scaling"].get("fit", [])],
    )
    met = {True: "yes", False: "**no**", None: "n/a"}
    lines += _table(
        ["target", "bar", "measured", "met"], "l r r c",
        [[c["target"], c["bar"], _num(c["measured"]), met[c["met"]] + (" (indicative: 1 pass)" if c.get("indicative") and c["met"] is not None else "")]
         for c in check_targets(results)],
    )
    return "\n".join(lines) + "\n"


def _cell_row(cell: dict[str, Any]) -> list[str]:
    graph = cell["graph"]
    gen_cpu, lim_cpu = graph["generator"].get("cpu") or {}, graph["limit"].get("cpu") or {}
    cold = (cell.get("cold") or {}).get("generator") or {}
    per_row = graph.get("bytes_per_row") or {}
    return [
        f"{cell['households']:,}", str(cell["cores"]), f"{graph['rows']:,}",
        f"{cell['cold_wall_seconds']:.1f} s" + (f" ({_s(cold.get('python_start_seconds'))} + {_s(cold['session_start_seconds'])} + {_s(cold['first_run_seconds'])})" if cold else ""),
        _s(cold.get("first_run_penalty_seconds")),
        _s(cell.get("limit_cold_wall_seconds")),
        _timing(graph["generator"]), _rate(graph["generator"]), _timing(graph["limit"]),
        _ratio_ci(graph), _ratio_ci(graph, "plain_ratio"),
        f"{_num(gen_cpu.get('jvm_cpu_seconds'), 1)} / {_num(lim_cpu.get('jvm_cpu_seconds'), 1)}",
        f"{_num(gen_cpu.get('other_cpu_seconds'), 1)} / {_num(lim_cpu.get('other_cpu_seconds'), 1)}",
        f"{_num(gen_cpu.get('gc_seconds'), 2)} / {_num(lim_cpu.get('gc_seconds'), 2)}",
        f"{_num(per_row.get('generator'), 1)} / {_num(per_row.get('limit'), 1)}",
        _gib(graph["peak_memory"]["generator"].get("driver_jvm_bytes")),
    ]


def _table_row(table: str, stats: dict[str, Any]) -> list[str]:
    per_row = stats.get("bytes_per_row") or {}
    difference = stats.get("limit_bytes_difference")
    concurrent = stats.get("concurrent") or {}
    return [
        table, f"{stats['rows']:,}",
        f"{_mib(stats['limit'].get('bytes'))} vs {_mib(stats['bytes'])}" + (f" ({difference * 100:+.1f}%)" if difference is not None else ""),
        f"{_num(per_row.get('generator'), 1)} / {_num(per_row.get('limit'), 1)}",
        _timing(stats["generator"]), _rate(stats["generator"]), _timing(stats["limit"]), _rate(stats["limit"]),
        _ratio_ci(stats), _ratio_ci(concurrent) if concurrent else "–", _num(stats.get("limit_vs_replay")), _ratio_ci(stats, "plain_ratio"),
    ]


def _stage_table(cell: dict[str, Any]) -> list[str]:
    """Spark's stage metrics per table and side (medians over the passes), where recorded."""
    rows = []
    for table, stats in cell["tables"].items():
        for side in ("generator", "limit"):
            stages = stats[side].get("stages")
            if stages:
                rows.append([table, side, f"{stages['stages']:g} / {stages['tasks']:g}", _s(stages["executor_run_seconds"]),
                             _s(stages["executor_cpu_seconds"]), _s(stages["jvm_gc_seconds"]), _mib(stages["output_bytes"]),
                             f"{stages['output_records']:,.0f}", _mib(stages["memory_spilled_bytes"] + stages["disk_spilled_bytes"]),
                             _mib(stages["peak_execution_memory_bytes"])])
    if not rows:
        return ["", "Spark stage metrics: not recorded in this results file."]
    return ["", "Spark stage metrics per table (medians over the passes; tasks' time summed over cores):"] + _table(
        ["table", "side", "stages / tasks", "executor run", "executor CPU", "task GC", "written", "records", "spilled", "peak execution memory"],
        "l l r r r r r r r r", rows,
    )


def _cold_breakdown(results: dict[str, Any]) -> list[str]:
    """Per cell and side: Python start, session start, first run, cold wall, warm run, first-run penalty."""
    rows = []
    for cell in results["cells"]:
        for side, label in (("generator", "generator"), ("limit", "raw limit"), ("plain", "generator, plain JVM"), ("flagged", "generator, flagged JVM")):
            cold = (cell.get("cold") or {}).get(side)
            if cold:
                rows.append([f"{cell['households']:,}", cell["cores"], label, _s(cold.get("python_start_seconds")), _s(cold["session_start_seconds"]),
                             _s(cold["first_run_seconds"]), _s(cold["cold_wall_seconds"]), _s(cold.get("warm_run_seconds")), _s(cold.get("first_run_penalty_seconds"))])
    return _table(["households", "cores", "side", "Python start", "session start", "first run", "cold wall", "warm run (median)", "first-run penalty"],
                  "r r l r r r r r r", rows)


def plain_label(results: dict[str, Any]) -> str:
    """The plain-JVM ratio's column heading: over the flagged JVM, or the engine session in older results."""
    return f"plain JVM / {plain_reference(*(cell['graph'] for cell in results.get('cells') or []))}"


def one_line_answer(results: dict[str, Any]) -> str:
    """The answer to "how fast at 1M, how close to Spark's limit", in one line, from the
    1M-household cell with the most cores (the largest cell when there is none)."""
    cells = results.get("cells") or []
    at_million = [c for c in cells if c["households"] == ONE_MILLION]
    cell = max(at_million, key=lambda c: c["cores"]) if at_million else largest_cell(results)
    if cell is None:
        return "No finished cell in this results file."
    graph = cell["graph"]
    where = "1M households" if cell["households"] == ONE_MILLION else f"{cell['households']:,} households (no 1M cell in this run)"
    parts = [
        f"{_s(graph['generator']['median_seconds'])} generation",
        f"{_s(cell['cold_wall_seconds'])} with Spark start-up",
        f"{_rate(graph['generator'])} rows/s",
        f"{graph['ratio'] * 100:.0f}% of Spark's write limit" if graph.get("ratio") is not None else "limit –",
    ]
    if graph.get("plain_ratio") is not None:
        against = "that speed" if plain_reference(graph) == "engine session" else f"the {plain_reference(graph)}'s speed"
        parts.append(f"plain JVM {graph['plain_ratio'] * 100:.0f}% of {against}")
    indicative = " (indicative: one pass)" if results["settings"]["repeat"] < 2 else ""
    return f"{where} on {cell['cores']} core(s) here: " + ", ".join(parts) + indicative + "."


def render(path: str | Path) -> tuple[Path, Path]:
    """Re-create the .md and .png beside a results file from its JSON alone."""
    path = Path(path)
    results = load_results(path)
    markdown, png = path.with_suffix(".md"), path.with_suffix(".png")
    markdown.write_text(markdown_summary(results))
    save_figure(results, png)
    return markdown, png


def save_figure(results: dict[str, Any], path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig = results_figure(results)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def _table(header: list[str], align: str, rows: list[list[Any]]) -> list[str]:
    """A Markdown table after a blank line (no lines at all when there are no rows);
    `align` holds one of l, r, c per column."""
    if not rows:
        return []
    rule = {"l": "---", "r": "---:", "c": ":---:"}
    return ["", _row(header), "|" + "|".join(rule[a] for a in align.split()) + "|", *(_row(r) for r in rows)]


def _row(cells: Any) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def readme_block(results: dict[str, Any], results_name: str, more: Sequence[tuple[dict[str, Any], str]] = ()) -> str:
    """The README's performance block (without the markers), rendered from results files:
    `results` first, then each of `more` (results, name) in order."""
    blocks = []
    for run, name in [(results, results_name), *more]:
        command = run.get("command") or "idgraph bench"
        blocks.append(f"From `{name}` (run with `{command}`):\n\n**{one_line_answer(run)}**\n\n" + markdown_summary(run))
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


def _ratio_ci(stats: dict[str, Any], key: str = "ratio") -> str:
    value, ci = stats.get(key), stats.get(f"{key}_ci")
    if value is None:
        return "–"
    return f"{value:.2f} [{ci[0]:.2f}–{ci[1]:.2f}]" if ci else f"{value:.2f}"


def _timing(stats: dict[str, Any]) -> str:
    return f"{stats['median_seconds']:.2f} s ({stats['spread'] * 100:.0f}%)"


def _rate(stats: dict[str, Any]) -> str:
    rate = stats.get("rows_per_second")
    return f"{rate:,.0f}" if rate else "–"


def _s(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} s"


def _num(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _gib(value: float | None) -> str:
    return "–" if not value else f"{value / 2**30:.2f} GiB"


def _mib(value: float | None) -> str:
    return "–" if value is None else f"{value / 2**20:.1f} MiB"
